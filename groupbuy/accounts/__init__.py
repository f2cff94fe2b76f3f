"""Accounts: users, verification codes, sessions, lockout, addresses; auth.py: bearer tokens and require_roles()."""
