"""Outbound channels behind one Protocol, chosen by configuration."""
