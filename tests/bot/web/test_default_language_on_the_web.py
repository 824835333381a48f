"""The configured default language reaches the web app: ``create_app``'s lifespan sets it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.web.app import create_app


def test_a_browser_that_asks_for_none_of_ours_gets_the_default(
    settings: Settings, ingested: KnowledgeCore
) -> None:
    english = settings.model_copy(update={"default_language": "en"})
    with TestClient(create_app(english, core=ingested, run_scheduler=False)) as client:
        french = client.get("/", headers={"accept-language": "fr-FR,fr;q=0.9"})
        traditional = client.get("/", headers={"accept-language": "zh-TW"})

    assert '<html lang="en">' in french.text
    assert '<html lang="zh-Hant">' in traditional.text
