"""Re-index jobs, shared by every web process: any of them can report any job's progress."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utc_now


class IngestJobRow(Base):
    """One re-index: queued, running (with progress), done (with what changed) or failed.

    ``running_slot`` is 1 while the job runs and NULL otherwise; its unique constraint is what lets only
    one re-index run at a time across processes (NULLs never collide). ``heartbeat_at`` is refreshed by
    the process that owns the job, so a job whose process died is recognised as abandoned.
    """

    __tablename__ = "ingest_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    paths: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: the whole library
    owner: Mapped[str] = mapped_column(String(120))  # host and pid, for people reading the logs
    running_slot: Mapped[int | None] = mapped_column(Integer, unique=True)
    stage: Mapped[str] = mapped_column(String(40), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[list[str]] = mapped_column(JSON, default=list)
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)
    removed: Mapped[list[str]] = mapped_column(JSON, default=list)
    failed: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    # 1 for a job as queued; a job whose process died is queued again with the next number, up to
    # a limit (a file that kills the process every time must not be retried for ever).
    attempt: Mapped[int] = mapped_column(Integer, default=1)
