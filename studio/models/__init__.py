"""Network definitions; each file holds one model family."""
