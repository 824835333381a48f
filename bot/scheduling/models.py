"""Schedules: recurring work (vision messages, the weekly digest) kept in the database."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utc_now


class Schedule(Base):
    """A cron cadence in each person's local time, and what to do when it comes round.

    ``next_occurrence`` is the wall-clock time of the next run; ``next_run_at`` the instant the
    earliest time zone reaches it. ``every_weeks`` above 1 keeps only the cron's occurrences in every
    N-th week counted from the Monday ``anchor_week`` (migration 0024; see ``bot.scheduling.clock``). Firing moves both forward in one compare-and-set, so a restart
    or a second scheduler never fires the same occurrence twice.
    """

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # what fires: "vision", "digest", ...
    name: Mapped[str | None] = mapped_column(String(64), unique=True)  # for singletons such as the digest
    target_id: Mapped[int | None] = mapped_column(Integer)  # e.g. the vision series
    cron: Mapped[str] = mapped_column(String(120))
    every_weeks: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    anchor_week: Mapped[date | None] = mapped_column(Date)  # a Monday; only with every_weeks > 1
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    payload: Mapped[dict[str, object]] = mapped_column(
        JSON, default=dict
    )  # e.g. {"survey": "resistance-pulse"}
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_occurrence: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    next_run_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
