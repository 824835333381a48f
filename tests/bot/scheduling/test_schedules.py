"""Schedules in the database: first run, missed runs fire once, two schedulers never both fire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import InvalidInputError
from bot.scheduling.models import Schedule
from bot.scheduling.runner import Scheduler
from bot.scheduling.service import cancel_schedule, create_schedule, ensure_named_schedule, fire_due
from bot.storage.database import transaction

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUNDAY_NOON = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def _recorder() -> tuple[list[datetime], dict[str, object]]:
    fired: list[datetime] = []

    def action(session: Session, schedule: Schedule, occurrence: datetime, now: datetime) -> None:
        fired.append(occurrence)

    return fired, {"test": action}


def test_first_run_is_the_next_occurrence_on_the_earliest_clock(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        schedule = create_schedule(
            session=session,
            kind="test",
            cron="0 9 * * mon",
            zones=[SHANGHAI, ZoneInfo("Europe/London")],
            now=SUNDAY_NOON,
        )
        assert schedule.next_occurrence == datetime(2026, 11, 23, 9, 0)
        assert schedule.next_run_at == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Shanghai gets there first


def test_a_schedule_missed_while_down_fires_once_then_moves_ahead(sessions: sessionmaker[Session]) -> None:
    fired, actions = _recorder()
    with transaction(sessions) as session:
        create_schedule(session=session, kind="test", cron="0 9 * * *", zones=[SHANGHAI], now=SUNDAY_NOON)
    three_days_later = SUNDAY_NOON + timedelta(days=3)  # three 09:00s missed
    with transaction(sessions) as session:
        fire_due(session=session, actions=actions, zones=[SHANGHAI], now=three_days_later)  # type: ignore[arg-type]
    with transaction(sessions) as session:
        fire_due(session=session, actions=actions, zones=[SHANGHAI], now=three_days_later)  # type: ignore[arg-type]
        schedule = session.query(Schedule).one()
        assert schedule.next_occurrence == datetime(2026, 11, 26, 9, 0)  # the next one still ahead
    assert fired == [datetime(2026, 11, 23, 9, 0)]


def test_two_schedulers_fire_each_occurrence_once(sessions: sessionmaker[Session]) -> None:
    fired, actions = _recorder()
    with transaction(sessions) as session:
        create_schedule(session=session, kind="test", cron="0 9 * * *", zones=[SHANGHAI], now=SUNDAY_NOON)
    first = Scheduler(sessions=sessions, actions=actions, zones=lambda _: [ZoneInfo("Asia/Shanghai")])  # type: ignore[arg-type]
    second = Scheduler(sessions=sessions, actions=actions, zones=lambda _: [ZoneInfo("Asia/Shanghai")])  # type: ignore[arg-type]
    monday_ten = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert first.run_once(now=monday_ten) + second.run_once(now=monday_ten) == 1
    assert fired == [datetime(2026, 11, 23, 9, 0)]


def test_a_failing_action_does_not_block_the_rest(sessions: sessionmaker[Session]) -> None:
    fired, actions = _recorder()

    def broken(session: Session, schedule: Schedule, occurrence: datetime, now: datetime) -> None:
        raise RuntimeError("boom")

    with transaction(sessions) as session:
        create_schedule(session=session, kind="broken", cron="0 9 * * *", zones=[SHANGHAI], now=SUNDAY_NOON)
        create_schedule(session=session, kind="test", cron="0 9 * * *", zones=[SHANGHAI], now=SUNDAY_NOON)
    with transaction(sessions) as session:
        ran = fire_due(
            session=session,
            actions={**actions, "broken": broken},  # type: ignore[dict-item]
            zones=[SHANGHAI],
            now=SUNDAY_NOON + timedelta(days=1),
        )
    assert len(ran) == 1 and len(fired) == 1


def test_cancelled_schedules_do_not_fire(sessions: sessionmaker[Session]) -> None:
    fired, actions = _recorder()
    with transaction(sessions) as session:
        schedule_id = create_schedule(
            session=session, kind="test", cron="0 9 * * *", zones=[SHANGHAI], now=SUNDAY_NOON
        ).id
        cancel_schedule(session=session, schedule_id=schedule_id)
        with pytest.raises(InvalidInputError):
            cancel_schedule(session=session, schedule_id=schedule_id)
        fire_due(session=session, actions=actions, zones=[SHANGHAI], now=SUNDAY_NOON + timedelta(days=9))  # type: ignore[arg-type]
    assert fired == []


def test_named_schedule_follows_the_settings(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        first = ensure_named_schedule(
            session=session,
            name="digest",
            kind="digest",
            cron="0 9 * * mon",
            zones=[SHANGHAI],
            now=SUNDAY_NOON,
        )
        again = ensure_named_schedule(
            session=session,
            name="digest",
            kind="digest",
            cron="0 9 * * mon",
            zones=[SHANGHAI],
            now=SUNDAY_NOON,
        )
        assert first is not None and again is not None and first.id == again.id
        moved = ensure_named_schedule(
            session=session,
            name="digest",
            kind="digest",
            cron="30 8 * * fri",
            zones=[SHANGHAI],
            now=SUNDAY_NOON,
        )
        assert moved is not None and moved.next_occurrence == datetime(2026, 11, 27, 8, 30)
        assert (
            ensure_named_schedule(
                session=session, name="digest", kind="digest", cron="", zones=[SHANGHAI], now=SUNDAY_NOON
            )
            is None
        )
        assert not moved.active
