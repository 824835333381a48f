"""Broadcasts delivered through the real Telegram adapter to the fake Bot API, reactions recorded."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.sender import DeliveryWorker, WorkerSettings
from bot.broadcasts.service import broadcast_status, create_broadcast
from bot.config import Settings
from bot.storage.database import transaction
from bot.telegram.broadcast_sender import TelegramMessageSender
from bot.web.app import create_app
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import _join
from tests.fakes.telegram_api import FakeTelegram

FAST = WorkerSettings(rate_per_second=200, batch_size=20)


async def test_broadcast_with_clap_acknowledge_and_a_blocked_recipient(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    for user in (5001, 5002, 5003):
        await _join(fake_telegram, user, org.staff_code)
    fake_telegram.blocked_chats.add(5003)
    fake_telegram.scripted["sendMessage"] = [
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests",
                "parameters": {"retry_after": 1},
            },
        )
    ]
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(
            session=session, text="本周成功故事：华东12号店", selectors=["unit:华东区"], must_read=True
        ).id
    bot = Bot(fake_telegram.token, base_url=fake_telegram.url)
    async with bot:
        worker = DeliveryWorker(sessions=sessions, sender=TelegramMessageSender(bot), settings=FAST)
        await worker.run_until_idle()
    copies = [m for m in fake_telegram.sent() if m["text"] == "本周成功故事：华东12号店"]
    # The first request (whichever copy it carried: several are in flight at once) was refused with
    # 429 and retried; 5003's copy was refused with 403.
    assert sorted(m["chat_id"] for m in copies) == sorted([5001, 5002, 5003, copies[0]["chat_id"]])
    buttons = next(m for m in copies if m["chat_id"] == 5001)["reply_markup"]["inline_keyboard"][0]
    fake_telegram.press(5001, buttons[0]["callback_data"])
    fake_telegram.press(5001, buttons[1]["callback_data"])
    fake_telegram.press(5002, buttons[0]["callback_data"])  # not 5002's copy
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent("answerCallbackQuery")) >= 3)
    with sessions() as session:
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
    assert figures["recipients"] == 3 and figures["delivered"] == 2 and figures["blocked"] == 1
    assert figures["reactions"] == 1 and figures["acknowledged"] == 1


async def test_serve_runs_the_delivery_worker(
    settings: Settings, ingested: KnowledgeCore, fake_telegram: FakeTelegram, org: Org, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    configured = settings.model_copy(
        update={
            "telegram_token": SecretStr(fake_telegram.token),
            "telegram_base_url": fake_telegram.url,
        }
    )
    with TestClient(create_app(configured, core=ingested)) as client:
        sessions = client.app.state.sessions  # type: ignore[attr-defined]
        fake_telegram.send_text(5001, f"/start {org.staff_code}")
        await fake_telegram.reply_to(5001)
        with transaction(sessions) as session:
            create_broadcast(session=session, text="愿景：让每位顾客少等一分钟")
        await fake_telegram.wait_for(
            lambda: any(m["text"].startswith("愿景") for m in fake_telegram.sent(chat_id=5001))
        )
        await asyncio.sleep(0)


async def test_a_read_timeout_is_uncertain_not_sent_again(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    await _join(fake_telegram, 5001, org.staff_code)
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(session=session, text="慢回应", selectors=["unit:华东区"]).id
    welcomed = fake_telegram.delivered[5001]
    bot = Bot(fake_telegram.token, base_url=fake_telegram.url, request=HTTPXRequest(read_timeout=0.2))
    async with bot:
        fake_telegram.latency = 0.6  # Telegram takes the message, then answers after the client gave up
        worker = DeliveryWorker(
            sessions=sessions, sender=TelegramMessageSender(bot), settings=WorkerSettings(max_attempts=5)
        )
        await worker.run_until_idle()
    fake_telegram.latency = 0.0
    assert fake_telegram.delivered[5001] == welcomed + 1  # once: a read timeout is never retried
    with sessions() as session:
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
    assert figures["uncertain"] == 1 and figures["delivered"] == 0 and figures["status"] == "sent"
