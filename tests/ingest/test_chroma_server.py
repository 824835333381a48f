"""Ingest and retrieval against a real Chroma server started with `chroma run` (CHANGEBOT_CHROMA_URL),
and what happens while that server is down, frozen or restarted."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from chromadb.api import ClientAPI
from chromadb.errors import ChromaError
from typer.testing import CliRunner

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.cli import common as cli
from bot.config import Settings
from ingest.vectors import VectorStore, VectorStoreUnavailableError
from tests.conftest import make_settings, write_library
from tests.fakes.embedder import FakeEmbedder
from tests.utils.chroma import ChromaServer, chroma_server
from tests.utils.databases import sessions_for

# chromadb's HTTP client leaves pooled sockets for the garbage collector (not ours to fix); their
# ResourceWarnings surface inside these tests and are not a leak of changebot's.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    with chroma_server(tmp_path) as running:
        yield running


def _settings(tmp_path: Path, server: ChromaServer) -> Settings:
    # A short pause before reconnecting keeps the tests quick; the default is 5 s.
    return make_settings(tmp_path, chroma_url=server.url, chroma_retry_s=0.2, chroma_timeout_s=2)


def _core(settings: Settings) -> KnowledgeCore:
    return build_knowledge_core(settings, sessions=sessions_for(settings), embedder=FakeEmbedder())


def test_ingest_and_answer_through_a_chroma_server(tmp_path: Path, server: ChromaServer) -> None:
    settings = _settings(tmp_path, server)
    write_library(settings.knowledge_dir)
    writer = _core(settings)
    report = writer.ingest()
    assert report.chunks_embedded == report.chunks_total > 0
    assert not settings.chroma_dir.exists()  # nothing written to a local store
    # A second process (another web worker) reads the same server-side vectors without re-embedding.
    reader_embedder = FakeEmbedder()
    reader = build_knowledge_core(settings, sessions=sessions_for(settings), embedder=reader_embedder)
    assert reader.vectors.ids() == writer.vectors.ids()
    answer = reader.answerer.answer("What happens after two red weeks in a row?")
    assert answer.answered and answer.sources[0].source == "playbooks/lights.md"
    assert reader_embedder.documents_embedded == 0
    reader.close()
    writer.close()


def test_the_core_is_built_while_the_server_is_down_and_connects_once_it_is_up(tmp_path: Path) -> None:
    with ChromaServer(tmp_path) as server:
        settings = _settings(tmp_path, server)
        write_library(settings.knowledge_dir)
        core = _core(settings)  # nothing contacts the server yet
        with pytest.raises(VectorStoreUnavailableError, match=r"does not answer"):
            core.vectors.check()
        server.start()
        time.sleep(0.3)  # past the pause before reconnecting
        core.vectors.check()
        assert core.ingest().chunks_embedded > 0
        core.close()


def test_ingest_against_a_down_server_fails_clearly_and_keeps_the_live_index(
    tmp_path: Path, server: ChromaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, server)
    library = write_library(settings.knowledge_dir)
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    monkeypatch.setattr(cli, "_core", _core)
    runner = CliRunner()
    first = runner.invoke(cli.app, ["ingest"])
    assert first.exit_code == 0, first.output
    live = _core(settings).store.current_name()
    assert live is not None
    (library / "faqs" / "safety.yaml").write_text(
        "faqs:\n  - question: How often is the fire drill?\n    answer: Every quarter.\n", encoding="utf-8"
    )
    server.kill()
    refused = runner.invoke(cli.app, ["ingest"])
    assert refused.exit_code == 1
    assert "does not answer" in refused.output and "keeps serving" in refused.output
    assert "Traceback" not in refused.output
    assert _core(settings).store.current_name() == live
    server.start()
    again = runner.invoke(cli.app, ["ingest", "--json"])
    assert again.exit_code == 0, again.output
    assert '"faqs/safety.yaml"' in again.output


def test_a_frozen_server_times_out_and_a_restarted_one_is_used_again(
    tmp_path: Path, server: ChromaServer
) -> None:
    settings = _settings(tmp_path, server).model_copy(update={"chroma_timeout_s": 1.0})
    write_library(settings.knowledge_dir)
    core = _core(settings)
    core.ingest()
    vector = core.embedder.embed_query("red weeks")
    assert core.vectors.query(vector=vector, k=2)
    server.pause()
    started = time.monotonic()
    with pytest.raises(VectorStoreUnavailableError):
        core.vectors.query(vector=vector, k=2)
    assert time.monotonic() - started < 5  # the timeout, not forever
    # Inside the pause before reconnecting, callers are told at once instead of each waiting.
    started = time.monotonic()
    with pytest.raises(VectorStoreUnavailableError):
        core.vectors.query(vector=vector, k=2)
    assert time.monotonic() - started < 0.1
    server.resume()
    time.sleep(0.3)
    assert core.vectors.query(vector=vector, k=2)
    # Killed and started again on the same port and folder: the same vectors, no restart of ours.
    server.kill()
    with pytest.raises(VectorStoreUnavailableError):
        core.vectors.query(vector=vector, k=2)
    server.start()
    time.sleep(0.3)
    assert [chunk_id for chunk_id, _ in core.vectors.query(vector=vector, k=2)]
    core.close()


def test_a_server_that_lost_its_data_is_refilled_by_the_next_ingest(
    tmp_path: Path, server: ChromaServer
) -> None:
    settings = _settings(tmp_path, server).model_copy(update={"chroma_retry_s": 60.0})
    write_library(settings.knowledge_dir)
    core = _core(settings)
    core.ingest()
    server.kill()
    shutil.rmtree(server.path)
    server.start()
    with pytest.raises(VectorStoreUnavailableError):  # the collection this process knew is gone
        core.vectors.ids()
    # Not an outage: no pause, the next call makes the collection again (empty) ...
    assert core.vectors.ids() == set()
    # ... and the next ingest puts every vector back without touching the live index.
    report = core.ingest()
    assert report.chunks_embedded == report.chunks_total and not report.files_changed
    answer = core.answerer.answer("What happens after two red weeks in a row?")
    assert answer.answered and any(source.source == "playbooks/lights.md" for source in answer.sources)
    core.close()


def test_a_wrong_call_is_not_an_outage(tmp_path: Path, server: ChromaServer) -> None:
    settings = _settings(tmp_path, server)
    write_library(settings.knowledge_dir)
    core = _core(settings)
    core.ingest()
    client = core.vectors.client
    with pytest.raises(ChromaError) as raised:  # a vector of the wrong dimension: our mistake, not an outage
        core.vectors.query(vector=np.ones(3, dtype=np.float32), k=2)
    assert not isinstance(raised.value, VectorStoreUnavailableError)
    assert core.vectors.client is client  # still connected: nothing to reconnect
    core.close()


class _CountingConnect:
    """A connect function for a server that never answers, counting the attempts."""

    def __init__(self) -> None:
        self.attempts = 0

    def __call__(self) -> ClientAPI:
        self.attempts += 1
        raise VectorStoreUnavailableError("the Chroma server at http://127.0.0.1:1 does not answer")


def test_reconnects_are_spaced_out_while_the_server_is_down() -> None:
    connect = _CountingConnect()
    store = VectorStore(connect=connect, prefix="changebot", fingerprint="fake-8", retry_after_s=0.2)
    for _ in range(5):
        with pytest.raises(VectorStoreUnavailableError, match="does not answer"):
            store.ids()
    assert connect.attempts == 1
    time.sleep(0.25)
    with pytest.raises(VectorStoreUnavailableError):
        store.check()
    assert connect.attempts == 2


def test_rebuild_on_a_server_replaces_only_this_products_collection(
    tmp_path: Path, server: ChromaServer
) -> None:
    settings = _settings(tmp_path, server)
    write_library(settings.knowledge_dir)
    core = _core(settings)
    core.ingest()
    theirs = core.vectors.client.get_or_create_collection("another-product", embedding_function=None)
    theirs.add(ids=["theirs"], embeddings=[[0.1, 0.2, 0.3]])
    report = core.ingest(rebuild=True)
    assert report.rebuilt == "asked for" and report.chunks_embedded == report.chunks_total > 0
    core.vectors.verify(expected=report.chunks_total)
    assert core.vectors.client.get_collection("another-product").get()["ids"] == ["theirs"]
    assert not settings.chroma_dir.exists()  # nothing local made up for the occasion
    core.close()
