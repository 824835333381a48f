"""Create, list and fire schedules. What a schedule does when it fires is passed in by the caller.

Firing is a compare-and-set on ``next_run_at``: whichever process moves it forward first runs the
occurrence, so several schedulers (or a restart in the middle) never run it twice. A schedule that
was missed while nothing ran fires once, for the first missed occurrence, and then moves on to the
next occurrence still ahead; it does not replay every one it missed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.errors import ConflictError, NotFoundError
from bot.scheduling.clock import earliest_instant, next_occurrence, validate_cron, week_start
from bot.scheduling.models import Schedule
from bot.storage.base import utc_now

logger = logging.getLogger(__name__)

ScheduleAction = Callable[[Session, Schedule, datetime, datetime], None]
"""What runs when a schedule fires: ``(session, schedule, occurrence wall-clock time, now)``."""


def _latest_wall_clock(now: datetime, zones: Sequence[ZoneInfo]) -> datetime:
    return max(now.astimezone(tz).replace(tzinfo=None) for tz in zones)


def create_schedule(
    *,
    session: Session,
    kind: str,
    cron: str,
    zones: Sequence[ZoneInfo],
    audience: Sequence[str] = (),
    target_id: int | None = None,
    name: str | None = None,
    payload: dict[str, object] | None = None,
    created_by_id: int | None = None,
    every_weeks: int = 1,
    anchor_week: date | None = None,
    now: datetime | None = None,
) -> Schedule:
    """Add a schedule whose first run is the cron's next occurrence on anyone's clock.

    ``every_weeks`` above 1 keeps to every N-th week from ``anchor_week``; without one, from the week
    of the first occurrence (as ``bot.scheduling.cadence.next_send_times`` previews it).
    """
    cron = validate_cron(cron)
    occurrence = next_occurrence(
        cron, after=_latest_wall_clock(now or utc_now(), zones), every_weeks=every_weeks, anchor=anchor_week
    )
    if every_weeks == 1:
        anchor_week = None
    elif anchor_week is None:
        anchor_week = week_start(occurrence.date())
    schedule = Schedule(
        kind=kind,
        name=name,
        cron=cron,
        every_weeks=every_weeks,
        anchor_week=week_start(anchor_week) if anchor_week else None,
        audience=list(audience),
        target_id=target_id,
        payload=dict(payload or {}),
        next_occurrence=occurrence,
        next_run_at=earliest_instant(occurrence, zones),
        created_by_id=created_by_id,
        active=True,
    )
    session.add(schedule)
    session.flush()
    return schedule


def ensure_named_schedule(
    *,
    session: Session,
    name: str,
    kind: str,
    cron: str,
    zones: Sequence[ZoneInfo],
    audience: Sequence[str] = (),
    now: datetime | None = None,
) -> Schedule | None:
    """Keep a configured singleton schedule (such as the weekly digest) in line with the settings.

    An empty ``cron`` switches it off. A changed cadence takes effect from the next occurrence.
    """
    existing = session.scalar(select(Schedule).where(Schedule.name == name))
    if not cron.strip():
        if existing is not None:
            existing.active = False
            session.flush()
        return None
    cron = validate_cron(cron)
    if existing is None:
        return create_schedule(
            session=session, kind=kind, cron=cron, zones=zones, audience=audience, name=name, now=now
        )
    if existing.cron != cron or not existing.active or existing.audience != list(audience):
        occurrence = next_occurrence(cron, after=_latest_wall_clock(now or utc_now(), zones))
        existing.cron = cron
        existing.audience = list(audience)
        existing.active = True
        existing.next_occurrence = occurrence
        existing.next_run_at = earliest_instant(occurrence, zones)
        session.flush()
    return existing


def cancel_schedule(*, session: Session, schedule_id: int) -> Schedule:
    """Stop a schedule; what it already sent stays sent."""
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        raise NotFoundError(f"no schedule {schedule_id}")
    if not schedule.active:
        raise ConflictError(f"schedule {schedule_id} is already stopped")
    schedule.active = False
    session.flush()
    return schedule


def list_schedules(*, session: Session, kind: str | None = None) -> Sequence[Schedule]:
    """Active schedules, soonest first."""
    query = select(Schedule).where(Schedule.active.is_(True))
    if kind is not None:
        query = query.where(Schedule.kind == kind)
    return session.scalars(query.order_by(Schedule.next_run_at, Schedule.id)).all()


def fire_due(
    *,
    session: Session,
    actions: Mapping[str, ScheduleAction],
    zones: Sequence[ZoneInfo],
    now: datetime | None = None,
) -> list[tuple[int, datetime]]:
    """Run every schedule that is due; returns ``(schedule id, occurrence)`` for each one run."""
    now = now or utc_now()
    fired: list[tuple[int, datetime]] = []
    due = session.scalars(
        select(Schedule)
        .where(Schedule.active.is_(True), Schedule.next_run_at <= now)
        .order_by(Schedule.next_run_at, Schedule.id)
    ).all()
    for schedule in due:
        occurrence, expected_run_at = schedule.next_occurrence, schedule.next_run_at
        following = next_occurrence(
            schedule.cron,
            after=max(occurrence, _latest_wall_clock(now, zones)),
            every_weeks=schedule.every_weeks,
            anchor=schedule.anchor_week,
        )
        moved = session.execute(
            update(Schedule)
            .where(
                Schedule.id == schedule.id,
                Schedule.active.is_(True),
                Schedule.next_run_at == expected_run_at,
            )
            .values(
                next_occurrence=following,
                next_run_at=earliest_instant(following, zones),
                last_fired_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 0:  # type: ignore[attr-defined]
            continue  # another scheduler got there first
        session.refresh(schedule)
        action = actions.get(schedule.kind)
        if action is None:
            logger.error("schedule %s has kind %r, which nothing here runs", schedule.id, schedule.kind)
            continue
        try:
            with session.begin_nested():
                action(session, schedule, occurrence, now)
        except Exception:  # one broken schedule must not stop the others; it has moved on already
            logger.exception("schedule %s (%s) failed for %s", schedule.id, schedule.kind, occurrence)
            continue
        logger.info("fired schedule %s (%s) for %s", schedule.id, schedule.kind, occurrence.isoformat())
        fired.append((schedule.id, occurrence))
    session.flush()
    return fired
