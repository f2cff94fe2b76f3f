"""The shopper's cart: deal + quantity lines, checked live against stock, limits and cutoffs."""
