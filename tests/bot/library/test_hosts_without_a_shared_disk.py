"""Several hosts, no shared disk (issue 17): processes with data folders of their own share only the
database and a Chroma server (`chroma run`), and answer from the same live index generation."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.config import Settings
from ingest.pipeline import EMBED_BATCH
from tests.conftest import make_settings, write_library
from tests.fakes.embedder import FakeEmbedder
from tests.utils.chroma import ChromaServer, chroma_server
from tests.utils.databases import sessions_for

# chromadb's HTTP client leaves pooled sockets for the garbage collector (not ours to fix).
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

FIRE_DRILL = (
    "faqs:\n  - question: How often is the fire drill?\n    answer: Every quarter, on the first Monday.\n"
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    with chroma_server(tmp_path) as running:
        yield running


def _host(tmp_path: Path, name: str, *, server: ChromaServer, database_url: str) -> Settings:
    """A host's settings: its own data folder and library folder, the shared database and Chroma."""
    return make_settings(
        tmp_path / name,
        database_url=database_url,
        chroma_url=server.url,
        chroma_retry_s=0.2,
        chroma_timeout_s=5,
    )


def _core(settings: Settings, embedder: FakeEmbedder | None = None) -> KnowledgeCore:
    return build_knowledge_core(
        settings, sessions=sessions_for(settings), embedder=embedder or FakeEmbedder()
    )


def _files_under(folder: Path) -> set[str]:
    return (
        {str(path.relative_to(folder)).split("/")[0] for path in folder.rglob("*")}
        if folder.exists()
        else set()
    )


class _CrashingEmbedder(FakeEmbedder):
    """Embeds the first batch, then the host dies (as kill -9 would, mid-re-index)."""

    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        if self.documents_embedded:
            raise SystemExit("killed")
        return super().embed_documents(texts)


def test_hosts_share_the_live_generation_through_the_database_and_chroma(
    tmp_path: Path, server: ChromaServer, database_url: str
) -> None:
    a = _host(tmp_path, "a", server=server, database_url=database_url)
    b = _host(tmp_path, "b", server=server, database_url=database_url)
    write_library(a.knowledge_dir)
    host_a = _core(a)
    assert not host_a.ingest().failed

    # B never saw the library's files: it loads the generation from the database and the vectors
    # from the server, and embeds nothing.
    b_embedder = FakeEmbedder()
    host_b = _core(b, b_embedder)
    answer = host_b.answerer.answer("What happens after two red weeks in a row?")
    assert answer.answered and answer.sources[0].source == "playbooks/lights.md"
    assert b_embedder.documents_embedded == 0
    assert _files_under(b.data_dir) == {"index-cache"}  # what B keeps locally is its cache

    # An FAQ saved on A is answered on B at its next question, with no restart.
    (a.knowledge_dir / "faqs" / "safety.yaml").write_text(FIRE_DRILL, encoding="utf-8")
    assert host_a.ingest().added == ["faqs/safety.yaml"]
    drill = host_b.answerer.answer("How often is the fire drill?")
    assert drill.answered and "Every quarter" in drill.answer
    assert host_b.store.current_name() == host_a.store.current_name()

    # A host that starts later with an empty disk answers the same.
    host_c = _core(_host(tmp_path, "c", server=server, database_url=database_url))
    assert "Every quarter" in host_c.answerer.answer("How often is the fire drill?").answer
    # And B's cache, deleted, costs nothing but a fetch.
    shutil.rmtree(b.index_cache_dir)
    assert "Every quarter" in _core(b).answerer.answer("How often is the fire drill?").answer
    for core in (host_a, host_b, host_c):
        core.close()


def test_a_host_killed_mid_re_index_leaves_the_live_generation_serving_on_the_others(
    tmp_path: Path, server: ChromaServer, database_url: str
) -> None:
    a = _host(tmp_path, "a", server=server, database_url=database_url)
    b = _host(tmp_path, "b", server=server, database_url=database_url)
    write_library(a.knowledge_dir)
    assert not _core(a).ingest().failed
    host_b = _core(b)
    live = host_b.store.current_name()

    (a.knowledge_dir / "faqs" / "safety.yaml").write_text(FIRE_DRILL, encoding="utf-8")
    for n in range(
        EMBED_BATCH + 10
    ):  # more than one embedding batch, so the crash comes after some vectors are in
        (a.knowledge_dir / "playbooks" / f"note-{n}.md").write_text(
            f"# Note {n}\n\nStore note number {n}.", encoding="utf-8"
        )
    with pytest.raises(SystemExit):
        _core(a, _CrashingEmbedder()).ingest()
    assert host_b.store.current_name() == live
    answer = host_b.answerer.answer("What happens after two red weeks in a row?")
    assert answer.answered and answer.sources[0].source == "playbooks/lights.md"

    # The writer lock died with the host: the re-index runs again (here on A's library, restarted)
    # and B uses the new generation from its next question.
    report = _core(a).ingest()
    assert "faqs/safety.yaml" in report.added and not report.failed
    assert host_b.store.current_name() != live
    assert "Every quarter" in host_b.answerer.answer("How often is the fire drill?").answer
