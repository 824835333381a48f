"""Ingestion end to end with the fake embedder and a real local Chroma in a temp dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.config import Settings
from ingest.vectors import VectorStore
from tests.fakes.embedder import FakeEmbedder
from tests.utils.databases import sessions_for


def _state(core: KnowledgeCore) -> tuple[str | None, list[str], set[str]]:
    snapshot = core.store.load()
    assert snapshot is not None
    return core.store.current_name(), [c.id for c in snapshot.chunks], core.vectors.ids()


def test_first_ingest_indexes_every_file(core: KnowledgeCore, library: Path) -> None:
    report = core.ingest()
    assert sorted(report.added) == ["faqs/basics.yaml", "playbooks/lights.md", "playbooks/pacing.md"]
    assert report.failed == []
    snapshot = core.store.load()
    assert snapshot is not None
    assert len(snapshot.chunks) == report.chunks_total == report.chunks_embedded
    assert core.vectors.ids() == {c.id for c in snapshot.chunks}
    faq = [c for c in snapshot.chunks if c.doc_type == "faq"]
    assert len(faq) == 2  # one chunk per FAQ pair


def test_unchanged_reingest_embeds_nothing_and_keeps_the_generation(ingested: KnowledgeCore) -> None:
    before = _state(ingested)
    embedder = ingested.embedder
    assert isinstance(embedder, FakeEmbedder)
    embedded = embedder.documents_embedded
    report = ingested.ingest()
    assert report.unchanged == 3 and not report.files_changed
    assert report.chunks_embedded == 0 and embedder.documents_embedded == embedded
    assert _state(ingested) == before


def test_changed_file_replaces_only_its_changed_chunks(ingested: KnowledgeCore, library: Path) -> None:
    _, old_ids, _ = _state(ingested)
    path = library / "playbooks" / "lights.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Three red weeks", "Three red weeks in a row"),
        encoding="utf-8",
    )
    report = ingested.ingest()
    assert report.changed == ["playbooks/lights.md"]
    assert report.chunks_embedded == 1  # only the edited section's chunk
    _, new_ids, vectors = _state(ingested)
    assert len(set(old_ids) - set(new_ids)) == 1
    assert vectors == set(new_ids)


def test_deleted_file_leaves_the_index(ingested: KnowledgeCore, library: Path) -> None:
    (library / "faqs" / "basics.yaml").unlink()
    report = ingested.ingest()
    assert report.removed == ["faqs/basics.yaml"]
    snapshot = ingested.store.load()
    assert snapshot is not None
    assert all(c.doc_type != "faq" for c in snapshot.chunks)
    assert report.vectors_removed == 2
    assert ingested.vectors.ids() == {c.id for c in snapshot.chunks}


def test_a_file_gone_before_its_own_reindex_leaves_the_index(ingested: KnowledgeCore, library: Path) -> None:
    # A re-index queued for one file that is deleted before the job runs (an FAQ retired meanwhile).
    gone = library / "faqs" / "basics.yaml"
    gone.unlink()
    report = ingested.ingest([gone])
    assert report.removed == ["faqs/basics.yaml"] and not report.failed
    snapshot = ingested.store.load()
    assert snapshot is not None and {c.source for c in snapshot.chunks} == {
        "playbooks/pacing.md",
        "playbooks/lights.md",
    }
    with pytest.raises(FileNotFoundError):
        ingested.ingest([library.parent / "elsewhere.md"])  # outside the library: a mistake


def test_bad_files_are_reported_and_the_rest_goes_on(core: KnowledgeCore, library: Path) -> None:
    (library / "playbooks" / "empty.md").write_text("", encoding="utf-8")
    (library / "playbooks" / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (library / "playbooks" / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (library / "playbooks" / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    report = core.ingest()
    failed = {problem.source for problem in report.failed}
    assert failed == {
        "playbooks/empty.md",
        "playbooks/binary.txt",
        "playbooks/broken.pdf",
        "playbooks/sheet.xlsx",
    }
    assert all(problem.message for problem in report.failed)
    assert len(report.added) == 3


def test_a_file_that_breaks_keeps_its_last_good_version(ingested: KnowledgeCore, library: Path) -> None:
    _, ids_before, _ = _state(ingested)
    (library / "faqs" / "basics.yaml").write_text("faqs:\n  - question: only a question\n", encoding="utf-8")
    report = ingested.ingest()
    assert [p.source for p in report.failed] == ["faqs/basics.yaml"]
    _, ids_after, _ = _state(ingested)
    assert ids_after == ids_before


def test_huge_file_is_rejected_without_touching_the_index(
    ingested: KnowledgeCore, library: Path, settings: Settings
) -> None:
    before = _state(ingested)
    big = library / "playbooks" / "huge.txt"
    big.write_text("很长的内容。" * (settings.max_file_bytes // 12 + 10), encoding="utf-8")
    report = ingested.ingest()
    assert [p.source for p in report.failed] == ["playbooks/huge.txt"]
    assert _state(ingested) == before


class ExplodingEmbedder(FakeEmbedder):
    def embed_documents(self, texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("model crashed")


def test_a_crash_mid_ingest_leaves_the_previous_index_serving(
    settings: Settings, ingested: KnowledgeCore, library: Path
) -> None:
    before = _state(ingested)
    (library / "playbooks" / "new.md").write_text("# 新文档\n\n新的内容。", encoding="utf-8")
    crashing = build_knowledge_core(settings, sessions=sessions_for(settings), embedder=ExplodingEmbedder())
    with pytest.raises(RuntimeError):
        crashing.ingest()
    assert _state(ingested) == before
    # The next run picks the file up as if nothing had happened.
    report = ingested.ingest()
    assert report.added == ["playbooks/new.md"]


def test_vectors_left_by_an_interrupted_run_are_reconciled(ingested: KnowledgeCore) -> None:
    snapshot = ingested.store.load()
    assert snapshot is not None
    # Simulate a crash between writing vectors and committing, and one between committing and cleaning up.
    ingested.vectors.delete([snapshot.chunks[0].id])
    orphan = snapshot.chunks[1]
    ingested.vectors.collection.upsert(
        ids=["orphan-id"], embeddings=[[0.1] * 1024], metadatas=[{"doc_type": "faq"}]
    )
    report = ingested.ingest()
    assert report.chunks_embedded == 1 and report.vectors_removed == 1
    assert ingested.vectors.ids() == {c.id for c in snapshot.chunks}
    assert orphan.id in ingested.vectors.ids()


def test_model_change_rebuilds_vectors_in_a_new_collection(
    settings: Settings, ingested: KnowledgeCore
) -> None:
    old_collection = ingested.vectors.name
    other = build_knowledge_core(
        settings, sessions=sessions_for(settings), embedder=FakeEmbedder(dimension=32, name="other-model")
    )
    report = other.ingest()
    assert report.chunks_embedded == report.chunks_total  # every vector re-made with the new model
    names = [c.name for c in other.vectors.client.list_collections()]
    assert other.vectors.name in names and old_collection not in names
    manifest = other.store.read_manifest()
    assert manifest is not None and manifest.model_fingerprint == "other-model-32"
    assert other.vectors.collection.metadata["model"] == "other-model-32"


def test_ingesting_one_folder_leaves_files_outside_it_alone(ingested: KnowledgeCore, library: Path) -> None:
    shutil.rmtree(library / "faqs")
    (library / "playbooks" / "pacing.md").unlink()
    report = ingested.ingest([library / "playbooks"])
    assert report.removed == ["playbooks/pacing.md"]
    manifest = ingested.store.read_manifest()
    assert manifest is not None and "faqs/basics.yaml" in manifest.files


def test_eval_and_survey_folders_and_hidden_files_are_not_indexed(core: KnowledgeCore, library: Path) -> None:
    (library / "eval").mkdir()
    (library / "eval" / "questions.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    (library / "surveys").mkdir()
    (library / "surveys" / "pulse.yaml").write_text("id: pulse\n", encoding="utf-8")
    (library / "playbooks" / ".draft.md").write_text("# 草稿\n\n内容。", encoding="utf-8")
    (library / "README.md").write_text("# How to edit\n\nInstructions.", encoding="utf-8")
    report = core.ingest()
    assert report.failed == []
    assert sorted(report.added) == ["faqs/basics.yaml", "playbooks/lights.md", "playbooks/pacing.md"]


def test_loading_an_existing_index_reembeds_nothing(settings: Settings, ingested: KnowledgeCore) -> None:
    fresh_embedder = FakeEmbedder()
    fresh = build_knowledge_core(settings, sessions=sessions_for(settings), embedder=fresh_embedder)
    answer = fresh.answerer.answer("培训要多久？")
    assert answer.answered
    assert fresh_embedder.documents_embedded == 0


def test_a_new_generation_becomes_visible_to_a_running_reader(
    settings: Settings, ingested: KnowledgeCore, library: Path
) -> None:
    reader = build_knowledge_core(settings, sessions=sessions_for(settings), embedder=FakeEmbedder())
    assert not reader.answerer.answer("仓库的消防演练多久一次？").answered
    (library / "faqs" / "safety.yaml").write_text(
        "faqs:\n  - question: 仓库的消防演练多久一次？\n    answer: 每季度一次消防演练，由店长组织。\n",
        encoding="utf-8",
    )
    ingested.ingest()
    answer = reader.answerer.answer("仓库的消防演练多久一次？")
    assert answer.answered and "每季度" in answer.answer


def test_vector_store_returns_cosine_similarities(ingested: KnowledgeCore) -> None:
    assert isinstance(ingested.vectors, VectorStore)
    found = ingested.vectors.query(vector=ingested.embedder.embed_query("red weeks"), k=2)
    assert len(found) == 2 and all(-1.0 <= sim <= 1.0 for _, sim in found)


def test_a_tokenizer_change_rebuilds_the_lexical_index(ingested: KnowledgeCore) -> None:
    manifest = ingested.store.read_manifest()
    assert manifest is not None and manifest.tokenizer
    # Pretend the generation was written by an older tokenizer (other stopwords or dictionary).
    old = ingested.store.load()
    assert old is not None
    old.manifest.tokenizer = "old-version"
    old.manifest.generation += 1
    with ingested.store.writer_lock():
        name = ingested.store.commit(old)
    report = ingested.ingest()
    assert report.unchanged == 3 and report.chunks_embedded == 0
    assert report.generation != name
    rebuilt = ingested.store.read_manifest()
    assert rebuilt is not None and rebuilt.tokenizer == manifest.tokenizer


def test_progress_is_reported_for_reading_and_embedding(core: KnowledgeCore, library: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    core.ingest(progress=lambda stage, done, total: calls.append((stage, done, total)))
    reads = [c for c in calls if c[0] == "read"]
    embeds = [c for c in calls if c[0] == "embed"]
    assert reads[-1] == ("read", 3, 3) and [c[1] for c in reads] == [1, 2, 3]
    assert embeds and embeds[-1][1] == embeds[-1][2]
