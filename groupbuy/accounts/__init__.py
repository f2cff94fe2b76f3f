"""Accounts: users, verification codes, sessions, lockout, addresses."""
