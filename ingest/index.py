"""The index format: what ingestion writes and the answerer reads.

Layout under ``<data_dir>/index``::

    CURRENT                 name of the live generation ("gen-000007"), swapped atomically
    gen-000007/manifest.json  format, model fingerprint, one record per source file
    gen-000007/chunks.jsonl   every chunk, display text and metadata
    gen-000007/lexical.npz    BM25 weights over jieba tokens of folded text (+ lexical.json vocabulary)
    gen-000007/faq.npz        BM25 over FAQ questions and their alternative phrasings only
    gen-000007/translations.json  English word -> the library's Chinese words for it

Vectors live in Chroma, one collection per embedding-model fingerprint, keyed by chunk id. A
generation directory is complete before ``CURRENT`` points at it, so a crash mid-ingest leaves the
previous index serving; Chroma is reconciled against the live generation on every run, so vectors
left over by a crash are cleaned up and missing ones are embedded.

``IndexStore`` is the port ingestion and retrieval use; ``FolderIndexStore`` keeps generations in
a folder as above (one host; also every process's local cache of the database's generations, see
``bot.library.generations``), and ``pack``/``unpack`` carry one generation as a single blob. What
a generation is made of lives beside this module: ``ingest.manifest`` (manifest.json), ``ingest.lexical`` (lexical.npz and
faq.npz) and ``ingest.vectors`` (the Chroma collection).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.chunk import Chunk
from ingest.crosslingual import cedict
from ingest.lexical import LexicalIndex, faq_key, faq_question_text
from ingest.locks import file_lock
from ingest.manifest import IndexFormatError, Manifest
from ingest.text import tokenize

CURRENT_FILE = "CURRENT"
TRANSLATIONS_FILE = "translations.json"


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
    translations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """English word -> the library's Chinese words for it (``ingest.crosslingual``)."""
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
        return cls(
            manifest=manifest, chunks=chunks, lexical=lexical, faq_lexical=faq_lexical, name=name,
            translations=cedict().translations(lexical.vocabulary),
        )  # fmt: skip


class IndexStore(Protocol):
    """Where index generations live: the live one is read, new ones are written whole and made live
    at once, one writer at a time."""

    def current_name(self) -> str | None:
        """Name of the live generation, or None before the first ingest."""
        ...

    def read_manifest(self) -> Manifest | None:
        """The live manifest, or None before the first ingest."""
        ...

    def load(self) -> IndexSnapshot | None:
        """Load the live generation, or None before the first ingest."""
        ...

    def commit(self, snapshot: IndexSnapshot) -> str:
        """Write a snapshot as the next generation and make it live; returns its name."""
        ...

    def writer_lock(self) -> AbstractContextManager[None]:
        """Hold the single-writer lock: two ingests at once would race on the live generation."""
        ...


def generation_name(generation: int) -> str:
    """The name of generation number ``generation`` ("gen-000007")."""
    return f"gen-{generation:06d}"


class FolderIndexStore:
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
        return None if name is None else _read_manifest(self.root / name, name)

    def load(self) -> IndexSnapshot | None:
        """Load the live generation, or None before the first ingest."""
        name = self.current_name()
        if name is None:
            return None
        # The generation named above, not whatever CURRENT says by now: an ingest in another
        # process may swap it between the two reads.
        return _read_generation(self.root / name, name)

    def commit(self, snapshot: IndexSnapshot) -> str:
        """Write a snapshot as the next generation and make it live; returns its name."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = generation_name(snapshot.manifest.generation)
        # A staging folder of this call's own: two processes of one host may fill their shared cache
        # with the same generation at once.
        staging = self.root / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
        staging.mkdir(parents=True)
        _write_generation(staging, snapshot)
        _fsync_dir(staging)
        final = self.root / name
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
        pointer = self.root / f".{CURRENT_FILE}.{uuid.uuid4().hex[:8]}.tmp"
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

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the single-writer lock: two ingests at once would race on ``CURRENT``."""
        with file_lock(self.root / ".lock"):
            # A staging folder left by a writer that crashed; none is being filled now.
            for leftover in self.root.glob(".gen-*.tmp"):
                shutil.rmtree(leftover, ignore_errors=True)
            yield


def pack(snapshot: IndexSnapshot) -> bytes:
    """One generation as a single blob (a zip of the files ``FolderIndexStore`` writes), for a store
    that keeps generations elsewhere than in a folder."""
    with tempfile.TemporaryDirectory(prefix="changebot-pack-") as folder:
        _write_generation(Path(folder), snapshot)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).iterdir()):
                archive.write(path, arcname=path.name)
    return buffer.getvalue()


def unpack(data: bytes, *, name: str) -> IndexSnapshot:
    """The generation ``pack`` made ``data`` from.

    Raises:
        IndexFormatError: ``data`` is not such a blob, or of another index format.
    """
    with tempfile.TemporaryDirectory(prefix="changebot-unpack-") as folder:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    if "/" in member or member.startswith("."):
                        raise IndexFormatError(f"index generation {name} holds an unexpected {member!r}")
                    (Path(folder) / member).write_bytes(archive.read(member))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise IndexFormatError(f"index generation {name} is unreadable: {exc}") from exc
        return _read_generation(Path(folder), name)


def _write_generation(folder: Path, snapshot: IndexSnapshot) -> None:
    with (folder / "chunks.jsonl").open("w", encoding="utf-8") as handle:
        for chunk in snapshot.chunks:
            handle.write(json.dumps(chunk.to_json(), ensure_ascii=False) + "\n")
    snapshot.lexical.save(folder / "lexical")
    snapshot.faq_lexical.save(folder / "faq")
    (folder / TRANSLATIONS_FILE).write_text(
        json.dumps(snapshot.translations, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    (folder / "manifest.json").write_text(
        json.dumps(snapshot.manifest.to_json(), ensure_ascii=False, indent=1), encoding="utf-8"
    )


def _read_manifest(folder: Path, name: str) -> Manifest:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"index generation {name} is unreadable: {exc}") from exc
    return Manifest.from_json(data)


def _read_generation(folder: Path, name: str) -> IndexSnapshot:
    manifest = _read_manifest(folder, name)
    try:
        with (folder / "chunks.jsonl").open(encoding="utf-8") as handle:
            chunks = [Chunk.from_json(json.loads(line)) for line in handle if line.strip()]
        lexical = LexicalIndex.load(folder / "lexical")
        faq_lexical = LexicalIndex.load(folder / "faq")
        translations = _read_translations(folder / TRANSLATIONS_FILE)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexFormatError(f"index generation {name} is unreadable: {exc}") from exc
    return IndexSnapshot(
        manifest=manifest, chunks=chunks, lexical=lexical, faq_lexical=faq_lexical, name=name,
        translations=translations,
    )  # fmt: skip


def _read_translations(path: Path) -> dict[str, tuple[str, ...]]:
    # A generation written before translations were kept has none: English questions then rank
    # Chinese passages by meaning alone until the next ingest (which rebuilds: the tokenizer
    # version names the translations).
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(english): tuple(str(word) for word in chinese) for english, chinese in data.items()}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
