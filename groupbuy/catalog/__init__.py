"""Catalog: categories, products and SKUs, listing moderation, deals and the public deal list."""
