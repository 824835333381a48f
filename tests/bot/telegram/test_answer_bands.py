"""The three bands in Telegram: "did you mean" buttons answer from the passage picked, chit-chat
gets the friendly reply with only "ask a person", and neither lands in the gaps queue."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.answering import messages
from bot.answering.factory import KnowledgeCore
from bot.questions.models import AskedQuestion
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import OTHER, STAFF, _join
from tests.fakes.confidence import coverage_bands
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture(autouse=True)
def banded(ingested: KnowledgeCore) -> None:
    ingested.answerer.confidence_model = coverage_bands(answer_at=0.7, suggest_at=0.3, chit_chat_below=0.05)


async def test_did_you_mean_buttons_answer_from_the_passage_picked(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    await _join(fake_telegram, OTHER, org.staff_code)
    fake_telegram.send_text(STAFF, "试点门店上线后红灯怎么办")
    offer = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    assert messages.DID_YOU_MEAN["zh-Hans"] in offer["text"]
    rows = offer["reply_markup"]["inline_keyboard"]
    labels = [row[0]["text"] for row in rows]
    assert "还能用纸质单据吗？" in labels and labels[-1] == "🙋 问同事"
    paper = next(row[0]["callback_data"] for row in rows if row[0]["text"] == "还能用纸质单据吗？")
    fake_telegram.press(OTHER, paper)  # not OTHER's question
    for forged in ("sg:1:9", "sg:999999:0", "sg:x:0"):
        fake_telegram.press(STAFF, forged)
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent("answerCallbackQuery")) >= 4)
    assert {c["text"] for c in fake_telegram.sent("answerCallbackQuery")} == {"这个按钮已失效。"}
    with sessions() as session:
        row = session.scalars(select(AskedQuestion)).one()
        assert (row.band, row.status, row.chosen_suggestion) == ("suggest", "closed", None)
        assert row.suggestions is not None and len(row.suggestions) == len(labels) - 1

    fake_telegram.press(STAFF, paper)
    answer = (await fake_telegram.reply_to(STAFF, count=3))[-1]
    assert "第二个月起只用系统录单" in answer["text"]
    assert [b["text"] for b in answer["reply_markup"]["inline_keyboard"][0]] == ["👍 有帮助", "👎 没帮助"]
    fake_telegram.press(STAFF, paper)  # a second press of the same offer changes nothing
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent("answerCallbackQuery")) >= 6)
    assert len(fake_telegram.sent(chat_id=STAFF)) == 3
    with sessions() as session:
        row = session.scalars(select(AskedQuestion)).one()
        assert row.band == "suggest" and row.answered and row.status == "closed"
        assert row.suggestions[row.chosen_suggestion]["label"] == "还能用纸质单据吗？"  # type: ignore[index]
        assert "第二个月起只用系统录单" in row.answer


async def test_chit_chat_gets_the_friendly_reply_and_stays_out_of_the_gaps(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.send_text(STAFF, "今天天气怎么样，火锅哪家好吃")
    reply = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    assert reply["text"] == messages.OFF_TOPIC["zh-Hans"]
    assert [row[0]["text"] for row in reply["reply_markup"]["inline_keyboard"]] == ["🙋 问同事"]
    with sessions() as session:
        row = session.scalars(select(AskedQuestion)).one()
        assert (row.band, row.status, row.answered) == ("unknown", "closed", False)
    # No manager heard of it: nothing was sent to anyone but the asker.
    assert {message["chat_id"] for message in fake_telegram.sent("sendMessage")} == {STAFF}


async def test_more_shows_the_whole_passage(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    ingested: KnowledgeCore,
) -> None:
    ingested.answerer.answer_max_chars = 80
    ingested.answerer.confidence_model = None  # answered by the threshold, whatever its coverage
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.send_text(STAFF, "red weeks in a row notify whom?")
    answer = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    assert "regional manager" in answer["text"] and "head office" not in answer["text"].split("\n\n")[0]
    buttons = [button for row in answer["reply_markup"]["inline_keyboard"] for button in row]
    more = next(
        button["callback_data"] for button in buttons if button["text"] == "📖 More"
    )  # the answer's language
    fake_telegram.press(STAFF, more)
    whole = (await fake_telegram.reply_to(STAFF, count=3))[-1]
    assert whole["text"].startswith("Two red weeks") and "Three red weeks notify head office" in whole["text"]
    fake_telegram.press(STAFF, "mo:999999")
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent("answerCallbackQuery")) >= 2)
    assert fake_telegram.sent("answerCallbackQuery")[-1]["text"] == "这个按钮已失效。"
