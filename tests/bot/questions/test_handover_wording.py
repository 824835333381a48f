"""Who has an escalated question, as its asker reads it: the same words in the web chat and in
Telegram, but for where the answer will come."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.questions.conversation import Handover
from bot.questions.wording import handover_notice

AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def _handover(**changes: object) -> Handover:
    fields: dict[str, object] = {"at": AT, "unit": "华东区-12号店", "people": ("李经理",), "reply_days": 1,
                                 "reply_to": ("web", "telegram"), "waiting": True}  # fmt: skip
    fields.update(changes)
    return Handover(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("read_in", "expected"),
    [
        (
            "web",
            "🙋 这个问题已转给华东区-12号店的李经理。通常 1 个工作日内会有回复。回复会显示在这里，也会发到你的 Telegram。",
        ),
        (
            "telegram",
            "🙋 这个问题已转给华东区-12号店的李经理。通常 1 个工作日内会有回复。回复会发到这里，网页聊天里也能看到。",
        ),
    ],
)
def test_the_same_words_in_both_channels_but_for_where(read_in: str, expected: str) -> None:
    assert handover_notice(_handover(), "zh-Hans", read_in=read_in) == expected  # type: ignore[arg-type]


def test_many_managers_the_change_team_and_an_answered_question() -> None:
    many = _handover(people=("甲", "乙", "丙", "丁"), reply_days=2)
    assert "甲、乙、丙等 4 人。通常 2 個工作日內會有回覆。" in handover_notice(many, "zh-Hant", read_in="web")
    assert handover_notice(_handover(unit=None), "en", read_in="telegram").startswith(
        "🙋 Your question is with the change team."
    )
    assert (
        handover_notice(_handover(waiting=False), "en", read_in="web")
        == "🙋 Your question is with 李经理 (华东区-12号店)."
    )
