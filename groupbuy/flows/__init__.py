"""Work that crosses domains: closing groups and settling their orders. Above every domain; nothing but the
jobs and the app wiring imports it."""
