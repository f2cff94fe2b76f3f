"""Catalog: categories, products and SKUs, listing moderation, deals, their stock and per-user limits."""
