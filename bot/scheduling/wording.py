"""Dates, times and cadences as a person reads them: on their own clock, in their language.

One wording for the console and the chat, so the two never show the same moment two ways. A time is
shown in the reader's time zone (``zone``) with, where it helps, the offset (``UTC+8``): an offset
reads the same in every language, names no country, and changes visibly across daylight saving
(``UTC+1`` in winter Berlin, ``UTC+2`` in summer), where an abbreviation such as ``CST`` names three
zones on three continents.

A naive datetime is a wall-clock time (a schedule's occurrence: 09:00 on each person's clock) and is
shown as that time on the reader's clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.scheduling.cadence import Cadence, ScheduleRule, cadence_of
from bot.scheduling.clock import standard_cron, validate_cron, wall_to_instant
from bot.wording import pick, reader_language

WEEKDAY_SHORT: Final[dict[str, tuple[str, ...]]] = {
    "zh-Hans": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "zh-Hant": ("週一", "週二", "週三", "週四", "週五", "週六", "週日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_WEEKDAY_PLURAL_EN: Final = (
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
    "Sundays",
)
_MONTH_EN: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_LONG_EN: Final = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)  # fmt: skip

_WORDS: Final[dict[str, dict[str, str]]] = {
    "zh-Hans": {
        "daily": "每天", "weekdays": "工作日", "weekends": "周末", "weekly": "每{days}", "join": "、",
        "every_n": "每 {n} 周的{what}", "at": "{what} {time}", "local": "（每个人的当地时间）",
        "custom": "自定义周期（cron：{cron}）", "cron_plain": "{what}（cron：{cron}）", "month_days": "每月{days}",
        "month_day": "{n}日", "in_months": "{months}的{what}", "month": "{n}月",
        "times_in": "时间按 {zone}",
    },
    "zh-Hant": {
        "daily": "每天", "weekdays": "工作日", "weekends": "週末", "weekly": "每{days}", "join": "、",
        "every_n": "每 {n} 週的{what}", "at": "{what} {time}", "local": "（每個人的當地時間）",
        "custom": "自訂週期（cron：{cron}）", "cron_plain": "{what}（cron：{cron}）", "month_days": "每月{days}",
        "month_day": "{n}日", "in_months": "{months}的{what}", "month": "{n}月",
        "times_in": "時間依 {zone}",
    },
    "en": {
        "daily": "every day", "weekdays": "weekdays", "weekends": "weekends", "weekly": "{days}", "join": ", ",
        "every_n": "every {n} weeks: {what}", "at": "{what} at {time}", "local": " (each person's local time)",
        "custom": "a custom cadence (cron: {cron})", "cron_plain": "{what} (cron: {cron})",
        "month_days": "on day {days} of each month", "month_day": "{n}", "in_months": "{what} in {months}",
        "month": "{n}", "times_in": "Times in {zone}",
    },
}  # fmt: skip


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    # Naive: a wall-clock time, the same on every clock; shown on the reader's.
    return wall_to_instant(value, zone).astimezone(zone) if value.tzinfo is None else value.astimezone(zone)


def offset_label(value: datetime) -> str:
    """``UTC+8``, ``UTC-3:30``, ``UTC``: the offset of an aware datetime."""
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(zone: ZoneInfo, *, now: datetime) -> str:
    """The zone's name and its offset now: ``Asia/Shanghai (UTC+8)``."""
    return f"{zone.key} ({offset_label(now.astimezone(zone))})"


def local_time_text(value: datetime, *, zone: ZoneInfo, language: str | None, show_zone: bool = False) -> str:
    """A moment on the reader's clock: ``2027年3月1日 周一 09:00``, ``Mon 1 Mar 2027, 09:00``.

    Args:
        value: aware (a moment) or naive (a wall-clock time, such as a schedule's occurrence).
        zone: the reader's time zone.
        language: zh-Hans, zh-Hant or en (anything else reads as the configured default).
        show_zone: add the offset that day, for a time read on its own or in a list that may cross
            a change of daylight saving.
    """
    language = reader_language(language)
    local = _aware(value, zone)
    weekday = pick(WEEKDAY_SHORT, language)[local.weekday()]
    if language == "en":
        text = f"{weekday} {local.day} {_MONTH_EN[local.month - 1]} {local.year}, {local:%H:%M}"
    else:
        text = f"{local.year}年{local.month}月{local.day}日 {weekday} {local:%H:%M}"
    return f"{text} {offset_label(local)}" if show_zone else text


def local_date_text(value: date | datetime, *, zone: ZoneInfo, language: str | None) -> str:
    """A day as the reader names it: ``2027年3月1日``, ``1 Mar 2027`` (a moment: its day on their clock)."""
    language = reader_language(language)
    day = _aware(value, zone).date() if isinstance(value, datetime) else value
    if language == "en":
        return f"{day.day} {_MONTH_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def times_in_text(zone: ZoneInfo, *, now: datetime, language: str | None) -> str:
    """The note a page shows once: which clock its times are on."""
    return pick(_WORDS, language)["times_in"].format(zone=zone_label(zone, now=now))


def _days_text(weekdays: tuple[int, ...], language: str, *, every_week: bool = True) -> str:
    words = pick(_WORDS, language)
    if weekdays == tuple(range(7)):
        return words["daily"]
    if weekdays == tuple(range(5)):
        return words["weekdays"]
    if weekdays == (5, 6):
        return words["weekends"]
    if language == "en":
        return words["weekly"].format(days=_listed([_WEEKDAY_PLURAL_EN[day] for day in weekdays]))
    names = words["join"].join(pick(WEEKDAY_SHORT, language)[day] for day in weekdays)
    return words["weekly"].format(days=names) if every_week else names


def _listed(names: list[str]) -> str:
    """``Mondays``, ``Mondays and Thursdays``, ``Mondays, Wednesdays and Fridays``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe_cadence(cadence: Cadence, language: str | None, *, local_note: bool = False) -> str:
    """``每周一、周四 09:00``, ``every 2 weeks: Mondays and Thursdays at 09:00``, ``weekdays at 08:30``."""
    language = reader_language(language)
    words = pick(_WORDS, language)
    days = _days_text(cadence.weekdays, language, every_week=cadence.every_weeks == 1)
    what = words["at"].format(what=days, time=f"{cadence.at:%H:%M}")
    if cadence.every_weeks > 1:
        what = words["every_n"].format(n=cadence.every_weeks, what=what)
    return what + (words["local"] if local_note else "")


def _numbers(field: str) -> list[int] | None:
    """A cron field of plain numbers and ranges (``1,15``, ``1-5``), or None for anything else."""
    found: list[int] = []
    for part in field.split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            return None
        found.extend(range(int(low), int(high or low) + 1))
    return sorted(set(found))


def _weekdays_of(field: str) -> tuple[int, ...] | None:
    """The days a cron's day-of-week field fires on, as the scheduler reads it (0 = Monday here;
    the field itself counts from Sunday, as in crontab(5))."""
    try:
        probe = CronTrigger.from_crontab(standard_cron(f"0 0 * * {field}"), timezone=UTC)
    except (ValueError, KeyError, TypeError):
        return None
    monday = datetime(2027, 1, 4, tzinfo=UTC)
    days = set()
    for offset in range(7):
        day = monday + timedelta(days=offset)
        fire = probe.get_next_fire_time(None, day)
        if fire is not None and fire == day:
            days.add(offset)
    return tuple(sorted(days)) or None


def describe_cron(cron: str, language: str | None) -> str:
    """A cron that is not a weekly cadence, in plain words with the cron after it: ``每月1日 09:00``;
    one too intricate to put in words reads as a custom cadence, the cron beside it."""
    language = reader_language(language)
    words = pick(_WORDS, language)
    cron = validate_cron(cron)
    minute, hour, day_of_month, month, day_of_week = cron.split()
    minutes, hours = _numbers(minute), _numbers(hour)
    days = _numbers(day_of_month) if day_of_month != "*" else []
    months = _numbers(month) if month != "*" else []
    weekdays = _weekdays_of(day_of_week) if day_of_week != "*" else tuple(range(7))
    if minutes is None or hours is None or days is None or months is None or weekdays is None:
        return words["custom"].format(cron=cron)
    if len(minutes) * len(hours) > 4 or (days and weekdays != tuple(range(7))):
        return words["custom"].format(cron=cron)
    clock = words["join"].join(f"{h:02d}:{m:02d}" for h in hours for m in minutes)
    if days:
        what = words["month_days"].format(
            days=words["join"].join(words["month_day"].format(n=day) for day in days)
        )
    else:
        what = _days_text(weekdays, language)
    if months:
        if language == "en":
            listed = _listed([_MONTH_LONG_EN[m - 1] for m in months if 1 <= m <= 12])
        else:
            listed = words["join"].join(words["month"].format(n=m) for m in months)
        what = words["in_months"].format(months=listed, what=what)
    return words["cron_plain"].format(what=words["at"].format(what=what, time=clock), cron=cron)


def describe_rule(rule: ScheduleRule, language: str | None) -> str:
    """A stored schedule in plain words: as a cadence when it is one, else the cron described."""
    cadence = cadence_of(rule)
    if cadence is not None:
        return describe_cadence(cadence, language)
    return describe_cron(rule.cron, language)
