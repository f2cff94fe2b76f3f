"""Groups: one leader × one deal, the pool neighbours order into; the shopper's deal pages show it."""
