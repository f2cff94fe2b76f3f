"""Flows: work that crosses domains (goods moving: dispatch, arrival with shortages, unclaimed goods).

A flow calls the services of the domains below it and tells people through the notifications outbox; no domain
imports a flow.
"""
