"""``python -m pipeline`` runs the command line."""

from .cli import app

app(prog_name="kantong")
