"""Sample quality scores (Fréchet distance, class coverage) in the features of a shipped digit classifier."""
