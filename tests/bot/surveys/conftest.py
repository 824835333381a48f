"""Survey tests: the process's survey key comes from the environment, never a file in the working
directory (services called without ``key=`` use ``process_pairing_key``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.surveys.pairing import process_pairing_key


@pytest.fixture(autouse=True)
def process_survey_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CHANGEBOT_SURVEY_KEY", "a test survey key, not a secret, 32+ characters")
    process_pairing_key.cache_clear()
    yield
    process_pairing_key.cache_clear()
