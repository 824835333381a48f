"""The Alembic migrations and the SQLAlchemy models describe the same schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import bot.storage.models  # noqa: F401  (registers every model)
from bot.storage.base import Base
from bot.storage.database import make_engine, upgrade_database


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade_database(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_is_idempotent_and_creates_every_table(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'i.db'}")
    upgrade_database(engine)
    upgrade_database(engine)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"asked_questions", "units", "people", "memberships", "invite_codes", "alembic_version"} <= tables
