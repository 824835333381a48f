"""Pure time arithmetic: cron occurrences in local wall-clock time, time zones, quiet hours.

A cadence such as "Monday 09:00" means 09:00 on each person's own clock, so occurrences are kept as
naive wall-clock datetimes and turned into instants per time zone only when a copy is queued.

"Every N weeks" is more than a cron can say: a schedule keeps the cron for the days and the time, and
``every_weeks`` with an anchor week (a Monday) for the rhythm. An occurrence counts when its week is a
whole multiple of ``every_weeks`` weeks from the anchor week.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.errors import InvalidInputError

# Standard cron numbers the days of the week from Sunday (0 and 7); APScheduler 3 from Monday, so
# its ``from_crontab("0 9 * * 1")`` fires on Tuesdays. Numbers are rewritten as names before
# APScheduler reads them, so a cron means what it means in crontab(5) everywhere.
_CRON_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAME_NUMBERS = {name: number for number, name in enumerate(_CRON_DAY_NAMES)}


def _standard_days(field: str) -> str:
    """A day-of-week field with crontab(5)'s meaning, as names APScheduler reads the same way."""
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"bad step in day of week: {part!r}")
        if span == "*":
            low, high = 0, 6
        else:
            first, _, last = span.partition("-")
            low = _day_number(first)
            high = _day_number(last) if last else 6 if step else low  # "1/2": from Monday on
        if high < low:
            if high == 0:  # "5-0", "fri-sun": up to Sunday at the end of the week
                high = 7
            else:
                raise ValueError(f"day-of-week range runs backwards: {part!r}")
        days.update(day % 7 for day in range(low, high + 1, step or 1))
    return ",".join(_CRON_DAY_NAMES[day] for day in sorted(days))


def _day_number(text: str) -> int:
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)  # 7 is Sunday too; kept as 7 so that "1-7" runs Monday to Sunday
    if text in _NAME_NUMBERS:
        return _NAME_NUMBERS[text]
    raise ValueError(f"not a day of the week: {text!r}")


def standard_cron(expression: str) -> str:
    """``expression`` with its day-of-week field as names (crontab(5)'s Sunday = 0 or 7)."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    if fields[4] != "*":
        fields[4] = _standard_days(fields[4])
    return " ".join(fields)


def _trigger(expression: str) -> CronTrigger:
    try:
        # Wall-clock arithmetic in UTC: no daylight-saving gaps, the time zone is applied later.
        return CronTrigger.from_crontab(standard_cron(expression.strip()), timezone=UTC)
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


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


_MAX_SKIPS = 1000  # weeks searched for an occurrence on the rhythm before giving up


def next_occurrence(
    expression: str, *, after: datetime, every_weeks: int = 1, anchor: date | None = None
) -> datetime:
    """The first wall-clock time strictly after ``after`` (naive) that the cron expression names.

    With ``every_weeks`` above 1, only in weeks a whole multiple of ``every_weeks`` from the week of
    ``anchor``; without an anchor, the week of the first occurrence is the anchor.
    """
    if after.tzinfo is not None:
        raise ValueError("wall-clock times are naive")
    if every_weeks < 1:
        raise InvalidInputError(f"every {every_weeks} weeks: at least every week")
    trigger = _trigger(expression)
    start = after.replace(tzinfo=UTC) + timedelta(seconds=1)
    rhythm = week_start(anchor) if anchor is not None else None
    for _ in range(_MAX_SKIPS):
        fire = trigger.get_next_fire_time(None, start)
        if fire is None:
            break
        wall: datetime = fire.replace(tzinfo=None)
        week = week_start(wall.date())
        if every_weeks == 1 or rhythm is None:
            return wall
        off = (week - rhythm).days // 7 % every_weeks
        if off == 0:
            return wall
        # Not a week on the rhythm: carry on from the Monday of the next one that is.
        start = datetime.combine(week + timedelta(weeks=every_weeks - off), time(), tzinfo=UTC)
    raise InvalidInputError(f"cron expression {expression!r} never fires")


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


def parse_local_datetime(text: str, *, zone: ZoneInfo) -> datetime:
    """A date and time on the reader's clock (``2027-03-01T09:00``, as a browser's datetime-local
    field sends it, or ``2027-03-01 09:00``) as a UTC instant; one with its own offset keeps it."""
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInputError(f"not a date and time: {raw!r} (e.g. 2027-03-01 09:00)") from exc
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return wall_to_instant(parsed, zone)


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
