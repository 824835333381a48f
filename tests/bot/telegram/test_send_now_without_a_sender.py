"""A manager's "send now" in chat while no sender worker runs is told that nothing is being delivered
yet and how to start one (a scheduled story: that it goes out only once a sender runs); with the
sender running beside the bot, the confirmation is as before. End to end against the fake Bot API."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.broadcasts.sender import DeliveryWorker
from bot.broadcasts.senders import delivery_running
from bot.people.models import Role
from bot.people.service import create_invite
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.bot.telegram.test_scenarios import _join
from tests.fakes.telegram_api import FakeTelegram
from tests.utils.patience import EVENTUALLY

MANAGER = 7300
STORY = "12号店用服务中台排班以后，店长每周排班从3小时降到1小时。"
NOT_DELIVERING = "现在没有发送进程在运行，推送还不会送出。请启动 `changebot worker`，或设好 Telegram token 后启动 `changebot serve`。"
WAITS = "到时间后也要等发送进程启动才会送出"


def _buttons(message: dict[str, Any]) -> list[str]:
    return [button["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for button in row]


async def _preview(fake: FakeTelegram, sessions: sessionmaker[Session]) -> tuple[list[str], int]:
    """A store manager writes a story and gets to its preview: (its buttons, messages so far)."""
    with transaction(sessions) as session:
        add = create_invite(session=session, unit_name="华东区-12号店", role=Role.MANAGER).code
    await _join(fake, MANAGER, add)
    fake.send_text(MANAGER, "/story")
    await fake.reply_to(MANAGER, count=2)
    fake.send_text(MANAGER, STORY)
    await fake.reply_to(MANAGER, count=3)
    fake.send_text(MANAGER, "/skip")
    messages = await fake.reply_to(MANAGER, count=6)
    return _buttons(messages[-1]), len(messages)


async def test_send_now_without_a_sender_says_nothing_is_delivered_yet(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: object,
    sessions: sessionmaker[Session],
) -> None:
    fake = fake_telegram
    actions, count = await _preview(fake, sessions)
    fake.press(MANAGER, actions[0])  # send to my unit now
    reply = (await fake.reply_to(MANAGER, count=count + 1))[-1]["text"]
    assert reply.startswith("正在发给 华东区-12号店") and NOT_DELIVERING in reply

    fake.send_text(MANAGER, "/broadcasts")  # where it says to follow it: still waiting, and why
    listing = (await fake.reply_to(MANAGER, count=count + 2))[-1]["text"]
    assert "[story]" in listing and NOT_DELIVERING in listing


async def test_a_story_scheduled_without_a_sender_goes_out_only_once_one_runs(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: object,
    sessions: sessionmaker[Session],
) -> None:
    fake = fake_telegram
    actions, count = await _preview(fake, sessions)
    fake.press(MANAGER, actions[1])  # schedule
    await fake.reply_to(MANAGER, count=count + 1)
    fake.send_text(MANAGER, "2099-01-05 09:00")
    reply = (await fake.reply_to(MANAGER, count=count + 2))[-1]["text"]
    assert "已安排：2099-01-05 09:00" in reply and WAITS in reply
    fake.send_text(MANAGER, "/broadcasts")  # and the list of what is scheduled says it too
    listing = (await fake.reply_to(MANAGER, count=count + 3))[-1]["text"]
    assert "2099-01-05 09:00" in listing and WAITS in listing


async def test_send_now_with_the_sender_running_is_confirmed_as_before(
    delivering: DeliveryWorker,
    fake_telegram: FakeTelegram,
    org: object,
    sessions: sessionmaker[Session],
) -> None:
    def reported() -> bool:
        with sessions() as session:
            return delivery_running(session=session, now=utc_now())

    async with asyncio.timeout(EVENTUALLY):  # its first heartbeat
        while True:
            if await asyncio.to_thread(reported):
                break
            await asyncio.sleep(0.02)
    fake = fake_telegram
    actions, count = await _preview(fake, sessions)
    fake.press(MANAGER, actions[0])

    def confirmations() -> list[str]:
        # The running sender delivers the story to the manager too (they are in the unit), and
        # that copy may arrive before or after the confirmation: look for the confirmation itself.
        return [
            m["text"] for m in fake.sent(chat_id=MANAGER)[count:] if m.get("text", "").startswith("正在发给")
        ]

    (reply,) = await fake.wait_for(confirmations)
    assert reply == "正在发给 华东区-12号店。发送 /broadcasts 查看送达情况。"
