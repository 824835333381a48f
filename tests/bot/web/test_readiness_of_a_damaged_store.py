"""`/readyz` against a damaged local Chroma store (issue 16, item 8): not ready, with a reason and
the repair, until a rebuild (in another process) makes a whole store live; then ready again without
a restart. Questions that need dense search meanwhile get the temporary-error reply."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.config import Settings
from bot.web.app import create_app
from tests.conftest import make_settings
from tests.fakes.embedder import FakeEmbedder
from tests.utils.damaged_chroma import DAMAGES, QUESTION, damage, forget_chroma_clients, ingest_large_library
from tests.utils.databases import sessions_for


@pytest.mark.parametrize("how", list(DAMAGES))
def test_a_damaged_store_is_not_ready_until_it_is_rebuilt(
    tmp_path: Path, database_url: str, how: str
) -> None:
    settings = make_settings(tmp_path, database_url=database_url, web_chat_open=True)
    chunks = ingest_large_library(settings)
    damage(settings, how)
    forget_chroma_clients()
    core = build_knowledge_core(settings, sessions=sessions_for(settings), embedder=FakeEmbedder())
    with TestClient(create_app(settings, core=core, run_scheduler=False)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["index"]["ok"] is True and checks["database"] == {"ok": True}
        vectors = checks["vectors"]
        assert vectors["ok"] is False
        if how == "chroma.sqlite3 emptied":
            assert vectors["error"].startswith(f"the vector store holds 0 vectors of the {chunks}")
        else:
            assert (
                vectors["error"].startswith("the local vector store in")
                and "cannot be read" in vectors["error"]
            )
            asked = client.post("/api/ask", json={"question": QUESTION})
            assert asked.status_code == 503 and "try again in a minute" in asked.json()["detail"]
        assert vectors["error"].endswith("; repair: changebot ingest --rebuild")

        writer = build_knowledge_core(
            settings, sessions=sessions_for(settings), embedder=FakeEmbedder()
        )  # `changebot ingest --rebuild`
        assert writer.ingest(rebuild=True).chunks_embedded == chunks
        writer.close()
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.json()
        assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200
    core.close()


def test_readiness_counts_the_live_generations_vectors(settings: Settings, ingested: KnowledgeCore) -> None:
    snapshot = ingested.store.load()
    assert snapshot is not None
    with TestClient(create_app(settings, core=ingested, run_scheduler=False)) as client:
        # An ingest writes vectors before it makes the new generation live: more than expected is fine.
        ingested.vectors.collection.upsert(
            ids=["orphan-id"], embeddings=[[0.1] * 1024], metadatas=[{"lang": "en"}]
        )
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["vectors"] == {"ok": True}
        # One fewer than the live generation has is not: those passages are lost to dense search.
        ingested.vectors.delete(["orphan-id", snapshot.chunks[0].id])
        ready = client.get("/readyz")
    assert ready.status_code == 503
    error = ready.json()["checks"]["vectors"]["error"]
    assert error.startswith(
        f"the vector store holds {len(snapshot.chunks) - 1} vectors of the {len(snapshot.chunks)}"
    )
