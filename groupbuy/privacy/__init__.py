"""The shopper's own data: a copy of everything we hold (GET /me/export) and closing the account (DELETE /me)."""
