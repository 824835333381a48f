"""Recurring broadcasts: vision series that rotate their wording, and the weekly story digest.

Both run from ``bot.scheduling``: ``SCHEDULE_ACTIONS`` is what the scheduler is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.broadcasts.audience import parse_audience, resolve_audience
from bot.broadcasts.models import BroadcastKind, Story, StoryStatus, VisionSeries
from bot.broadcasts.service import MAX_TEXT, check_text, create_broadcast
from bot.broadcasts.wording import COMPANY, DIGEST_FOOTER, DIGEST_HEADER
from bot.errors import ConflictError, InvalidInputError, NotFoundError
from bot.people.models import Person, Unit
from bot.scheduling.cadence import Cadence, ScheduleRule, schedule_rule
from bot.scheduling.clock import check_cadence
from bot.scheduling.models import Schedule
from bot.scheduling.service import ScheduleAction, cancel_schedule, create_schedule, ensure_named_schedule
from bot.wording import default_language, pick, say
from ingest.text import LANGUAGES

VISION = "vision"
DIGEST = "digest"
DIGEST_SCHEDULE_NAME = "weekly-story-digest"
MAX_VARIANTS = 20
MIN_VISION_GAP = timedelta(hours=12)  # twice a day at most
DIGEST_WINDOW = timedelta(days=7)
_STORY_EXCERPT = 600


# ---------------------------------------------------------------- vision series


def create_vision_series(
    *,
    session: Session,
    title: str,
    variants: Sequence[str],
    zones: Sequence[ZoneInfo],
    cadence: Cadence | None = None,
    cron: str = "",
    selectors: Sequence[str] = (),
    must_read: bool = False,
    created_by: Person | None = None,
    now: datetime | None = None,
) -> tuple[VisionSeries, Schedule]:
    """A vision statement in several wordings, sent in each person's local time.

    Args:
        session: the open transaction.
        title: a name for the series (empty: the start of its first wording).
        variants: the wordings, sent in turn.
        zones: every time zone its people are in (``known_zones``).
        cadence: the days, time and every-N-weeks picked (console and chat); or
        cron: a cron expression instead (the CLI and the JSON API).
        selectors: the audience.
        must_read: ask recipients to acknowledge.
        created_by: its author (None: an operator at the CLI).
        now: the present moment.

    The cadence may not fire more often than every ``MIN_VISION_GAP``: a vision repeated every
    minute is noise people mute, and one typo in a cron would flood every store.
    """
    if (cadence is None) == (not cron.strip()):
        raise InvalidInputError("a vision series needs a cadence (or, from the CLI, a cron expression)")
    rule = schedule_rule(cadence) if cadence is not None else ScheduleRule(cron=cron)
    cron = check_cadence(rule.cron, at_least=MIN_VISION_GAP)
    title = title.strip()[:200]
    cleaned = [check_text(variant) for variant in variants if variant.strip()]
    if not cleaned:
        raise InvalidInputError("a vision series needs at least one wording")
    if len(cleaned) > MAX_VARIANTS:
        raise InvalidInputError(f"a vision series has at most {MAX_VARIANTS} wordings")
    audience = parse_audience(selectors)
    resolve_audience(session=session, audience=audience)  # unknown units fail now, not at send time
    series = VisionSeries(
        title=title or cleaned[0][:60],
        variants=cleaned,
        audience=list(audience.selectors),
        must_read=must_read,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(series)
    session.flush()
    schedule = create_schedule(
        session=session,
        kind=VISION,
        cron=cron,
        every_weeks=rule.every_weeks,
        anchor_week=rule.anchor_week,
        zones=zones,
        audience=audience.selectors,
        target_id=series.id,
        created_by_id=created_by.id if created_by else None,
        now=now,
    )
    return series, schedule


def vision_schedules(*, session: Session, by: Person | None = None) -> list[tuple[VisionSeries, Schedule]]:
    """Active vision series with their schedules, soonest first; ``by`` (not an admin) sees only their own."""
    query = (
        select(VisionSeries, Schedule)
        .join(Schedule, Schedule.target_id == VisionSeries.id)
        .where(Schedule.kind == VISION, Schedule.active.is_(True))
    )
    if by is not None and not by.is_admin:
        query = query.where(VisionSeries.created_by_id == by.id)
    rows = session.execute(query.order_by(Schedule.next_run_at)).all()
    return [(series, schedule) for series, schedule in rows]


def stop_vision_series(*, session: Session, series_id: int, by: Person | None = None) -> VisionSeries:
    """Stop sending a series; what was sent counts toward exposure as before.

    ``by``: the person asking, who must be its author or an admin (None: an operator at the CLI).
    """
    series = session.get(VisionSeries, series_id)
    if series is None:
        raise NotFoundError(f"no vision series {series_id}")
    if by is not None and not by.is_admin and series.created_by_id != by.id:
        raise InvalidInputError("only its author or an admin can stop a vision series")
    schedules = session.scalars(
        select(Schedule).where(
            Schedule.kind == VISION, Schedule.target_id == series_id, Schedule.active.is_(True)
        )
    ).all()
    if not schedules:
        raise ConflictError(f"vision series {series_id} is already stopped")
    for schedule in schedules:
        cancel_schedule(session=session, schedule_id=schedule.id)
    return series


def fire_vision(session: Session, schedule: Schedule, occurrence: datetime, now: datetime) -> None:
    """One occurrence of a vision series: each person gets the next wording in their rotation."""
    series = session.get(VisionSeries, schedule.target_id) if schedule.target_id else None
    if series is None:
        raise NotFoundError(f"schedule {schedule.id} names no vision series")
    create_broadcast(
        session=session,
        kind=BroadcastKind.VISION,
        text=series.variants[0],
        variants=series.variants,
        selectors=schedule.audience,
        must_read=series.must_read,
        send_at=now,
        local_time=occurrence,
        schedule_id=schedule.id,
        series_id=series.id,
    )


# ---------------------------------------------------------------- weekly digest


def ensure_digest_schedule(
    *, session: Session, cron: str, zones: Sequence[ZoneInfo], now: datetime | None = None
) -> Schedule | None:
    """Keep the weekly digest's schedule in line with ``CHANGEBOT_STORY_DIGEST_CRON``."""
    return ensure_named_schedule(
        session=session,
        name=DIGEST_SCHEDULE_NAME,
        kind=DIGEST,
        cron=cron,
        zones=zones,
        audience=["all"],
        now=now,
    )


def digest_texts(*, stories: Sequence[Story], unit_names: dict[int, str]) -> dict[str, str]:
    """The digest in each language: the bot's words translated, the stories as their authors wrote them."""
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        lines = [say(DIGEST_HEADER, language), ""]
        first_unit = say(COMPANY, language)
        for index, story in enumerate(stories):
            unit = unit_names.get(story.unit_id or 0, say(COMPANY, language))
            if index == 0:
                first_unit = unit
            excerpt = story.text.strip()
            if len(excerpt) > _STORY_EXCERPT:
                excerpt = excerpt[: _STORY_EXCERPT - 1].rstrip() + "…"
            lines += [f"▶ {unit}", excerpt, ""]
        lines.append(say(DIGEST_FOOTER, language, unit=first_unit))
        text = "\n".join(lines)
        if len(text) > MAX_TEXT:  # many stories: keep the newest whole ones that fit
            text = text[: MAX_TEXT - 1].rsplit("\n▶", 1)[0] + "\n…"
        texts[language] = text
    return texts


def fire_digest(session: Session, schedule: Schedule, occurrence: datetime, now: datetime) -> None:
    """Send the past week's approved stories to the schedule's audience; nothing to say, nothing sent."""
    fresh = session.scalars(
        select(Story)
        .where(Story.status == StoryStatus.APPROVED.value, Story.approved_at >= now - DIGEST_WINDOW)
        .order_by(Story.approved_at.desc(), Story.id.desc())
    ).all()
    if not fresh:
        return
    unit_ids = {story.unit_id for story in fresh if story.unit_id}
    unit_names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all())
    texts = digest_texts(stories=fresh, unit_names=unit_names)
    broadcast = create_broadcast(
        session=session,
        kind=BroadcastKind.DIGEST,
        text=pick(texts, default_language()),
        texts=texts,
        selectors=schedule.audience,
        send_at=now,
        local_time=occurrence,
        schedule_id=schedule.id,
    )
    for story in fresh:
        story.status, story.broadcast_id = StoryStatus.SCHEDULED.value, broadcast.id
    session.flush()


SCHEDULE_ACTIONS: dict[str, ScheduleAction] = {VISION: fire_vision, DIGEST: fire_digest}
