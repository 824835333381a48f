"""Engine, sessions and schema upgrades."""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
logger = logging.getLogger(__name__)
T = TypeVar("T")

# Tests set this: a transaction begun on the event loop by application code is then an error, not
# a log line (see ``_refuse_on_event_loop``).
STRICT_EVENT_LOOP = False
_reported_on_loop: set[str] = set()


def make_engine(url: str, *, connect_timeout_s: int = 10) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    A server database gets a connect timeout: a database host that accepts the connection and then
    says nothing would otherwise hold the caller (the sender's loop, a web request) for good.
    """
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            # SQLAlchemy, not the driver, decides where transactions begin (see _begin_immediate).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            if connection.get_execution_options().get(DEFERRED_BEGIN):
                # A read takes no write lock: a page or a look-up never waits for, or holds up, a writer.
                connection.exec_driver_sql("BEGIN")
                return
            # A deferred transaction that reads and then writes cannot wait for another writer in WAL
            # mode: SQLite answers "database is locked" at once. Taking the write lock up front makes
            # writers queue on the busy timeout instead (several workers, or serve's sender and
            # scheduler beside the bot, share one file).
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    else:
        connect_args = {"connect_timeout": connect_timeout_s} if url.startswith("postgresql") else {}
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    event.listen(engine, "before_cursor_execute", lambda *_args: _refuse_on_event_loop())
    return engine


# Execution option of a session that mostly reads (``read_only_transaction``, a GET's session): on
# SQLite its transaction is a plain BEGIN, which takes the write lock only if it writes.
DEFERRED_BEGIN = "changebot_deferred_begin"


def _refuse_on_event_loop() -> None:
    """No statement may run on a thread that runs an event loop, when our own coroutine asked.

    A blocking transaction on the loop stops every request, update and send of the process while it
    waits, and on SQLite it can wait for ever: the write lock may be held by a request whose end the
    loop itself has to run. Coroutines go through ``in_transaction`` (a worker thread) instead. The
    check is cheap: it walks the stack only on a loop's thread, where nothing should get this far.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # a worker thread, a CLI command: blocking is fine there
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if frame.f_code.co_flags & inspect.CO_COROUTINE and module.startswith(("bot.", "ingest.")):
            where = f"{module}.{frame.f_code.co_name}"
            if STRICT_EVENT_LOOP:
                raise RuntimeError(f"{where} ran a database statement on the event loop")
            if where not in _reported_on_loop:
                _reported_on_loop.add(where)
                logger.error("%s ran a database statement on the event loop; it stalls the process", where)
            return
        frame = frame.f_back  # type: ignore[assignment]


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


# Any constant both sides agree on: the key of the PostgreSQL advisory lock that upgrades queue on.
_UPGRADE_LOCK_KEY = 0x6368_616E_6765  # "change"


def upgrade_database(engine: Engine) -> None:
    """Apply every Alembic migration not yet applied (idempotent).

    Every process upgrades at start-up, and in a deployment they all start at once (web, workers,
    scheduler): the upgrades queue on a lock, so the first one migrates and the others find the
    schema already at head. PostgreSQL: an advisory lock held until the transaction ends; SQLite:
    the write lock that every transaction here takes first (BEGIN IMMEDIATE).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK_KEY})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def migrated_sessions(url: str) -> sessionmaker[Session]:
    """Sessions on a new engine for ``url``, its schema upgraded first (a command or a benchmark
    that owns its database; ``engine.dispose()`` through ``.kw["bind"]`` when done)."""
    engine = make_engine(url)
    upgrade_database(engine)
    return make_session_factory(engine)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def read_only_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for reading: no write lock on SQLite (so it never waits for a writer); rolled back."""
    with factory() as session:
        session.connection(execution_options={DEFERRED_BEGIN: True})
        try:
            yield session
        finally:
            session.rollback()


async def in_transaction(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """``work(session)`` in one transaction on a worker thread, for coroutines: the event loop goes on
    serving while the transaction waits for a lock or the database.

    Cancelling the caller does not cut the transaction short: it runs to its end (commit or
    rollback) before the cancellation goes on, so the caller's next step can rely on its outcome.
    """

    def run() -> T:
        with transaction(factory) as session:
            return work(session)

    return await in_thread(run)


async def in_thread(work: Callable[[], T]) -> T:
    """``work()`` (which opens its own short transactions) on a worker thread; see ``in_transaction``."""
    task: asyncio.Future[T] = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is away for now (restarting, unreachable, busy), not that
    the statement is wrong: the same statement is worth trying again in a moment."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
