"""A damaged local Chroma store (issue 16, item 8): found, reported, and rebuilt from the library by
`changebot ingest` (by itself) or `changebot ingest --rebuild`, without ever leaving half a store live."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cli
from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.cli import common
from bot.config import Settings
from ingest.embedding import Vectors
from ingest.local_store import LocalStores
from ingest.vectors import VectorStoreDamagedError
from tests.conftest import make_settings
from tests.fakes.embedder import FakeEmbedder
from tests.utils.damaged_chroma import DAMAGES, QUESTION, damage, forget_chroma_clients, ingest_large_library
from tests.utils.databases import sessions_for

Invoke = Callable[..., tuple[int, str]]

# The ways that make every call fail; "chroma.sqlite3 emptied" instead loses the vectors quietly.
UNREADABLE = [how for how in DAMAGES if how != "chroma.sqlite3 emptied"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def chunks(settings: Settings) -> int:
    """A real ingest of the large library; every client let go, so the store is on disk only."""
    return ingest_large_library(settings)


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Invoke the CLI in-process with the fake embedder; every core it made is closed afterwards."""
    cores: list[KnowledgeCore] = []

    def core(s: Settings) -> KnowledgeCore:
        cores.append(build_knowledge_core(s, sessions=sessions_for(s), embedder=FakeEmbedder()))
        return cores[-1]

    monkeypatch.setattr(common, "_settings", lambda: settings)
    monkeypatch.setattr(common, "_core", core)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli.app, list(args))
        for made in cores:
            made.close()
        cores.clear()
        forget_chroma_clients()
        return result.exit_code, result.output

    return invoke


def _fresh(settings: Settings) -> KnowledgeCore:
    """A core whose client opens the files on disk now (as a restarted process would)."""
    forget_chroma_clients()
    return build_knowledge_core(settings, sessions=sessions_for(settings), embedder=FakeEmbedder())


def _assert_whole(settings: Settings, chunks: int) -> None:
    core = _fresh(settings)
    try:
        core.vectors.verify(expected=chunks)
        assert len(core.vectors.ids()) == chunks
        assert core.vectors.query(vector=core.embedder.embed_query(QUESTION), k=3)
    finally:
        core.close()


@pytest.mark.parametrize("how", list(DAMAGES))
def test_ingest_rebuild_repairs_the_store(settings: Settings, chunks: int, run: Invoke, how: str) -> None:
    damage(settings, how)
    code, output = run("ingest", "--rebuild")
    assert code == 0, output
    assert "Rebuilt the vector store from the library." in output and "Traceback" not in output
    assert f"{chunks} embedded" in output
    _assert_whole(settings, chunks)
    assert (settings.chroma_dir / "CURRENT").exists()


@pytest.mark.parametrize("how", UNREADABLE)
def test_plain_ingest_rebuilds_a_store_it_cannot_read(
    settings: Settings, chunks: int, run: Invoke, how: str
) -> None:
    damage(settings, how)
    code, output = run("ingest")
    assert code == 0, output
    assert "Rebuilt the vector store from the library: the local vector store in" in output
    assert "cannot be read" in output
    assert "Traceback" not in output
    _assert_whole(settings, chunks)


def test_plain_ingest_puts_back_vectors_a_store_lost(settings: Settings, chunks: int, run: Invoke) -> None:
    # The store opens and answers, with nothing in it: reconciling embeds every missing vector, as
    # it does for any missing one; readiness reported it meanwhile (tests/bot/web).
    damage(settings, "chroma.sqlite3 emptied")
    code, output = run("ingest")
    assert code == 0, output
    assert f"The vector store had lost {chunks} vectors: embedded them again." in output
    _assert_whole(settings, chunks)


def test_ingest_json_says_why_it_rebuilt(settings: Settings, chunks: int, run: Invoke) -> None:
    damage(settings, "header.bin emptied")
    code, output = run("ingest", "--json")
    assert code == 0, output
    assert '"vectors_rebuilt": "the local vector store in' in output and "cannot be read" in output


class _FailingEmbedder(FakeEmbedder):
    """Embeds ``batches`` batches, then fails as a model running out of memory would."""

    def __init__(self, *, batches: int) -> None:
        super().__init__()
        self.batches = batches

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if self.batches == 0:
            raise RuntimeError("model crashed")
        self.batches -= 1
        return super().embed_documents(texts)


def test_a_rebuild_that_fails_half_way_leaves_the_old_store_live(settings: Settings, chunks: int) -> None:
    crashing = build_knowledge_core(
        settings, sessions=sessions_for(settings), embedder=_FailingEmbedder(batches=2)
    )
    with pytest.raises(RuntimeError, match="model crashed"):
        crashing.ingest(rebuild=True)
    crashing.close()
    assert LocalStores(settings.chroma_dir).live() == settings.chroma_dir
    assert not list(settings.chroma_dir.glob("store-*"))  # the half-filled store is gone
    _assert_whole(settings, chunks)


def test_a_rebuild_killed_half_way_is_cleared_up_by_the_next_ingest(settings: Settings, chunks: int) -> None:
    # A process killed mid-rebuild runs no clean-up: its new store stays, named by no pointer.
    half = LocalStores(settings.chroma_dir).create()
    (half / "chroma.sqlite3").write_bytes(b"half a store")
    _assert_whole(settings, chunks)  # the old store serves
    core = _fresh(settings)
    assert core.ingest().rebuilt is None
    core.close()
    assert not half.exists()
    _assert_whole(settings, chunks)


def test_a_running_reader_moves_to_the_rebuilt_store(settings: Settings, chunks: int) -> None:
    reader = _fresh(settings)
    vector = reader.embedder.embed_query(QUESTION)
    assert reader.vectors.query(vector=vector, k=3)
    writer = build_knowledge_core(settings, sessions=sessions_for(settings), embedder=FakeEmbedder())
    assert writer.ingest(rebuild=True).chunks_embedded == chunks
    live = LocalStores(settings.chroma_dir).live()
    assert live != settings.chroma_dir
    # No restart: the reader's next call opens the new store (the old one stays one more ingest).
    assert reader.vectors.query(vector=vector, k=3)
    assert reader.vectors.client.get_settings().persist_directory == str(live)
    assert (settings.chroma_dir / "chroma.sqlite3").exists()
    writer.ingest()
    assert not (settings.chroma_dir / "chroma.sqlite3").exists()
    assert sorted(path.name for path in settings.chroma_dir.iterdir()) == ["CURRENT", live.name]
    reader.vectors.verify(expected=chunks)
    reader.close()
    writer.close()


def test_a_damaged_store_is_logged_once_however_often_it_is_asked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # No pause between attempts: every question opens the store again and fails again.
    settings = make_settings(tmp_path, chroma_retry_s=0)
    chunks = ingest_large_library(settings)
    damage(settings, "index_metadata.pickle truncated")
    core = _fresh(settings)
    vector = core.embedder.embed_query(QUESTION)
    with caplog.at_level(logging.WARNING, logger="ingest.vectors"):
        for _ in range(4):
            with pytest.raises(VectorStoreDamagedError, match="cannot be read"):
                core.vectors.query(vector=vector, k=3)
        with pytest.raises(VectorStoreDamagedError):
            core.vectors.verify(expected=chunks)
    lines = [record.getMessage() for record in caplog.records if record.name == "ingest.vectors"]
    assert len(lines) == 1, lines
    assert lines[0].startswith("vector store damaged: the local vector store in")
    core.close()
