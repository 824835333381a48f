"""Cron occurrences in wall-clock time, time zones and quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInputError
from bot.scheduling.clock import (
    QuietHours,
    earliest_instant,
    next_occurrence,
    parse_quiet_hours,
    standard_cron,
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


@pytest.mark.parametrize(
    ("days", "fires_on"),
    [
        ("1", {"Mon"}),  # APScheduler 3 alone reads 1 as Tuesday
        ("0", {"Sun"}),
        ("7", {"Sun"}),
        ("1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("mon-fri", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("1,3", {"Mon", "Wed"}),
        ("*/2", {"Sun", "Tue", "Thu", "Sat"}),
        ("5-0", {"Fri", "Sat", "Sun"}),
        ("fri-sun", {"Fri", "Sat", "Sun"}),
        ("1-7", {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}),
        ("sat,sun", {"Sat", "Sun"}),
    ],
)
def test_a_cron_day_of_week_means_what_it_means_in_crontab(days: str, fires_on: set[str]) -> None:
    after = datetime(2027, 1, 3, 23, 0)  # a Sunday night: the next week, Monday to Sunday
    seen: set[str] = set()
    for _ in range(len(fires_on)):
        after = next_occurrence(f"0 9 * * {days}", after=after)
        seen.add(after.strftime("%a"))
    assert seen == fires_on
    assert next_occurrence(f"0 9 * * {days}", after=after) - after >= timedelta(days=1)


@pytest.mark.parametrize("days", ["8", "mon-funday", "3-1", "*/0", "1/x"])
def test_a_day_of_week_out_of_range_is_refused_with_what_to_write(days: str) -> None:
    with pytest.raises(InvalidInputError, match="0 9 \\* \\* mon"):
        validate_cron(f"0 9 * * {days}")


def test_only_the_day_of_week_field_is_rewritten() -> None:
    assert standard_cron("30 8 1 * 1-5") == "30 8 1 * mon,tue,wed,thu,fri"
    assert standard_cron("*/15 9-17 * * *") == "*/15 9-17 * * *"
