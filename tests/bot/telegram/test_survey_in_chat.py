"""A pulse survey wave end to end against the fake Bot API: invitation with a start button, one
question at a time with progress, a typed comment, resume, change, forged presses, a reminder
once, and a closed survey."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.broadcasts.sender import DeliveryWorker, WorkerSettings
from bot.config import Settings
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.answers import send_due_reminders
from bot.surveys.definitions import load_surveys
from bot.surveys.models import SurveyResponse, SurveyWave
from bot.surveys.waves import close_due_waves, launch_wave
from bot.telegram.broadcast_sender import TelegramMessageSender
from bot.telegram.context import SERVICES_KEY
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import _join
from tests.fakes.telegram_api import FakeTelegram

ALICE, BOB, CAROL = 8001, 8002, 8003
SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"
PULSE = load_surveys(SURVEYS)["resistance-pulse"]


def _buttons(message: dict[str, Any]) -> list[str]:
    return [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def _press(fake: FakeTelegram, user_id: int, data: str) -> tuple[str, dict[str, Any] | None]:
    """Press; return the callback answer's text and the message the bot edited in reply (if any)."""
    answers, edits = len(fake.sent("answerCallbackQuery")), len(fake.sent("editMessageText"))
    fake.press(user_id, data)
    answer = (await fake.wait_for(lambda: len(a := fake.sent("answerCallbackQuery")) > answers and a))[
        answers
    ]
    try:  # the bot answers the press first, then edits the message (or not, for a refused press)
        edited = await fake.wait_for(
            lambda: len(e := fake.sent("editMessageText")) > edits and e, timeout=1.0
        )
    except AssertionError:
        return str(answer.get("text", "")), None
    return str(answer.get("text", "")), edited[edits]


async def _deliver(application: Application, sessions: sessionmaker[Session]) -> None:  # type: ignore[type-arg]
    worker = DeliveryWorker(
        sessions=sessions,
        sender=TelegramMessageSender(application.bot),
        settings=WorkerSettings(rate_per_second=200),
    )
    await worker.run_until_idle()


async def test_a_wave_answered_in_chat(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    settings: Settings,
    sessions: sessionmaker[Session],
) -> None:
    fake = fake_telegram
    # Into the library the bot is running on: it reads surveys as their files are now, no restart.
    shutil.copytree(SURVEYS, settings.knowledge_dir / "surveys", dirs_exist_ok=True)
    assert running_bot.bot_data[SERVICES_KEY].surveys["resistance-pulse"] == PULSE
    for user in (ALICE, BOB, CAROL):
        await _join(fake, user, org.staff_code)
    with transaction(sessions) as session:
        wave_id = launch_wave(
            session=session, survey=PULSE, closes_at=utc_now() + timedelta(days=2), selectors=["unit:华东区"]
        ).id
    await _deliver(running_bot, sessions)
    invitation = [m for m in fake.sent(chat_id=ALICE) if "脉搏调查" in m.get("text", "")][-1]
    start = _buttons(invitation)[0]
    assert start == f"sv:{wave_id}:go" and "匿名" in invitation["text"]

    answer, shown = await _press(fake, ALICE, start)
    assert shown is not None and shown["text"].startswith(f"📋 {PULSE.title.get('zh-Hans')} · 1/9")
    assert _buttons(shown)[:5] == [f"sv:{wave_id}:0:{n}" for n in range(1, 6)]

    # Forged and stale presses change nothing.
    assert (await _press(fake, ALICE, f"sv:{wave_id}:42:3"))[0] == "这个按钮已失效。"
    assert (await _press(fake, ALICE, f"sv:{wave_id}:0:o1"))[0] == "这个按钮已失效。"
    assert (await _press(fake, ALICE, "sv:999:go"))[0] == "这个按钮已失效。"
    assert (await _press(fake, 4242, start))[0] == "这份调查不是发给你的。"  # the admin was not invited

    for index in range(4):  # four answers, then stop
        _, shown = await _press(fake, ALICE, f"sv:{wave_id}:{index}:4")
    assert shown is not None and " · 5/9" in shown["text"]
    _, shown = await _press(fake, ALICE, start)  # resume where she stopped
    assert shown is not None and " · 5/9" in shown["text"]
    for index in range(4, 8):
        _, shown = await _press(fake, ALICE, f"sv:{wave_id}:{index}:2")
    assert shown is not None and " · 9/9" in shown["text"] and _buttons(shown) == [f"sv:{wave_id}:8:s"]
    before = len(fake.sent(chat_id=ALICE))
    fake.send_text(ALICE, "希望多给一点练习时间")  # the comment: typed, not a question for the bot
    thanks = (await fake.reply_to(ALICE, count=before + 1))[-1]
    assert "匿名" in thanks["text"]
    assert not any("来源" in m.get("text", "") for m in fake.sent(chat_id=ALICE)[before:])

    _, shown = await _press(fake, ALICE, start)  # finished: offered a change
    assert shown is not None and _buttons(shown) == [f"sv:{wave_id}:re"]
    _, shown = await _press(fake, ALICE, f"sv:{wave_id}:re")
    assert shown is not None and " · 1/9" in shown["text"] and "• 4 •" in str(shown["reply_markup"])
    await _press(fake, ALICE, f"sv:{wave_id}:0:5")  # changed her mind on question 1
    with sessions() as session:
        response = session.scalars(select(SurveyResponse)).one()
        assert response.completed and response.answers[PULSE.questions[0].id] == 5
        assert response.answers["comment"] == "希望多给一点练习时间" and response.person_id is None

    # One reminder, only to those who have not finished.
    with transaction(sessions) as session:
        session.execute(update(SurveyWave).values(remind_at=utc_now() - timedelta(minutes=1)))
    surveys = {"resistance-pulse": PULSE}
    key = running_bot.bot_data[SERVICES_KEY].survey_key  # the bot's, which keyed Alice's answers
    with transaction(sessions) as session:
        assert send_due_reminders(session, utc_now(), surveys=surveys, key=key) == 2
        assert send_due_reminders(session, utc_now(), surveys=surveys, key=key) == 0  # once
    await _deliver(running_bot, sessions)
    assert any("提醒" in m.get("text", "") for m in fake.sent(chat_id=BOB))
    assert not any("提醒" in m.get("text", "") for m in fake.sent(chat_id=ALICE))

    with transaction(sessions) as session:
        close_due_waves(session, utc_now() + timedelta(days=3))
    answer, shown = await _press(fake, BOB, start)
    assert answer == "这次调查已经结束，谢谢参与。"
    with sessions() as session:
        assert session.scalars(select(SurveyResponse)).one().completed  # Bob's nothing was stored
