"""No application coroutine may run a database statement on the event loop (it stalls the process,
and on SQLite can wedge it): the guard names the coroutine, and ``in_transaction`` is the way round."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bot.storage import database
from bot.storage.database import in_transaction, transaction


def _application_coroutine(sessions: sessionmaker[Session]) -> Callable[[], Coroutine[Any, Any, int]]:
    """``async def look_up()`` as if written in a module of the application (``bot.example``)."""
    namespace: dict[str, Any] = {
        "__name__": "bot.example", "transaction": transaction, "sessions": sessions, "text": text,
    }  # fmt: skip
    source = "async def look_up():\n    with transaction(sessions) as s:\n        return s.scalar(text('SELECT 1'))\n"
    exec(compile(source, "bot/example.py", "exec"), namespace)  # noqa: S102  (our own fixed source)
    look_up: Callable[[], Coroutine[Any, Any, int]] = namespace["look_up"]
    return look_up


async def test_a_statement_on_the_loop_is_refused_in_tests_and_named(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(
        RuntimeError, match=r"bot\.example\.look_up ran a database statement on the event loop"
    ):
        await _application_coroutine(sessions)()


async def test_in_production_it_is_logged_once_and_the_statement_runs(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(database, "STRICT_EVENT_LOOP", False)
    monkeypatch.setattr(database, "_reported_on_loop", set())
    look_up = _application_coroutine(sessions)
    assert [await look_up(), await look_up()] == [1, 1]
    logged = [
        r for r in caplog.records if r.levelno == logging.ERROR and "bot.example.look_up" in r.getMessage()
    ]
    assert len(logged) == 1


async def test_in_transaction_runs_on_a_worker_thread_and_commits(sessions: sessionmaker[Session]) -> None:
    assert await in_transaction(sessions, lambda s: s.scalar(text("SELECT 41 + 1"))) == 42


async def test_a_read_only_transaction_takes_no_write_lock(sessions: sessionmaker[Session]) -> None:
    if not str(sessions.kw["bind"].url).startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    with transaction(sessions) as writer:
        writer.execute(text("CREATE TABLE IF NOT EXISTS probe (n INTEGER)"))
    with transaction(sessions) as writer:
        writer.execute(text("INSERT INTO probe VALUES (1)"))  # holds the write lock from here on
        with database.read_only_transaction(sessions) as reader:
            # A BEGIN IMMEDIATE here would wait for the writer (30 s, then "database is locked").
            assert reader.scalar(text("SELECT count(*) FROM probe")) == 0
