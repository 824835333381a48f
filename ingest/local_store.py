"""The local Chroma folder: which store in it is live, how a damaged one is told before Chroma opens
it, and new stores built beside it for a rebuild.

A local store (no ``CHANGEBOT_CHROMA_URL``) lives under ``<data_dir>/chroma``::

    chroma.sqlite3, <uuid>/   the first store, written straight into the folder
    CURRENT                   once a store has been rebuilt: the name of the live one ("store-000002")
    store-000002/             a rebuilt store, a whole Chroma folder of its own

A rebuild (``ingest.vectors.VectorStore.rebuilding``) fills a new ``store-*`` folder that nothing
reads and only then swaps ``CURRENT`` to it, as index generations are swapped: a crash mid-rebuild
leaves the old store live and a folder no pointer names, which the next ingest removes. Every call
reads ``CURRENT`` (one small file), so processes that are serving move to the new store on their
next question, without a restart. The store a rebuild replaced stays until the next ingest, for
readers that were mid-question.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

STORE_POINTER = "CURRENT"
_HNSW_PERSISTED = "index_metadata.pickle"
# hnswlib's header.bin as Chroma 1.x writes it (version 1): version, offset of level 0, capacity,
# element count, bytes per element, then fields this check does not read.
_HNSW_HEADER = struct.Struct("<iQQQQQQiIQQQdQ")
_STORE_NAME = re.compile(r"store-(\d{6})")


class LocalStores:
    """The local Chroma folder: which store in it is live, and new ones built beside it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def live(self) -> Path:
        """The folder of the live store (the Chroma folder itself until the first rebuild)."""
        try:
            name = (self.root / STORE_POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return self.root
        return self.root / name if _STORE_NAME.fullmatch(name) else self.root

    def problem(self, store: Path) -> str | None:
        """What is wrong with the index files of a store, as far as can be told without opening it.

        Chroma's index library trusts ``header.bin``: with ``data_level0.bin`` emptied or cut short
        it reads memory that was never filled, and then fails, answers rubbish or crashes the
        process (all three seen). So the sizes are compared before Chroma is let near the files.
        """
        if not store.is_dir():
            return None
        for segment in sorted(store.iterdir()):
            if not (_is_uuid(segment.name) and (segment / _HNSW_PERSISTED).exists()):
                continue  # not written out yet: Chroma rebuilds it from its database on opening
            try:
                header = (segment / "header.bin").read_bytes()
                data = (segment / "data_level0.bin").stat().st_size
            except FileNotFoundError as exc:
                return f"{segment.name}/{Path(str(exc.filename)).name} is missing"
            if len(header) != _HNSW_HEADER.size:
                continue  # emptied or another format: Chroma itself says so when it opens the file
            version, _, _, elements, element_size, *_ = _HNSW_HEADER.unpack(header)
            if version == 1 and data < elements * element_size:
                return (
                    f"{segment.name}/data_level0.bin holds {data} bytes of the "
                    f"{elements * element_size} its header.bin gives"
                )
        return None

    def create(self) -> Path:
        """A new, empty store folder that nothing reads until ``commit``."""
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(match[1]) for p in self.root.iterdir() if (match := _STORE_NAME.fullmatch(p.name))]
        path = self.root / f"store-{max(numbers, default=0) + 1:06d}"
        path.mkdir()
        return path

    def commit(self, path: Path) -> None:
        """Make the store in ``path`` live; the one it replaces stays until the next ``prune``."""
        previous = self.live()
        for folder, _, files in os.walk(path):
            for name in files:
                _fsync(Path(folder) / name)
            _fsync(Path(folder))
        pointer = self.root / f".{STORE_POINTER}.tmp"
        pointer.write_text(path.name, encoding="utf-8")
        _fsync(pointer)
        os.replace(pointer, self.root / STORE_POINTER)
        _fsync(self.root)
        self.prune(keep=previous)

    def prune(self, *, keep: Path | None = None) -> list[Path]:
        """Remove every store but the live one (and ``keep``); returns the folders removed.

        Only under the ingest's writer lock: a store being filled is not live yet either.
        """
        live = self.live()
        survivors = {live, keep}
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        for path in sorted(self.root.iterdir()):
            if _STORE_NAME.fullmatch(path.name) and path.is_dir() and path not in survivors:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        if self.root not in survivors and (self.root / "chroma.sqlite3").exists():
            # The first store, written into the folder itself: its database and its segment
            # folders (named by uuid), never the rebuilt stores beside them.
            for path in sorted(self.root.iterdir()):
                if path.name.startswith("chroma.sqlite3"):
                    path.unlink(missing_ok=True)
                elif path.is_dir() and _is_uuid(path.name):
                    shutil.rmtree(path, ignore_errors=True)
            removed.append(self.root)
        return removed


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_local_store(path: Path) -> ClientAPI:
    """A client on the local Chroma store in the folder ``path`` (an empty one if there is none)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
