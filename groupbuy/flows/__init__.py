"""Flows: use cases that cross domains (a leader confirms orders and their shoppers are told; goods moving:
dispatch, arrival with shortages, unclaimed goods).

A flow calls the services of the domains below it and tells people through the notifications outbox; no domain
imports a flow. Routes, jobs and the CLI call them.
"""
