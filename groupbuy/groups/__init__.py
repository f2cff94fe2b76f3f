"""Groups: one leader × one deal, the pool neighbours order into."""
