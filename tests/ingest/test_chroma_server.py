"""Ingest and retrieval against a real Chroma server started with `chroma run` (CHANGEBOT_CHROMA_URL)."""

from __future__ import annotations

import gc
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.answering.factory import build_knowledge_core
from tests.conftest import make_settings, write_library
from tests.fakes.embedder import FakeEmbedder

# chromadb's HTTP client leaves pooled sockets for the garbage collector (not ours to fix); their
# ResourceWarnings surface inside this test and are not a leak of changebot's.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    executable = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip("the chroma command of the chromadb package is not installed")
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603  (our own venv's executable, fixed arguments)
        [executable, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start within 30 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_ingest_and_answer_through_a_chroma_server(tmp_path: Path, chroma_url: str) -> None:
    settings = make_settings(tmp_path, chroma_url=chroma_url)
    write_library(settings.knowledge_dir)
    writer = build_knowledge_core(settings, embedder=FakeEmbedder())
    report = writer.ingest()
    assert report.chunks_embedded == report.chunks_total > 0
    assert not settings.chroma_dir.exists()  # nothing written to a local store
    # A second process (another web worker) reads the same server-side vectors without re-embedding.
    reader_embedder = FakeEmbedder()
    reader = build_knowledge_core(settings, embedder=reader_embedder)
    assert reader.vectors.ids() == writer.vectors.ids()
    answer = reader.answerer.answer("What happens after two red weeks in a row?")
    assert answer.answered and answer.sources[0].source == "playbooks/lights.md"
    assert reader_embedder.documents_embedded == 0
    reader.close()
    writer.close()
    # chromadb caches its client systems process-wide; drop them and collect the pooled sockets here,
    # under this test's warning filters, instead of in whichever test the garbage collector picks.
    from chromadb.api.shared_system_client import SharedSystemClient

    del reader, writer
    SharedSystemClient.clear_system_cache()
    gc.collect()
