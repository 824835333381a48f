"""End-to-end: the real bot polling the fake Bot API server."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.logging_setup import configure_logging
from bot.people.guessing import WRONG_CODES_PER_MINUTE
from bot.people.models import InviteCode, Person
from bot.questions.models import AskedQuestion
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.bot.telegram.conftest import Org
from tests.fakes.telegram_api import FakeTelegram

STAFF = 5001
OTHER = 5002


async def _join(fake: FakeTelegram, user_id: int, code: str) -> str:
    before = len(fake.sent(chat_id=user_id))
    fake.send_text(user_id, f"/start {code}")
    messages = await fake.reply_to(user_id, count=before + 1)
    return str(messages[-1]["text"])


async def test_onboarding_with_valid_expired_and_missing_codes(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],  # type: ignore[type-arg]
) -> None:
    assert "邀请码" in await _join(fake_telegram, 6001, "")
    assert "华东区-12号店" in await _join(fake_telegram, STAFF, org.staff_code.lower())
    with transaction(sessions) as session:
        invite = session.scalars(select(InviteCode).where(InviteCode.code == org.manager_code)).one()
        invite.expires_at = utc_now() - timedelta(hours=1)
    reply = await _join(fake_telegram, 6002, org.manager_code)
    assert "过期" in reply
    assert "找不到" in await _join(fake_telegram, 6003, "NOSUCHCODE")
    with sessions() as session:
        assert session.scalars(select(Person).where(Person.telegram_id == 6002)).first() is None


async def test_guessing_invite_codes_is_stopped_after_a_few_wrong_ones(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    replies = [await _join(fake_telegram, 6010, f"GUESS{n:05d}") for n in range(WRONG_CODES_PER_MINUTE + 3)]
    assert "找不到" in replies[0] and "输错的次数太多" in replies[-1]
    # Now even the right code waits a minute: it is not looked at.
    assert "输错的次数太多" in await _join(fake_telegram, 6010, org.staff_code)
    with sessions() as session:
        assert session.scalars(select(Person).where(Person.telegram_id == 6010)).first() is None
    assert "华东区-12号店" in await _join(fake_telegram, 6011, org.staff_code)  # someone else is not slowed


async def test_strangers_get_no_answers(
    running_bot: Application, fake_telegram: FakeTelegram, org: Org
) -> None:  # type: ignore[type-arg]
    fake_telegram.send_text(7001, "培训要多久？", language_code="en")
    reply = await fake_telegram.reply_to(7001)
    assert "invite code" in reply[0]["text"]


async def test_question_answered_with_sources_and_feedback_recorded(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],  # type: ignore[type-arg]
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.send_text(STAFF, "培训要多久？")
    messages = await fake_telegram.reply_to(STAFF, count=2)
    answer = messages[-1]
    assert answer["parse_mode"] == "HTML"
    assert "每位员工参加两次各90分钟" in answer["text"]
    assert "<b>来源</b>" in answer["text"] and "[1]" in answer["text"]
    buttons = answer["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["👍 有帮助", "👎 没帮助"]
    assert fake_telegram.sent("sendChatAction", chat_id=STAFF)
    fake_telegram.press(STAFF, buttons[1]["callback_data"])
    await fake_telegram.wait_for(lambda: fake_telegram.sent("answerCallbackQuery"))
    with sessions() as session:
        row = session.scalars(select(AskedQuestion)).one()
        assert row.feedback == "not_helpful" and row.status == "open" and row.channel == "telegram"


async def test_forged_and_foreign_callback_data_change_nothing(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],  # type: ignore[type-arg]
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    await _join(fake_telegram, OTHER, org.staff_code)
    fake_telegram.send_text(STAFF, "培训要多久？")
    answer = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    data = answer["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    for forged in (data, "fb:1:x", "fb:999999:h", "'; DROP TABLE people; --", "lang:fr", "x" * 64):
        fake_telegram.press(OTHER, forged)  # OTHER does not own the question
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent("answerCallbackQuery")) >= 6)
    replies = [c["text"] for c in fake_telegram.sent("answerCallbackQuery")]
    assert all(text == "这个按钮已失效。" for text in replies)
    with sessions() as session:
        assert session.scalars(select(AskedQuestion)).one().feedback is None


async def test_staff_cannot_use_manager_commands_but_managers_can(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,  # type: ignore[type-arg]
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.send_text(STAFF, "/invite staff")
    reply = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    assert "只有店长和管理员" in reply["text"]
    manager = 5100
    welcome = await _join(fake_telegram, manager, org.manager_code)
    assert "/story" in welcome and "/web" in welcome and "/review" in welcome  # what a manager can do
    assert "你是变革团队的管理员" in await _join(fake_telegram, 4242, "")  # an admin in no unit, not "in —"
    fake_telegram.send_text(manager, "/invite staff 华东区-12号店")
    created = (await fake_telegram.reply_to(manager, count=2))[-1]
    assert "华东区-12号店" in created["text"] and "https://t.me/changebot_test_bot?start=" in created["text"]
    assert "20 次" in created["text"] and "14 天" in created["text"]  # a store's team, two weeks
    fake_telegram.send_text(manager, "/invite staff 港湾零售")  # above their own unit
    refused = (await fake_telegram.reply_to(manager, count=3))[-1]
    assert "do not manage" in refused["text"]
    # A manager code hands out manager rights: one person, three days, so a forwarded link cannot.
    fake_telegram.send_text(manager, "/invite manager 华东区-12号店")
    for_a_manager = (await fake_telegram.reply_to(manager, count=4))[-1]["text"]
    assert "1 次" in for_a_manager and "3 天" in for_a_manager
    code = for_a_manager.split("start=", 1)[1].split()[0]
    assert "华东区-12号店" in await _join(fake_telegram, 5101, code)
    assert "用完" in await _join(fake_telegram, 5102, code)


async def test_group_answers_only_when_addressed(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,  # type: ignore[type-arg]
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    group = -100123
    fake_telegram.send_text(STAFF, "培训要多久？", chat_id=group, chat_type="supergroup")
    fake_telegram.send_text(STAFF, "@changebot_test_bot 培训要多久？", chat_id=group, chat_type="supergroup")
    replies = await fake_telegram.reply_to(group)
    assert "90分钟" in replies[0]["text"]
    fake_telegram.send_text(STAFF, "/ask 还能用纸质单据吗", chat_id=group, chat_type="supergroup")
    await fake_telegram.reply_to(group, count=2)
    fake_telegram.send_text(
        STAFF, "那培训是在上班时间吗", chat_id=group, chat_type="supergroup", reply_to_bot=True
    )
    await fake_telegram.reply_to(group, count=3)
    assert len(fake_telegram.sent(chat_id=group)) == 3


async def test_language_profile_and_pushes(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],  # type: ignore[type-arg]
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.press(STAFF, "lang:en")
    await fake_telegram.wait_for(lambda: fake_telegram.sent("editMessageText"))
    fake_telegram.send_text(STAFF, "/stop")
    stopped = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    assert "paused" in stopped["text"]
    fake_telegram.send_text(STAFF, "/help")
    assert "/privacy" in (await fake_telegram.reply_to(STAFF, count=3))[-1]["text"]
    with sessions() as session:
        person = session.scalars(select(Person).where(Person.telegram_id == STAFF)).one()
        assert person.language == "en" and person.pushes_enabled is False


async def test_flood_control(running_bot: Application, fake_telegram: FakeTelegram, org: Org) -> None:  # type: ignore[type-arg]
    await _join(fake_telegram, STAFF, org.staff_code)
    for _ in range(6):  # the limit in this test is 5 a minute
        fake_telegram.send_text(STAFF, "培训要多久？")
    messages = await fake_telegram.reply_to(STAFF, count=7)
    assert sum("请稍等一分钟" in m["text"] for m in messages) == 1


async def test_long_answers_are_split_and_escaped(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,  # type: ignore[type-arg]
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.send_text(STAFF, "<b>培训</b> 要多久？ & " + "请告诉我。" * 1500)
    messages = await fake_telegram.reply_to(STAFF, count=2)
    assert all(len(m["text"]) <= 4096 for m in messages)
    assert "<b>培训</b>" not in "".join(m["text"] for m in messages)


async def test_odd_updates_are_survived(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,  # type: ignore[type-arg]
) -> None:
    now = 1_790_000_000
    # Valid Bot API updates that carry none of what the handlers use: no sender, no text, no message.
    fake_telegram.push({"message": {"message_id": 1, "date": now, "chat": {"id": -5, "type": "channel"}}})
    fake_telegram.push(
        {
            "message": {
                "message_id": 2,
                "date": now,
                "chat": {"id": 8001, "type": "private"},
                "from": fake_telegram.user(8001),
                "sticker": {
                    "file_id": "x",
                    "file_unique_id": "y",
                    "type": "regular",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                },
            }
        }
    )
    fake_telegram.push(
        {
            "callback_query": {
                "id": "77",
                "from": fake_telegram.user(8002),
                "chat_instance": "c",
                "data": "fb:1:h",
            }
        }
    )
    fake_telegram.push(
        {
            "edited_message": {
                "message_id": 3,
                "date": now,
                "chat": {"id": 8003, "type": "private"},
                "text": "改了",
            }
        }
    )
    await _join(fake_telegram, STAFF, org.staff_code)  # the bot still serves the next update
    assert fake_telegram.sent("answerCallbackQuery")[0]["text"] == "这个按钮已失效。"
    assert fake_telegram.sent(chat_id=8001) == []


async def test_rate_limited_reply_is_retried_after_retry_after(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,  # type: ignore[type-arg]
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.scripted["sendMessage"] = [
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            },
        )
    ]
    fake_telegram.send_text(STAFF, "/help")
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent(chat_id=STAFF)) >= 3)
    attempts = [
        c for c in fake_telegram.calls if c.method == "sendMessage" and c.params.get("chat_id") == STAFF
    ]
    assert "/privacy" in attempts[-1].params["text"]


async def test_a_person_who_blocked_the_bot_is_marked_inactive(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],  # type: ignore[type-arg]
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.blocked_chats.add(STAFF)
    fake_telegram.send_text(STAFF, "培训要多久？")

    def blocked() -> bool:
        with sessions() as session:
            return session.scalars(select(Person.active).where(Person.telegram_id == STAFF)).one() is False

    await fake_telegram.wait_for(blocked)
    await _join(fake_telegram, OTHER, org.staff_code)  # everyone else is still served


async def test_the_token_never_reaches_the_logs(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging("DEBUG")  # the product's own logging set-up, at its most verbose
    caplog.set_level(logging.DEBUG)
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.send_text(STAFF, "培训要多久？")
    await fake_telegram.reply_to(STAFF, count=2)
    secret_part = fake_telegram.token.split(":")[1]
    assert caplog.records  # something was logged at all
    assert not [r for r in caplog.records if secret_part in r.getMessage()]
