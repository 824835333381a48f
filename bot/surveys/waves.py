"""Survey waves: launch to an audience, close for good (by hand or when due), recur on a schedule.

While a wave is open, a person's answers are found again only through a keyed hash with the wave's
salt (``bot.surveys.answers``). Closing a wave erases the salt and writes the wave's answers again,
in one transaction: the half-finished ones are dropped, the others are inserted afresh with new
random ids and keys, in a random order. Without that, a closed wave's keys would still be the open
period's (matching any copy taken then) and the storage order would be the answer order: SQLite's
rowid and PostgreSQL's heap keep the order rows were inserted in, and the first to answer is often
someone one can guess. On SQLite the rewrite runs with ``secure_delete`` so the old rows' bytes are
zeroed, not left in free pages; PostgreSQL leaves the old row versions to VACUUM, and a SQLite WAL
file holds earlier page images until SQLite reuses it. A copy of those files taken with the server
key could still link the open period's rows, one more reason the key is never backed up with the
database.

A person may say "not this time" to an open wave (``answers.decline``): that is a flag on their
invitation, never on an answer, and close turns the wave's flags into a count (``SurveyWave.declined``)
and erases them, so a closed wave keeps how many declined but not who.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, inspect, select, update
from sqlalchemy.orm import Session

from bot.broadcasts.audience import parse_audience, resolve_audience
from bot.broadcasts.models import BroadcastKind
from bot.broadcasts.service import create_broadcast
from bot.dialogues.service import end_subject
from bot.errors import ConflictError, InvalidInputError, NotFoundError
from bot.people.models import Person
from bot.people.service import home_unit
from bot.scheduling.models import Schedule
from bot.scheduling.service import ScheduleAction, create_schedule
from bot.storage.base import utc_now
from bot.surveys.definitions import Survey
from bot.surveys.models import SurveyInvitation, SurveyResponse, SurveyWave, WaveStatus
from bot.wording import default_language, pick
from ingest.text import LANGUAGES


class SurveyClosedError(InvalidInputError):
    """The wave no longer takes answers."""


_SYSTEM_RANDOM = secrets.SystemRandom()


def get_wave(*, session: Session, wave_id: int) -> SurveyWave:
    """The wave ``wave_id``, or ``NotFoundError``."""
    wave = session.get(SurveyWave, wave_id)
    if wave is None:
        raise NotFoundError(f"no survey wave {wave_id}")
    return wave


def launch_wave(
    *,
    session: Session,
    survey: Survey,
    closes_at: datetime,
    selectors: Sequence[str] = (),
    anonymous: bool = True,
    reminder_before_close: timedelta | None = timedelta(hours=24),
    created_by: Person | None = None,
    local_time: datetime | None = None,
    schedule_id: int | None = None,
    now: datetime | None = None,
) -> SurveyWave:
    """Open a wave now: invite everyone the audience reaches; the invitation goes out as a broadcast."""
    now = now or utc_now()
    if closes_at.tzinfo is None:
        raise InvalidInputError("give the closing time with a time zone, e.g. 2026-12-01T18:00+08:00")
    if closes_at <= now + timedelta(minutes=10):
        raise InvalidInputError("a wave must stay open for at least 10 minutes")
    audience = parse_audience(selectors)
    # Web-chat-only staff are invited too: they answer in the browser; Telegram users also get a push.
    people = resolve_audience(session=session, audience=audience, telegram_only=False, include_paused=True)
    if not people:
        raise InvalidInputError(
            "nobody in that audience can receive surveys (no active member who has joined)"
        )
    remind_at = closes_at - reminder_before_close if reminder_before_close else None
    wave = SurveyWave(
        survey_id=survey.id,
        survey_version=survey.version,
        audience=list(audience.selectors),
        anonymous=anonymous,
        status=WaveStatus.OPEN.value,
        opens_at=now,
        closes_at=closes_at,
        remind_at=remind_at if remind_at and remind_at > now else None,
        reminded=False,
        salt=secrets.token_hex(32),
        invited=len(people),
        invited_by_unit=dict(Counter(str(unit.id) for p in people if (unit := home_unit(p)) is not None)),
        schedule_id=schedule_id,
        occurrence=local_time.isoformat(timespec="minutes") if local_time and schedule_id else None,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(wave)
    session.flush()
    session.add_all(SurveyInvitation(wave_id=wave.id, person_id=person.id) for person in people)
    texts: dict[str, str] = {
        lang: f"📋 {survey.title.get(lang)}\n\n{survey.intro.get(lang)}" for lang in LANGUAGES
    }
    broadcast = create_broadcast(
        session=session,
        kind=BroadcastKind.SURVEY,
        text=pick(texts, default_language()),
        texts=texts,
        selectors=audience.selectors,
        send_at=now,
        local_time=local_time,
        created_by=created_by,
    )
    broadcast.button = f"survey:{wave.id}"
    wave.broadcast_id = broadcast.id
    session.flush()
    return wave


def ensure_open(*, session: Session, wave: SurveyWave, now: datetime) -> None:
    """Raise ``SurveyClosedError`` unless ``wave`` takes answers at ``now`` (closing it if it is due)."""
    if wave.status == WaveStatus.OPEN.value and wave.closes_at <= now:
        close_wave(session=session, wave=wave, now=now)
    if wave.status != WaveStatus.OPEN.value or wave.salt is None:
        raise SurveyClosedError("this survey has closed; thank you")


def is_invited(*, session: Session, wave_id: int, person_id: int) -> bool:
    """Whether ``person_id`` was asked to answer ``wave_id``."""
    return (
        session.scalar(
            select(SurveyInvitation.id).where(
                SurveyInvitation.wave_id == wave_id, SurveyInvitation.person_id == person_id
            )
        )
        is not None
    )


def has_declined(*, session: Session, wave_id: int, person_id: int) -> bool:
    """Whether ``person_id`` said "not this time" to the open wave ``wave_id`` (and has not started since)."""
    return bool(
        session.scalar(
            select(SurveyInvitation.declined).where(
                SurveyInvitation.wave_id == wave_id, SurveyInvitation.person_id == person_id
            )
        )
    )


def mark_declined(*, session: Session, wave_id: int, person_id: int, declined: bool) -> None:
    """Set or take back ``person_id``'s "not this time" on ``wave_id`` (their invitation only)."""
    session.execute(
        update(SurveyInvitation)
        .where(
            SurveyInvitation.wave_id == wave_id,
            SurveyInvitation.person_id == person_id,
            SurveyInvitation.declined.is_not(declined),
        )
        .values(declined=declined)
        .execution_options(synchronize_session=False)
    )


def comment_subject(wave_id: int) -> str:
    """What a chat dialogue typing a comment for this wave is about (ended when the wave closes)."""
    return f"survey_wave:{wave_id}"


def close_wave(
    *,
    session: Session,
    wave: SurveyWave,
    now: datetime | None = None,
    rng: random.Random = _SYSTEM_RANDOM,
) -> SurveyWave:
    """Stop taking answers, erase the salt and write the answers again: from now on nobody can find
    whose answers are whose, nor in which order they came (see the module docstring).

    All of it happens in the caller's transaction: a process that dies half-way leaves the wave
    open, with its rows as they were, for the next close.

    Args:
        rng: orders the rewritten rows; tests pass a seeded one to know the order.
    """
    if wave.status not in (WaveStatus.OPEN.value, WaveStatus.SCHEDULED.value):
        raise ConflictError(f"wave {wave.id} is already {wave.status}")
    with _zeroing_deleted_rows(session):
        wave.status = WaveStatus.CLOSED.value
        wave.salt = None
        wave.salt_only_keys = False
        wave.closed_at = now or utc_now()
        session.flush()
        _rewrite_answers(session, wave.id, rng)
        _count_declines(session, wave)
        # Anyone still typing a comment is cut off too: that dialogue row links a person to the wave.
        end_subject(session=session, subject=comment_subject(wave.id))
        session.flush()
    return wave


# Every column of a response but the two that are made afresh: a column added later is carried over
# without anyone remembering to list it here.
_CARRIED = tuple(
    attribute.key
    for attribute in inspect(SurveyResponse).column_attrs
    if attribute.key not in ("id", "respondent_key")
)


def _rewrite_answers(session: Session, wave_id: int, rng: random.Random) -> None:
    # Half-finished answers are dropped rather than kept: they would count in no result anyway.
    kept = [
        {name: getattr(response, name) for name in _CARRIED}
        for response in session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.wave_id == wave_id, SurveyResponse.completed.is_(True))
            .order_by(SurveyResponse.id)  # a known order for the shuffle to start from (the tests')
        )
    ]
    session.execute(delete(SurveyResponse).where(SurveyResponse.wave_id == wave_id))
    rng.shuffle(kept)
    if kept:
        # Inserted in the order of this list, which is the order they are stored in.
        session.execute(
            insert(SurveyResponse),
            [{**row, "id": secrets.token_hex(16), "respondent_key": secrets.token_hex(32)} for row in kept],
        )


def _count_declines(session: Session, wave: SurveyWave) -> None:
    # The count is kept, the names are not: nothing needs to know who declined once no reminder is due.
    flagged = SurveyInvitation.wave_id == wave.id, SurveyInvitation.declined.is_(True)
    wave.declined = int(
        session.scalar(select(func.count()).select_from(SurveyInvitation).where(*flagged)) or 0
    )
    session.execute(
        update(SurveyInvitation)
        .where(*flagged)
        .values(declined=False)
        .execution_options(synchronize_session=False)
    )


@contextmanager
def _zeroing_deleted_rows(session: Session) -> Iterator[None]:
    """On SQLite, deleted and overwritten rows are zeroed in the file instead of left in free space."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = int(connection.exec_driver_sql("PRAGMA secure_delete").scalar() or 0)
    connection.exec_driver_sql("PRAGMA secure_delete = ON")
    yield
    # Not in a ``finally``: after an error the connection may not take statements until rolled
    # back, and a connection left zeroing its deletes is only a little slower.
    connection.exec_driver_sql(f"PRAGMA secure_delete = {before}")


def close_due_waves(session: Session, now: datetime) -> int:
    """Close every open wave past its closing time; returns how many."""
    # Locked, skipping rows another scheduler is closing right now: each wave is closed (and its
    # half-finished answers dropped) by one process only. SQLite ignores the lock; its writers queue.
    due = session.scalars(
        select(SurveyWave)
        .where(SurveyWave.status == WaveStatus.OPEN.value, SurveyWave.closes_at <= now)
        .with_for_update(skip_locked=True)
    ).all()
    for wave in due:
        close_wave(session=session, wave=wave, now=now)
    return len(due)


# A headline that would come later than this (the scheduler was down, the survey file was missing)
# is news no more; and a wave whose survey is gone for good is not looked at again every round.
ANNOUNCE_WITHIN = timedelta(days=7)


def waves_to_announce(*, session: Session, now: datetime) -> Sequence[SurveyWave]:
    """Closed waves whose results nobody has been told of yet, closed within ``ANNOUNCE_WITHIN``."""
    return session.scalars(
        select(SurveyWave)
        .where(
            SurveyWave.status == WaveStatus.CLOSED.value,
            SurveyWave.announced_at.is_(None),
            SurveyWave.closed_at > now - ANNOUNCE_WITHIN,
        )
        .order_by(SurveyWave.id)
    ).all()


def claim_announcement(*, session: Session, wave: SurveyWave, now: datetime) -> bool:
    """Mark ``wave`` announced; True only for the one caller that did (the others must tell nobody).

    A compare-and-set on ``announced_at``: a second scheduler that listed the wave before the first
    committed finds the row set when it gets to it (PostgreSQL re-checks a row another transaction
    changed; SQLite's writers queue) and changes nothing. The claim is in the caller's transaction,
    with the headlines it queues: a tick that fails rolls both back, for the next round.
    """
    claimed = session.execute(
        update(SurveyWave)
        .where(
            SurveyWave.id == wave.id,
            SurveyWave.status == WaveStatus.CLOSED.value,
            SurveyWave.announced_at.is_(None),
        )
        .values(announced_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(wave, ["announced_at"])
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def waves(*, session: Session, survey_id: str | None = None, limit: int = 50) -> Sequence[SurveyWave]:
    """Recent waves, newest first."""
    query = select(SurveyWave).order_by(SurveyWave.id.desc()).limit(limit)
    if survey_id is not None:
        query = query.where(SurveyWave.survey_id == survey_id)
    return session.scalars(query).all()


SURVEY = "survey"


def schedule_survey(
    *,
    session: Session,
    survey: Survey,
    cron: str,
    open_hours: float,
    zones: Sequence[ZoneInfo],
    selectors: Sequence[str] = (),
    created_by: Person | None = None,
    now: datetime | None = None,
) -> Schedule:
    """Recurring waves: a new wave at each cron occurrence (local time), open ``open_hours``."""
    if not 1 <= open_hours <= 24 * 60:
        raise InvalidInputError("a wave stays open between 1 hour and 60 days")
    audience = parse_audience(selectors)
    resolve_audience(session=session, audience=audience)  # unknown units fail now
    return create_schedule(
        session=session,
        kind=SURVEY,
        cron=cron,
        zones=zones,
        audience=audience.selectors,
        payload={"survey": survey.id, "open_hours": open_hours},
        created_by_id=created_by.id if created_by else None,
        now=now,
    )


def survey_action(
    *, surveys: Mapping[str, Survey], reminder_before_close: timedelta | None
) -> ScheduleAction:
    """What a survey schedule does when it fires: open the next wave."""

    def fire(session: Session, schedule: Schedule, occurrence: datetime, now: datetime) -> None:
        survey = surveys.get(str(schedule.payload.get("survey")))
        if survey is None:
            raise NotFoundError(f"schedule {schedule.id}: no survey {schedule.payload.get('survey')!r}")
        hours = float(str(schedule.payload.get("open_hours", 72)))
        launch_wave(
            session=session,
            survey=survey,
            closes_at=now + timedelta(hours=hours),
            selectors=schedule.audience,
            reminder_before_close=reminder_before_close
            if reminder_before_close and reminder_before_close < timedelta(hours=hours)
            else None,
            local_time=occurrence,
            schedule_id=schedule.id,
            now=now,
        )

    return fire


def open_waves_for(*, session: Session, person: Person, now: datetime | None = None) -> Sequence[SurveyWave]:
    """Open waves this person was invited to, soonest closing first."""
    now = now or utc_now()
    return session.scalars(
        select(SurveyWave)
        .join(SurveyInvitation, SurveyInvitation.wave_id == SurveyWave.id)
        .where(
            SurveyInvitation.person_id == person.id,
            SurveyWave.status == WaveStatus.OPEN.value,
            SurveyWave.closes_at > now,
        )
        .order_by(SurveyWave.closes_at)
    ).all()
