"""One ingest run: files in, a new index generation out.

Incremental by content hash: an unchanged file is neither read nor re-chunked, a changed file's
chunks replace its old ones, a deleted file's chunks go. Only chunks without a vector are
embedded, so editing one paragraph re-embeds one or two chunks. A file that fails to load is
reported and, if an earlier version was indexed, that version keeps serving.

With ``rebuild`` (``changebot ingest --rebuild``) every vector is embedded again into a new, empty
store that replaces the old one only once it is complete (``VectorStore.rebuilding``). A plain run
first checks that the store answers a real query, and rebuilds a damaged local store by itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunk import Chunk, chunk_document
from ingest.documents import LoaderError
from ingest.embedding import Embedder
from ingest.index import IndexSnapshot, IndexStore
from ingest.loaders import load_file
from ingest.manifest import FileRecord, Manifest, utc_now_iso
from ingest.text import TOKENIZER_VERSION
from ingest.vectors import VectorStore, VectorStoreDamagedError

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stages are "read" and "embed"."""

# Folders of the knowledge library that hold other things than answers (surveys, the eval set).
SKIPPED_DIRECTORIES = frozenset({"eval", "surveys"})
SKIPPED_FILES = frozenset({"readme.md", "readme.txt", ".ds_store", "thumbs.db"})
EMBED_BATCH = 128


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that could not be ingested, and why."""

    source: str
    message: str


@dataclass(slots=True)
class IngestReport:
    """What an ingest run did."""

    generation: str | None = None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[FileProblem] = field(default_factory=list)
    chunks_total: int = 0
    chunks_embedded: int = 0
    vectors_removed: int = 0
    vectors_restored: int = 0
    """Vectors of the live generation the store had lost (and this run embedded again)."""
    rebuilt: str | None = None
    """Why every vector was embedded again into a new store ("asked for", or what was damaged), or None."""
    seconds: float = 0.0

    @property
    def files_changed(self) -> bool:
        """Whether any file was added, changed or removed."""
        return bool(self.added or self.changed or self.removed)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file found on disk and the name the index knows it by."""

    source: str
    path: Path


def source_name(path: Path, *, root: Path) -> str:
    """The index name of a file: its path under the knowledge root, else under its own folder."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.name


def discover(paths: Iterable[Path], *, root: Path) -> list[SourceFile]:
    """Every candidate file under ``paths`` (files or folders), sorted, without hidden or skipped ones.

    A path inside ``root`` that no longer exists yields nothing (its chunks are removed); one outside
    it is an error.
    """
    found: dict[str, SourceFile] = {}
    root = root.resolve()
    for path in paths:
        path = path.resolve()
        if path.is_file():
            candidates: Iterable[Path] = [path]
        elif path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_relative_to(root):
            # Gone since the re-index was asked for (an FAQ retired meanwhile): nothing to read, and
            # being in scope, its chunks leave the index.
            candidates = []
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
        for candidate in candidates:
            if _skipped(candidate, root=root):
                continue
            name = source_name(candidate, root=root)
            found[name] = SourceFile(source=name, path=candidate)
    return [found[name] for name in sorted(found)]


def chunks_to_embed(
    paths: Sequence[Path],
    *,
    root: Path,
    manifest: Manifest | None,
    fingerprint: str,
    chunk_size: int = 500,
    chunk_overlap: int = 100,
) -> int:
    """About how many chunks a run over ``paths`` would embed (``estimate_chunks`` for the files
    under them).

    Raises:
        FileNotFoundError: a path outside ``root`` does not exist.
    """
    sized = []
    for found in discover(paths, root=root):
        try:
            sized.append((found.source, found.path.stat().st_size))
        except OSError:  # gone since: nothing to embed
            continue
    return estimate_chunks(
        sized, manifest=manifest, fingerprint=fingerprint, chunk_size=chunk_size, chunk_overlap=chunk_overlap
    )


def estimate_chunks(
    files: Iterable[tuple[str, int]],
    *,
    manifest: Manifest | None,
    fingerprint: str,
    chunk_size: int = 500,
    chunk_overlap: int = 100,
) -> int:
    """About how many chunks a run over ``files`` (source name, size in bytes) would embed, guessed
    without reading them (for how long a queued re-index will take).

    A file the live index holds at the same size is taken as unchanged (the run checks its digest);
    any other is sized at the chunks per byte of the indexed files of its kind (a PDF holds far
    fewer than a Markdown file), or of the whole library, or of plain text when nothing is indexed
    yet. Everything counts when the index is of another embedding model.

    Args:
        files: the files the run would read, by source name.
        manifest: the live index's manifest (None before the first ingest).
        fingerprint: the embedding model's, to tell whether the index's vectors are still of use.
        chunk_size: most characters of body text per chunk.
        chunk_overlap: characters repeated between neighbouring chunks.
    """
    indexed = manifest.files if manifest is not None else {}
    known = indexed if manifest is not None and manifest.model_fingerprint == fingerprint else {}
    sizes: dict[str, list[int]] = {}  # suffix -> [chunks, bytes]; "" for the whole library
    for source, indexed_file in indexed.items():
        for key in (Path(source).suffix.lower(), ""):
            counts = sizes.setdefault(key, [0, 0])
            counts[0] += len(indexed_file.chunk_ids)
            counts[1] += indexed_file.size
    plain = 1 / max(chunk_size - chunk_overlap, 1)
    whole = sizes[""][0] / sizes[""][1] if sizes.get("", [0, 0])[1] else plain
    total = 0
    for source, size in files:
        record = known.get(source)
        if record is not None and record.size == size:
            continue
        chunks, octets = sizes.get(Path(source).suffix.lower(), [0, 0])
        total += max(1, round(size * (chunks / octets if octets else whole)))
    return total


def _skipped(path: Path, *, root: Path) -> bool:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = (path.name,)
    if any(part.startswith((".", "_", "~")) for part in parts):
        return True
    if len(parts) > 1 and parts[0] in SKIPPED_DIRECTORIES:
        return True
    return path.name.lower() in SKIPPED_FILES


def scope_of(paths: Iterable[Path], *, root: Path) -> list[str]:
    """The source names ``paths`` cover ("" for the whole root): a run is responsible for these, so a
    file deleted inside them is removed, and files outside them (from elsewhere) are left alone."""
    scope = []
    for path in paths:
        name = source_name(path, root=root)
        scope.append("" if name == "." else name)
    return scope


def in_scope(source: str, scope: Sequence[str]) -> bool:
    """Whether ``source`` is one of the names ``scope`` holds, or under one of its folders."""
    return any(
        prefix == "" or source == prefix or source.startswith(prefix.rstrip("/") + "/") for prefix in scope
    )


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file's bytes."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def run_ingest(
    *,
    paths: Sequence[Path],
    root: Path,
    store: IndexStore,
    vectors: VectorStore,
    embedder: Embedder,
    chunk_size: int = 500,
    chunk_overlap: int = 100,
    max_file_bytes: int = 20 * 1024 * 1024,
    progress: ProgressCallback | None = None,
    rebuild: bool = False,
) -> IngestReport:
    """Bring the index in line with the files under ``paths``.

    Args:
        paths: files or folders to ingest; files that vanished from them leave the index.
        root: the knowledge library root that source names are relative to.
        store: where index generations live.
        vectors: the Chroma collection for ``embedder``'s model.
        embedder: the embedding model.
        chunk_size: most characters of body text per chunk.
        chunk_overlap: characters of whole sentences repeated between neighbouring chunks.
        max_file_bytes: larger files are rejected with a message.
        progress: optional progress callback.
        rebuild: throw the vectors away and embed every chunk again, into a store that replaces
            the old one once it is complete.

    Raises:
        VectorStoreUnavailableError: the Chroma server does not answer; the live index is untouched.
        VectorStoreDamagedError: a Chroma server's collection is damaged (a local store is rebuilt).
    """
    started = time.perf_counter()
    report = IngestReport()
    notify = progress or (lambda stage, done, total: None)
    with store.writer_lock():
        previous = store.load()
        old_manifest = (
            previous.manifest if previous else Manifest.empty(model_fingerprint=embedder.fingerprint)
        )
        old_chunks: dict[str, list[Chunk]] = {}
        for chunk in previous.chunks if previous else []:
            old_chunks.setdefault(chunk.source, []).append(chunk)

        files = discover(paths, root=root)
        scope = scope_of(paths, root=root)
        records: dict[str, FileRecord] = {}
        chunks_by_source: dict[str, list[Chunk]] = {}
        for done, found in enumerate(files, start=1):
            _ingest_file(
                found,
                root=root,
                old_record=old_manifest.files.get(found.source),
                old_chunks=old_chunks.get(found.source, []),
                records=records,
                chunks_by_source=chunks_by_source,
                report=report,
                chunk_size=chunk_size,
                chunk_overlap=chunk_overlap,
                max_file_bytes=max_file_bytes,
            )
            notify("read", done, len(files))

        seen = {found.source for found in files}
        for source, record in old_manifest.files.items():
            if source in seen:
                continue
            if in_scope(source, scope):
                report.removed.append(source)
            else:
                records[source] = record
                chunks_by_source[source] = old_chunks.get(source, [])

        chunks = [chunk for source in sorted(chunks_by_source) for chunk in chunks_by_source[source]]
        report.chunks_total = len(chunks)

        report.rebuilt = "asked for" if rebuild else _damage(vectors)
        model_changed = old_manifest.model_fingerprint != embedder.fingerprint

        # Vectors first, manifest second: until the new generation is live, readers ignore ids
        # they do not know, so extra vectors are harmless and a crash here loses nothing. A rebuilt
        # store holds this generation's vectors only: a reader still on the previous one finds no
        # vector for the chunks this run replaced until it loads the new one, a moment later.
        with vectors.rebuilding() if report.rebuilt else contextlib.nullcontext(vectors) as target:
            existing = target.ids()
            missing = [chunk for chunk in chunks if chunk.id not in existing]
            if previous is not None and not report.rebuilt and not model_changed:
                # Said, not just mended: vectors of the live generation do not go missing by themselves.
                report.vectors_restored = sum(chunk.id in previous.by_id for chunk in missing)
            for start in range(0, len(missing), EMBED_BATCH):
                batch = missing[start : start + EMBED_BATCH]
                target.upsert(
                    chunks=batch, vectors=embedder.embed_documents([chunk.search_text for chunk in batch])
                )
                report.chunks_embedded += len(batch)
                notify("embed", report.chunks_embedded, len(missing))

        tokenizer_changed = old_manifest.tokenizer != TOKENIZER_VERSION
        if previous is None or report.files_changed or model_changed or tokenizer_changed:
            manifest = Manifest(
                generation=old_manifest.generation + 1,
                model_fingerprint=embedder.fingerprint,
                created_at=utc_now_iso(),
                files=dict(sorted(records.items())),
            )
            report.generation = store.commit(IndexSnapshot.build(manifest=manifest, chunks=chunks))
        else:
            report.generation = previous.name

        stale = sorted(existing - {chunk.id for chunk in chunks})
        if stale:
            vectors.delete(stale)
        report.vectors_removed = len(stale)
        vectors.drop_other_models()
        if not report.rebuilt:
            # The store a rebuild replaced stayed one run for readers that were mid-question.
            vectors.prune_replaced()
    report.seconds = time.perf_counter() - started
    return report


def _damage(vectors: VectorStore) -> str | None:
    """What is wrong with a local store that calls for a rebuild, or None to reconcile as usual.

    A damaged local store is rebuilt by the ingest itself rather than by telling someone to run
    ``--rebuild``: the change team re-indexes from the console, where there is no command to run,
    and the store holds nothing the library does not (a rebuild costs embedding time, never data;
    the old store serves until the new one is complete). A Chroma server's collection is not
    dropped unasked: it raises, and the message says to run ``changebot ingest --rebuild``.
    Missing vectors alone are no damage: reconciling embeds them, as it always has.
    """
    try:
        vectors.verify()
    except VectorStoreDamagedError as exc:
        if vectors.local is None:
            raise
        return str(exc)
    return None


def _ingest_file(
    found: SourceFile,
    *,
    root: Path,
    old_record: FileRecord | None,
    old_chunks: list[Chunk],
    records: dict[str, FileRecord],
    chunks_by_source: dict[str, list[Chunk]],
    report: IngestReport,
    chunk_size: int,
    chunk_overlap: int,
    max_file_bytes: int,
) -> None:
    try:
        sha256, size = file_digest(found.path)
    except OSError as exc:
        _keep_previous(found.source, old_record, old_chunks, records, chunks_by_source)
        report.failed.append(FileProblem(found.source, f"cannot read file: {exc.strerror or exc}"))
        return
    if old_record is not None and old_record.sha256 == sha256:
        records[found.source] = old_record
        chunks_by_source[found.source] = old_chunks
        report.unchanged += 1
        return
    try:
        document = load_file(found.path, root=root, max_bytes=max_file_bytes)
        document.source = found.source
        chunks = chunk_document(document, size=chunk_size, overlap=chunk_overlap)
        if not chunks:
            raise LoaderError("no text to index after cleaning")
    except LoaderError as exc:
        _keep_previous(found.source, old_record, old_chunks, records, chunks_by_source)
        report.failed.append(FileProblem(found.source, str(exc)))
        return
    records[found.source] = FileRecord(
        sha256=sha256,
        size=size,
        doc_type=document.doc_type.value,
        title=document.title,
        chunk_ids=[chunk.id for chunk in chunks],
    )
    chunks_by_source[found.source] = chunks
    (report.changed if old_record is not None else report.added).append(found.source)


def _keep_previous(
    source: str,
    old_record: FileRecord | None,
    old_chunks: list[Chunk],
    records: dict[str, FileRecord],
    chunks_by_source: dict[str, list[Chunk]],
) -> None:
    # A broken upload must not erase the last good version of a playbook.
    if old_record is not None:
        records[source] = old_record
        chunks_by_source[source] = old_chunks
