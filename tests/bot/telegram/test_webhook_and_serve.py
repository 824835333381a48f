"""The bot inside the web app: long polling from the lifespan, and webhook mode with its secret."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.web.app import create_app
from tests.bot.telegram.conftest import Org
from tests.fakes.telegram_api import FakeTelegram
from tests.utils.patience import EVENTUALLY


def _with_bot(settings: Settings, fake: FakeTelegram, **extra: object) -> Settings:
    return settings.model_copy(
        update={"telegram_token": SecretStr(fake.token), "telegram_base_url": fake.url, **extra}
    )


async def test_serve_runs_the_bot_with_long_polling(
    settings: Settings, ingested: KnowledgeCore, fake_telegram: FakeTelegram
) -> None:
    app = create_app(_with_bot(settings, fake_telegram), core=ingested)
    with TestClient(app):
        fake_telegram.send_text(9100, "/help", language_code="en")
        await fake_telegram.reply_to(9100)
    assert fake_telegram.sent("setMyCommands")


def test_webhook_checks_the_secret_and_rejects_malformed_updates(
    settings: Settings, ingested: KnowledgeCore, fake_telegram: FakeTelegram, org: Org, tmp_path: Path
) -> None:
    configured = _with_bot(
        settings,
        fake_telegram,
        telegram_webhook_url="https://bot.example.invalid/telegram/webhook",
        telegram_webhook_secret=SecretStr("s3cret-token"),
    )
    with TestClient(create_app(configured, core=ingested)) as client:
        assert fake_telegram.sent("setWebhook")[0]["secret_token"] == "s3cret-token"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1_790_000_000,
                "chat": {"id": 9200, "type": "private"},
                "from": fake_telegram.user(9200),
                "text": f"/start {org.staff_code}",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        assert client.post("/telegram/webhook", json=update).status_code == 403
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        assert client.post("/telegram/webhook", json=update, headers=wrong).status_code == 403
        good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        bad = client.post("/telegram/webhook", content=b"{not json", headers=good)
        assert bad.status_code == 400
        missing_fields = client.post(
            "/telegram/webhook", content=json.dumps({"update_id": 2, "message": {}}), headers=good
        )
        assert missing_fields.status_code == 400
        assert client.post("/telegram/webhook", json=update, headers=good).json() == {"ok": True}
        import time

        deadline = time.monotonic() + EVENTUALLY
        while not fake_telegram.sent(chat_id=9200) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "华东区-12号店" in fake_telegram.sent(chat_id=9200)[0]["text"]


def test_webhook_is_404_without_a_bot(settings: Settings, ingested: KnowledgeCore) -> None:
    with TestClient(create_app(settings, core=ingested)) as client:
        assert client.post("/telegram/webhook", json={"update_id": 1}).status_code == 404
