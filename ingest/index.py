"""The index format: what ingestion writes and the answerer reads.

Layout under ``<data_dir>/index``::

    CURRENT                 name of the live generation ("gen-000007"), swapped atomically
    gen-000007/manifest.json  format, model fingerprint, one record per source file
    gen-000007/chunks.jsonl   every chunk, display text and metadata
    gen-000007/lexical.npz    BM25 weights over jieba tokens of folded text (+ lexical.json vocabulary)
    gen-000007/faq.npz        BM25 over FAQ questions and their alternative phrasings only

Vectors live in Chroma, one collection per embedding-model fingerprint, keyed by chunk id. A
generation directory is complete before ``CURRENT`` points at it, so a crash mid-ingest leaves the
previous index serving; Chroma is reconciled against the live generation on every run, so vectors
left over by a crash are cleaned up and missing ones are embedded.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import numpy.typing as npt
from scipy import sparse

from ingest.chunk import Chunk
from ingest.embedding import Vectors
from ingest.text import TOKENIZER_VERSION, is_intent_word, tokenize

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

logger = logging.getLogger(__name__)

INDEX_FORMAT = 1
CURRENT_FILE = "CURRENT"


class IndexFormatError(Exception):
    """The index on disk is missing, from another format, or unreadable."""


# ---------------------------------------------------------------- manifest


@dataclass(slots=True)
class FileRecord:
    """What the index knows about one source file."""

    sha256: str
    size: int
    doc_type: str
    title: str
    chunk_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Manifest:
    """The description of one index generation."""

    generation: int
    model_fingerprint: str
    created_at: str
    files: dict[str, FileRecord] = field(default_factory=dict)
    tokenizer: str = TOKENIZER_VERSION
    format: int = INDEX_FORMAT

    def to_json(self) -> dict[str, Any]:
        """Plain dict for manifest.json."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        """Inverse of ``to_json``; rejects other index formats."""
        if data.get("format") != INDEX_FORMAT:
            raise IndexFormatError(
                f"index format {data.get('format')!r} is not {INDEX_FORMAT}; re-run ingest"
            )
        files = {name: FileRecord(**record) for name, record in data["files"].items()}
        return cls(
            generation=int(data["generation"]),
            model_fingerprint=str(data["model_fingerprint"]),
            created_at=str(data["created_at"]),
            files=files,
            tokenizer=str(data.get("tokenizer", "")),
        )

    @classmethod
    def empty(cls, *, model_fingerprint: str) -> Manifest:
        """The manifest of an index with nothing in it."""
        return cls(generation=0, model_fingerprint=model_fingerprint, created_at=utc_now_iso())


def utc_now_iso() -> str:
    """Now, in UTC, as an ISO-8601 string with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- lexical (BM25)


class LexicalIndex:
    """Okapi BM25 over pre-tokenised documents, stored as a sparse doc x term weight matrix.

    Weights are precomputed at build time so a query is one column slice and a sum. It also
    answers "how much of the question does this passage cover", which confidence needs and a
    black-box BM25 library would not expose.
    """

    def __init__(
        self, *, vocabulary: dict[str, int], idf: npt.NDArray[np.float64], weights: sparse.csc_matrix
    ) -> None:
        self.vocabulary = vocabulary
        self.idf = idf
        self.weights = weights
        self.size = int(weights.shape[0])
        # An unseen term is rarer than any seen one; give it the idf of a term in no document.
        self.unknown_idf = math.log(1.0 + (self.size + 0.5) / 0.5) if self.size else 1.0
        self._by_row: sparse.csr_matrix | None = None

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        """Build from token lists, one per document."""
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[float] = []
        lengths = np.zeros(len(documents), dtype=np.float64)
        for row, tokens in enumerate(documents):
            lengths[row] = len(tokens)
            term_counts: dict[int, int] = {}
            for token in tokens:
                col = vocabulary.setdefault(token, len(vocabulary))
                term_counts[col] = term_counts.get(col, 0) + 1
            for col, count in term_counts.items():
                rows.append(row)
                cols.append(col)
                counts.append(float(count))
        n_docs = len(documents)
        tf = sparse.csc_matrix((counts, (rows, cols)), shape=(n_docs, len(vocabulary)), dtype=np.float64)
        df = np.diff(tf.indptr).astype(np.float64)
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        avg_length = float(lengths.mean()) if n_docs else 0.0
        weights = tf.copy()
        if n_docs:
            norm = k1 * (1.0 - b + b * lengths / max(avg_length, 1e-9))
            doc_of_entry = weights.indices
            freq = weights.data
            weights.data = idf[np.repeat(np.arange(len(vocabulary)), np.diff(weights.indptr))] * (
                freq * (k1 + 1.0) / (freq + norm[doc_of_entry])
            )
        return cls(vocabulary=vocabulary, idf=idf, weights=weights)

    def term_ids(self, tokens: Sequence[str]) -> list[int]:
        """Column ids of the known tokens, each once."""
        seen: dict[int, None] = {}
        for token in tokens:
            col = self.vocabulary.get(token)
            if col is not None:
                seen[col] = None
        return list(seen)

    def scores(self, tokens: Sequence[str]) -> npt.NDArray[np.float64]:
        """BM25 score of every document for the query tokens."""
        ids = self.term_ids(tokens)
        if not ids or not self.size:
            return np.zeros(self.size, dtype=np.float64)
        return np.asarray(self.weights[:, ids].sum(axis=1)).ravel()

    def coverage(self, tokens: Sequence[str], row: int) -> float:
        """Share of the query's idf mass whose terms occur in document ``row`` (0..1).

        Intent words ("多久", "谁") are left out: they rank, but they are not topic, and counting
        them would make "火锅要多久" look half-covered by any passage that says 多久. So is an
        unknown compound ("长时间") whose parts are also query tokens ("时间"): jieba's search
        mode emits both, and counting the compound would punish a question for a word the library
        spells in pieces.
        """
        if not self.size:
            return 0.0
        if self._by_row is None:
            self._by_row = self.weights.tocsr()
        present = set(self._by_row.indices[self._by_row.indptr[row] : self._by_row.indptr[row + 1]].tolist())
        return self._share(tokens, lambda token, col: col is not None and col in present)

    def coverage_by(self, tokens: Sequence[str], terms: Set[str]) -> float:
        """Share of the query's idf mass (weighted as in this index) whose terms are in ``terms``:
        ``coverage`` for a text that is none of the index's documents (a learned phrasing)."""
        return self._share(tokens, lambda token, col: token in terms)

    def _share(self, tokens: Sequence[str], covered: Callable[[str, int | None], bool]) -> float:
        unique = list(dict.fromkeys(tokens))
        if not unique or not self.size:
            return 0.0
        total = 0.0
        matched = 0.0
        for token in unique:
            if is_intent_word(token):
                continue
            col = self.vocabulary.get(token)
            if col is None and any(other != token and other in token for other in unique):
                continue
            weight = self.unknown_idf if col is None else float(self.idf[col])
            total += weight
            if covered(token, col):
                matched += weight
        return matched / total if total else 0.0

    def save(self, path: Path) -> None:
        """Write ``<path>.npz`` and ``<path>.json``."""
        sparse.save_npz(path.with_suffix(".npz"), self.weights)
        payload = {"vocabulary": self.vocabulary, "idf": self.idf.tolist()}
        path.with_suffix(".json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        """Read what ``save`` wrote."""
        weights = sparse.load_npz(path.with_suffix(".npz")).tocsc()
        payload = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return cls(
            vocabulary={str(k): int(v) for k, v in payload["vocabulary"].items()},
            idf=np.asarray(payload["idf"], dtype=np.float64),
            weights=weights,
        )


def faq_question_text(chunk: Chunk) -> str:
    """The text the FAQ-question index matches: the question and its alternative phrasings."""
    return "\n".join(
        part
        for part in (chunk.metadata.get("faq_question", ""), chunk.metadata.get("alternatives", ""))
        if part
    )


def faq_key(chunk: Chunk) -> str | None:
    """What names an FAQ entry across re-ingests (its chunk id changes with every edit of the
    answer): its file and its ``id``, or its question when it has none. None for other passages."""
    if chunk.doc_type != "faq":
        return None
    return f"{chunk.source}#{chunk.metadata.get('faq_id') or chunk.metadata.get('faq_question') or chunk.section}"


# ---------------------------------------------------------------- vectors (Chroma)


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


# ---------------------------------------------------------------- generations on disk


def faq_rows(chunks: Sequence[Chunk]) -> list[int]:
    """Positions of the FAQ chunks: the FAQ-question index has one document per entry, in this order."""
    return [row for row, chunk in enumerate(chunks) if chunk.doc_type == "faq"]


@dataclass(slots=True)
class IndexSnapshot:
    """One generation loaded into memory: what retrieval reads."""

    manifest: Manifest
    chunks: list[Chunk]
    lexical: LexicalIndex
    faq_lexical: LexicalIndex
    name: str
    faq_rows: list[int] = field(init=False)
    """Rows of the FAQ chunks, in the order of ``faq_lexical``'s documents."""
    by_id: dict[str, int] = field(init=False)
    faq_index_of_row: dict[int, int] = field(init=False)
    languages: frozenset[str] = field(init=False)
    """The languages its passages are written in."""
    has_scoped: bool = field(init=False)
    """Whether any passage answers only some units (an FAQ with a ``scope``)."""
    row_of_faq: dict[str, int] = field(init=False)
    """The row of each FAQ entry by its ``faq_key``."""

    def __post_init__(self) -> None:
        self.faq_rows = faq_rows(self.chunks)
        self.by_id = {chunk.id: row for row, chunk in enumerate(self.chunks)}
        self.faq_index_of_row = {row: position for position, row in enumerate(self.faq_rows)}
        self.languages = frozenset(chunk.lang for chunk in self.chunks)
        self.has_scoped = any(chunk.metadata.get("scope") for chunk in self.chunks)
        self.row_of_faq = {
            key: row for row in self.faq_rows if (key := faq_key(self.chunks[row])) is not None
        }

    @classmethod
    def build(cls, *, manifest: Manifest, chunks: list[Chunk], name: str = "") -> IndexSnapshot:
        """Build the lexical indexes for a chunk list."""
        lexical = LexicalIndex.build([tokenize(chunk.search_text) for chunk in chunks])
        faq_lexical = LexicalIndex.build(
            [tokenize(faq_question_text(chunks[row])) for row in faq_rows(chunks)]
        )
        return cls(manifest=manifest, chunks=chunks, lexical=lexical, faq_lexical=faq_lexical, name=name)


class IndexStore:
    """The ``index`` folder: reads the live generation, writes new ones atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def current_name(self) -> str | None:
        """Name of the live generation, or None before the first ingest."""
        try:
            name = (self.root / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def read_manifest(self) -> Manifest | None:
        """The live manifest, or None before the first ingest."""
        name = self.current_name()
        return None if name is None else self._manifest(name)

    def _manifest(self, name: str) -> Manifest:
        try:
            data = json.loads((self.root / name / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"index generation {name} is unreadable: {exc}") from exc
        return Manifest.from_json(data)

    def load(self) -> IndexSnapshot | None:
        """Load the live generation, or None before the first ingest."""
        name = self.current_name()
        if name is None:
            return None
        # The manifest of the generation named above, not of whatever CURRENT says by now: an
        # ingest in another process may swap it between the two reads.
        manifest = self._manifest(name)
        folder = self.root / name
        try:
            with (folder / "chunks.jsonl").open(encoding="utf-8") as handle:
                chunks = [Chunk.from_json(json.loads(line)) for line in handle if line.strip()]
            lexical = LexicalIndex.load(folder / "lexical")
            faq_lexical = LexicalIndex.load(folder / "faq")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexFormatError(f"index generation {name} is unreadable: {exc}") from exc
        return IndexSnapshot(
            manifest=manifest, chunks=chunks, lexical=lexical, faq_lexical=faq_lexical, name=name
        )

    def commit(self, snapshot: IndexSnapshot) -> str:
        """Write a snapshot as the next generation and make it live; returns its name."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"gen-{snapshot.manifest.generation:06d}"
        staging = self.root / f".{name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        with (staging / "chunks.jsonl").open("w", encoding="utf-8") as handle:
            for chunk in snapshot.chunks:
                handle.write(json.dumps(chunk.to_json(), ensure_ascii=False) + "\n")
        snapshot.lexical.save(staging / "lexical")
        snapshot.faq_lexical.save(staging / "faq")
        (staging / "manifest.json").write_text(
            json.dumps(snapshot.manifest.to_json(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        _fsync_dir(staging)
        final = self.root / name
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
        pointer = self.root / f".{CURRENT_FILE}.tmp"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, self.root / CURRENT_FILE)
        _fsync_dir(self.root)
        snapshot.name = name
        self._prune(keep={name})
        return name

    def _prune(self, *, keep: set[str]) -> None:
        # Keep the previous generation one round for readers that loaded it a moment ago.
        generations = sorted(p.name for p in self.root.glob("gen-*") if p.is_dir())
        survivors = set(generations[-2:]) | keep
        for name in generations:
            if name not in survivors:
                shutil.rmtree(self.root / name, ignore_errors=True)
        for leftover in self.root.glob(".gen-*.tmp"):
            shutil.rmtree(leftover, ignore_errors=True)

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the single-writer lock: two ingests at once would race on ``CURRENT``."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
