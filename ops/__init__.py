"""Operating the scale-out stack: throw-away servers and the scale benchmark."""
