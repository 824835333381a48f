"""Learning wordings in Telegram: a "did you mean" pick found helpful, or a manager answering with an
existing FAQ in one tap, answers the next colleague who asks the same way straight away, with no
re-index."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.answering import messages
from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Broadcast
from bot.questions.models import AskedQuestion, LearnedPhrasing
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_gap_loop import MANAGER
from tests.bot.telegram.test_scenarios import OTHER, STAFF, _join
from tests.fakes.confidence import coverage_bands
from tests.fakes.telegram_api import FakeTelegram

# Shares one word (培训) with the FAQ "培训要多久？": "did you mean" until somebody confirms it.
HALF = "那个培训课得耗掉几个钟头"


async def test_helpful_under_a_picked_faq_answers_the_next_colleague(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
    ingested: KnowledgeCore,
) -> None:
    ingested.answerer.confidence_model = coverage_bands(answer_at=0.7, suggest_at=0.12, chit_chat_below=0.05)
    await _join(fake_telegram, STAFF, org.staff_code)
    await _join(fake_telegram, OTHER, org.staff_code)
    fake_telegram.send_text(STAFF, HALF)
    offer = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    assert messages.DID_YOU_MEAN["zh-Hans"] in offer["text"]
    training = next(
        row[0]["callback_data"]
        for row in offer["reply_markup"]["inline_keyboard"]
        if row[0]["text"] == "培训要多久？"
    )
    fake_telegram.press(STAFF, training)
    answer = (await fake_telegram.reply_to(STAFF, count=3))[-1]
    helpful = answer["reply_markup"]["inline_keyboard"][0][0]
    assert helpful["text"] == "👍 有帮助"
    fake_telegram.press(STAFF, helpful["callback_data"])
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent("answerCallbackQuery")) >= 2)
    with sessions() as session:
        assert [(p.text, p.origin) for p in session.scalars(select(LearnedPhrasing))] == [(HALF, "helpful")]

    fake_telegram.send_text(OTHER, "那個培訓課，得耗掉幾個鐘頭？")
    reply = (await fake_telegram.reply_to(OTHER, count=2))[-1]
    assert "90分鐘" in reply["text"] and messages.DID_YOU_MEAN["zh-Hant"] not in reply["text"]


@pytest.mark.usefixtures("delivering")  # escalations and replies go through the outbox
async def test_a_manager_answers_with_an_existing_faq_in_one_tap(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
    ingested: KnowledgeCore,
) -> None:
    ingested.answerer.confidence_model = coverage_bands(answer_at=0.7, suggest_at=0.12, chit_chat_below=0.05)
    await _join(fake_telegram, MANAGER, org.manager_code)
    await _join(fake_telegram, STAFF, org.staff_code)
    await _join(fake_telegram, OTHER, org.staff_code)
    fake_telegram.send_text(STAFF, HALF)
    offer = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    ask_person = offer["reply_markup"]["inline_keyboard"][-1][0]
    assert ask_person["text"] == "🙋 问同事"
    fake_telegram.press(STAFF, ask_person["callback_data"])
    to_manager = (await fake_telegram.reply_to(MANAGER, count=2))[-1]
    rows = to_manager["reply_markup"]["inline_keyboard"]
    assert rows[0][0]["text"] == "✍️ 回复"
    faq = next(row[0] for row in rows if row[0]["text"] == "📖 用这条回答：培训要多久？")
    fake_telegram.press(OTHER, faq["callback_data"])  # staff cannot answer for the manager
    fake_telegram.press(STAFF, faq["callback_data"])  # nor the asker themselves
    fake_telegram.press(MANAGER, faq["callback_data"].rsplit(":", 1)[0] + ":q" + "0" * 20)  # not offered
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent("answerCallbackQuery")) >= 4)
    assert {c.get("text") for c in fake_telegram.sent("answerCallbackQuery")[-3:]} == {"这个按钮已失效。"}
    with sessions() as session:
        assert session.scalars(select(LearnedPhrasing)).all() == []

    fake_telegram.press(MANAGER, faq["callback_data"])
    # The press is answered before the escalation is edited: wait for both, not the first only.
    await fake_telegram.wait_for(
        lambda: len(fake_telegram.sent("answerCallbackQuery")) >= 5 and fake_telegram.sent("editMessageText")
    )
    assert "以后这样问，我会直接回答" in fake_telegram.sent("answerCallbackQuery")[-1]["text"]
    # The escalation says what happened to it (not "saved as an FAQ"), and loses its buttons.
    (edited,) = fake_telegram.sent("editMessageText")
    assert "以后这样问，我会直接回答" in edited["text"] and "reply_markup" not in edited
    fake_telegram.press(MANAGER, faq["callback_data"])  # twice: the question is answered already
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent("answerCallbackQuery")) >= 6)
    assert fake_telegram.sent("answerCallbackQuery")[-1]["text"] == "这个按钮已失效。"
    with sessions() as session:
        question = session.scalars(select(AskedQuestion)).one()
        assert question.status == "closed" and "90分钟" in (question.reply or "")
        # Both ways through the outbox (quiet hours, /stop, pacing): the question to its manager,
        # with its buttons, and the FAQ's answer to the asker.
        escalation, reply = session.scalars(select(Broadcast).order_by(Broadcast.id)).all()
        assert escalation.actions is not None and escalation.actions[0] == ["✍️ 回复", f"gap:{question.id}:r"]
        assert HALF in escalation.text and escalation.audience != reply.audience
        assert "90分钟" in reply.text and reply.audience == [f"person:{question.person_id}"]
        assert [(p.text, p.origin) for p in session.scalars(select(LearnedPhrasing))] == [(HALF, "manager")]
    fake_telegram.send_text(OTHER, "那个培训课，得耗掉几个钟头？")
    answer = (await fake_telegram.reply_to(OTHER, count=2))[-1]
    assert "90分钟" in answer["text"]
