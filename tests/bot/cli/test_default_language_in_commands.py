"""The configured default language reaches every command: they all read their settings through
``bot.cli.common._settings``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import common
from bot.wording import default_language, pick


def test_a_command_words_for_the_configured_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("CHANGEBOT_DEFAULT_LANGUAGE", "zh-Hant")

    common._settings()

    assert default_language() == "zh-Hant"
    assert pick({"zh-Hans": "简体", "zh-Hant": "繁體", "en": "English"}, None) == "繁體"
