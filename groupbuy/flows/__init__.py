"""Work that crosses domains: closing groups and settling their orders; the leader's desk confirming orders
and telling the shoppers. Above every domain; nothing but the jobs, the flows' own doors (routes.py) and the
app wiring imports it."""
