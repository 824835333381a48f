"""The vector side of the index: the Chroma store, how it rides out a server that is away, and how
a damaged local store is found and rebuilt.

Where a local store lives, how its damage is told and how a rebuilt one is made live:
``ingest.local_store``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ingest.chunk import Chunk
from ingest.embedding import Vectors
from ingest.local_store import LocalStores, open_local_store

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

logger = logging.getLogger(__name__)


class VectorStoreUnavailableError(Exception):
    """The Chroma server did not answer (down, restarting, too slow); the next call tries again."""


class VectorStoreDamagedError(VectorStoreUnavailableError):
    """The store answers, but wrongly: a local store cannot read its own files, or a collection holds
    fewer vectors than the index expects, or answers a query with nothing. Waiting does not help;
    rebuilding the vectors from the library does."""


_DETAIL_CHARS = 160  # of Chroma's own message: enough to tell which file, short enough to read


def make_chroma_client(*, path: Path, url: str | None, timeout_s: float = 15.0) -> ClientAPI:
    """A Chroma client: HTTP when a server URL is configured, otherwise the live local store in
    the Chroma folder ``path`` (see ``LocalStores``).

    Raises:
        VectorStoreUnavailableError: the server does not answer within ``timeout_s``.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        from urllib.parse import urlparse

        parsed = urlparse(url)
        host = parsed.hostname or "localhost"
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        ssl = parsed.scheme == "https"
        try:
            # chromadb's constructor talks to the server over a session with no timeout at all, so
            # an unreachable host would hang it for minutes: ask the heartbeat first, with ours.
            httpx.get(
                f"{'https' if ssl else 'http'}://{host}:{port}/api/v2/heartbeat", timeout=timeout_s
            ).raise_for_status()
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
        except (
            httpx.HTTPError,
            ValueError,
        ) as exc:  # the constructor reports "could not connect" as ValueError
            raise VectorStoreUnavailableError(f"the Chroma server at {url} does not answer ({exc})") from exc
        session = _http_session(client)
        if session is not None:
            # Every later call shares this session; without a timeout, a hung server would hold
            # each question's worker thread for good.
            session.timeout = httpx.Timeout(timeout_s)
        return client
    return open_local_store(LocalStores(path).live())


def close_chroma_client(client: ClientAPI) -> None:
    """Release a client's connections (HTTP session to a server, SQLite handles)."""
    # chromadb's HTTP client never closes the httpx session it opens (as of 1.5); do it for it.
    session = _http_session(client)
    if session is not None:
        session.close()
    close = getattr(client, "close", None)  # not on the ClientAPI protocol, on every client
    if callable(close):
        close()


def _http_session(client: ClientAPI) -> httpx.Client | None:
    session = getattr(getattr(client, "_server", None), "_session", None)
    return session if isinstance(session, httpx.Client) else None


def _is_unavailable(exc: Exception) -> bool:
    """Whether a Chroma call failed because the server is away, not because the call was wrong."""
    from chromadb.errors import ChromaError, NotFoundError

    if isinstance(exc, httpx.TransportError):  # refused, reset, timed out
        return True
    if isinstance(exc, NotFoundError):  # the collection went away (a server restarted empty): re-create it
        return True
    if isinstance(exc, ChromaError):
        return exc.code() >= 500 or exc.code() == 429
    # chromadb raises a bare Exception for an error response without a Chroma body (a proxy's 502).
    return type(exc) is Exception


def _is_missing(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError)


@dataclass(slots=True)
class _Connection:
    client: ClientAPI
    collection: Collection
    store: Path | None  # the local store it is open on; None on a server


class VectorStore:
    """The Chroma collection holding one embedding model's vectors.

    The client is made on first use, not at start-up, so the web app starts while a Chroma server
    is down. A call that fails because the server is away drops the connection and raises
    ``VectorStoreUnavailableError``; the next call after ``retry_after_s`` connects again, and
    calls in between fail at once instead of each waiting for a timeout. A local store (``local``)
    has no server to be away: a failing call means it cannot read its own files, and raises
    ``VectorStoreDamagedError``. The failure is logged once, and "answers again" once a call has
    succeeded (not merely connected: a damaged store opens fine and then fails every query).
    """

    def __init__(
        self,
        *,
        connect: Callable[[], ClientAPI],
        prefix: str,
        fingerprint: str,
        retry_after_s: float = 5.0,
        local: LocalStores | None = None,
    ) -> None:
        """``connect`` makes a client; with ``local`` (the Chroma folder it opens the live store
        of), every call first checks that store is still the live one."""
        self._connect = connect
        self.prefix = prefix
        self.fingerprint = fingerprint
        self.name = _collection_name(prefix, fingerprint)
        self.retry_after_s = retry_after_s
        self.local = local
        self._connection: _Connection | None = None
        self._failure: str | None = None
        self._failure_store: Path | None = None
        self._damaged = False
        self._retry_at = 0.0
        self._problem: str | None = None  # what ``verify`` last found wrong, to log it once
        self._lock = threading.Lock()

    def _connected(self) -> _Connection:
        with self._lock:
            store = self.local.live() if self.local is not None else None
            if self._connection is not None:
                if self._connection.store == store:
                    return self._connection
                # A rebuild (here or in another process) made another store live: move to it.
                close_chroma_client(self._connection.client)
                self._connection = None
            if (
                self._failure is not None
                and time.monotonic() < self._retry_at
                and self._failure_store == store  # a store made live since is tried at once
            ):
                raise self._error()
            problem = self.local.problem(store) if self.local is not None and store is not None else None
            if problem is not None:
                self._failed(
                    f"the local vector store in {store} cannot be read ({problem})", store=store, damaged=True
                )
                raise self._error()
            try:
                client = self._connect()
                try:
                    collection = client.get_or_create_collection(
                        self.name,
                        # Never an embedding function, so Chroma never downloads one.
                        embedding_function=None,
                        metadata={"hnsw:space": "cosine", "model": self.fingerprint},
                    )
                except Exception:
                    close_chroma_client(client)
                    raise
            except VectorStoreUnavailableError as exc:
                self._failed(str(exc), store=store)
                raise
            except Exception as exc:
                if not _is_unavailable(exc):
                    raise
                self._failed(self._reason(exc, store), store=store, damaged=store is not None)
                raise self._error() from exc
            self._connection = _Connection(client=client, collection=collection, store=store)
            return self._connection

    def _reason(self, exc: Exception, store: Path | None) -> str:
        if store is None:
            return f"the vector store does not answer ({exc})"
        detail = " ".join(str(exc).split())
        if len(detail) > _DETAIL_CHARS:  # Chroma chains its causes: the last one names the file
            detail = "…" + detail[1 - _DETAIL_CHARS :]
        return f"the local vector store in {store} cannot be read ({detail})"

    def _error(self) -> VectorStoreUnavailableError:
        return (VectorStoreDamagedError if self._damaged else VectorStoreUnavailableError)(
            self._failure or ""
        )

    def _failed(self, reason: str, *, store: Path | None, pause: bool = True, damaged: bool = False) -> None:
        if self._failure is None:
            logger.warning("vector store %s: %s", "damaged" if damaged else "unavailable", reason)
        self._failure = reason
        self._failure_store = store
        self._damaged = damaged
        self._retry_at = time.monotonic() + (self.retry_after_s if pause else 0.0)

    @contextlib.contextmanager
    def _calling(self) -> Iterator[_Connection]:
        """The live connection; a failure because the server is away (or the local store cannot
        read its files) drops it."""
        connection = self._connected()
        try:
            yield connection
        except Exception as exc:
            with self._lock:
                # Another thread may have dropped this connection already (and closed its session
                # under this call): then whatever this call raised is the same outage.
                stale = self._connection is not connection
                if not stale and not _is_unavailable(exc):
                    raise
                if not stale:
                    self._connection = None
                    # A vanished collection is not an outage: the very next call re-creates it.
                    missing = _is_missing(exc)
                    damaged = connection.store is not None and not missing
                    self._failed(
                        self._reason(exc, None if missing else connection.store),
                        store=connection.store,
                        pause=not missing,
                        damaged=damaged,
                    )
                    close_chroma_client(connection.client)
                error = (
                    self._error() if self._failure else VectorStoreUnavailableError(self._reason(exc, None))
                )
            raise error from exc
        if self._failure is not None:
            with self._lock:
                if self._failure is not None and self._connection is connection:
                    logger.warning("vector store answers again")
                    self._failure = None

    @property
    def client(self) -> ClientAPI:
        """The Chroma client, connected on first use."""
        return self._connected().client

    @property
    def collection(self) -> Collection:
        """This model's collection, created on first use."""
        return self._connected().collection

    def check(self) -> None:
        """Ask the server for a heartbeat; raises ``VectorStoreUnavailableError`` when it does not answer."""
        with self._calling() as connection:
            connection.client.heartbeat()

    def verify(self, *, expected: int = 0) -> None:
        """Check the collection answers a real query and holds at least ``expected`` vectors.

        A heartbeat is not enough: a store whose index files are damaged answers it and then fails
        every query, and one that lost its database answers every query with nothing. So this
        counts, reads one stored vector back and queries with it, as a question would. (That the
        query finds that very vector is not asked: the index is approximate, and on some data
        misses a point's own nearest neighbour.) More vectors than expected are fine: an ingest
        writes vectors before it makes the new generation live, and removes the ones it no longer
        needs only after.

        Raises:
            VectorStoreUnavailableError: the server does not answer.
            VectorStoreDamagedError: the store cannot read its files, holds fewer vectors than
                ``expected``, or answers a query with nothing although it holds vectors.
        """
        with self._calling() as connection:
            collection = connection.collection
            count = collection.count()
            problem = None
            if count < expected:
                problem = f"the vector store holds {count} vectors of the {expected} the live index has"
            elif count > 0:
                sample = collection.get(limit=1, include=["embeddings"])
                embeddings = sample.get("embeddings")
                if embeddings is None or len(embeddings) == 0:
                    problem = "the vector store lists vectors it cannot read back"
                else:
                    probe: list[Sequence[float]] = [[float(x) for x in embeddings[0]]]
                    found = collection.query(
                        query_embeddings=probe,
                        n_results=1,
                        include=["distances"],
                    )
                    if not found["ids"] or not found["ids"][0]:
                        problem = f"the vector store holds {count} vectors and a query finds none"
        self._noted(problem)
        if problem is not None:
            raise VectorStoreDamagedError(problem)

    def _noted(self, problem: str | None) -> None:
        # Said once when it starts and once when it ends, however often readiness is probed.
        with self._lock:
            previous, self._problem = self._problem, problem
        if problem is not None and problem != previous:
            logger.warning("vector store damaged: %s", problem)
        elif problem is None and previous is not None:
            logger.warning("vector store holds the vectors the index expects again")

    def close(self) -> None:
        """Release the connection; the next call connects again."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            close_chroma_client(connection.client)

    @contextlib.contextmanager
    def rebuilding(self) -> Iterator[VectorStore]:
        """An empty store for this model to put every vector in, live once the block ends.

        Local: a new store folder beside the live one, swapped in only when the block finishes, so
        an error or a crash leaves the old store live. The old store is never opened: it may not
        open at all. On a Chroma server only this product's collection for this model is dropped
        (nothing else there is touched) and filled again in place; questions meanwhile get fewer
        dense matches, and if the rebuild stops half-way the next ingest embeds what is missing.
        """
        if self.local is None:
            from chromadb.errors import NotFoundError

            with self._calling() as connection, contextlib.suppress(NotFoundError):  # gone is dropped
                connection.client.delete_collection(self.name)
            self.close()
            yield self
            return
        path = self.local.create()
        fresh = VectorStore(
            connect=functools.partial(open_local_store, path),
            prefix=self.prefix,
            fingerprint=self.fingerprint,
            retry_after_s=self.retry_after_s,
        )
        try:
            yield fresh
        except BaseException:
            fresh.close()
            shutil.rmtree(path, ignore_errors=True)
            raise
        fresh.close()
        self.local.commit(path)
        self.close()

    def prune_replaced(self) -> list[Path]:
        """Remove local stores a rebuild replaced (and leftovers of one that stopped half-way)."""
        return self.local.prune() if self.local is not None else []

    def ids(self) -> set[str]:
        """Every chunk id that has a vector."""
        with self._calling() as connection:
            result = connection.collection.get(include=[])
        return set(result["ids"])

    def upsert(self, *, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        """Store vectors for chunks, in batches Chroma accepts."""
        with self._calling() as connection:
            batch = max(1, min(connection.client.get_max_batch_size(), 1000))
            for start in range(0, len(chunks), batch):
                part = chunks[start : start + batch]
                connection.collection.upsert(
                    ids=[chunk.id for chunk in part],
                    embeddings=vectors[start : start + batch].tolist(),
                    metadatas=[_vector_metadata(chunk) for chunk in part],
                )

    def delete(self, ids: Sequence[str]) -> None:
        """Remove vectors by chunk id."""
        batch = 1000
        with self._calling() as connection:
            for start in range(0, len(ids), batch):
                connection.collection.delete(ids=list(ids[start : start + batch]))

    def query(
        self, *, vector: Vectors, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest chunk ids with their cosine similarity, best first."""
        # No count() first: Chroma 1.x returns fewer than ``k`` (or none) from a smaller collection,
        # and a second round trip would cost every question and race with a concurrent delete.
        with self._calling() as connection:
            result = connection.collection.query(
                query_embeddings=[vector.tolist()], n_results=k, where=where, include=["distances"]
            )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[]])[0]
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(ids, distances, strict=True)]

    def drop_other_models(self) -> list[str]:
        """Delete this product's collections built with other models; returns their names."""
        dropped = []
        with self._calling() as connection:
            for collection in connection.client.list_collections():
                name = collection if isinstance(collection, str) else collection.name
                if name.startswith(f"{self.prefix}-") and name != self.name:
                    connection.client.delete_collection(name)
                    dropped.append(name)
        return dropped


def _collection_name(prefix: str, fingerprint: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in fingerprint)
    return f"{prefix}-{safe}"[:200].strip("-._")


def _vector_metadata(chunk: Chunk) -> dict[str, str | int]:
    return {
        "source": chunk.source,
        "doc_type": chunk.doc_type,
        "lang": chunk.lang,
        "audience": chunk.metadata.get("audience", "") or "all",
        "position": chunk.position,
    }
