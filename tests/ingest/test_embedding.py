"""The real packaged model: loads offline, embeds sensibly, and can be swapped for another folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.answering.factory import build_embedder, build_knowledge_core
from ingest.embedding import (
    EmbeddingModelError,
    SentenceTransformerEmbedder,
    model_fingerprint,
    packaged_model_path,
)
from tests.conftest import make_settings, write_library

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
    first = build_knowledge_core(settings)
    first.ingest()
    second_path = shutil.copytree(packaged_model_path(), tmp_path / "models" / "second-model")
    swapped = settings.model_copy(update={"embedding_model": str(second_path)})
    second = build_knowledge_core(swapped, embedder=build_embedder(swapped))
    report = second.ingest()
    assert report.chunks_embedded == report.chunks_total > 0
    collections = [c.name for c in second.vectors.client.list_collections()]
    assert collections == [second.vectors.name]
    assert second.vectors.collection.metadata["model"] == model_fingerprint(second_path)
    answer = second.answerer.answer("How many red weeks before head office hears?")
    assert answer.answered and answer.sources[0].source == "playbooks/lights.md"
