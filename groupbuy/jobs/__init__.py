"""Scheduled jobs: the run ledger, job locks and the admin view of them (the trigger table is groupbuy/scheduler.py)."""
