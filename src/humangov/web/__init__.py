"""The web layer: FastAPI app factory, dependencies, error mapping, API and page routes."""
