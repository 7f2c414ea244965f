"""`python -m humangov` is the `humangov` command."""

from humangov.cli import app

app(prog_name="humangov")
