"""Telegram unreachable at start-up: the web app serves anyway and the bot comes up by itself later;
a refused token is said plainly, without the token."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from telegram import Bot

from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.telegram.runner import TelegramTokenRejectedError, connect_bot_when_reachable
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram, FakeTelegramServer
from tests.utils.patience import EVENTUALLY
from tests.utils.processes import free_port


def _pointing_at(settings: Settings, fake: FakeTelegram, *, token: str | None = None) -> Settings:
    return settings.model_copy(
        update={
            "telegram_token": SecretStr(token or fake.token),
            "telegram_base_url": fake.url,
            "web_chat_open": True,
        }
    )


async def test_the_web_app_starts_without_telegram_and_the_bot_joins_when_it_answers(
    settings: Settings, ingested: KnowledgeCore
) -> None:
    server = FakeTelegramServer(port=free_port())  # not listening yet: the Bot API is "down"
    fake = server.state
    app = create_app(_pointing_at(settings, fake), core=ingested)
    with ExitStack() as running:
        # Entered first, left last: the fake Bot API outlives the app's open long poll.
        running.callback(server.__exit__)
        client = running.enter_context(TestClient(app))
        assert client.get("/healthz").status_code == 200
        asked = client.post("/api/ask", json={"question": "培训要多久？"})
        assert asked.status_code == 200 and asked.json()["answered"]
        server.__enter__()  # Telegram is back: the next retry starts the bot, nobody restarts anything
        fake.send_text(9300, "/help", language_code="en")
        assert await fake.reply_to(9300)


async def test_a_refused_token_stops_start_up_with_a_message_that_does_not_quote_it(
    settings: Settings, ingested: KnowledgeCore, fake_telegram: FakeTelegram
) -> None:
    wrong = "123456:not-the-token-BotFather-gave-us"
    app = create_app(_pointing_at(settings, fake_telegram, token=wrong), core=ingested)
    with pytest.raises(TelegramTokenRejectedError) as refused, TestClient(app):
        pass
    assert "CHANGEBOT_TELEGRAM_TOKEN" in str(refused.value)
    assert wrong not in str(refused.value) and refused.value.__cause__ is None


async def test_the_sender_waits_for_telegram_and_gives_up_only_on_a_refused_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeTelegramServer(port=free_port())
    fake = server.state
    stop = asyncio.Event()
    bot = Bot(fake.token, base_url=fake.url)
    waiting = asyncio.create_task(connect_bot_when_reachable(bot, stop=stop, first_delay=0.2, max_delay=0.5))
    await asyncio.sleep(0.8)
    assert not waiting.done()  # still trying, not crashed
    with server:
        assert await asyncio.wait_for(waiting, timeout=EVENTUALLY) is True
        await bot.shutdown()

        wrong = "654321:revoked-token"
        caplog.set_level(logging.INFO)
        started = time.monotonic()
        refused = await connect_bot_when_reachable(Bot(wrong, base_url=fake.url), stop=stop, first_delay=5)
        assert refused is False and time.monotonic() - started < 5  # no retry on a refused token
    ours = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("bot."))
    assert "refused CHANGEBOT_TELEGRAM_TOKEN" in ours
    assert wrong not in ours and fake.token not in ours  # (httpx's own lines are silenced in production)
