"""Outbox of outbound messages (SMS, e-mail, console) with delivery through channels."""
