"""After-sale requests on received orders, the leader's answer, escalation to a CS dispute and its decision,
refunded through the line-level refund entry point."""
