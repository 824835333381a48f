"""A cadence as people choose it (days of the week, a time of day, every N weeks) and the schedule
it is stored as.

People never see cron. ``schedule_rule`` is the one translation from a ``Cadence`` into what a
``Schedule`` keeps (a cron for the days and the time, ``every_weeks`` and an anchor week for the
rhythm); ``cadence_of`` reads a stored schedule back as a cadence when it is one, which is how series
stored as plain cron before cadences existed show as a cadence. ``next_send_times`` is the preview
both the console and the chat show before anything is saved, worked out exactly as the scheduler
will (``bot.scheduling.service``), so the preview is what happens.

The time of day is on each person's own clock, as every schedule's is: "Monday 09:00" reaches a
reader in Berlin at 09:00 in Berlin and a store in Shanghai at 09:00 in Shanghai. A preview shows
the reader those times on their own clock, with the offset, which changes across daylight saving.

``parse_cadence`` reads the short form typed in chat: ``周一 周四 09:00 每2周``, ``週一至週五 9:30``,
``mon thu 09:00 every 2 weeks``, ``weekdays 8:30``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Final, Self
from zoneinfo import ZoneInfo

from bot.errors import InvalidInputError
from bot.scheduling.clock import next_occurrence, validate_cron, wall_to_instant, week_start
from bot.scheduling.models import Schedule

WEEKDAY_CODES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_EVERY_WEEKS: Final = 4
PREVIEW_COUNT: Final = 5


@dataclass(frozen=True, slots=True)
class Cadence:
    """Days of the week (0 = Monday), a time of day on each person's clock, every N weeks (1-4).

    ``anchor`` is the Monday of a week it sends in, for ``every_weeks`` above 1; None until it is
    scheduled, when the week of the first send becomes the anchor.
    """

    weekdays: tuple[int, ...]
    at: time
    every_weeks: int = 1
    anchor: date | None = None

    def __post_init__(self) -> None:
        if not self.weekdays:
            raise InvalidInputError("choose at least one day of the week")
        if (
            any(not 0 <= day <= 6 for day in self.weekdays)
            or tuple(sorted(set(self.weekdays))) != self.weekdays
        ):
            raise InvalidInputError("days of the week are 0 (Monday) to 6 (Sunday), each once, in order")
        if not 1 <= self.every_weeks <= MAX_EVERY_WEEKS:
            raise InvalidInputError(f"every 1 to {MAX_EVERY_WEEKS} weeks, not {self.every_weeks}")
        if self.at.tzinfo is not None or self.at.second or self.at.microsecond:
            raise InvalidInputError("a time of day in hours and minutes, on each person's own clock")
        if self.anchor is not None and (self.every_weeks == 1 or self.anchor.weekday() != 0):
            raise InvalidInputError("an anchor week is a Monday, and only for every 2 or more weeks")

    @classmethod
    def of(
        cls, *, weekdays: Iterable[int], at: time, every_weeks: int = 1, anchor: date | None = None
    ) -> Self:
        """A cadence from days in any order (repeats ignored); an anchor moves to its Monday."""
        return cls(
            weekdays=tuple(sorted(set(weekdays))),
            at=at.replace(second=0, microsecond=0),
            every_weeks=every_weeks,
            anchor=week_start(anchor) if anchor is not None and every_weeks > 1 else None,
        )


@dataclass(frozen=True, slots=True)
class ScheduleRule:
    """What a ``Schedule`` stores: a wall-clock cron, and every how many weeks from which Monday."""

    cron: str
    every_weeks: int = 1
    anchor_week: date | None = None


def rule_of(schedule: Schedule) -> ScheduleRule:
    """What a stored ``schedule`` keeps, to describe it or preview its next sends."""
    return ScheduleRule(
        cron=schedule.cron, every_weeks=schedule.every_weeks, anchor_week=schedule.anchor_week
    )


def schedule_rule(cadence: Cadence) -> ScheduleRule:
    """The stored form of ``cadence``: the one place a cadence becomes cron."""
    days = ",".join(WEEKDAY_CODES[day] for day in cadence.weekdays)
    return ScheduleRule(
        cron=f"{cadence.at.minute} {cadence.at.hour} * * {days}",
        every_weeks=cadence.every_weeks,
        anchor_week=cadence.anchor,
    )


# Wall-clock samples (naive on purpose): two weeks from a Monday, and starts through a year.
_SAMPLE_MONDAY: Final = datetime.combine(date(2027, 1, 4), time())
_SAMPLE_STARTS: Final = tuple(
    datetime.combine(date(2027, month, 1), time()) for month in (1, 3, 4, 7, 10, 12)
)


def _occurrences(cron: str, *, after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    for _ in range(count):
        after = next_occurrence(cron, after=after)
        found.append(after)
    return found


def cadence_of(rule: ScheduleRule) -> Cadence | None:
    """The cadence a stored schedule is, or None when its cron says more than days and a time (the
    1st of each month, every six hours).

    Judged by when the cron fires, not by how it is written, so ``0 9 * * 1-5``, ``0 9 * * mon-fri``
    and ``0 9 * * mon,tue,wed,thu,fri`` all read as weekdays at 09:00, as the scheduler runs them.
    """
    try:
        cron = validate_cron(rule.cron)
        # Two weeks of it: a cadence fires at most once a day, so fifteen times is not one.
        window_end = _SAMPLE_MONDAY + timedelta(weeks=2)
        fires: list[datetime] = []
        after = _SAMPLE_MONDAY - timedelta(minutes=1)
        while len(fires) <= 14:
            after = next_occurrence(cron, after=after)
            if after >= window_end:
                break
            fires.append(after)
        times = {fire.time() for fire in fires}
        if not fires or len(times) != 1:
            return None
        candidate = Cadence.of(
            weekdays={fire.weekday() for fire in fires},
            at=times.pop(),
            every_weeks=rule.every_weeks,
            anchor=rule.anchor_week,
        )
        # The same days every week of the year (no month or day-of-month in the cron)?
        same_as = schedule_rule(replace(candidate, every_weeks=1, anchor=None)).cron
        for start in _SAMPLE_STARTS:
            if _occurrences(cron, after=start, count=30) != _occurrences(same_as, after=start, count=30):
                return None
    except InvalidInputError:
        return None
    return candidate


def _start_after(now: datetime, zones: Sequence[ZoneInfo]) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    # As the scheduler starts a new schedule: after the wall-clock time of the zone furthest ahead.
    return max(now.astimezone(tz).replace(tzinfo=None) for tz in zones)


def anchored(cadence: Cadence, *, now: datetime, zones: Sequence[ZoneInfo] = ()) -> Cadence:
    """``cadence`` with its anchor fixed, as scheduling it ``now`` would fix it: the week of its first
    send. A preview stores this, so what is saved later keeps the rhythm the preview showed."""
    if cadence.every_weeks == 1 or cadence.anchor is not None:
        return cadence
    rule = schedule_rule(cadence)
    first = next_occurrence(rule.cron, after=_start_after(now, zones or (ZoneInfo("UTC"),)))
    return replace(cadence, anchor=week_start(first.date()))


def next_send_times(
    cadence: Cadence | ScheduleRule,
    *,
    zone: ZoneInfo,
    now: datetime,
    count: int = PREVIEW_COUNT,
    zones: Sequence[ZoneInfo] = (),
) -> list[datetime]:
    """The next ``count`` sends after ``now`` on the clock of a reader in ``zone``.

    Args:
        cadence: what was picked, or a stored schedule's rule.
        zone: the reader's time zone; the times come back in it, with its offset on each day.
        now: the present moment (timezone-aware).
        count: how many.
        zones: every time zone the schedule's people are in: a new schedule starts after the
            wall-clock time of the one furthest ahead, so the preview does too.
    """
    rule = (
        schedule_rule(anchored(cadence, now=now, zones=(zone, *zones)))
        if isinstance(cadence, Cadence)
        else cadence
    )
    wall = _start_after(now, (zone, *zones))
    anchor = rule.anchor_week
    times: list[datetime] = []
    for _ in range(count):
        wall = next_occurrence(rule.cron, after=wall, every_weeks=rule.every_weeks, anchor=anchor)
        if anchor is None and rule.every_weeks > 1:
            anchor = week_start(wall.date())
        # A time that does not exist that day (clocks go forward over it) arrives when it would
        # have: 02:30 on the night clocks go from 02:00 to 03:00 is 03:30.
        times.append(wall_to_instant(wall, zone).astimezone(zone))
    return times


# ---------------------------------------------------------------- typed in chat


class CadenceProblem(StrEnum):
    """What is missing or wrong in a typed cadence, for the edge to say in the reader's words."""

    NO_DAYS = "no_days"
    NO_TIME = "no_time"
    TWO_TIMES = "two_times"
    BAD_TIME = "bad_time"
    BAD_WEEKS = "bad_weeks"
    UNREAD = "unread"


class CadenceParseError(InvalidInputError):
    """A typed cadence that does not read as one; ``problem`` says why, ``fragment`` what was not read."""

    def __init__(self, problem: CadenceProblem, fragment: str = "") -> None:
        self.problem, self.fragment = problem, fragment
        detail = f": {fragment!r}" if fragment else ""
        super().__init__(f"not a cadence ({problem.value}){detail}; e.g. 'mon thu 09:00 every 2 weeks'")


_ZH_DAY: Final = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_ZH_NUMBER: Final = {"二": 2, "两": 2, "兩": 2, "三": 3, "四": 4}
_EN_DAY: Final = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
_WEEK = "(?:周|週|星期|礼拜|禮拜)"
_DAY = "[一二三四五六日天]"
# "每2周" is every two weeks; in "每2周一" the 周 belongs to the Monday, so only "每2" is taken.
_WEEK_UNLESS_A_DAY = rf"(?:{_WEEK}(?!\s*{_DAY})|(?={_WEEK}\s*{_DAY}))"
_EN_DAY_NAME = "(?:" + "|".join(sorted(_EN_DAY, key=len, reverse=True)) + ")s?"

# Each pattern takes its match out of the text; whatever is left must be filler.
_EVERY_WEEKS: Final = (
    re.compile(rf"每\s*([1-9]|[二两兩三四])\s*[个個]?\s*{_WEEK_UNLESS_A_DAY}"),
    re.compile(rf"(?:每\s*隔\s*一\s*[个個]?|隔|[双雙])\s*{_WEEK_UNLESS_A_DAY}"),
    re.compile(r"\bevery\s+([1-9])\s+weeks?\b"),
    re.compile(r"\b(?:every\s+(?:other|second)\s+week|bi-?weekly|fortnightly)\b"),
)
_WEEKLY: Final = re.compile(rf"\b(?:every\s+week|weekly)\b|每\s*[个個]?\s*{_WEEK}(?!\s*{_DAY})")
_TIMES: Final = (
    re.compile(r"(?<![\d:])(\d{1,2})\s*:\s*(\d{2})\s*(am|pm)?(?![\d:])"),
    re.compile(r"(?<![\d:])(\d{1,2})\s*(am|pm)\b"),
    re.compile(
        r"(?:(早上|上午|中午|下午|晚上)\s*)?(?<![\d:])(\d{1,2})\s*[点點时時](?:\s*(半|\d{1,2})\s*分?)?"
    ),
)
_GROUPS: Final = (
    (re.compile(r"工作日|\bweekdays\b|\bworkdays\b|\bevery\s+weekday\b"), range(5)),
    (re.compile(r"每天|每日|天天|\bdaily\b|\bevery\s*day\b"), range(7)),
    (re.compile(r"[周週]末|\bweekends?\b"), (5, 6)),
)
_ZH_RANGE: Final = re.compile(rf"每?\s*{_WEEK}({_DAY})\s*(?:至|到|-|~|—|–)\s*(?:{_WEEK})?({_DAY})")
_ZH_DAYS: Final = re.compile(rf"每?\s*{_WEEK}({_DAY}(?:\s*[、,，和及与與/]?\s*{_DAY})*)")
_EN_RANGE: Final = re.compile(rf"\b({_EN_DAY_NAME})\s*(?:-|–|to|through)\s*({_EN_DAY_NAME})\b")
_EN_DAYS: Final = re.compile(rf"\b({_EN_DAY_NAME})\b")
_FILLER: Final = re.compile(
    r"[\s,，、;；.。/&+]|\b(?:and|at|on|every|each|send|local|time)\b|[和的在发發每逢于於]"
)


def _en_day(name: str) -> int:
    return _EN_DAY[name.removesuffix("s") if name.removesuffix("s") in _EN_DAY else name]


def _days_between(first: int, last: int) -> list[int]:
    return [day % 7 for day in range(first, first + (last - first) % 7 + 1)]


def _take(pattern: re.Pattern[str], text: str) -> tuple[list[re.Match[str]], str]:
    matches = list(pattern.finditer(text))
    return matches, pattern.sub(" ", text)


def _clock(hour: int, minute: int, half: str | None = None) -> time:
    if half in ("pm", "下午", "晚上") and hour < 12:
        hour += 12
    elif half in ("am",) and hour == 12:
        hour = 0
    elif half == "中午" and hour < 11:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise CadenceParseError(CadenceProblem.BAD_TIME, f"{hour}:{minute:02d}")
    return time(hour, minute)


def parse_cadence(typed: str) -> Cadence:
    """Read a cadence typed in chat, in any of the three languages; ``CadenceParseError`` otherwise.

    Days (``周一 周四``, ``週一至週五``, ``工作日``, ``每天``, ``mon thu``, ``mon-fri``, ``weekdays``),
    one time of day (``09:00``, ``9点半``, ``9am``) and optionally every N weeks (``每2周``, ``隔周``,
    ``every 2 weeks``, ``every other week``), in any order.
    """
    text = unicodedata.normalize("NFKC", typed).lower().strip()
    every_weeks = 1
    for pattern in _EVERY_WEEKS:
        matches, text = _take(pattern, text)
        for match in matches:
            raw = match.group(1) if match.groups() else None
            every_weeks = 2 if raw is None else int(raw) if raw.isdigit() else _ZH_NUMBER[raw]
    _, text = _take(_WEEKLY, text)
    if not 1 <= every_weeks <= MAX_EVERY_WEEKS:
        raise CadenceParseError(CadenceProblem.BAD_WEEKS, str(every_weeks))

    times: list[time] = []
    for index, pattern in enumerate(_TIMES):
        matches, text = _take(pattern, text)
        for match in matches:
            if index == 0:
                times.append(_clock(int(match.group(1)), int(match.group(2)), match.group(3)))
            elif index == 1:
                times.append(_clock(int(match.group(1)), 0, match.group(2)))
            else:
                minutes = match.group(3)
                minute = 30 if minutes == "半" else int(minutes) if minutes else 0
                times.append(_clock(int(match.group(2)), minute, match.group(1)))

    days: set[int] = set()
    for pattern, group in _GROUPS:
        matches, text = _take(pattern, text)
        if matches:
            days.update(group)
    matches, text = _take(_ZH_RANGE, text)
    for match in matches:
        days.update(_days_between(_ZH_DAY[match.group(1)], _ZH_DAY[match.group(2)]))
    matches, text = _take(_ZH_DAYS, text)
    for match in matches:
        days.update(_ZH_DAY[char] for char in match.group(1) if char in _ZH_DAY)
    matches, text = _take(_EN_RANGE, text)
    for match in matches:
        days.update(_days_between(_en_day(match.group(1)), _en_day(match.group(2))))
    matches, text = _take(_EN_DAYS, text)
    days.update(_en_day(match.group(1)) for match in matches)

    leftover = _FILLER.sub(" ", text).split()
    if leftover:
        raise CadenceParseError(CadenceProblem.UNREAD, " ".join(leftover))
    if not days:
        raise CadenceParseError(CadenceProblem.NO_DAYS)
    if not times:
        raise CadenceParseError(CadenceProblem.NO_TIME)
    if len(set(times)) > 1:
        raise CadenceParseError(CadenceProblem.TWO_TIMES)
    return Cadence.of(weekdays=days, at=times[0], every_weeks=every_weeks)
