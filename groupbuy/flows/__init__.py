"""Work that crosses domains: closing groups and settling their orders; the leader's desk confirming orders
and telling the shoppers; goods moving (dispatch, arrival with shortages, unclaimed goods). Above every domain;
nothing but the jobs, the flows' own doors (routes.py), the web pages and the app wiring imports it."""
