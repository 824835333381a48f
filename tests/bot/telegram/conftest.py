"""A running bot, polling the fake Bot API server, with a small organisation and library."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.ext import Application

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.sender import DeliveryWorker, WorkerSettings
from bot.config import Settings
from bot.people.models import Role
from bot.people.service import add_unit, create_invite
from bot.storage.database import transaction
from bot.telegram.app import build_application
from bot.telegram.broadcast_sender import TelegramMessageSender
from tests.fakes.telegram_api import FakeTelegram, FakeTelegramServer


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegramServer() as state:
        yield state


@dataclass
class Org:
    staff_code: str
    manager_code: str


@pytest.fixture
def org(sessions: sessionmaker[Session]) -> Org:
    with transaction(sessions) as session:
        add_unit(session=session, name="港湾零售")
        add_unit(session=session, name="华东区", parent="港湾零售")
        add_unit(session=session, name="华东区-12号店", parent="华东区")
        staff = create_invite(session=session, unit_name="华东区-12号店", role=Role.STAFF, uses=50).code
        manager = create_invite(session=session, unit_name="华东区", role=Role.MANAGER, uses=5).code
    return Org(staff_code=staff, manager_code=manager)


@pytest.fixture
async def running_bot(
    settings: Settings, ingested: KnowledgeCore, sessions: sessionmaker[Session], fake_telegram: FakeTelegram
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    bot_settings = settings.model_copy(
        update={
            "telegram_token": fake_telegram.token,
            "telegram_base_url": fake_telegram.url,
            "admin_telegram_ids": (4242,),
            "questions_per_minute": 5,
        }
    )
    from pydantic import SecretStr

    bot_settings = bot_settings.model_copy(update={"telegram_token": SecretStr(fake_telegram.token)})
    application = build_application(settings=bot_settings, core=ingested, sessions=sessions)
    async with polling(application):
        yield application


@asynccontextmanager
async def polling(application: Application) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Start ``application`` polling the fake Bot API as fast as it answers; stop it on the way out."""
    await application.initialize()
    if application.post_init is not None:  # as the product starts it (bot.telegram.runner)
        await application.post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:  # as run_polling() and stop_telegram do
            await application.post_shutdown(application)


@asynccontextmanager
async def delivering_to(fake: FakeTelegram, sessions: sessionmaker[Session]) -> AsyncIterator[DeliveryWorker]:
    """The delivery worker a process runs beside its bot (``serve``), sending through ``fake``."""
    async with Bot(fake.token, base_url=fake.url) as bot:
        worker = DeliveryWorker(
            sessions=sessions,
            sender=TelegramMessageSender(bot),
            settings=WorkerSettings(rate_per_second=200, batch_size=20),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop=stop, idle_seconds=0.05))
        try:
            yield worker
        finally:
            stop.set()
            await task


@pytest.fixture
async def delivering(
    running_bot: Application,  # type: ignore[type-arg]
    sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
) -> AsyncIterator[DeliveryWorker]:
    """The delivery worker ``serve`` runs beside the bot: what the bot queues in the outbox (an
    escalated question for its managers, a manager's reply for the asker) arrives."""
    async with delivering_to(fake_telegram, sessions) as worker:
        yield worker
