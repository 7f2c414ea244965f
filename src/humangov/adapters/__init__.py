"""Concrete adapters for the ports in `humangov.ports`. Only `bootstrap.py` imports these."""
