"""What a generation keeps on disk comes back when a process loads it."""

from __future__ import annotations

from pathlib import Path

from ingest.chunk import Chunk
from ingest.index import TRANSLATIONS_FILE, FolderIndexStore, IndexSnapshot
from ingest.manifest import Manifest


def _snapshot() -> IndexSnapshot:
    chunk = Chunk(id="c1", source="playbooks/pilot.md", doc_type="playbook", title="试点门店怎么选",
                  section="", text="试点门店由区域经理挑选。", lang="zh-Hans", position=0)  # fmt: skip
    manifest = Manifest(generation=1, model_fingerprint="fake", created_at="2026-12-03T00:00:00Z")
    return IndexSnapshot.build(manifest=manifest, chunks=[chunk])


def test_a_generation_keeps_the_translations_into_its_words(tmp_path: Path) -> None:
    store = FolderIndexStore(tmp_path / "index")
    built = _snapshot()
    assert "试点" in built.translations["pilot"]
    assert all(word in built.lexical.vocabulary for words in built.translations.values() for word in words)
    store.commit(built)
    loaded = store.load()
    assert loaded is not None and loaded.translations == built.translations


def test_a_generation_written_before_translations_still_loads(tmp_path: Path) -> None:
    store = FolderIndexStore(tmp_path / "index")
    name = store.commit(_snapshot())
    (tmp_path / "index" / name / TRANSLATIONS_FILE).unlink()
    loaded = store.load()
    assert loaded is not None and loaded.translations == {} and loaded.chunks[0].id == "c1"
