"""Evidence library: the cited sources and one graded card per claim of the article."""
