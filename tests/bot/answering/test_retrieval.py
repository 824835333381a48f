from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.answering.confidence import confidence
from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.answering.retrieval import SearchFilters
from bot.config import Settings
from tests.fakes.embedder import FakeEmbedder
from tests.utils.databases import sessions_for

# Shares its topic with the library's "培训要多久？" and says 培训 more often in fewer words, so the
# topic alone ranks it first; only the question word 多久 tells the two apart.
PAID_TRAINING_YAML = textwrap.dedent(
    """\
    lang: zh-Hans
    faqs:
      - id: training-paid
        question: 培训算不算上班时间？
        alternatives: [培训占不占休息时间, 培训有没有工资]
        answer: 算，培训计入工时。
        tags: [培训]
    """
)


def test_chinese_question_finds_the_passage_in_either_script(ingested: KnowledgeCore) -> None:
    for question in ("1-3-9-27 模型是怎么分批的？", "1-3-9-27 模型是怎麼分批的？"):
        retrieval = ingested.answerer.retrieve(question)
        assert retrieval.hits[0].chunk.source == "playbooks/pacing.md"
        assert retrieval.hits[0].chunk.section == "1-3-9-27 模型"


def test_dense_search_counts_only_for_languages_the_model_serves(ingested: KnowledgeCore) -> None:
    chinese = ingested.answerer.retrieve("培训要多久")
    english = ingested.answerer.retrieve("how long do red weeks last before escalation")
    assert chinese.dense_weight == 0.0
    assert all(hit.dense_rank is None for hit in chinese.hits)
    assert english.dense_weight == 1.0
    assert any(hit.dense_rank is not None for hit in english.hits)


def test_faq_question_match_is_weighted_up(ingested: KnowledgeCore) -> None:
    retrieval = ingested.answerer.retrieve("培训时间有多长")
    top = retrieval.hits[0]
    assert top.chunk.doc_type == "faq" and top.faq_rank == 1


def test_intent_word_picks_between_faqs_on_the_same_topic(core: KnowledgeCore, library: Path) -> None:
    (library / "faqs" / "paid.yaml").write_text(PAID_TRAINING_YAML, encoding="utf-8")
    assert not core.ingest().failed
    for question, expected in (
        ("培訓要多久？", "培训要多久"),
        ("培训要多久", "培训要多久"),
        ("培训得多长时间", "培训要多久"),  # another word for 多久, and 时间 is not its topic
        ("培訓要幾耐", "培训要多久"),  # Cantonese
        ("培训算不算上班时间", "培训算不算上班时间"),
    ):
        top = core.answerer.retrieve(question).hits[0]
        assert top.chunk.metadata["faq_question"].startswith(expected), question


def test_intent_word_does_not_cover_an_unknown_topic(ingested: KnowledgeCore) -> None:
    # 多久 matches the training FAQ, but 火锅 is nowhere in the library: nothing to be confident about.
    retrieval = ingested.answerer.retrieve("火锅要多久")
    assert retrieval.tokens == ["火锅", "多久"]
    assert confidence(retrieval) == 0.0


def test_filters_restrict_doc_type_language_and_audience(ingested: KnowledgeCore) -> None:
    only_playbooks = ingested.answerer.retrieve(
        "培训 红灯 分批", filters=SearchFilters(doc_types=frozenset({"playbook"}))
    )
    assert only_playbooks.hits and all(h.chunk.doc_type == "playbook" for h in only_playbooks.hits)
    english = ingested.answerer.retrieve("red weeks", filters=SearchFilters(languages=frozenset({"en"})))
    assert english.hits and all(h.chunk.lang == "en" for h in english.hits)
    managers = ingested.answerer.retrieve("培训", filters=SearchFilters(audience="manager"))
    # No chunk is restricted to another audience in the sample, so the filter keeps everything.
    assert managers.hits


def test_single_retriever_modes(ingested: KnowledgeCore) -> None:
    lexical = ingested.answerer.retrieve("red weeks escalation", mode="lexical")
    dense = ingested.answerer.retrieve("red weeks escalation", mode="dense")
    assert all(h.dense_rank is None for h in lexical.hits)
    assert all(h.lexical_rank is None and h.faq_rank is None for h in dense.hits)


def test_empty_index_returns_no_hits(core: KnowledgeCore) -> None:
    assert core.answerer.retrieve("培训要多久").hits == []


def test_dense_hits_outside_the_loaded_generation_are_ignored(ingested: KnowledgeCore) -> None:
    # The moment between processes during a re-ingest: the shared vector store already holds chunks
    # of a generation this process has not loaded, and no longer holds some of the one it has.
    question = "What happens after two red weeks in a row?"
    snapshot = ingested.retriever.index.snapshot()
    assert snapshot is not None
    ingested.vectors.collection.upsert(
        ids=["chunk-of-the-next-generation"],
        embeddings=[ingested.embedder.embed_query(question).tolist()],  # the nearest vector of all
        metadatas=[{"source": "playbooks/new.md", "doc_type": "playbook", "lang": "en", "position": 0}],
    )
    answer = ingested.answerer.answer(question)
    assert answer.answered and answer.sources[0].source == "playbooks/lights.md"

    escalation = next(chunk for chunk in snapshot.chunks if chunk.section == "Escalation")
    ingested.vectors.delete([escalation.id])
    retrieval = ingested.answerer.retrieve(question, k=10)
    assert {hit.chunk.id for hit in retrieval.hits} <= set(snapshot.by_id)
    assert any(hit.dense_rank is not None for hit in retrieval.hits)  # dense search still took part
    # The chunk without a vector is still found by BM25; it just gets no dense vote.
    found = next(hit for hit in retrieval.hits if hit.chunk.id == escalation.id)
    assert found.dense_rank is None and found.lexical_rank is not None


def test_a_model_that_stops_working_leaves_lexical_answers(
    ingested: KnowledgeCore,
    fake_embedder: FakeEmbedder,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ingest.embedding import EmbeddingModelError

    def broken(text: str) -> object:
        raise EmbeddingModelError("the model's files went missing")

    monkeypatch.setattr(fake_embedder, "embed_query", broken)
    # English: the questions the fake model serves, so dense search would count for them.
    first = ingested.answerer.answer("What happens after two red weeks in a row?")
    second = ingested.answerer.answer("What does green mean?")
    assert first.answered and "regional manager" in first.answer and second.sources
    retrieval = ingested.answerer.retrieve("What happens after two red weeks in a row?")
    assert retrieval.dense_weight == 0.0 and all(hit.dense_rank is None for hit in retrieval.hits)
    failures = [r for r in caplog.records if "lexical search only" in r.getMessage()]
    assert len(failures) == 1 and "went missing" in failures[0].getMessage()  # said once, not per question


PILOT_MD = textwrap.dedent(
    """\
    # 试点门店怎么选

    试点门店由区域经理挑选：选有代表性的门店，不选最好的门店。
    """
)


def test_english_question_finds_a_chinese_passage_by_its_translated_words(
    settings: Settings, library: Path, fake_embedder: FakeEmbedder
) -> None:
    (library / "playbooks" / "pilot.md").write_text(PILOT_MD, encoding="utf-8")
    question = "which pilot shops get selected"
    ranks = {}
    for weight in (0.0, 1.0):
        core = build_knowledge_core(
            settings.model_copy(update={"translated_weight": weight}),
            sessions=sessions_for(settings),
            embedder=fake_embedder,
        )
        assert not core.ingest().failed
        hits = core.answerer.retrieve(question, language="en").hits
        ranks[weight] = next(
            (rank for rank, hit in enumerate(hits, 1) if hit.chunk.source == "playbooks/pilot.md"), None
        )
        if weight:
            assert hits[0].translated_rank == 1
    # The fake model reads no Chinese, so without the dictionary nothing links the two.
    assert ranks == {0.0: None, 1.0: 1}


def test_chinese_questions_get_no_translated_list(ingested: KnowledgeCore) -> None:
    assert all(hit.translated_rank is None for hit in ingested.answerer.retrieve("试点门店怎么选").hits)
