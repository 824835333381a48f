"""Create, schedule, cancel and report on broadcasts; turn due broadcasts into outbox rows."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from bot.broadcasts.audience import parse_audience, resolve_audience
from bot.broadcasts.look import Control, controls_for
from bot.broadcasts.models import (
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    Delivery,
    DeliveryState,
    Story,
    StoryStatus,
)
from bot.broadcasts.wording import REMINDER_NOTE
from bot.errors import ConflictError, InvalidInputError, NotFoundError
from bot.people.models import Membership, Person, Unit
from bot.scheduling.clock import QuietHours, wall_to_instant, zone
from bot.storage.base import utc_now
from bot.wording import reader_language, say

logger = logging.getLogger(__name__)

MAX_TEXT = 4000  # Telegram's limit is 4096; leave room for the must-read note
MAX_CAPTION = 1000  # a photo's caption: Telegram allows 1024

# Copies that reached the person or may still: they count toward a vision wording's rotation.
_REACHING_STATES = (
    DeliveryState.SENT.value,
    DeliveryState.QUEUED.value,
    DeliveryState.CLAIMED.value,
    DeliveryState.SENDING.value,
    DeliveryState.UNCERTAIN.value,
)


@dataclass(frozen=True, slots=True)
class DeliveryTiming:
    """When copies may go out: each person's time zone (or the default) and the nightly quiet hours."""

    default_timezone: str = "Asia/Shanghai"
    quiet_hours: QuietHours | None = None


def check_text(text: str, *, photo: bool = False, room: int = 0) -> str:
    """The text stripped, or ``InvalidInputError`` when it is empty or too long to send (with
    ``room`` characters left for what will head it)."""
    text = text.strip()
    if not text:
        raise InvalidInputError("a broadcast needs text")
    limit = (MAX_CAPTION if photo else MAX_TEXT) - room
    if len(text) > limit:
        raise InvalidInputError(
            f"a {'photo caption' if photo else 'broadcast'} is at most {limit} characters (this has {len(text)})"
        )
    return text


MAX_ACTION_LABEL = 64


def create_broadcast(
    *,
    session: Session,
    text: str,
    selectors: Sequence[str] = (),
    send_at: datetime | None = None,
    must_read: bool = False,
    created_by: Person | None = None,
    kind: BroadcastKind = BroadcastKind.MESSAGE,
    texts: Mapping[str, str] | None = None,
    variants: Sequence[str] = (),
    photo_file_id: str | None = None,
    local_time: datetime | None = None,
    schedule_id: int | None = None,
    series_id: int | None = None,
    actions: Sequence[tuple[str, str]] = (),
) -> Broadcast:
    """Schedule a broadcast (now, or at ``send_at``).

    Args:
        session: an open session; the caller commits.
        text: the message (the fallback when ``texts`` has no entry for a person's language).
        selectors: audience selectors (see ``bot.broadcasts.audience``); empty = everyone.
        send_at: when to send, timezone-aware; None = now.
        must_read: ask recipients to acknowledge.
        created_by: the sender, if a person.
        kind: what it is; vision broadcasts count toward exposure.
        texts: the text per language, for messages the bot words itself (the digest).
        variants: wordings that rotate per person (vision series); the n-th copy gets variant n.
        photo_file_id: a Telegram photo to send with the text as its caption.
        local_time: send when each person's own clock shows this wall-clock time (naive).
        schedule_id: the schedule that made it; with ``local_time`` it names the occurrence.
        series_id: the vision series it belongs to.
        actions: buttons instead of the clap, one per row, as (label, callback data) pairs.
    """
    text = check_text(text, photo=photo_file_id is not None)
    for other in [*(texts or {}).values(), *variants]:
        check_text(other, photo=photo_file_id is not None)
    if send_at is not None and send_at.tzinfo is None:
        raise InvalidInputError("give the send time with a time zone, e.g. 2026-12-01T09:00+08:00")
    if local_time is not None and local_time.tzinfo is not None:
        raise InvalidInputError("local_time is a wall-clock time without a zone")
    for label, data in actions:
        # Telegram's limit on callback data, in bytes; a label longer than a phone's width is unreadable.
        if not label.strip() or len(label) > MAX_ACTION_LABEL or not 0 < len(data.encode()) <= 64:
            raise InvalidInputError("a button needs a label of at most 64 characters and data of 1-64 bytes")
    audience = parse_audience(selectors)
    for name in audience.units:  # fail now, not at send time
        resolve_audience(session=session, audience=parse_audience([f"unit:{name}"]))
    broadcast = Broadcast(
        kind=kind.value,
        text=text,
        texts=dict(texts or {}),
        variants=list(variants),
        photo_file_id=photo_file_id,
        audience=list(audience.selectors),
        must_read=must_read,
        send_at=send_at or utc_now(),
        local_time=local_time,
        schedule_id=schedule_id,
        series_id=series_id,
        occurrence=local_time.isoformat(timespec="minutes") if local_time and schedule_id else None,
        created_by_id=created_by.id if created_by else None,
        actions=[[label, data] for label, data in actions] or None,
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def _series_counts(session: Session, series_id: int) -> dict[int, int]:
    """How many copies of a vision series each person has had or has on the way."""
    rows = session.execute(
        select(Delivery.person_id, func.count())
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(Broadcast.series_id == series_id, Delivery.state.in_(_REACHING_STATES))
        .group_by(Delivery.person_id)
    ).all()
    return {person_id: count for person_id, count in rows}


def _copy_for(
    broadcast: Broadcast,
    person: Person,
    *,
    series_counts: Mapping[int, int],
    reminded: Mapping[int, str] | None = None,
) -> tuple[str | None, int | None]:
    """This person's wording (None = the broadcast's text) and, for a vision series, which variant.

    ``reminded``: for a reminder, what each person's copy of the must-read said; they get it again
    under the reminder's note, in their language.
    """
    if reminded is not None and person.id in reminded:
        return f"{say(REMINDER_NOTE, person.language)}\n\n{reminded[person.id]}", None
    if broadcast.variants:
        variant = series_counts.get(person.id, 0) % len(broadcast.variants)
        return broadcast.variants[variant], variant
    # The bot's own words come in every language; ``text`` stands in for a table without the reader's.
    localised = broadcast.texts.get(reader_language(person.language))
    return (localised if localised and localised != broadcast.text else None), None


def _original_copies(session: Session, broadcast_id: int) -> dict[int, str]:
    """Person id -> the text of their copy of broadcast ``broadcast_id``."""
    rows = session.execute(
        select(Delivery.person_id, func.coalesce(Delivery.text, Broadcast.text))
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(Delivery.broadcast_id == broadcast_id)
    ).all()
    return {person_id: text for person_id, text in rows}


def _first_attempt(
    broadcast: Broadcast, person: Person, *, now: datetime, timing: DeliveryTiming
) -> datetime:
    """When this person's copy may go: their local send time, moved out of their quiet hours."""
    tz = zone(person.timezone, default=timing.default_timezone)
    due = now
    if broadcast.local_time is not None:
        due = max(now, wall_to_instant(broadcast.local_time, tz))
    if timing.quiet_hours is not None:
        due = timing.quiet_hours.next_allowed(due, tz)
    return due


def reaches_paused(broadcast: Broadcast) -> bool:
    """Whether ``broadcast`` also goes to people who paused pushes: must-reads and survey
    invitations do (see ``audience.resolve_audience``)."""
    return broadcast.must_read or broadcast.kind == BroadcastKind.SURVEY.value


def enqueue_due(
    *, session: Session, now: datetime | None = None, timing: DeliveryTiming = DeliveryTiming()
) -> int:
    """Create the outbox rows of every scheduled broadcast whose time has come; returns rows added.

    Each row is due at the person's own send time (local time, quiet hours). Safe to run from
    several processes at once: the status change is a compare-and-set, so only one of them
    materialises a given broadcast.
    """
    now = now or utc_now()
    added = 0
    due = session.scalars(
        select(Broadcast.id).where(
            Broadcast.status == BroadcastStatus.SCHEDULED.value, Broadcast.send_at <= now
        )
    ).all()
    for broadcast_id in due:
        claimed = session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SCHEDULED.value)
            .values(status=BroadcastStatus.SENDING.value)
        )
        if claimed.rowcount == 0:  # type: ignore[attr-defined]
            continue
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None  # noqa: S101  (just updated it)
        try:
            people = resolve_audience(
                session=session, audience=parse_audience(broadcast.audience),
                include_paused=reaches_paused(broadcast),
            )  # fmt: skip
        except InvalidInputError as exc:  # e.g. the unit was renamed after it was scheduled
            broadcast.status = BroadcastStatus.CANCELLED.value
            broadcast.finished_at = now
            logger.error("broadcast %s cancelled: %s", broadcast_id, exc)
            continue
        series_counts = _series_counts(session, broadcast.series_id) if broadcast.series_id else {}
        reminded = _original_copies(session, broadcast.reminder_of_id) if broadcast.reminder_of_id else None
        for person in people:
            if person.telegram_id is None:
                continue
            text, variant = _copy_for(broadcast, person, series_counts=series_counts, reminded=reminded)
            session.add(
                Delivery(
                    broadcast_id=broadcast_id,
                    person_id=person.id,
                    chat_id=person.telegram_id,
                    text=text,
                    # Its buttons are drawn in the language its text was chosen in, here, once.
                    language=reader_language(person.language),
                    variant=variant,
                    next_attempt_at=_first_attempt(broadcast, person, now=now, timing=timing),
                )
            )
            added += 1
        session.flush()
    return added


def cancel_broadcast(*, session: Session, broadcast_id: int) -> Broadcast:
    """Cancel a broadcast; copies not yet sent are not sent. Who may is the caller's question: people
    go through ``bot.access.service.cancel_broadcast_as``; an operator at the CLI may cancel any."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFoundError(f"no broadcast {broadcast_id}")
    if broadcast.status in (BroadcastStatus.SENT.value, BroadcastStatus.CANCELLED.value):
        raise ConflictError(f"broadcast {broadcast_id} is already {broadcast.status}")
    broadcast.status = BroadcastStatus.CANCELLED.value
    broadcast.finished_at = utc_now()
    session.execute(
        update(Delivery)
        .where(
            Delivery.broadcast_id == broadcast_id,
            Delivery.state.in_([DeliveryState.QUEUED.value, DeliveryState.CLAIMED.value]),
        )
        .values(state=DeliveryState.CANCELLED.value)
    )
    # A cancelled digest hands its stories to the next one; a cancelled story send cancels the story.
    for story in session.scalars(
        select(Story).where(Story.broadcast_id == broadcast_id, Story.status == StoryStatus.SCHEDULED.value)
    ):
        if broadcast.kind == BroadcastKind.DIGEST.value:
            story.status, story.broadcast_id = StoryStatus.APPROVED.value, None
        else:
            story.status = StoryStatus.CANCELLED.value
    session.flush()
    return broadcast


def finish_completed(*, session: Session) -> None:
    """Mark sending broadcasts as sent once no copy is queued or in flight."""
    sending = session.scalars(
        select(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING.value)
    ).all()
    for broadcast in sending:
        open_rows = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.broadcast_id == broadcast.id,
                Delivery.state.in_(
                    [DeliveryState.QUEUED.value, DeliveryState.CLAIMED.value, DeliveryState.SENDING.value]
                ),
            )
        )
        if not open_rows:
            broadcast.status = BroadcastStatus.SENT.value
            broadcast.finished_at = utc_now()
            for story in session.scalars(
                select(Story).where(
                    Story.broadcast_id == broadcast.id, Story.status == StoryStatus.SCHEDULED.value
                )
            ):
                story.status = StoryStatus.SENT.value
    session.flush()


def broadcast_status(*, session: Session, broadcast_id: int) -> dict[str, int | str]:
    """Delivery figures: recipients, delivered, failed, blocked, reactions, acknowledged (and more)."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFoundError(f"no broadcast {broadcast_id}")
    counts = dict(
        session.execute(
            select(Delivery.state, func.count())
            .where(Delivery.broadcast_id == broadcast_id)
            .group_by(Delivery.state)
        ).all()
    )
    reactions = session.scalar(
        select(func.count()).where(Delivery.broadcast_id == broadcast_id, Delivery.reacted_at.is_not(None))
    )
    acknowledged = session.scalar(
        select(func.count()).where(
            Delivery.broadcast_id == broadcast_id, Delivery.acknowledged_at.is_not(None)
        )
    )
    return {
        "status": broadcast.status,
        "recipients": sum(counts.values()),
        "delivered": counts.get(DeliveryState.SENT.value, 0),
        "failed": counts.get(DeliveryState.FAILED.value, 0),
        "blocked": counts.get(DeliveryState.BLOCKED.value, 0),
        "queued": sum(
            counts.get(state.value, 0)
            for state in (DeliveryState.QUEUED, DeliveryState.CLAIMED, DeliveryState.SENDING)
        ),
        "uncertain": counts.get(DeliveryState.UNCERTAIN.value, 0),
        "cancelled": counts.get(DeliveryState.CANCELLED.value, 0),
        "reactions": int(reactions or 0),
        "acknowledged": int(acknowledged or 0),
        "unread": _unread_count(session, broadcast) if broadcast.must_read else 0,
    }


# A must-read copy not yet marked read: everyone it went to or is going to, whether Telegram took it
# or not (a blocked person has not read it either); only a cancelled copy was never meant to arrive.
def _unread(broadcast_id: int) -> list[ColumnElement[bool]]:
    return [
        Delivery.broadcast_id == broadcast_id,
        Delivery.acknowledged_at.is_(None),
        Delivery.state != DeliveryState.CANCELLED.value,
    ]


def _unread_count(session: Session, broadcast: Broadcast) -> int:
    return int(session.scalar(select(func.count()).where(*_unread(broadcast.id))) or 0)


@dataclass(frozen=True, slots=True)
class UnreadReader:
    """Someone who has not marked a must-read as read."""

    name: str
    unit: str | None  # their home unit (None: an admin outside the tree)
    state: str  # their copy's ``DeliveryState``: sent, or why it has not reached them (yet)


@dataclass(frozen=True, slots=True)
class UnreadReport:
    """Who has not read a must-read yet, unit by unit (the units with most unread first)."""

    must_read: bool
    by_unit: list[tuple[str | None, int]]
    readers: list[UnreadReader]


def unread_report(*, session: Session, broadcast_id: int) -> UnreadReport:
    """Who has not marked must-read ``broadcast_id`` as read (with ✅ under it or under its reminder),
    counted per home unit; empty for a broadcast that is not a must-read.

    Raises:
        NotFoundError: no such broadcast.
    """
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFoundError(f"no broadcast {broadcast_id}")
    if not broadcast.must_read:
        return UnreadReport(must_read=False, by_unit=[], readers=[])
    # The home unit, as ``people.service.home_unit`` has it: the first membership.
    first = (
        select(Membership.person_id, func.min(Membership.id).label("membership_id"))
        .group_by(Membership.person_id)
        .subquery()
    )
    rows = session.execute(
        select(Person.name, Unit.name, Delivery.state)
        .join(Person, Person.id == Delivery.person_id)
        .outerjoin(first, first.c.person_id == Person.id)
        .outerjoin(Membership, Membership.id == first.c.membership_id)
        .outerjoin(Unit, Unit.id == Membership.unit_id)
        .where(*_unread(broadcast_id))
        .order_by(Unit.name, Person.name, Person.id)
    ).all()
    readers = [UnreadReader(name=name or "—", unit=unit, state=state) for name, unit, state in rows]
    counts: dict[str | None, int] = {}
    for reader in readers:
        counts[reader.unit] = counts.get(reader.unit, 0) + 1
    by_unit = sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))
    return UnreadReport(must_read=True, by_unit=by_unit, readers=readers)


def list_broadcasts(*, session: Session, limit: int = 50) -> Sequence[Broadcast]:
    """Most recent broadcasts first."""
    return session.scalars(
        select(Broadcast).order_by(Broadcast.send_at.desc(), Broadcast.id.desc()).limit(limit)
    ).all()


def upcoming_broadcasts(*, session: Session, limit: int = 20) -> Sequence[Broadcast]:
    """Broadcasts not yet sent, soonest first (who may see which is ``bot.access``'s to say)."""
    query = select(Broadcast).where(Broadcast.status == BroadcastStatus.SCHEDULED.value)
    return session.scalars(query.order_by(Broadcast.send_at, Broadcast.id).limit(limit)).all()


def _language_of(session: Session, person_id: int) -> str | None:
    person = session.get(Person, person_id)
    return person.language if person else None


class ReactionKind(StrEnum):
    """What a press under a copy records."""

    CLAP = "clap"
    ACKNOWLEDGE = "acknowledge"  # "I've read it", on a must-read


_CONTROL_OF = {ReactionKind.CLAP: Control.CLAP, ReactionKind.ACKNOWLEDGE: Control.READ}


@dataclass(frozen=True, slots=True)
class Reacted:
    """A reaction recorded, and the copy as it should now be drawn."""

    delivery_id: int
    kind: str
    must_read: bool
    language: str
    button: str | None
    actions: tuple[tuple[str, str], ...]
    claps: int  # people who clapped for this broadcast so far
    read: bool  # this copy is marked read


def react_to_delivery(*, session: Session, delivery_id: int, person_id: int, kind: str) -> Reacted:
    """Record a clap or an "I've read it" on a person's own copy of a broadcast.

    Only with the button the copy carries: no clap for an alert or an escalation, no read mark for
    what is not a must-read. Read under a reminder marks the must-read it reminds of read too.

    Raises:
        InvalidInputError: not their copy, or not a button it has.
    """
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.person_id != person_id:
        raise InvalidInputError("that message is not yours to react to")
    broadcast = session.get(Broadcast, delivery.broadcast_id)
    try:
        reaction = ReactionKind(kind)
    except ValueError:
        raise InvalidInputError(f"unknown reaction {kind!r}") from None
    actions = tuple((str(label), str(data)) for label, data in (broadcast.actions or ())) if broadcast else ()
    if broadcast is None or _CONTROL_OF[reaction] not in controls_for(
        kind=broadcast.kind, must_read=broadcast.must_read, button=broadcast.button, has_actions=bool(actions)
    ):
        raise InvalidInputError("that message has no such button")
    now = utc_now()
    if reaction is ReactionKind.CLAP:
        delivery.reacted_at = delivery.reacted_at or now
    else:
        delivery.acknowledged_at = delivery.acknowledged_at or now
        # Read now: a reminder still waiting to go (quiet hours) has nothing left to remind of.
        session.execute(
            update(Delivery)
            .where(
                Delivery.broadcast_id.in_(
                    select(Broadcast.id).where(Broadcast.reminder_of_id == broadcast.id)
                ),
                Delivery.person_id == person_id,
                Delivery.state.in_([DeliveryState.QUEUED.value, DeliveryState.CLAIMED.value]),
            )
            .values(state=DeliveryState.CANCELLED.value)
            .execution_options(synchronize_session=False)
        )
        if broadcast.reminder_of_id is not None:
            session.execute(
                update(Delivery)
                .where(
                    Delivery.broadcast_id == broadcast.reminder_of_id,
                    Delivery.person_id == person_id,
                    Delivery.acknowledged_at.is_(None),
                )
                .values(acknowledged_at=now)
                .execution_options(synchronize_session=False)
            )
    session.flush()
    claps = session.scalar(
        select(func.count()).where(Delivery.broadcast_id == broadcast.id, Delivery.reacted_at.is_not(None))
    )
    return Reacted(
        delivery_id=delivery.id,
        kind=broadcast.kind,
        must_read=broadcast.must_read,
        # A copy queued before migration 0018 has no language of its own: its reader's, then.
        language=reader_language(delivery.language or _language_of(session, person_id)),
        button=broadcast.button,
        actions=actions,
        claps=int(claps or 0),
        read=delivery.acknowledged_at is not None,
    )
