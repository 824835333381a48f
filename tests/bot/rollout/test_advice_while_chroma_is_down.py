"""Alert advice while the Chroma server is down: the alert goes out without suggestions instead of
failing the week's evaluation (the outage itself, killed and restarted, is tested in tests/bot/web)."""

from __future__ import annotations

import pytest

from bot.answering.factory import build_knowledge_core
from bot.config import Settings
from bot.rollout.alerts import SITUATIONS
from bot.rollout.service import knowledge_search
from tests.conftest import write_library
from tests.fakes.embedder import FakeEmbedder
from tests.utils.databases import sessions_for
from tests.utils.processes import free_port

# A model that serves Chinese, so the (Chinese) advice queries need dense search, so the vector store.
MULTILINGUAL = frozenset({"zh-Hans", "zh-Hant", "en"})


def test_advice_is_left_out_while_the_vector_store_is_down(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    write_library(settings.knowledge_dir)
    local = build_knowledge_core(
        settings, sessions=sessions_for(settings), embedder=FakeEmbedder(languages=MULTILINGUAL)
    )
    local.ingest()  # the lexical index on disk, shared by both cores below
    assert knowledge_search(local)(SITUATIONS["red"])  # the pacing playbook has something to say
    local.close()

    nobody_listens = f"http://127.0.0.1:{free_port()}"
    away = settings.model_copy(update={"chroma_url": nobody_listens, "chroma_timeout_s": 1.0})
    core = build_knowledge_core(
        away, sessions=sessions_for(away), embedder=FakeEmbedder(languages=MULTILINGUAL)
    )
    try:
        assert knowledge_search(core)(SITUATIONS["red"]) == []
    finally:
        core.close()
    assert "alert advice left out" in caplog.text
