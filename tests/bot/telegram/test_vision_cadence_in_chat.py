"""/vision's cadence in chat (issue 15), against the fake Bot API: a cadence typed in short or picked
from the presets, the next five sends on the manager's own clock before anything is saved, a
cadence typed again or picked again, and the series saved with the rhythm its preview showed. The
preview itself is a pure function of the moment, tested at a fixed one."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.broadcasts.models import VisionSeries
from bot.people.models import Person
from bot.scheduling.cadence import Cadence, CadenceParseError, parse_cadence
from bot.scheduling.models import Schedule
from bot.storage.database import transaction
from bot.telegram.dialogue_states import COMPOSE, VisionDraft, VisionStep
from bot.telegram.handlers.vision import cadence_problem_text, preview_text
from ingest.text import Language
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import _join
from tests.fakes.telegram_api import FakeTelegram

STAFF, REGION_MANAGER = 7301, 7302
BERLIN, SHANGHAI = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")
MONDAY_NOON_UTC = datetime(2027, 3, 22, 12, 0, tzinfo=UTC)


def _buttons(message: dict[str, Any]) -> list[str]:
    return [button["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for button in row]


async def _reply(fake: FakeTelegram, user_id: int, act: Any) -> dict[str, Any]:
    """Do ``act`` (a message or a press) and return the bot's next message to ``user_id``."""
    before = len(fake.sent(chat_id=user_id))
    act()
    return (await fake.reply_to(user_id, count=before + 1))[-1]


def test_the_preview_lists_the_next_five_on_the_readers_clock_in_their_language() -> None:
    fortnightly = Cadence(weekdays=(0, 3), at=time(9), every_weeks=2, anchor=date(2027, 3, 22))
    shown = preview_text(
        fortnightly, reader=BERLIN, zones=[SHANGHAI], now=MONDAY_NOON_UTC, language="zh-Hans"
    )
    assert shown.startswith(
        "每 2 周的周一、周四 09:00（每个人的当地时间）。\n接下来五次，按你的时间（Europe/Berlin）：\n"
    )
    assert re.findall(r"• (.*)", shown) == [
        "2027年3月25日 周四 09:00 UTC+1",
        "2027年4月5日 周一 09:00 UTC+2",  # Berlin is on summer time by then
        "2027年4月8日 周四 09:00 UTC+2",
        "2027年4月19日 周一 09:00 UTC+2",
        "2027年4月22日 周四 09:00 UTC+2",
    ]
    english = preview_text(fortnightly, reader=SHANGHAI, zones=[], now=MONDAY_NOON_UTC, language="en")
    assert "every 2 weeks: Mondays and Thursdays at 09:00 (each person's local time)" in english
    assert "• Thu 25 Mar 2027, 09:00 UTC+8" in english and "on your clock (Asia/Shanghai)" in english
    traditional = preview_text(
        fortnightly, reader=SHANGHAI, zones=[], now=MONDAY_NOON_UTC, language="zh-Hant"
    )
    assert "每 2 週的週一、週四 09:00" in traditional and "• 2027年3月25日 週四 09:00 UTC+8" in traditional


@pytest.mark.parametrize(
    ("typed", "language", "said"),
    [
        ("every monday", "zh-Hans", "这个频率看不懂：没有写几点。可以这样写：周一 周四 09:00 每2周"),
        ("週一 25:00", "zh-Hant", "這個頻率看不懂：沒有 25:00 這個時間。"),
        (
            "0 9 * * mon",
            "en",
            "I couldn't read that cadence: “0 9 * *” is not a day, a time or every N weeks.",
        ),
    ],
)
def test_a_typed_cadence_that_does_not_read_is_answered_in_the_persons_words(
    typed: str, language: Language, said: str
) -> None:
    with pytest.raises(CadenceParseError) as caught:
        parse_cadence(typed)
    assert cadence_problem_text(caught.value, language).startswith(said)


async def test_a_vision_cadence_picked_previewed_and_saved_in_chat(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    fake = fake_telegram
    await _join(fake, REGION_MANAGER, org.manager_code)
    await _join(fake, STAFF, org.staff_code)
    with transaction(sessions) as session:  # as /tz Europe/Berlin would set it
        session.execute(
            update(Person).where(Person.telegram_id == REGION_MANAGER).values(timezone="Europe/Berlin")
        )
    await _reply(fake, REGION_MANAGER, lambda: fake.send_text(REGION_MANAGER, "/vision"))
    for wording in ("让顾客少等一分钟。", "让门店少一份手工账。"):
        await _reply(fake, REGION_MANAGER, lambda w=wording: fake.send_text(REGION_MANAGER, w))
    asked = await _reply(fake, REGION_MANAGER, lambda: fake.send_text(REGION_MANAGER, "/done"))
    assert "周一 周四 09:00 每2周" in asked["text"] and "cron" not in asked["text"]
    assert _buttons(asked) == ["vis:weekly", "vis:twice", "vis:weekdays", "vis:biweekly"]

    wrong = await _reply(fake, REGION_MANAGER, lambda: fake.send_text(REGION_MANAGER, "周一 9:00 10:00"))
    assert "只能写一个时间" in wrong["text"]

    preview = await _reply(
        fake, REGION_MANAGER, lambda: fake.send_text(REGION_MANAGER, "周一 周四 09:00 每2周")
    )
    assert "每 2 周的周一、周四 09:00" in preview["text"] and "Europe/Berlin" in preview["text"]
    shown = re.findall(r"• (.*)", preview["text"])
    assert len(shown) == 5 and all(
        re.fullmatch(r"\d{4}年\d+月\d+日 周[一四] 09:00 UTC\+[12]", line) for line in shown
    )
    assert _buttons(preview) == ["vis:save", "vis:change"]
    with sessions() as session:  # nothing saved yet; the draft holds what was shown, anchored
        assert session.scalars(select(VisionSeries)).all() == []
        draft = COMPOSE.read(session, REGION_MANAGER)
        assert (
            isinstance(draft, VisionDraft) and draft.step is VisionStep.CONFIRM and draft.cadence is not None
        )
        assert draft.cadence.every_weeks == 2 and draft.cadence.anchor is not None
        assert draft.cadence.anchor.weekday() == 0

    # Staff are not in the dialogue: the buttons are stale to them.
    before = len(fake.sent("answerCallbackQuery"))
    fake.press(STAFF, "vis:save")
    answers = await fake.wait_for(lambda: len(a := fake.sent("answerCallbackQuery")) > before and a)
    assert answers[before]["text"] == "这个按钮已失效。"

    again = await _reply(fake, REGION_MANAGER, lambda: fake.press(REGION_MANAGER, "vis:change"))
    assert _buttons(again)[-1] == "vis:biweekly"
    biweekly = await _reply(fake, REGION_MANAGER, lambda: fake.press(REGION_MANAGER, "vis:biweekly"))
    assert "每 2 周的周一 09:00" in biweekly["text"]
    # Typed again at the preview: the new cadence replaces the one shown.
    preview = await _reply(
        fake, REGION_MANAGER, lambda: fake.send_text(REGION_MANAGER, "mon thu 09:00 every 2 weeks")
    )
    shown = re.findall(r"• (.*)", preview["text"])
    with sessions() as session:
        draft = COMPOSE.read(session, REGION_MANAGER)
        assert isinstance(draft, VisionDraft) and draft.cadence is not None
        anchor = draft.cadence.anchor

    created = await _reply(fake, REGION_MANAGER, lambda: fake.press(REGION_MANAGER, "vis:save"))
    assert "2 种说法" in created["text"] and "每 2 周的周一、周四 09:00" in created["text"]
    assert "华东区" in created["text"] and "cron" not in created["text"]
    assert re.search(r"下一次：(.*?)。", created["text"]).group(1) in shown[:2]  # type: ignore[union-attr]
    with sessions() as session:
        series = session.scalars(select(VisionSeries)).one()
        schedule = session.scalars(select(Schedule).where(Schedule.target_id == series.id)).one()
        assert series.audience == ["unit:华东区"]
        assert (schedule.cron, schedule.every_weeks, schedule.anchor_week) == ("0 9 * * mon,thu", 2, anchor)
        assert COMPOSE.read(session, REGION_MANAGER) is None  # the dialogue is over
