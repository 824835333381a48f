"""The vector side of the index: the Chroma store, and how it rides out a server that is away."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ingest.chunk import Chunk
from ingest.embedding import Vectors

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

logger = logging.getLogger(__name__)


class VectorStoreUnavailableError(Exception):
    """The Chroma server did not answer (down, restarting, too slow); the next call tries again."""


def make_chroma_client(*, path: Path, url: str | None, timeout_s: float = 15.0) -> ClientAPI:
    """A Chroma client: HTTP when a server URL is configured, otherwise a local persistent store.

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
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


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


class VectorStore:
    """The Chroma collection holding one embedding model's vectors.

    The client is made on first use, not at start-up, so the web app starts while a Chroma server
    is down. A call that fails because the server is away drops the connection and raises
    ``VectorStoreUnavailableError``; the next call after ``retry_after_s`` connects again, and
    calls in between fail at once instead of each waiting for a timeout.
    """

    def __init__(
        self,
        *,
        connect: Callable[[], ClientAPI],
        prefix: str,
        fingerprint: str,
        retry_after_s: float = 5.0,
    ) -> None:
        self._connect = connect
        self.prefix = prefix
        self.fingerprint = fingerprint
        self.name = _collection_name(prefix, fingerprint)
        self.retry_after_s = retry_after_s
        self._connection: _Connection | None = None
        self._failure: str | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def _connected(self) -> _Connection:
        with self._lock:
            if self._connection is not None:
                return self._connection
            if self._failure is not None and time.monotonic() < self._retry_at:
                raise VectorStoreUnavailableError(self._failure)
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
                self._failed(str(exc))
                raise
            except Exception as exc:
                if not _is_unavailable(exc):
                    raise
                self._failed(f"the vector store does not answer ({exc})")
                raise VectorStoreUnavailableError(self._failure or "") from exc
            if self._failure is not None:
                logger.warning("vector store answers again")
            self._connection = _Connection(client=client, collection=collection)
            self._failure = None
            return self._connection

    def _failed(self, reason: str, *, pause: bool = True) -> None:
        if self._failure is None:
            logger.warning("vector store unavailable: %s", reason)
        self._failure = reason
        self._retry_at = time.monotonic() + (self.retry_after_s if pause else 0.0)

    @contextlib.contextmanager
    def _calling(self) -> Iterator[_Connection]:
        """The live connection; a failure because the server is away drops it."""
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
                    self._failed(f"the vector store does not answer ({exc})", pause=not _is_missing(exc))
                    close_chroma_client(connection.client)
                reason = self._failure or f"the vector store does not answer ({exc})"
            raise VectorStoreUnavailableError(reason) from exc

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

    def close(self) -> None:
        """Release the connection; the next call connects again."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            close_chroma_client(connection.client)

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
