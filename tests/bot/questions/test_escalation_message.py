"""What an escalated question tells its managers (issue 15): why it came to a person, in each of the
three languages; what the bot had said, shortened to whole sentences, with its sources named as the
asker saw them and never by file; and the note when it comes again."""

from __future__ import annotations

import re

import pytest

from bot.questions.escalation import (
    MAX_QUOTED_ANSWER,
    EscalationReason,
    Nudge,
    bot_said,
    escalation_reason,
    manager_message,
    shortened,
)
from bot.questions.gaps import GapGroup
from bot.questions.models import AskedQuestion
from bot.questions.wording import GAP_REASON, QUESTION_FOR_MANAGER

LANGUAGES = ("zh-Hans", "zh-Hant", "en")
PAPER = "上线后的第一个月纸质单据和系统并行，第二个月起只用系统录单。"
SOURCES: list[dict[str, object]] = [
    {"title": "常见问题", "section": "还能用纸质单据吗？", "source": "faqs/basics.yaml", "score": 0.9, "chunk_id": "a"},
    {"title": "推广节奏与分批上线", "section": "为什么要分批", "source": "playbooks/pacing.md", "score": 0.4,
     "chunk_id": "b"},
    {"title": "常见问题", "section": "还能用纸质单据吗？", "source": "faqs/basics.yaml", "score": 0.3, "chunk_id": "c"},
]  # fmt: skip


def _question(**changes: object) -> AskedQuestion:
    """A stored question the FAQ answered, as ``record_question`` keeps it."""
    fields: dict[str, object] = {
        "channel": "telegram", "language": "zh-Hans", "text": "还能用纸质单据吗？", "answer": PAPER,
        "answered": True, "band": "answer", "reply_kind": "faq", "confidence": 0.9, "sources": SOURCES,
        "suggestions": None, "status": "open", "feedback": None,
    }  # fmt: skip
    fields.update(changes)
    return AskedQuestion(**fields)


def _refused() -> AskedQuestion:
    # "I don't know yet" keeps the passages it looked at: they are no source of an answer.
    return _question(
        answer="这个问题我暂时还答不上来。", answered=False, band="unknown", reply_kind="refused"
    )


def _not_helpful() -> AskedQuestion:
    return _question(feedback="not_helpful")


def _suggested() -> AskedQuestion:
    offered = [
        {"label": "还能用纸质单据吗？", "chunk_id": "a"},
        {"label": "推广节奏与分批上线 › 为什么要分批", "chunk_id": "b"},
    ]
    return _question(
        answer="你是不是想问：", answered=False, band="suggest", reply_kind="suggest", suggestions=offered
    )


def test_one_place_decides_why_a_question_is_in_front_of_a_person() -> None:
    assert escalation_reason(_refused()) is EscalationReason.COULD_NOT_ANSWER
    assert escalation_reason(_question(feedback="not_helpful")) is EscalationReason.NOT_HELPFUL
    assert (
        escalation_reason(_question()) is EscalationReason.ASKED_FOR_PERSON
    )  # "ask a person" under an answer
    assert escalation_reason(_suggested()) is EscalationReason.ASKED_FOR_PERSON
    chit_chat = _question(answered=False, band="unknown", reply_kind="off_topic", answer="我只懂变革的事。")
    assert escalation_reason(chit_chat) is EscalationReason.ASKED_FOR_PERSON  # the bot did not fail there
    before_bands = _question(
        answered=False, band="unknown", reply_kind=None
    )  # rows from before migration 0012
    assert escalation_reason(before_bands) is EscalationReason.COULD_NOT_ANSWER


HEADLINES = {
    ("zh-Hans", EscalationReason.COULD_NOT_ANSWER): "❓ 华东区-12号店 的 小王 问了一个我答不上的问题：",
    ("zh-Hans", EscalationReason.NOT_HELPFUL): "❓ 华东区-12号店 的 小王 觉得我的回答没有帮助：",
    ("zh-Hans", EscalationReason.ASKED_FOR_PERSON): "❓ 华东区-12号店 的 小王 想请人来回答这个问题：",
    ("zh-Hant", EscalationReason.COULD_NOT_ANSWER): "❓ 华东区-12号店 的 小王 問了一個我答不上的問題：",
    ("zh-Hant", EscalationReason.NOT_HELPFUL): "❓ 华东区-12号店 的 小王 覺得我的回答沒有幫助：",
    ("zh-Hant", EscalationReason.ASKED_FOR_PERSON): "❓ 华东区-12号店 的 小王 想請人來回答這個問題：",
    ("en", EscalationReason.COULD_NOT_ANSWER): "❓ 小王 (华东区-12号店) asked something I couldn't answer:",
    ("en", EscalationReason.NOT_HELPFUL): "❓ 小王 (华东区-12号店) found my answer not helpful:",
    ("en", EscalationReason.ASKED_FOR_PERSON): "❓ 小王 (华东区-12号店) asked for a person to answer this:",
}
QUESTIONS = {
    EscalationReason.COULD_NOT_ANSWER: _refused,
    EscalationReason.NOT_HELPFUL: _not_helpful,
    EscalationReason.ASKED_FOR_PERSON: _question,
}


@pytest.mark.parametrize(("language", "reason"), sorted(HEADLINES))
def test_each_reason_in_each_language(language: str, reason: EscalationReason) -> None:
    text = manager_message(QUESTIONS[reason](), language, asker="小王", unit="华东区-12号店")
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == HEADLINES[(language, reason)]
    assert paragraphs[1] == "还能用纸质单据吗？"
    assert paragraphs[-1] == QUESTION_FOR_MANAGER[language]["how"]
    # The bot's answer is shown when it gave one, never its "I don't know yet".
    assert (PAPER in text) is (reason is not EscalationReason.COULD_NOT_ANSWER)
    assert "答不上来" not in text


def test_the_answer_and_its_sources_as_people_name_them_never_a_file() -> None:
    text = manager_message(_question(feedback="not_helpful"), "zh-Hans", asker="小王", unit="华东区-12号店")
    assert text == (
        "❓ 华东区-12号店 的 小王 觉得我的回答没有帮助：\n\n"
        "还能用纸质单据吗？\n\n"
        f"🤖 我的回答：{PAPER}\n"
        "📄 来源：常见问题 › 还能用纸质单据吗？；推广节奏与分批上线 › 为什么要分批\n\n"  # each source once
        "点「回复」直接回答，也可以在控制台「知识库 › 待解答的问题」里回答。"
    )
    english = manager_message(_question(), "en", asker="Amy", unit="East")
    assert "📄 Sources: 常见问题 › 还能用纸质单据吗？; 推广节奏与分批上线 › 为什么要分批" in english
    for shown in (text, english):
        assert not re.search(r"\.(yaml|md|pdf|docx)\b|faqs/|playbooks/", shown)
    # "I don't know yet": the passages it looked at are no sources of anything.
    refused = manager_message(_refused(), "zh-Hans", asker="小王", unit="华东区-12号店")
    assert "来源" not in refused and "🤖" not in refused


def test_candidates_offered_are_what_the_bot_said() -> None:
    text = manager_message(_suggested(), "zh-Hant", asker="小王", unit="华东区-12号店")
    assert "🤖 我給了這些候選：还能用纸质单据吗？；推广节奏与分批上线 › 为什么要分批" in text
    assert "你是不是想问" not in text
    picked = _suggested()
    picked.chosen_suggestion, picked.answered, picked.answer = 0, True, PAPER  # as pick_suggestion keeps it
    assert bot_said(picked).answer == PAPER and bot_said(picked).offered == ()


def test_a_long_answer_is_shortened_to_whole_sentences() -> None:
    sentences = [f"第{n}批门店先跑通流程，再扩大到下一批，每一批都有人手跟进和复盘。" for n in range(1, 30)]
    short = shortened("".join(sentences))
    assert len(short) <= MAX_QUOTED_ANSWER and short.endswith("…")
    kept = short.removesuffix("…")
    assert kept == "".join(sentences[: len(kept) // len(sentences[0])])  # whole sentences, from the first
    words = ("Each store gets a colour every week from its usage rate and its trend " * 12).strip()
    english = shortened(words + ".")  # one sentence, no clause to cut after
    assert len(english) <= MAX_QUOTED_ANSWER and english.endswith("…")
    assert english.removesuffix("…").split() == words.split()[: len(english.removesuffix("…").split())]
    lights = shortened("Green means usage above 80 percent. Yellow is 60 to 80 percent. " * 8)
    assert len(lights) <= MAX_QUOTED_ANSWER and lights.endswith("percent. …")
    assert shortened(PAPER) == PAPER  # short enough already: as the asker read it
    assert bot_said(_question(answer=words + ".")).answer == english


@pytest.mark.parametrize(
    ("language", "reminder", "up"),
    [
        ("zh-Hans", "⏰ 提醒：这个问题还没有人回复。", "⏫ 这个问题转给华东区-12号店的负责人后一直没有人回复，现在转给你。"),
        ("zh-Hant", "⏰ 提醒：這個問題還沒有人回覆。", "⏫ 這個問題轉給华东区-12号店的負責人後一直沒有人回覆，現在轉給你。"),
        ("en", "⏰ Reminder: nobody has answered this yet.",
         "⏫ This went to the managers of 华东区-12号店 and nobody has answered it yet, so it comes to you now."),
    ],
)  # fmt: skip
def test_the_note_when_it_comes_again(language: str, reminder: str, up: str) -> None:
    first = manager_message(_refused(), language, asker="小王", unit="华东区-12号店")
    again = manager_message(_refused(), language, asker="小王", unit="华东区-12号店", nudge=Nudge.REMINDER)
    above = manager_message(
        _refused(), language, asker="小王", unit="华东区-12号店", nudge=Nudge.UP, held_by="华东区-12号店"
    )
    assert again == f"{reminder}\n\n{first}" and above == f"{up}\n\n{first}"


def test_the_gaps_queue_says_why_each_topic_is_open() -> None:
    group = GapGroup(questions=[_question(feedback="not_helpful"), _refused(), _refused()])
    assert group.reasons == [EscalationReason.COULD_NOT_ANSWER, EscalationReason.NOT_HELPFUL]
    for language in LANGUAGES:
        assert set(GAP_REASON[language]) == {reason.value for reason in EscalationReason}
        assert {reason.value for reason in EscalationReason} <= set(QUESTION_FOR_MANAGER[language])
