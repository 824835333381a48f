"""Must-read means must-read: a copy not marked read some hours after it arrived gets one reminder.

A scheduler chore (``send_must_read_reminders``, one of the scheduler's ticks). Each copy is handed
to its reminder by a compare-and-set on ``Delivery.reminded_at`` in the same statement that picks it
(``UPDATE ... WHERE reminded_at IS NULL ... RETURNING``): with two schedulers at once, the second
finds the rows the first took already set (PostgreSQL re-checks a row another transaction changed;
SQLite's writers queue), so no copy is reminded twice, and a tick that fails rolls its claim back
with the reminder it would have queued.

The reminder is a broadcast like any other (kind ``reminder``, a must-read to the people it names),
so it goes through the outbox: quiet hours, /stop rules for must-reads, the send rate, exactly once.
Each person gets what their copy said again under a note in their language, and "I've read it"
under the reminder marks the original read (``service.react_to_delivery``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.broadcasts.models import Broadcast, BroadcastKind, BroadcastStatus, Delivery, DeliveryState
from bot.broadcasts.service import MAX_TEXT, create_broadcast
from bot.broadcasts.wording import REMINDER_NOTE
from bot.wording import default_language, say

logger = logging.getLogger(__name__)

# A copy whose reminder would come more than this late (the scheduler was down, the feature was
# just switched on over old must-reads) is left alone: a week-old "please read" is noise.
STALE_AFTER = timedelta(days=7)
# Copies arrive up to a day after the broadcast's send time (each person's local time, quiet
# hours); older broadcasts need not be looked at.
_LATEST_ARRIVAL = timedelta(days=2)


def send_must_read_reminders(session: Session, now: datetime, *, after: timedelta | None) -> int:
    """Queue one reminder to each person who has not marked a must-read read ``after`` its copy
    reached them; returns how many people. ``after`` None or zero: no reminders.
    """
    if not after:
        return 0
    due_from = now - after - STALE_AFTER
    must_reads = select(Broadcast.id).where(
        Broadcast.must_read.is_(True),
        Broadcast.reminder_of_id.is_(None),  # a reminder is not reminded of
        Broadcast.status != BroadcastStatus.CANCELLED.value,
        Broadcast.send_at >= due_from - _LATEST_ARRIVAL,
    )
    claimed = session.execute(
        update(Delivery)
        .where(
            Delivery.broadcast_id.in_(must_reads),
            Delivery.state == DeliveryState.SENT.value,
            Delivery.acknowledged_at.is_(None),
            Delivery.reminded_at.is_(None),
            Delivery.sent_at <= now - after,
            Delivery.sent_at > due_from,
        )
        .values(reminded_at=now)
        .returning(Delivery.broadcast_id, Delivery.person_id)
        .execution_options(synchronize_session=False)
    ).all()
    people: dict[int, list[int]] = defaultdict(list)
    for broadcast_id, person_id in claimed:
        people[broadcast_id].append(person_id)
    for broadcast_id, person_ids in sorted(people.items()):
        original = session.get(Broadcast, broadcast_id)
        if original is None:
            continue
        # What lists and the console show; each person's copy is worded for them when it is queued.
        summary = f"{say(REMINDER_NOTE, default_language())}\n\n{original.text}"
        reminder = create_broadcast(
            session=session,
            kind=BroadcastKind.REMINDER,
            text=summary if len(summary) <= MAX_TEXT else summary[: MAX_TEXT - 1] + "…",
            selectors=[f"person:{person_id}" for person_id in sorted(person_ids)],
            must_read=True,  # reaches people who paused pushes, as the must-read did
            send_at=now,
        )
        reminder.reminder_of_id = original.id
        logger.info(
            "must-read %s: reminder %s queued for %s people", original.id, reminder.id, len(person_ids)
        )
    session.flush()
    return len(claimed)
