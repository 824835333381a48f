"""A broadcast and its outbox: one delivery row per recipient."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utc_now


class BroadcastStatus(StrEnum):
    """Where a broadcast is in its life."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class DeliveryState(StrEnum):
    """Where one recipient's copy is.

    ``uncertain``: a worker died while Telegram was handling the request, so nobody knows whether it
    arrived. It is not sent again: a duplicate is worse than the rare copy that went missing, and
    the status report counts these so an operator can see them.
    """

    QUEUED = "queued"
    CLAIMED = "claimed"  # reserved by a worker, not yet attempted
    SENDING = "sending"  # the request to Telegram is under way
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    UNCERTAIN = "uncertain"
    CANCELLED = "cancelled"


class BroadcastKind(StrEnum):
    """What a broadcast carries, and so how each copy looks (``bot.broadcasts.look``); vision
    messages count toward each person's exposure."""

    MESSAGE = "message"  # an announcement
    STORY = "story"
    DIGEST = "digest"
    VISION = "vision"
    SURVEY = "survey"
    ALERT = "alert"  # a rollout warning to managers
    ESCALATION = "escalation"  # a question passed to a manager, with its Reply buttons
    NOTICE = "notice"  # the bot to one person: the answer to their question, their review pack
    REMINDER = "reminder"  # a must-read not yet read, again (``Broadcast.reminder_of_id``)


class Broadcast(Base):
    """A message for an audience, now or at a set time.

    ``local_time`` set: each person gets it when their own clock shows that wall-clock time
    (``send_at`` is then the moment the first time zone gets there). ``texts`` holds the text per
    language and ``variants`` the rotating wordings of a vision series; either may override ``text``.
    """

    __tablename__ = "broadcasts"
    __table_args__ = (
        UniqueConstraint("schedule_id", "occurrence", name="uq_broadcasts_schedule_occurrence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=BroadcastKind.MESSAGE.value, index=True)
    text: Mapped[str] = mapped_column(Text)
    texts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    variants: Mapped[list[str]] = mapped_column(JSON, default=list)
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    local_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="SET NULL"))
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("vision_series.id", ondelete="SET NULL"), index=True
    )
    occurrence: Mapped[str | None] = mapped_column(String(32))
    # A button under each copy besides the clap, e.g. "survey:12" = start survey wave 12.
    button: Mapped[str | None] = mapped_column(String(64))
    # Buttons of its own instead of the clap, one per row: [label, callback data] pairs (an escalated
    # question's "Reply" and "answer with this FAQ"). Worded for its audience, like ``text``.
    actions: Mapped[list[list[str]] | None] = mapped_column(JSON)
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    must_read: Mapped[bool] = mapped_column(Boolean, default=False)
    # A reminder: the must-read it reminds of. Not a foreign key: SQLite adds one only by rebuilding
    # this table, and the rebuild would cascade-delete every delivery row (migration 0018).
    reminder_of_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(20), default=BroadcastStatus.SCHEDULED.value, index=True)
    send_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Delivery(Base):
    """One recipient's copy of a broadcast: the outbox row the sender works through."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "person_id", name="uq_deliveries_broadcast_person"),
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str | None] = mapped_column(Text)  # this person's wording, when it differs
    # The language the copy is worded in (its text and its buttons), fixed when the row is made so
    # that both agree even if the person changes /lang before it goes; None on rows made before 0018.
    language: Mapped[str | None] = mapped_column(String(10))
    variant: Mapped[int | None] = mapped_column(Integer)  # which vision wording they got
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    worker: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reacted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A must-read copy not read in time was handed to a reminder: set by a compare-and-set, so one
    # reminder at most, whichever scheduler gets there first (``bot.broadcasts.reminders``).
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class StoryStatus(StrEnum):
    """A success story's life: written, reviewed, sent (on its own or in the weekly digest)."""

    DRAFT = "draft"
    PENDING = "pending"  # waiting for an admin or a manager higher up
    APPROVED = "approved"  # in the case library; waits for the next digest
    SCHEDULED = "scheduled"  # a broadcast carries it
    SENT = "sent"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Story(Base):
    """A manager's success story: a quick win that others should hear about."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(10), default="zh-Hans")
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=StoryStatus.DRAFT.value, index=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    review_note: Mapped[str | None] = mapped_column(Text)
    case_file: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


class VisionSeries(Base):
    """The vision statement in several wordings, sent on a cadence so people hear it many times."""

    __tablename__ = "vision_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    variants: Mapped[list[str]] = mapped_column(JSON, default=list)
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    must_read: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class SenderWorker(Base):
    """A running delivery worker, so that all of them together keep to one global send rate (and
    a send confirmed while none runs says so: ``bot.broadcasts.senders``).

    Each worker rewrites its own row about once a second; a row not rewritten within the timeout
    belongs to a dead worker and drops out of the share. ``busy``: the worker has copies in hand
    (idle workers take no share). ``paused_until``: Telegram answered this worker with 429; the
    limit is the bot's, so every worker holds its sends until then.
    """

    __tablename__ = "sender_workers"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    busy: Mapped[bool] = mapped_column(Boolean, default=False)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
