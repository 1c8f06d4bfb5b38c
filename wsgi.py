"""Entry point for gunicorn (wsgi:app) and the flask CLI (--app wsgi)."""

from core import create_app

app = create_app()
