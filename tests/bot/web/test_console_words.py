"""The console's words: every language has every word, Traditional is really Traditional, and
stored values (statuses, lights, bands, dimensions) are shown in the reader's words."""

from __future__ import annotations

import pytest

from bot.web.console_text import CONSOLE, console_text, value_label


def test_every_language_has_every_word() -> None:
    keys = set(CONSOLE["zh-Hans"])
    assert set(CONSOLE["zh-Hant"]) == keys and set(CONSOLE["en"]) == keys


def test_traditional_is_the_simplified_wording_in_traditional_characters() -> None:
    simplified, traditional = console_text("zh-Hans"), console_text("zh-Hant")
    changed = [key for key in simplified if simplified[key] != traditional[key]]
    assert len(changed) > len(simplified) // 2  # most words have a character that differs
    assert traditional["knowledge"] == "知識庫" and traditional["waiting_review"] == "待審核"
    assert traditional["type"] == "類型" and "「有用」" in traditional["learned_hint"]
    assert traditional["trend"] == "近 8 週趨勢"  # weeks after a number, which s2twp leaves as 周
    assert not [word for word in traditional.values() if "周" in word]


@pytest.mark.parametrize(
    ("language", "value", "label"),
    [
        ("zh-Hans", "cognitive", "认知"),
        ("zh-Hant", "cognitive", "認知"),
        ("en", "cognitive", "cognitive"),
        ("zh-Hans", "scheduled", "待发送"),
        ("zh-Hant", "red", "紅燈"),
        ("zh-Hans", "high", "高"),
        ("zh-Hant", "survey", "調查邀請"),  # a broadcast's kind
        ("en", "escalation", "escalated question"),
        ("zh-Hans", "team-spirit", "team-spirit"),  # a dimension a change team named itself
    ],
)
def test_stored_values_are_shown_in_the_readers_words(language: str, value: str, label: str) -> None:
    assert value_label(console_text(language), value) == label
