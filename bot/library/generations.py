"""Index generations kept in the database, so that web processes and workers on several hosts need
no shared folder: the database and the Chroma server are the only state they share.

A commit inserts the whole generation (``ingest.index.pack``) as one row, and the newest row is
live: every process sees a new generation from its next question, on any host, and a host killed
mid-commit leaves the previous one serving everywhere. Each process keeps what it loaded in a local
folder (a ``FolderIndexStore`` under ``<data_dir>/index-cache``) so that a restart does not fetch
it again; the folder is only a cache: deleting it loses nothing, and a host that starts with an
empty disk loads the live generation from the database.

One writer at a time, across hosts: on PostgreSQL an advisory lock held for the whole ingest; on
SQLite (one host by nature) a lock file beside the database file, which every process using that
database sees.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.library.models import IndexGenerationRow
from bot.storage.database import database_unavailable, read_only_transaction, transaction
from ingest.index import FolderIndexStore, IndexSnapshot, generation_name, pack, unpack
from ingest.locks import file_lock
from ingest.manifest import IndexFormatError, Manifest

logger = logging.getLogger(__name__)

# Any constant every process agrees on: the key of the PostgreSQL advisory lock ingests queue on.
_WRITER_LOCK_KEY = 0x696E_6465_78  # "index"
# The generation a commit replaces stays for processes that loaded it a moment ago.
_KEEP = 2


class DatabaseIndexStore:
    """``ingest.index.IndexStore`` on the database, with a local cache folder."""

    def __init__(
        self, *, sessions: sessionmaker[Session], cache_dir: Path, legacy_dir: Path | None = None
    ) -> None:
        """``legacy_dir``: a folder index from before generations were kept in the database; its
        live generation is copied in once when the database has none (an upgrade serves at once)."""
        self._sessions = sessions
        self._cache = FolderIndexStore(cache_dir)
        self._legacy = FolderIndexStore(legacy_dir) if legacy_dir is not None else None
        self._last_known: str | None = None
        self._unreachable_said = False
        self._holder: int | None = None  # the thread in this process holding the writer lock

    @property
    def cache(self) -> FolderIndexStore:
        """The local cache of generations this process loaded."""
        return self._cache

    def current_name(self) -> str | None:
        """The live generation's name: one indexed read, cheap enough for every question.

        While the database does not answer, the generation this process last saw goes on serving
        (said once in the log); the question itself then fails where it needs the database.
        """
        try:
            with read_only_transaction(self._sessions) as session:
                name = session.scalar(
                    select(IndexGenerationRow.name).order_by(IndexGenerationRow.generation.desc()).limit(1)
                )
        except Exception as exc:
            if not database_unavailable(exc) or self._last_known is None:
                raise
            if not self._unreachable_said:
                logger.warning(
                    "database not answering; serving index %s meanwhile: %s", self._last_known, exc
                )
                self._unreachable_said = True
            return self._last_known
        self._unreachable_said = False
        if name is None and self._legacy is not None:
            name = self._adopt_legacy()
        self._last_known = name
        return name

    def read_manifest(self) -> Manifest | None:
        """The live manifest, or None before the first ingest."""
        snapshot = self.load()
        return None if snapshot is None else snapshot.manifest

    def load(self) -> IndexSnapshot | None:
        """The live generation: from the cache folder when it holds it, else from the database
        (and then kept in the cache)."""
        for _ in range(3):  # a generation pruned between the two reads: the next one is live now
            name = self.current_name()
            if name is None:
                return None
            cached = self._cached(name)
            if cached is not None:
                return cached
            snapshot = self._fetch(name)
            if snapshot is not None:
                self._keep(snapshot)
                return snapshot
        raise IndexFormatError("the live index generation changed three times while loading; try again")

    def commit(self, snapshot: IndexSnapshot) -> str:
        """Insert ``snapshot`` as the live generation (in one transaction) and drop the ones before the
        previous; returns its name. Only under ``writer_lock``."""
        name = generation_name(snapshot.manifest.generation)
        snapshot.name = name
        payload = pack(snapshot)
        with transaction(self._sessions) as session:
            session.add(
                IndexGenerationRow(
                    generation=snapshot.manifest.generation,
                    name=name,
                    model_fingerprint=snapshot.manifest.model_fingerprint,
                    chunks=len(snapshot.chunks),
                    payload=payload,
                    written_by=f"{socket.gethostname()}:{os.getpid()}"[:120],
                )
            )
            session.flush()
            kept = session.scalars(
                select(IndexGenerationRow.generation)
                .order_by(IndexGenerationRow.generation.desc())
                .limit(_KEEP)
            ).all()
            session.execute(delete(IndexGenerationRow).where(IndexGenerationRow.generation < min(kept)))
        self._last_known = name
        self._keep(snapshot)
        logger.info(
            "index generation %s is live (%d chunks, %d KB)", name, len(snapshot.chunks), len(payload) // 1024
        )
        return name

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One ingest at a time for everything that uses this database, on any host (re-entrant for
        the thread holding it: the ingest's own first read may copy a legacy index in)."""
        if self._holder == threading.get_ident():
            yield
            return
        with self._locked():
            self._holder = threading.get_ident()
            try:
                yield
            finally:
                self._holder = None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        engine = self._engine()
        if engine.dialect.name == "postgresql":
            # Its own connection, outside any transaction: held for the whole ingest, which commits
            # in transactions of its own; closing the connection (or the process dying) releases it.
            with engine.connect() as connection:
                connection.exec_driver_sql(f"SELECT pg_advisory_lock({_WRITER_LOCK_KEY})")
                connection.commit()
                try:
                    yield
                finally:
                    connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_WRITER_LOCK_KEY})")
                    connection.commit()
            return
        with file_lock(self._lock_file(engine)):
            yield

    def _engine(self) -> Engine:
        bind = self._sessions.kw.get("bind")
        if not isinstance(bind, Engine):
            raise TypeError("the session factory is not bound to an engine")
        return bind

    def _lock_file(self, engine: Engine) -> Path:
        database = make_url(str(engine.url)).database
        if database and database != ":memory:":
            # Beside the database file: every process that writes this database sees it.
            return Path(database).with_name(Path(database).name + ".index-lock")
        return self._cache.root / ".writer-lock"

    def _cached(self, name: str) -> IndexSnapshot | None:
        if self._cache.current_name() != name:
            return None
        try:
            snapshot = self._cache.load()
        except IndexFormatError as exc:  # a damaged cache is fetched again, not trusted
            logger.warning("local index cache unreadable, loading %s from the database: %s", name, exc)
            return None
        return snapshot if snapshot is not None and snapshot.name == name else None

    def _fetch(self, name: str) -> IndexSnapshot | None:
        with read_only_transaction(self._sessions) as session:
            payload = session.scalar(
                select(IndexGenerationRow.payload).where(IndexGenerationRow.name == name)
            )
        return None if payload is None else unpack(payload, name=name)

    def _keep(self, snapshot: IndexSnapshot) -> None:
        """Write ``snapshot`` into the cache folder; a cache that cannot be written only costs a
        fetch from the database next time."""
        try:
            # Written even when the cache names this generation already: it could not serve it.
            with self._cache.writer_lock():
                self._cache.commit(snapshot)
        except OSError as exc:
            logger.warning("local index cache not written (%s): %s", self._cache.root, exc)

    def _adopt_legacy(self) -> str | None:
        """Copy the folder index of an earlier version in, once; None when there is none."""
        assert self._legacy is not None  # noqa: S101
        legacy, self._legacy = self._legacy, None
        try:
            snapshot = legacy.load()
        except IndexFormatError as exc:
            logger.warning("the index in %s is not readable and is not copied in: %s", legacy.root, exc)
            return None
        if snapshot is None:
            return None
        with self.writer_lock():
            if self.current_name() is None:  # no other process copied it in meanwhile
                self.commit(snapshot)
                logger.info("copied index %s from %s into the database", snapshot.name, legacy.root)
        return self.current_name()
