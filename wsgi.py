"""WSGI entry point: gunicorn wsgi:app."""

from groupbuy import create_app

app = create_app()
