"""One migrated engine per test database, shared by a test's fixtures and the cores it builds, and
disposed when the test ends (``tests/conftest.py``)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.storage.database import make_engine, make_session_factory, upgrade_database

_ENGINES: dict[str, Engine] = {}


def sessions_for(where: Settings | str) -> sessionmaker[Session]:
    """Sessions on ``where`` (settings, or a database URL), migrated on first use in this test."""
    url = where if isinstance(where, str) else where.database
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = make_engine(url)
        upgrade_database(engine)
    return make_session_factory(engine)


def dispose_engines() -> None:
    """Close every engine ``sessions_for`` opened (a test's end)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
