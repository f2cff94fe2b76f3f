"""Flows: use cases that cross domains (a leader confirms orders and their shoppers are told). Nothing
below imports a flow; routes, jobs and the CLI call them."""
