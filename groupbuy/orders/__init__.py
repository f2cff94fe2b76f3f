"""Orders: checkout, the state machine, timeline, pickup codes."""
