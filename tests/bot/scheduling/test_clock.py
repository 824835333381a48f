"""Cron occurrences in wall-clock time, time zones and quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInputError
from bot.scheduling.clock import (
    QuietHours,
    earliest_instant,
    next_occurrence,
    parse_quiet_hours,
    validate_cron,
    wall_to_instant,
)

SHANGHAI, TAIPEI, LONDON = ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Taipei"), ZoneInfo("Europe/London")


def test_next_occurrence_is_strictly_after() -> None:
    monday_nine = datetime(2026, 11, 23, 9, 0)  # a Monday
    assert next_occurrence("0 9 * * mon", after=datetime(2026, 11, 22, 12, 0)) == monday_nine
    assert next_occurrence("0 9 * * mon", after=monday_nine) == datetime(2026, 11, 30, 9, 0)
    assert next_occurrence("0 9 * * mon,thu", after=monday_nine) == datetime(2026, 11, 26, 9, 0)


@pytest.mark.parametrize("bad", ["", "every monday", "0 25 * * *", "* * * *", "0 9 * * funday"])
def test_bad_cron_is_refused_with_a_message(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="cron"):
        validate_cron(bad)


def test_wall_clock_time_per_zone() -> None:
    nine = datetime(2026, 11, 23, 9, 0)
    assert wall_to_instant(nine, SHANGHAI) == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert wall_to_instant(nine, LONDON) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert earliest_instant(nine, [LONDON, SHANGHAI, TAIPEI]) == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_quiet_hours_wrap_past_midnight() -> None:
    quiet = parse_quiet_hours("21:00-08:00")
    assert quiet == QuietHours(start=time(21), end=time(8))
    assert quiet.contains(time(22, 30)) and quiet.contains(time(7, 59)) and not quiet.contains(time(8))
    late_evening = datetime(2026, 11, 23, 22, 0, tzinfo=SHANGHAI)
    assert quiet.next_allowed(late_evening, SHANGHAI) == datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
    early_morning = datetime(2026, 11, 24, 6, 0, tzinfo=SHANGHAI)
    assert quiet.next_allowed(early_morning, SHANGHAI) == datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=SHANGHAI)
    assert quiet.next_allowed(noon, SHANGHAI) == noon


def test_quiet_hours_within_one_day() -> None:
    lunch = parse_quiet_hours("12:00-13:30")
    assert lunch is not None
    assert lunch.next_allowed(datetime(2026, 11, 24, 12, 10, tzinfo=TAIPEI), TAIPEI) == datetime(
        2026, 11, 24, 13, 30, tzinfo=TAIPEI
    )


@pytest.mark.parametrize("bad", ["9pm-8am", "21:00", "21:00-21:00", "25:00-08:00"])
def test_bad_quiet_hours(bad: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        parse_quiet_hours(bad)


def test_no_quiet_hours() -> None:
    assert parse_quiet_hours("  ") is None
