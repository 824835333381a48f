"""Learned phrasings: an asker's wording, confirmed by a person, answers the next person who asks
it that way; retired, scoped and orphaned phrasings do not."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.answering.factory import KnowledgeCore
from bot.answering.phrasings import LearnedPhrasings, Phrasing
from bot.answering.retrieval import SearchFilters
from tests.fakes.confidence import coverage_bands
from tests.fakes.embedder import FakeEmbedder

# Store-floor slang for "培训要多久？" that shares no topic word with the FAQ or the playbooks.
SLANG = "上岗前那个学本事的课得耗掉俺几个钟头"
TRAINING = "faqs/basics.yaml#training-length"


class ListedPhrasings:
    """A ``PhrasingSource`` in memory, counting how often the phrasings were (re)loaded."""

    def __init__(self, phrasings: Sequence[Phrasing] = ()) -> None:
        self.phrasings = list(phrasings)
        self.loads = 0

    def revision(self) -> str:
        return "|".join(f"{p.faq_key}:{p.text}" for p in self.phrasings)

    def active(self) -> Sequence[Phrasing]:
        self.loads += 1
        return list(self.phrasings)


@pytest.fixture
def banded(ingested: KnowledgeCore) -> KnowledgeCore:
    ingested.answerer.confidence_model = coverage_bands(answer_at=0.7, suggest_at=0.3, chit_chat_below=0.05)
    return ingested


def _learn(core: KnowledgeCore, source: ListedPhrasings) -> None:
    core.retriever.phrasings = LearnedPhrasings(source=source, embedder=core.embedder)


def test_the_slang_is_not_answered_before_anyone_confirmed_it(banded: KnowledgeCore) -> None:
    assert banded.answerer.answer(SLANG).band != "answer"


def test_a_learned_wording_is_answered_from_its_faq(banded: KnowledgeCore) -> None:
    source = ListedPhrasings([Phrasing(faq_key=TRAINING, text=SLANG)])
    _learn(banded, source)
    answer = banded.answerer.answer(SLANG)
    assert (answer.band, answer.kind, answer.confidence) == ("answer", "faq", 1.0)
    assert "90分钟" in answer.answer
    # Punctuation, script and a particle aside it is the same wording.
    again = banded.answerer.answer("上崗前那個學本事的課得耗掉俺幾個鐘頭啊？")
    assert (again.band, again.language) == ("answer", "zh-Hant") and "90分鐘" in again.answer
    # Loaded once, not once per question: the revision did not move.
    assert source.loads == 1


def test_a_partly_matching_wording_counts_towards_coverage_but_is_not_a_sure_answer(
    banded: KnowledgeCore,
) -> None:
    _learn(banded, ListedPhrasings([Phrasing(faq_key=TRAINING, text=SLANG)]))
    retrieval = banded.answerer.retrieve("学本事的课耗掉几个钟头，周末也上吗")
    top = retrieval.hits[0]
    assert top.chunk.metadata["faq_id"] == "training-length"
    assert 0.3 < top.learned_coverage < 0.9 and not top.same_wording


def test_retiring_a_wording_stops_it_at_the_next_question(banded: KnowledgeCore) -> None:
    source = ListedPhrasings([Phrasing(faq_key=TRAINING, text=SLANG)])
    _learn(banded, source)
    assert banded.answerer.answer(SLANG).band == "answer"
    source.phrasings.clear()
    assert banded.answerer.answer(SLANG).band != "answer"
    assert source.loads == 2


def test_a_wording_of_an_faq_that_left_the_library_is_ignored(banded: KnowledgeCore) -> None:
    _learn(banded, ListedPhrasings([Phrasing(faq_key="faqs/basics.yaml#gone", text=SLANG)]))
    assert banded.answerer.answer(SLANG).band != "answer"


def test_a_wording_answers_only_where_its_faq_does(banded: KnowledgeCore, library: object) -> None:
    from pathlib import Path

    from ingest.faq_file import append_faq

    team = Path(banded.settings.knowledge_dir) / "faqs" / "team.yaml"
    team.write_text(append_faq(None, entry_id="team-7", question="我们店排班表在哪看？",
                               answer="12号店的排班表贴在仓库门口。", lang="zh-Hans", tags=[],
                               scope="华东区-12号店"), encoding="utf-8")  # fmt: skip
    banded.ingest()
    _learn(banded, ListedPhrasings([Phrasing(faq_key="faqs/team.yaml#team-7", text="下礼拜哪天歇去哪瞅")]))
    inside = SearchFilters(units=frozenset({"华东区-12号店", "华东区"}))
    outside = SearchFilters(units=frozenset({"华南区"}))
    assert "仓库门口" in banded.answerer.answer("下礼拜哪天歇去哪瞅", filters=inside).answer
    elsewhere = banded.answerer.answer("下礼拜哪天歇去哪瞅", filters=outside)
    assert elsewhere.band != "answer" and all("仓库门口" not in s.text for s in elsewhere.sources)


def test_without_a_model_the_learned_wording_still_answers(ingested: KnowledgeCore) -> None:
    ingested.answerer.threshold = 1.01  # no confidence score reaches it
    _learn(ingested, ListedPhrasings([Phrasing(faq_key=TRAINING, text=SLANG)]))
    assert ingested.answerer.answer(SLANG).band == "answer"
    assert ingested.answerer.answer("培训要多久？").band == "unknown"


def test_faq_of_names_the_entry_and_its_written_phrasings(ingested: KnowledgeCore) -> None:
    answer = ingested.answerer.answer("培训要多久？")
    faq = ingested.answerer.faq_of(answer.sources[0].chunk_id)
    assert faq is not None
    assert (faq.key, faq.question, faq.phrasings) == (
        TRAINING,
        "培训要多久？",
        ("培训要多久?", "培训时间有多长"),
    )
    passage = next(s for s in ingested.answerer.answer("1-3-9-27 模型").sources if s.doc_type != "faq")
    assert ingested.answerer.faq_of(passage.chunk_id) is None
    assert ingested.answerer.faq_of("no-such-chunk") is None


@pytest.mark.parametrize(
    "question", ["明天天气怎么样，火锅哪家好吃", "1-3-9-27 模型是什么", "how do the warning lights work"]
)
def test_learning_a_wording_does_not_move_unrelated_questions(banded: KnowledgeCore, question: str) -> None:
    before = banded.answerer.answer(question)
    _learn(banded, ListedPhrasings([Phrasing(faq_key=TRAINING, text=SLANG)]))
    after = banded.answerer.answer(question)
    assert [s.chunk_id for s in after.sources] == [s.chunk_id for s in before.sources]
    assert (after.band, after.confidence) == (before.band, before.confidence)


def test_warming_up_embeds_every_learned_wording_before_the_first_question() -> None:
    source = ListedPhrasings([Phrasing(faq_key="faqs/a.yaml#x", text="那个培训课得耗掉几个钟头")])
    embedder = FakeEmbedder()
    learned = LearnedPhrasings(source=source, embedder=embedder)
    assert learned.warm_up() == 1 and embedder.queries_embedded == 1 and source.loads == 1
    learned.warm_up()
    assert embedder.queries_embedded == 1 and source.loads == 1  # loaded and embedded once per process
