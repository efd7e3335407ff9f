"""Writing and checking replies: the Korean text of each answer, the claims a reply may make about its formula,
and the check that keeps a model's narration to what the formula holds."""
