"""The web app while its Chroma server is down: a clear 503, no crash, no gap recorded, and back to
normal by itself when the server returns (a real `chroma run`, killed and started again)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.answering.factory import build_knowledge_core
from bot.config import Settings
from bot.questions.models import AskedQuestion
from bot.web.app import create_app
from tests.conftest import write_library
from tests.fakes.embedder import FakeEmbedder
from tests.utils.chroma import ChromaServer, chroma_server
from tests.utils.databases import sessions_for
from tests.utils.patience import EVENTUALLY

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),  # chromadb's pooled sockets, see tests/ingest
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

# English, so dense search (and with it the Chroma server) takes part: the fake model serves English.
QUESTION = "What happens after two red weeks in a row?"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    with chroma_server(tmp_path, start=False) as running:
        yield running


@pytest.fixture
def served(settings: Settings, server: ChromaServer) -> Settings:
    """Settings on the Chroma server, the web chat open, a short pause before reconnecting."""
    write_library(settings.knowledge_dir)
    return settings.model_copy(
        update={
            "chroma_url": server.url,
            "chroma_retry_s": 0.2,
            "chroma_timeout_s": 2.0,
            "web_chat_open": True,
        }
    )


def _questions(client: TestClient) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(AskedQuestion)) or 0)


def _wait_until_vectors_ready(client: TestClient) -> None:
    deadline = time.monotonic() + EVENTUALLY
    while not client.get("/readyz").json()["checks"]["vectors"]["ok"]:
        assert time.monotonic() < deadline, client.get("/readyz").json()
        time.sleep(0.1)


def test_questions_get_a_temporary_error_while_chroma_is_down_and_answers_when_it_is_back(
    served: Settings, server: ChromaServer
) -> None:
    server.start()
    core = build_knowledge_core(served, sessions=sessions_for(served), embedder=FakeEmbedder())
    core.ingest()
    with TestClient(create_app(served, core=core, run_scheduler=False)) as client:
        ok = client.post("/api/ask", json={"question": QUESTION})
        assert ok.status_code == 200 and ok.json()["answered"]
        assert client.get("/readyz").json()["checks"]["vectors"] == {"ok": True}
        recorded = _questions(client)

        server.kill()
        down = client.post("/api/ask", json={"question": QUESTION})
        assert down.status_code == 503
        assert "try again in a minute" in down.json()["detail"]
        assert int(down.headers["Retry-After"]) >= 1
        assert _questions(client) == recorded  # not a gap in the library: nothing recorded
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["vectors"]["ok"] is False
        assert ready.json()["checks"]["index"]["ok"] is True
        assert client.get("/healthz").json() == {"status": "ok"}
        # The chat page has its own words for it.
        assert "unreachable right now" in client.get("/", headers={"Accept-Language": "en"}).text

        server.start()
        _wait_until_vectors_ready(client)
        back = client.post("/api/ask", json={"question": QUESTION})
        assert back.status_code == 200 and back.json()["answered"]
        assert back.json()["sources"][0]["source"] == "playbooks/lights.md"
    core.close()


def test_the_app_starts_while_chroma_is_down(served: Settings, server: ChromaServer) -> None:
    # No core handed in: the lifespan builds it, as `changebot serve` does (the model loads lazily).
    with TestClient(create_app(served, run_scheduler=False)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["vectors"]["ok"] is False
        server.start()
        _wait_until_vectors_ready(client)
