"""Audit log: who did what to which object, before and after."""
