"""The Alembic migrations and the SQLAlchemy models describe the same schema."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import OperationalError

import bot.schema  # noqa: F401  (registers every model)
from bot.storage.base import Base
from bot.storage.database import make_engine, upgrade_database
from tests.conftest import POSTGRES


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


@pytest.mark.skipif(not POSTGRES, reason="the lock under test is PostgreSQL's; SQLite writers queue anyway")
def test_processes_starting_together_upgrade_one_after_another(database_url: str) -> None:
    """Web, workers and scheduler all migrate at start-up, at the same moment, on a fresh database."""
    engines = [make_engine(database_url) for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(engines))

    def upgrade(engine: Engine) -> None:
        start.wait()
        try:
            upgrade_database(engine)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=upgrade, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with engines[0].connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    for engine in engines:
        engine.dispose()
    assert errors == []
    assert differences == []


def test_a_database_host_that_never_answers_fails_the_connection_in_time() -> None:
    """The port accepts the connection (the kernel's backlog) but nothing ever speaks PostgreSQL."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        engine = make_engine(
            f"postgresql+psycopg://changebot@127.0.0.1:{port}/changebot", connect_timeout_s=1
        )
        started = time.monotonic()
        with pytest.raises(OperationalError), engine.connect():
            pass
        engine.dispose()
    assert time.monotonic() - started < 10
