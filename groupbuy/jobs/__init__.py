"""Scheduled jobs: the trigger table (scheduler.py), the run ledger, job locks and the admin view of them."""
