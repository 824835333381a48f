"""The FastAPI edge: JSON API, web chat and (later) the manager console."""
