"""Re-index jobs and the processes that run them, shared by every process: any of them can report
any job's progress, and say when no process is running jobs at all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utc_now


class IngestJobRow(Base):
    """One re-index: queued, running (with progress), done (with what changed) or failed.

    ``running_slot`` is 1 while the job runs and NULL otherwise; its unique constraint is what lets only
    one re-index run at a time across processes (NULLs never collide). ``heartbeat_at`` is refreshed by
    the process running the job, so a job whose process died is recognised as abandoned; a queued
    job needs no heartbeat (it waits for whichever process runs jobs).
    """

    __tablename__ = "ingest_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    paths: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: the whole library
    # Host and pid, for people reading the logs: the process that queued it, then the one running it.
    owner: Mapped[str] = mapped_column(String(120))
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


class IngestRunnerRow(Base):
    """A process that runs re-index jobs (`changebot worker`, `serve` unless ``--no-jobs``), reporting in.

    Its process rewrites ``seen_at`` every quarter of ``CHANGEBOT_INGEST_JOB_ABANDON_SECONDS``, waiting
    or running a job, and deletes the row when it stops. While no row has been seen for that long, a
    queued job says that no process is running re-index jobs instead of a silent "queued".
    """

    __tablename__ = "ingest_runners"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120))  # host and pid: a killed process is seen at once
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class IndexGenerationRow(Base):
    """One index generation, whole: what every web process and worker loads, on any host.

    The newest row is the live generation: a commit inserts it in one transaction, so no reader
    ever sees half of one. ``payload`` is ``ingest.index.pack``'s blob (chunks, BM25 matrices,
    translations, manifest); the vectors stay in Chroma. The previous generation is kept one round
    for processes that loaded it a moment ago; older ones are deleted.
    """

    __tablename__ = "index_generations"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    model_fingerprint: Mapped[str] = mapped_column(String(200))
    chunks: Mapped[int] = mapped_column(Integer)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # Host and pid of the process that wrote it, for people reading the logs.
    written_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class LibraryFileRow(Base):
    """One file of the change team's library, as every host reads it (issue 17).

    ``source`` is its name in the index ("faqs/answered-by-the-team.yaml"). ``origin`` says where its
    current content came from: "folder" (``changebot ingest`` imported it from ``knowledge/``, and a
    file deleted there leaves the library at the next import) or "console" (an upload, a saved FAQ,
    an approved story: kept until someone removes it there, whatever the folder holds).
    """

    __tablename__ = "library_files"

    source: Mapped[str] = mapped_column(String(500), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16))
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class LibraryFileVersionRow(Base):
    """Every content a library file had, and its removal: who changed what, when (its history)."""

    __tablename__ = "library_file_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(500), index=True)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: removed
    sha256: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
