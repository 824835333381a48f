"""Two `changebot serve` processes on one Chroma server and one data directory: a re-ingest run by a
third process is answered from by both, without restarting either (the real packaged model)."""

from __future__ import annotations

import gc
import json
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.storage.database import make_engine, upgrade_database
from tests.conftest import write_library
from tests.utils.chroma import ChromaServer
from tests.utils.processes import (
    RunningProcess,
    changebot_command,
    changebot_env,
    free_port,
    running_changebot,
)

pytestmark = [
    pytest.mark.slow,  # the real embedding model, in four processes
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

# English, so dense search on the Chroma server takes part as well as BM25.
QUESTION = "How often is the warehouse fire drill?"
SAFETY_FAQ = """\
lang: en
faqs:
  - id: fire-drill
    question: How often is the warehouse fire drill?
    alternatives: ["When do we practise fire evacuation?"]
    answer: Every quarter. The store manager leads the fire drill and records it in the safety log.
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    with ChromaServer(tmp_path) as running:
        running.start()
        yield running


def _ingest(env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603  (our own entry point, no shell)
        changebot_command("ingest", "--json"),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _ask(port: int) -> dict[str, Any]:
    response = httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": QUESTION}, timeout=120)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_reingest_is_answered_from_by_every_web_process_without_a_restart(
    tmp_path: Path, database_url: str, server: ChromaServer
) -> None:
    library = write_library(tmp_path / "knowledge")
    env = changebot_env(
        tmp_path,
        database_url=database_url,
        CHANGEBOT_KNOWLEDGE_DIR=str(library),
        CHANGEBOT_CHROMA_URL=server.url,
        CHANGEBOT_WEB_CHAT_OPEN="true",
    )
    first = _ingest(env, tmp_path)
    assert first["chunks"] == first["embedded"] > 0
    # Migrated once here: two processes starting at the same moment would both run the migrations.
    engine = make_engine(database_url)
    upgrade_database(engine)
    engine.dispose()

    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        webs: list[RunningProcess] = []
        for name, port in zip(("web-a", "web-b"), ports, strict=True):
            web = stack.enter_context(
                running_changebot(tmp_path, name, ["serve", "--no-scheduler", "--port", str(port)], env=env)
            )
            web.wait_for_http(f"http://127.0.0.1:{port}/readyz", timeout=120)
            webs.append(web)
        pids = [web.pid for web in webs]
        for port in ports:
            assert _ask(port)["answered"] is False  # not in the library yet

        (library / "faqs" / "safety.yaml").write_text(SAFETY_FAQ, encoding="utf-8")
        second = _ingest(env, tmp_path)
        assert second["added"] == ["faqs/safety.yaml"] and second["embedded"] >= 1

        for port in ports:
            answer = _ask(port)
            assert answer["answered"] is True, answer
            assert answer["sources"][0]["source"] == "faqs/safety.yaml"
            assert "Every quarter" in answer["answer"]
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json()
            assert ready["checks"]["index"]["generation"] == second["generation"]
        for web in webs:
            web.check_alive()
        assert [web.pid for web in webs] == pids  # the same processes, never restarted
    gc.collect()
