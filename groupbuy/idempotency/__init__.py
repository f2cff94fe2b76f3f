"""Idempotency keys: the same request sent again replays the first answer."""
