"""Cadences (bot/scheduling/cadence.py): days, a time and every N weeks become the stored schedule in
one place, the preview of the next five sends is what the scheduler then does (across daylight
saving, in Shanghai and Berlin, every other week from its anchor), series stored as cron read back
as a cadence when they are one, and the short form typed in chat reads in three languages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import InvalidInputError
from bot.scheduling.cadence import (
    Cadence,
    CadenceParseError,
    CadenceProblem,
    ScheduleRule,
    anchored,
    cadence_of,
    next_send_times,
    parse_cadence,
    rule_of,
    schedule_rule,
)
from bot.scheduling.clock import next_occurrence
from bot.scheduling.models import Schedule
from bot.scheduling.service import create_schedule, fire_due
from bot.scheduling.wording import describe_cadence, describe_rule
from bot.storage.database import transaction

SHANGHAI, BERLIN = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin")
MON_THU_9 = Cadence(weekdays=(0, 3), at=time(9))
# Monday 22 March 2027, 12:00 UTC: 20:00 in Shanghai, 13:00 in Berlin; Berlin moves its clocks
# forward on Sunday 28 March.
MONDAY_NOON_UTC = datetime(2027, 3, 22, 12, 0, tzinfo=UTC)


def _local(zone: ZoneInfo, *wall: int) -> datetime:
    return datetime(*wall, tzinfo=zone)  # type: ignore[misc]


def test_the_next_five_in_shanghai_are_at_nine_on_the_readers_clock() -> None:
    sunday_evening = datetime(2027, 2, 28, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
    times = next_send_times(MON_THU_9, zone=SHANGHAI, now=sunday_evening)
    assert times == [
        _local(SHANGHAI, 2027, 3, 1, 9),
        _local(SHANGHAI, 2027, 3, 4, 9),
        _local(SHANGHAI, 2027, 3, 8, 9),
        _local(SHANGHAI, 2027, 3, 11, 9),
        _local(SHANGHAI, 2027, 3, 15, 9),
    ]
    assert {moment.astimezone(UTC).hour for moment in times} == {1}  # 09:00 in Shanghai is 01:00 UTC


def test_the_next_five_in_berlin_keep_nine_oclock_across_daylight_saving() -> None:
    times = next_send_times(MON_THU_9, zone=BERLIN, now=MONDAY_NOON_UTC)
    assert [(moment.date(), moment.time()) for moment in times] == [
        (date(2027, 3, 25), time(9)),
        (date(2027, 3, 29), time(9)),
        (date(2027, 4, 1), time(9)),
        (date(2027, 4, 5), time(9)),
        (date(2027, 4, 8), time(9)),
    ]
    # The same 09:00 on the clock, an hour earlier in UTC once summer time starts.
    assert [moment.astimezone(UTC).hour for moment in times] == [8, 7, 7, 7, 7]
    assert [moment.utcoffset() for moment in times[:2]] == [timedelta(hours=1), timedelta(hours=2)]


def test_a_time_the_clocks_skip_arrives_when_it_would_have() -> None:
    nightly = Cadence(weekdays=tuple(range(7)), at=time(2, 30))
    friday = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
    times = next_send_times(nightly, zone=BERLIN, now=friday, count=3)
    # No 02:30 in Berlin on 28 March (02:00 becomes 03:00): it goes at 03:30 summer time.
    assert times == [
        _local(BERLIN, 2027, 3, 27, 2, 30),
        _local(BERLIN, 2027, 3, 28, 3, 30),
        _local(BERLIN, 2027, 3, 29, 2, 30),
    ]
    assert times[1].astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_every_two_weeks_counts_from_the_week_of_the_first_send() -> None:
    fortnightly = Cadence(weekdays=(0, 3), at=time(9), every_weeks=2)
    # Monday 09:00 has passed in Shanghai: the first send is Thursday, and its week is the anchor.
    assert anchored(fortnightly, now=MONDAY_NOON_UTC, zones=[SHANGHAI]).anchor == date(2027, 3, 22)
    assert [moment.date() for moment in next_send_times(fortnightly, zone=SHANGHAI, now=MONDAY_NOON_UTC)] == [
        date(2027, 3, 25), date(2027, 4, 5), date(2027, 4, 8), date(2027, 4, 19), date(2027, 4, 22),
    ]  # fmt: skip
    # Anchored on the other week, the same cadence sends in the weeks between.
    other_week = Cadence.of(weekdays=(0, 3), at=time(9), every_weeks=2, anchor=date(2027, 4, 1))
    assert other_week.anchor == date(2027, 3, 29)  # a week is named by its Monday
    assert [moment.date() for moment in next_send_times(other_week, zone=SHANGHAI, now=MONDAY_NOON_UTC)] == [
        date(2027, 3, 29), date(2027, 4, 1), date(2027, 4, 12), date(2027, 4, 15), date(2027, 4, 26),
    ]  # fmt: skip


def test_the_preview_waits_for_the_clock_furthest_ahead_as_the_scheduler_does() -> None:
    # 08:30 Monday in Berlin is 15:30 in Shanghai: this Monday's 09:00 has passed on one of the
    # series' clocks, so the series starts with Thursday, for the Berlin reader too.
    berlin_morning = datetime(2027, 3, 22, 7, 30, tzinfo=UTC)
    alone = next_send_times(MON_THU_9, zone=BERLIN, now=berlin_morning, count=1)
    with_shanghai = next_send_times(MON_THU_9, zone=BERLIN, now=berlin_morning, count=1, zones=[SHANGHAI])
    assert alone == [_local(BERLIN, 2027, 3, 22, 9)]
    assert with_shanghai == [_local(BERLIN, 2027, 3, 25, 9)]


def _recorder() -> tuple[list[datetime], dict[str, Callable[[Session, Schedule, datetime, datetime], None]]]:
    fired: list[datetime] = []

    def action(session: Session, schedule: Schedule, occurrence: datetime, now: datetime) -> None:
        fired.append(occurrence)

    return fired, {"test": action}


@pytest.mark.parametrize("every_weeks", [1, 2, 3])
def test_what_is_stored_fires_exactly_as_the_preview_said(
    sessions: sessionmaker[Session], every_weeks: int
) -> None:
    cadence = anchored(
        Cadence(weekdays=(0, 3), at=time(9), every_weeks=every_weeks), now=MONDAY_NOON_UTC, zones=[SHANGHAI]
    )
    preview = next_send_times(cadence, zone=SHANGHAI, now=MONDAY_NOON_UTC, count=6, zones=[SHANGHAI])
    rule = schedule_rule(cadence)
    with transaction(sessions) as session:
        schedule = create_schedule(
            session=session, kind="test", cron=rule.cron, every_weeks=rule.every_weeks,
            anchor_week=rule.anchor_week, zones=[SHANGHAI], now=MONDAY_NOON_UTC,
        )  # fmt: skip
        assert rule_of(schedule) == rule
    fired, actions = _recorder()
    for moment in preview:  # the scheduler comes round at each previewed send
        with transaction(sessions) as session:
            fire_due(session=session, actions=actions, zones=[SHANGHAI], now=moment.astimezone(UTC))  # type: ignore[arg-type]
    assert fired == [moment.replace(tzinfo=None) for moment in preview]


def test_a_cadence_is_stored_as_a_cron_with_the_weeks_beside_it() -> None:
    fortnightly = Cadence.of(weekdays=[3, 0, 3], at=time(9, 30), every_weeks=2, anchor=date(2027, 3, 24))
    assert schedule_rule(fortnightly) == ScheduleRule(
        cron="30 9 * * mon,thu", every_weeks=2, anchor_week=date(2027, 3, 22)
    )
    assert (
        schedule_rule(Cadence(weekdays=tuple(range(7)), at=time(7))).cron
        == "0 7 * * mon,tue,wed,thu,fri,sat,sun"
    )
    for cadence in (fortnightly, MON_THU_9, Cadence(weekdays=(6,), at=time(18, 5))):
        assert cadence_of(schedule_rule(cadence)) == cadence


@pytest.mark.parametrize(
    ("cron", "weekdays", "at"),
    [
        ("0 9 * * mon", (0,), time(9)),
        ("0 9 * * mon-fri", (0, 1, 2, 3, 4), time(9)),
        ("0 9 * * 1-5", (0, 1, 2, 3, 4), time(9)),  # as in crontab: 1 is Monday, 0 and 7 Sunday
        ("0 9 * * 0", (6,), time(9)),
        ("30 8 * * *", tuple(range(7)), time(8, 30)),
        ("15 17 * * sat,sun", (5, 6), time(17, 15)),
    ],
)
def test_a_series_stored_as_cron_reads_as_the_cadence_it_is(
    cron: str, weekdays: tuple[int, ...], at: time
) -> None:
    assert cadence_of(ScheduleRule(cron=cron)) == Cadence(weekdays=weekdays, at=at)


@pytest.mark.parametrize(
    "cron", ["0 9 1 * *", "0 9,15 * * mon", "*/30 * * * *", "0 9 * 1-6 mon", "0 */13 * * *"]
)
def test_a_cron_that_says_more_than_days_and_a_time_is_no_cadence(cron: str) -> None:
    assert cadence_of(ScheduleRule(cron=cron)) is None


@pytest.mark.parametrize(
    ("cron", "language", "words"),
    [
        ("0 9 * * mon,thu", "zh-Hans", "每周一、周四 09:00"),
        ("0 9 * * mon,thu", "zh-Hant", "每週一、週四 09:00"),
        ("0 9 * * mon,thu", "en", "Mondays and Thursdays at 09:00"),
        ("0 9 * * mon-fri", "zh-Hans", "工作日 09:00"),
        ("30 8 1 * *", "zh-Hans", "每月1日 08:30（cron：30 8 1 * *）"),
        ("30 8 1 * *", "en", "on day 1 of each month at 08:30 (cron: 30 8 1 * *)"),
        ("0 9 * 1,7 mon", "en", "Mondays in January and July at 09:00 (cron: 0 9 * 1,7 mon)"),
        ("*/30 * * * *", "zh-Hant", "自訂週期（cron：*/30 * * * *）"),
    ],
)
def test_a_stored_schedule_in_plain_words(cron: str, language: str, words: str) -> None:
    assert describe_rule(ScheduleRule(cron=cron), language) == words


def test_every_n_weeks_in_plain_words() -> None:
    fortnightly = Cadence(weekdays=(0, 3), at=time(9), every_weeks=2)
    assert describe_cadence(fortnightly, "zh-Hans") == "每 2 周的周一、周四 09:00"
    assert describe_cadence(fortnightly, "zh-Hant") == "每 2 週的週一、週四 09:00"
    assert describe_cadence(fortnightly, "en") == "every 2 weeks: Mondays and Thursdays at 09:00"
    stored = ScheduleRule(cron="0 9 * * mon,thu", every_weeks=2, anchor_week=date(2027, 3, 22))
    assert describe_rule(stored, "en") == "every 2 weeks: Mondays and Thursdays at 09:00"


@pytest.mark.parametrize(
    ("typed", "cadence"),
    [
        ("周一 周四 09:00 每2周", Cadence(weekdays=(0, 3), at=time(9), every_weeks=2)),
        ("每2周一、四 9点半", Cadence(weekdays=(0, 3), at=time(9, 30), every_weeks=2)),
        ("每两周的周二 09:00", Cadence(weekdays=(1,), at=time(9), every_weeks=2)),
        ("隔周周三 下午3点", Cadence(weekdays=(2,), at=time(15), every_weeks=2)),
        ("每周一 ０９：００", Cadence(weekdays=(0,), at=time(9))),  # full-width, as a phone may type it
        ("工作日 8:30", Cadence(weekdays=(0, 1, 2, 3, 4), at=time(8, 30))),
        ("每天 7:00", Cadence(weekdays=tuple(range(7)), at=time(7))),
        ("星期天 9:00", Cadence(weekdays=(6,), at=time(9))),
        ("週一至週五 9:30", Cadence(weekdays=(0, 1, 2, 3, 4), at=time(9, 30))),
        ("週一 週四 09:00 每3週", Cadence(weekdays=(0, 3), at=time(9), every_weeks=3)),
        ("週末 10:00", Cadence(weekdays=(5, 6), at=time(10))),
        ("mon thu 09:00 every 2 weeks", Cadence(weekdays=(0, 3), at=time(9), every_weeks=2)),
        ("Mon-Fri 9am", Cadence(weekdays=(0, 1, 2, 3, 4), at=time(9))),
        ("every other week on Fridays at 5pm", Cadence(weekdays=(4,), at=time(17), every_weeks=2)),
        ("weekdays 8:30", Cadence(weekdays=(0, 1, 2, 3, 4), at=time(8, 30))),
        ("daily 12:15pm", Cadence(weekdays=tuple(range(7)), at=time(12, 15))),
    ],
)
def test_a_cadence_typed_in_chat(typed: str, cadence: Cadence) -> None:
    assert parse_cadence(typed) == cadence


@pytest.mark.parametrize(
    ("typed", "problem", "fragment"),
    [
        ("every monday", CadenceProblem.NO_TIME, ""),
        ("09:00", CadenceProblem.NO_DAYS, ""),
        ("0 9 * * mon", CadenceProblem.UNREAD, "0 9 * *"),  # cron is for the CLI
        ("周一 9:00 10:00", CadenceProblem.TWO_TIMES, ""),
        ("周一 25:00", CadenceProblem.BAD_TIME, "25:00"),
        ("每6周 周一 9:00", CadenceProblem.BAD_WEEKS, "6"),
        ("周一 9:00 请发", CadenceProblem.UNREAD, "请"),
    ],
)
def test_what_is_wrong_with_a_typed_cadence_is_named(
    typed: str, problem: CadenceProblem, fragment: str
) -> None:
    with pytest.raises(CadenceParseError) as caught:
        parse_cadence(typed)
    assert (caught.value.problem, caught.value.fragment) == (problem, fragment)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Cadence(weekdays=(), at=time(9)),
        lambda: Cadence(weekdays=(7,), at=time(9)),
        lambda: Cadence(weekdays=(3, 0), at=time(9)),  # not in order: use Cadence.of
        lambda: Cadence(weekdays=(0,), at=time(9), every_weeks=5),
        lambda: Cadence(weekdays=(0,), at=time(9, 0, 30)),
        lambda: Cadence(weekdays=(0,), at=time(9), every_weeks=2, anchor=date(2027, 3, 24)),  # a Wednesday
        lambda: Cadence(weekdays=(0,), at=time(9), anchor=date(2027, 3, 22)),  # no rhythm to anchor
    ],
)
def test_a_cadence_that_cannot_be_is_refused(build: Callable[[], Cadence]) -> None:
    with pytest.raises(InvalidInputError):
        build()


def test_every_n_weeks_in_the_clock_skips_the_weeks_between() -> None:
    after = datetime.combine(date(2027, 3, 22), time(12))  # naive: a wall-clock time
    anchor = date(2027, 3, 15)
    assert next_occurrence("0 9 * * mon", after=after, every_weeks=2, anchor=anchor) == datetime.combine(
        date(2027, 3, 29), time(9)
    )
    assert next_occurrence("0 9 * * mon", after=after, every_weeks=2, anchor=date(2027, 3, 22)) == (
        datetime.combine(date(2027, 4, 5), time(9))
    )
