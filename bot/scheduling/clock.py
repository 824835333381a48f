"""Pure time arithmetic: cron occurrences in local wall-clock time, time zones, quiet hours.

A cadence such as "Monday 09:00" means 09:00 on each person's own clock, so occurrences are kept as
naive wall-clock datetimes and turned into instants per time zone only when a copy is queued.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.errors import InvalidInputError


def _trigger(expression: str) -> CronTrigger:
    try:
        # Wall-clock arithmetic in UTC: no daylight-saving gaps, the time zone is applied later.
        return CronTrigger.from_crontab(expression.strip(), timezone=UTC)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(
            f"not a cron expression: {expression!r} ({exc}); use five fields, e.g. '0 9 * * mon'"
        ) from exc


def validate_cron(expression: str) -> str:
    """Return the expression stripped, or raise ``InvalidInputError`` saying what is wrong."""
    _trigger(expression)
    return expression.strip()


def shortest_gap(expression: str, *, occurrences: int = 60) -> timedelta:
    """The shortest time between two consecutive occurrences, over a year's sample of them.

    Sampled from several starting points through the year, so a cadence that is tight only on
    some days ("every minute on Mondays") is caught whatever today is.
    """
    trigger = _trigger(expression)
    gaps: list[timedelta] = []
    for month in (1, 4, 7, 10):
        previous = datetime(2027, month, 1, tzinfo=UTC)
        fire = trigger.get_next_fire_time(None, previous)
        for _ in range(occurrences):
            if fire is None:
                break
            following = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
            if following is None:
                break
            gaps.append(following - fire)
            fire = following
    return min(gaps) if gaps else timedelta.max


def check_cadence(expression: str, *, at_least: timedelta) -> str:
    """``validate_cron``, and refuse a cadence that fires more often than ``at_least``."""
    expression = validate_cron(expression)
    if shortest_gap(expression) < at_least:
        hours = at_least.total_seconds() / 3600
        raise InvalidInputError(
            f"{expression!r} fires too often: people get at most one message every {hours:g} hours "
            "from a series (e.g. '0 9 * * mon' for Mondays at 09:00)"
        )
    return expression


def next_occurrence(expression: str, *, after: datetime) -> datetime:
    """The first wall-clock time strictly after ``after`` (naive) that the cron expression names."""
    if after.tzinfo is not None:
        raise ValueError("wall-clock times are naive")
    fire = _trigger(expression).get_next_fire_time(None, after.replace(tzinfo=UTC) + timedelta(seconds=1))
    if fire is None:
        raise InvalidInputError(f"cron expression {expression!r} never fires")
    wall: datetime = fire.replace(tzinfo=None)
    return wall


def zone(name: str | None, *, default: str) -> ZoneInfo:
    """The time zone called ``name``, or ``default`` when it is empty or unknown."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def check_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA time zone, else raise ``InvalidInputError``."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInputError(f"unknown time zone {name!r}; use a name such as Asia/Shanghai") from exc
    return name


def wall_to_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which clocks in ``tz`` show ``wall``."""
    return wall.replace(tzinfo=tz).astimezone(UTC)


def earliest_instant(wall: datetime, zones: Iterable[ZoneInfo]) -> datetime:
    """When the first of ``zones`` reaches ``wall`` (the easternmost clock gets there first)."""
    return min(wall_to_instant(wall, tz) for tz in zones)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A nightly window without pushes, in local time; ``start > end`` wraps past midnight."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        """Whether ``local`` falls inside the window."""
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, instant: datetime, tz: ZoneInfo) -> datetime:
        """``instant`` itself if outside the window in ``tz``, else the moment the window ends."""
        local = instant.astimezone(tz)
        if not self.contains(local.time()):
            return instant
        end = datetime.combine(local.date(), self.end)
        if end.time() <= local.time().replace(tzinfo=None):  # the window ends tomorrow morning
            end += timedelta(days=1)
        return wall_to_instant(end, tz)


def parse_quiet_hours(value: str) -> QuietHours | None:
    """Parse ``HH:MM-HH:MM``; empty means no quiet hours."""
    value = value.strip()
    if not value:
        return None
    try:
        start_text, end_text = value.split("-")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    except ValueError as exc:
        raise ValueError(f"quiet hours must look like 21:00-08:00, not {value!r}") from exc
    if start == end:
        raise ValueError("quiet hours must not start and end at the same time")
    return QuietHours(start=start, end=end)
