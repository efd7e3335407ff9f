"""Reading a Korean (or English) message: what it asks (route), what it names (lexicon, materials), the edit it
wants, and whether it tries to instruct the model. No replies are written here."""
