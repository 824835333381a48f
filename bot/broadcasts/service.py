"""Create, schedule, cancel and report on broadcasts; turn due broadcasts into outbox rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.broadcasts.audience import parse_audience, resolve_audience
from bot.broadcasts.models import Broadcast, BroadcastStatus, Delivery, DeliveryState
from bot.errors import InvalidInputError, NotFoundError
from bot.people.models import Person
from bot.storage.base import utc_now

MAX_TEXT = 4000  # Telegram's limit is 4096; leave room for the must-read note


def create_broadcast(
    *,
    session: Session,
    text: str,
    selectors: Sequence[str] = (),
    send_at: datetime | None = None,
    must_read: bool = False,
    created_by: Person | None = None,
) -> Broadcast:
    """Schedule a broadcast (now, or at ``send_at``).

    Args:
        session: an open session; the caller commits.
        text: the message.
        selectors: audience selectors (see ``bot.broadcasts.audience``); empty = everyone.
        send_at: when to send, timezone-aware; None = now.
        must_read: ask recipients to acknowledge.
        created_by: the sender, if a person.
    """
    text = text.strip()
    if not text:
        raise InvalidInputError("a broadcast needs text")
    if len(text) > MAX_TEXT:
        raise InvalidInputError(f"a broadcast is at most {MAX_TEXT} characters")
    if send_at is not None and send_at.tzinfo is None:
        raise InvalidInputError("give the send time with a time zone, e.g. 2026-12-01T09:00+08:00")
    audience = parse_audience(selectors)
    for name in audience.units:  # fail now, not at send time
        resolve_audience(session=session, audience=parse_audience([f"unit:{name}"]))
    broadcast = Broadcast(
        text=text,
        audience=list(audience.selectors),
        must_read=must_read,
        send_at=send_at or utc_now(),
        created_by_id=created_by.id if created_by else None,
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def enqueue_due(*, session: Session, now: datetime | None = None) -> int:
    """Create the outbox rows of every scheduled broadcast whose time has come; returns rows added.

    Safe to run from several processes at once: the status change is a compare-and-set, so only one
    of them materialises a given broadcast.
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
        for person in resolve_audience(session=session, audience=parse_audience(broadcast.audience)):
            if person.telegram_id is None:
                continue
            session.add(
                Delivery(
                    broadcast_id=broadcast_id,
                    person_id=person.id,
                    chat_id=person.telegram_id,
                    next_attempt_at=now,
                )
            )
            added += 1
        session.flush()
    return added


def cancel_broadcast(*, session: Session, broadcast_id: int) -> Broadcast:
    """Cancel a broadcast; copies not yet sent are not sent."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFoundError(f"no broadcast {broadcast_id}")
    if broadcast.status in (BroadcastStatus.SENT.value, BroadcastStatus.CANCELLED.value):
        raise InvalidInputError(f"broadcast {broadcast_id} is already {broadcast.status}")
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
    }


def list_broadcasts(*, session: Session, limit: int = 50) -> Sequence[Broadcast]:
    """Most recent broadcasts first."""
    return session.scalars(
        select(Broadcast).order_by(Broadcast.send_at.desc(), Broadcast.id.desc()).limit(limit)
    ).all()


def react_to_delivery(*, session: Session, delivery_id: int, person_id: int, kind: str) -> Delivery:
    """Record a clap or an acknowledgement on a person's own copy of a broadcast."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.person_id != person_id:
        raise InvalidInputError("that message is not yours to react to")
    now = utc_now()
    if kind == "clap":
        delivery.reacted_at = delivery.reacted_at or now
    elif kind == "acknowledge":
        delivery.acknowledged_at = delivery.acknowledged_at or now
    else:
        raise InvalidInputError(f"unknown reaction {kind!r}")
    session.flush()
    return delivery
