"""A real local Chroma store after a real ingest, and the five ways issue 16 found it damaged.

Chroma writes its index files (``index_metadata.pickle`` beside ``header.bin`` and
``data_level0.bin``) only once a collection has taken 1,000 vectors; below that it replays its
database on every start and there is nothing on disk to damage. So the library here is the usual
small one plus 1,100 one-line FAQ entries: a second or so to ingest with the fake embedder.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

from bot.answering.factory import build_knowledge_core
from bot.config import Settings
from ingest.local_store import LocalStores
from tests.conftest import write_library
from tests.fakes.embedder import FakeEmbedder
from tests.utils.databases import sessions_for

FILLER_ENTRIES = 1100

# English and about the warning lights: the fake model serves English, so dense search takes part.
QUESTION = "What happens after two red weeks in a row?"


def write_large_library(root: Path) -> Path:
    """The small library, and enough FAQ entries for Chroma to write its index files."""
    write_library(root)
    lines = ["lang: en", "faqs:"]
    for number in range(FILLER_ENTRIES):
        lines += [
            f"  - id: filler-{number}",
            f"    question: What does checklist item {number} cover?",
            f"    answer: Item {number} covers step{number} of the handover.",
        ]
    (root / "faqs" / "checklist.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def forget_chroma_clients() -> None:
    """Drop chromadb's process-wide client systems, so the next client reads the files on disk."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    gc.collect()


def ingest_large_library(settings: Settings) -> int:
    """Ingest the large library into ``settings``' data dir and let go of Chroma; returns the chunks."""
    write_large_library(settings.knowledge_dir)
    core = build_knowledge_core(settings, sessions=sessions_for(settings), embedder=FakeEmbedder())
    report = core.ingest()
    assert not report.failed and report.chunks_embedded == report.chunks_total > FILLER_ENTRIES
    core.close()
    forget_chroma_clients()
    return report.chunks_total


def _segment(store: Path) -> Path:
    (folder,) = [path for path in store.iterdir() if path.is_dir() and (path / "header.bin").exists()]
    assert (folder / "index_metadata.pickle").exists(), "Chroma wrote no index files: too few vectors"
    return folder


def _empty(path: Path) -> None:
    assert path.stat().st_size > 0
    path.write_bytes(b"")


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGES: dict[str, Callable[[Path], None]] = {
    "header.bin emptied": lambda store: _empty(_segment(store) / "header.bin"),
    "index_metadata.pickle truncated": lambda store: _truncate(_segment(store) / "index_metadata.pickle"),
    "chroma.sqlite3 emptied": lambda store: _empty(store / "chroma.sqlite3"),
    "data_level0.bin emptied": lambda store: _empty(_segment(store) / "data_level0.bin"),
    "chroma.sqlite3 truncated": lambda store: _truncate(store / "chroma.sqlite3"),
}


def damage(settings: Settings, how: str) -> None:
    """Damage the live local store one of the ``DAMAGES`` ways (no client may hold it open)."""
    DAMAGES[how](LocalStores(settings.chroma_dir).live())
