"""Two bot processes behind one load balancer: each person's next message may reach the other one.

Two PTB applications, each with its own engine on the one database and its own fake Bot API (so the
test decides which process gets each update), carry on a dialogue started on the other: a story
written across both, a reply to an escalated question, a survey comment.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Story
from bot.config import Settings
from bot.dialogues.models import DialogueState
from bot.questions.models import AskedQuestion
from bot.storage.base import utc_now
from bot.storage.database import make_engine, make_session_factory, transaction
from bot.surveys.definitions import load_surveys
from bot.surveys.models import SurveyResponse
from bot.surveys.waves import launch_wave
from bot.telegram.app import build_application
from bot.telegram.runner import stop_telegram
from tests.bot.telegram.conftest import Org, delivering_to
from tests.bot.telegram.test_scenarios import _join
from tests.fakes.telegram_api import FakeTelegram, FakeTelegramServer

STAFF, MANAGER = 9001, 9100
SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"
PULSE = load_surveys(SURVEYS)["resistance-pulse"]


@dataclass
class Process:
    """One bot process as the test sees it: its application and the Bot API it talks to."""

    bot: Application  # type: ignore[type-arg]
    telegram: FakeTelegram


@asynccontextmanager
async def _process(
    settings: Settings, core: KnowledgeCore, sessions: sessionmaker[Session]
) -> AsyncIterator[Process]:
    with FakeTelegramServer() as fake:
        bot_settings = settings.model_copy(
            update={"telegram_token": SecretStr(fake.token), "telegram_base_url": fake.url}
        )
        application = build_application(settings=bot_settings, core=core, sessions=sessions)
        shutil.copytree(SURVEYS, settings.knowledge_dir / "surveys", dirs_exist_ok=True)
        await application.initialize()
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield Process(bot=application, telegram=fake)
        finally:
            await stop_telegram(application)  # as the product stops: its re-index runner too


@pytest.fixture
def other_sessions(database_url: str, sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """The second process's own engine on the same (already migrated) database."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
async def two(
    settings: Settings,
    ingested: KnowledgeCore,
    sessions: sessionmaker[Session],
    other_sessions: sessionmaker[Session],
    org: Org,
) -> AsyncIterator[tuple[Process, Process]]:
    async with (
        _process(settings, ingested, sessions) as first,
        _process(settings, ingested, other_sessions) as second,
    ):
        await _join(first.telegram, MANAGER, org.manager_code)
        await _join(first.telegram, STAFF, org.staff_code)
        yield first, second


def _buttons(message: dict[str, Any]) -> list[str]:
    return [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def _say(process: Process, user_id: int, text: str, *, replies: int = 1) -> list[dict[str, Any]]:
    """Send ``text`` to this process and return the ``replies`` messages it sends back to the user."""
    fake = process.telegram
    before = len(fake.sent(chat_id=user_id))
    fake.send_text(user_id, text)
    return (await fake.reply_to(user_id, count=before + replies))[before:]


async def _press(process: Process, user_id: int, data: str, *, replies: int = 0) -> list[dict[str, Any]]:
    """Press a button on this process; return the ``replies`` messages it then sends the user."""
    fake = process.telegram
    answered, before = len(fake.sent("answerCallbackQuery")), len(fake.sent(chat_id=user_id))
    fake.press(user_id, data)
    await fake.wait_for(lambda: len(fake.sent("answerCallbackQuery")) > answered)
    return (await fake.reply_to(user_id, count=before + replies))[before:] if replies else []


async def test_a_story_started_on_one_process_is_finished_on_the_other(
    two: tuple[Process, Process], sessions: sessionmaker[Session]
) -> None:
    first, second = two
    assert "成功故事" in (await _say(first, MANAGER, "/story"))[0]["text"]
    story = "华东区用新排班以后，每周省下两个小时。"
    assert "/skip" in (await _say(second, MANAGER, story))[0]["text"]  # a story, not a question
    preview = await _say(first, MANAGER, "/skip", replies=3)
    assert preview[1]["text"] == f"🌟 成功故事\nUser（华东区）\n\n{story}"  # as staff will get it
    actions = _buttons(preview[2])
    assert actions[0].endswith(":now")
    sending = await _press(second, MANAGER, actions[0], replies=1)
    assert "正在发给" in sending[0]["text"]
    with sessions() as session:
        assert session.scalars(select(Story.text)).all() == [story]
        assert session.scalars(select(DialogueState)).all() == []


async def test_a_reply_to_an_escalation_is_typed_on_the_other_process(
    two: tuple[Process, Process], sessions: sessionmaker[Session]
) -> None:
    first, second = two
    to_manager = len(first.telegram.sent(chat_id=MANAGER))
    # One delivery worker, beside the first process: the outbox is shared, so one is enough and the
    # test knows which Bot API the escalation and the reply go out through.
    async with delivering_to(first.telegram, sessions):
        assert "答不上来" in (await _say(first, STAFF, "仓库的消防演练多久一次？"))[0]["text"]
        escalation = (await first.telegram.reply_to(MANAGER, count=to_manager + 1))[-1]
        prompt = await _press(first, MANAGER, _buttons(escalation)[0], replies=1)
        assert "请直接输入你的回答" in prompt[0]["text"]
        answer = "每季度一次，由店长组织。"
        confirmed = await _say(second, MANAGER, answer)  # a reply, not a question
        assert "已转达" in confirmed[0]["text"]
        delivered = await first.telegram.wait_for(
            lambda: [m for m in first.telegram.sent(chat_id=STAFF) if answer in m.get("text", "")]
        )
    assert len(delivered) == 1
    with sessions() as session:
        question = session.scalars(select(AskedQuestion)).one()
        assert question.reply == answer
        assert session.scalars(select(DialogueState)).all() == []


async def test_a_survey_comment_started_on_one_process_is_typed_on_the_other(
    two: tuple[Process, Process], sessions: sessionmaker[Session]
) -> None:
    first, second = two
    with transaction(sessions) as session:
        wave_id = launch_wave(
            session=session, survey=PULSE, closes_at=utc_now() + timedelta(days=2), selectors=["unit:华东区"]
        ).id
    comment = len(PULSE.questions) - 1
    assert PULSE.questions[comment].type == "text"
    await _press(first, STAFF, f"sv:{wave_id}:go")
    for index in range(comment):
        await _press(first, STAFF, f"sv:{wave_id}:{index}:3")
    with sessions() as session:
        typing = session.scalars(select(DialogueState)).one()
        # While the comment is typed, the row says where the person is and nothing of what they answered.
        assert typing.value == {"wave": wave_id, "question": comment}
    thanks = await _say(second, STAFF, "希望多给一点练习时间")
    assert "匿名" in thanks[0]["text"]
    with sessions() as session:
        response = session.scalars(select(SurveyResponse)).one()
        assert response.completed and response.answers[PULSE.questions[comment].id] == "希望多给一点练习时间"
        assert session.scalars(select(DialogueState)).all() == []
