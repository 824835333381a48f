"""The configured default language reaches the chat: ``build_application`` sets it for the process."""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.telegram.app import build_application
from tests.bot.telegram.conftest import polling
from tests.fakes.telegram_api import FakeTelegram


async def test_a_stranger_whose_client_speaks_none_of_ours_is_greeted_in_the_default(
    settings: Settings, ingested: KnowledgeCore, sessions: sessionmaker[Session], fake_telegram: FakeTelegram
) -> None:
    english = settings.model_copy(
        update={
            "telegram_token": SecretStr(fake_telegram.token),
            "telegram_base_url": fake_telegram.url,
            "default_language": "en",
        }
    )
    application = build_application(settings=english, core=ingested, sessions=sessions)
    async with polling(application):
        fake_telegram.send_text(7001, "/start", language_code="fr")
        fake_telegram.send_text(7002, "/start", language_code="zh-hant")
        french = await fake_telegram.reply_to(7001, count=1)
        traditional = await fake_telegram.reply_to(7002, count=1)

    assert str(french[-1]["text"]).startswith("Hi! I'm the change assistant.")
    assert str(traditional[-1]["text"]).startswith("你好！我是變革助手。")  # a language of ours stays theirs
