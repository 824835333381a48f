"""Telegram while the Chroma server is down: a polite reply in the asker's language, nothing recorded,
and answers again once the server is back (a real `chroma run`, killed and started again)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.config import Settings
from bot.questions.models import AskedQuestion
from bot.telegram.app import build_application
from bot.telegram.texts import text
from tests.bot.telegram.conftest import Org, polling
from tests.conftest import write_library
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.telegram_api import FakeTelegram
from tests.utils.chroma import ChromaServer, chroma_server
from tests.utils.databases import sessions_for

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),  # chromadb's pooled sockets, see tests/ingest
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

QUESTION = "What happens after two red weeks in a row?"  # English: dense search, so Chroma, takes part


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    with chroma_server(tmp_path) as running:
        yield running


@pytest.fixture
def served_core(settings: Settings, server: ChromaServer) -> Iterator[KnowledgeCore]:
    write_library(settings.knowledge_dir)
    on_server = settings.model_copy(
        update={"chroma_url": server.url, "chroma_retry_s": 0.2, "chroma_timeout_s": 2.0}
    )
    core = build_knowledge_core(on_server, sessions=sessions_for(on_server), embedder=FakeEmbedder())
    core.ingest()
    yield core
    core.close()


@pytest.fixture
async def bot_on_server(
    settings: Settings,
    served_core: KnowledgeCore,
    sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    bot_settings = settings.model_copy(
        update={"telegram_token": SecretStr(fake_telegram.token), "telegram_base_url": fake_telegram.url}
    )
    application = build_application(settings=bot_settings, core=served_core, sessions=sessions)
    async with polling(application):
        yield application


async def _ask(fake: FakeTelegram, user_id: int, question: str, *, language_code: str) -> str:
    before = len(fake.sent(chat_id=user_id))
    fake.send_text(user_id, question, language_code=language_code)
    return str((await fake.reply_to(user_id, count=before + 1))[-1]["text"])


@pytest.mark.usefixtures("bot_on_server")
async def test_a_down_chroma_server_gets_a_polite_reply_in_the_askers_language_and_recovers(
    fake_telegram: FakeTelegram, org: Org, sessions: sessionmaker[Session], server: ChromaServer
) -> None:
    askers = {8001: ("en", "en"), 8002: ("zh-hant", "zh-Hant"), 8003: ("zh-hans", "zh-Hans")}
    for user_id, (code, _) in askers.items():
        await _ask(fake_telegram, user_id, f"/start {org.staff_code}", language_code=code)
    assert "Two red weeks" in await _ask(fake_telegram, 8001, QUESTION, language_code="en")

    server.kill()
    for user_id, (code, language) in askers.items():
        reply = await _ask(fake_telegram, user_id, QUESTION, language_code=code)
        assert reply == text("unavailable", language)
    with sessions() as session:
        asked = session.scalars(select(AskedQuestion)).all()
        # Only the question answered before the outage: a store that is down is not a knowledge gap.
        assert [question.status for question in asked] == ["closed"]

    server.start()
    await asyncio.sleep(0.3)  # past the pause before reconnecting
    assert "Two red weeks" in await _ask(fake_telegram, 8002, QUESTION, language_code="zh-hant")
