"""Persistence: SQLAlchemy models' base, engine and sessions, Alembic migrations."""
