"""Re-indexing in the background, with progress that any web process can report.

A job is a row in ``ingest_jobs``. The process that queued it runs it on a worker thread, writing its
progress (a few times a second at most) and a heartbeat; a progress poll that lands on any process
reads the row. One job runs at a time across processes, in the order they were queued: the
``running_slot`` unique constraint admits a single runner, and a queued job only takes the slot when
no live job was queued before it. A job whose process has shown no sign of life for ``abandon_after``
seconds (it died, or lost the database) is failed as abandoned by whoever looks first, so it neither
shows as running forever nor blocks the queue, and queued again in that process (an ingest is
incremental: running it twice does no harm), up to ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import ColumnElement, and_, delete, event, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.library.models import IngestJobRow
from bot.storage.base import utc_now
from bot.storage.database import transaction
from ingest.pipeline import IngestReport, ProgressCallback

logger = logging.getLogger(__name__)

LIVE = ("queued", "running")
ABANDONED = "abandoned: the process running it stopped answering"
STOPPED = "cancelled: the process stopped before its turn came"
MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class _Abandoned:
    """A job failed as abandoned, to queue again."""

    id: str
    paths: list[str]
    attempt: int
    created_at: datetime


def _alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class Ingester(Protocol):
    """What runs a re-index (the knowledge core)."""

    def ingest(
        self, paths: Sequence[Path] | None = None, *, progress: ProgressCallback | None = None
    ) -> IngestReport: ...


@dataclass
class IngestJob:
    """One re-index as people see it: where it is, and what it did."""

    id: str
    state: str = "queued"  # queued | running | done | failed
    stage: str = ""
    done: int = 0
    total: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    error: str | None = None
    ahead: int = 0  # jobs that will run before this queued one

    @property
    def percent(self) -> int:
        """Progress through the current stage, 0-100."""
        return int(100 * self.done / self.total) if self.total else (100 if self.state == "done" else 0)


class IngestJobs:
    """Queues re-index jobs in the database and runs this process's own jobs on worker threads."""

    def __init__(
        self,
        *,
        core: Ingester,
        sessions: sessionmaker[Session],
        abandon_after: float = 120.0,
        keep: int = 50,
        progress_every: float = 0.25,
        poll_every: float = 1.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._core = core
        self._sessions = sessions
        self._abandon_after = timedelta(seconds=abandon_after)
        self._heartbeat_every = abandon_after / 4
        self._keep = keep
        self._progress_every = progress_every
        self._poll_every = poll_every
        self._clock = clock
        self._owner = f"{socket.gethostname()}:{os.getpid()}"[:120]
        self._stop = threading.Event()
        self._turn = threading.Condition()  # wakes this process's waiting jobs when one of its own ends
        self._threads: list[threading.Thread] = []

    def start(self, paths: Sequence[Path] | None = None, *, session: Session | None = None) -> IngestJob:
        """Queue a re-index of ``paths`` (default: the whole library) and return its job.

        Args:
            paths: files or folders to re-read.
            session: a transaction the caller has open (a route's request session): the job is queued
                in it and starts once it commits; nothing runs if it rolls back. Without one the job is
                queued in a transaction of its own and starts at once.
        """
        return self._queue(paths, session=session, attempt=1)

    def recover(self) -> list[IngestJob]:
        """Fail the jobs whose process stopped answering, and queue each again here (the next
        attempt, up to ``MAX_ATTEMPTS``); returns the new jobs. Safe in every process at once: each
        abandoned job is taken over by one of them."""
        with transaction(self._sessions) as session:
            now = self._clock()
            abandoned = self._abandon_dead_here(session, now) + self._abandon_silent(session, now)
        again = []
        # In the order they were queued, each a moment after the last: the queue keeps its order.
        for position, lost in enumerate(sorted(abandoned, key=lambda a: (a.created_at, a.id))):
            if lost.attempt >= MAX_ATTEMPTS:
                logger.error(
                    "re-index job %s was abandoned %d times; not queued again", lost.id, lost.attempt
                )
                continue
            job = self._queue(
                [Path(p) for p in lost.paths], session=None, attempt=lost.attempt + 1,
                queued_at=self._clock() + timedelta(microseconds=position),
            )  # fmt: skip
            logger.warning(
                "re-index job %s was abandoned (its process stopped); queued again as %s", lost.id, job.id
            )
            again.append(job)
        return again

    def _queue(
        self,
        paths: Sequence[Path] | None,
        *,
        session: Session | None,
        attempt: int,
        queued_at: datetime | None = None,
    ) -> IngestJob:
        job_id = uuid.uuid4().hex[:12]
        now = queued_at or self._clock()
        row = IngestJobRow(
            id=job_id, state="queued", paths=[str(path) for path in paths or []], owner=self._owner,
            stage="", done=0, total=0, added=[], changed=[], removed=[], failed=[],
            created_at=now, heartbeat_at=now, attempt=attempt,
        )  # fmt: skip
        thread = threading.Thread(
            target=self._run, args=(job_id, now, list(paths or [])), name=f"ingest:{job_id}", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        if session is None:
            with transaction(self._sessions) as own:
                own.add(row)
            thread.start()
        else:
            # A second connection could not see the row before the caller commits (and on SQLite would
            # wait for the caller's write lock), so the thread starts after the commit.
            session.add(row)
            event.listen(session, "after_commit", lambda _session: thread.start(), once=True)
        return IngestJob(id=job_id)

    def get(self, job_id: str, *, session: Session | None = None) -> IngestJob | None:
        """The job, whichever process queued it (None once it is long forgotten).

        Args:
            job_id: as `start` returned it.
            session: a transaction the caller has open, to read in (else a session of its own).
        """
        if session is None:
            with self._sessions() as own:
                return self._read(own, job_id)
        return self._read(session, job_id)

    def close(self, *, timeout: float = 10.0) -> None:
        """Cancel this process's jobs still waiting; give a running one ``timeout`` seconds to finish."""
        self._stop.set()
        with self._turn:
            self._turn.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.ident is not None:  # a job whose caller never committed has no thread running
                thread.join(max(0.0, deadline - time.monotonic()))

    def _read(self, session: Session, job_id: str) -> IngestJob | None:
        fresh = (
            select(IngestJobRow).where(IngestJobRow.id == job_id).execution_options(populate_existing=True)
        )
        row = session.execute(fresh).scalar_one_or_none()  # not an earlier read of the same session
        if row is None:
            return None
        now = self._clock()
        job = IngestJob(
            id=row.id, state=row.state, stage=row.stage, done=row.done, total=row.total,
            added=list(row.added), changed=list(row.changed), removed=list(row.removed),
            failed=list(row.failed), error=row.error,
        )  # fmt: skip
        if row.state in LIVE and row.heartbeat_at < now - self._abandon_after:
            job.state, job.error = "failed", ABANDONED
        elif row.state == "queued":
            job.ahead = self._ahead(session, row, now)
        return job

    # ------------------------------------------------------------ the worker thread

    def _run(self, job_id: str, queued_at: datetime, paths: list[Path]) -> None:
        try:
            with transaction(self._sessions) as session:
                self._forget_old(session)
            if self._wait_for_turn(job_id, queued_at):
                self._execute(job_id, paths)
        except Exception:  # the database went away: the job will show as abandoned, the index is intact
            logger.exception("re-index job %s could not be run to the end", job_id)
        finally:
            with self._turn:
                self._turn.notify_all()

    def _wait_for_turn(self, job_id: str, queued_at: datetime) -> bool:
        """Wait (with a heartbeat) until this job holds the running slot; False if it never will."""
        while not self._stop.is_set():
            self.recover()
            now = self._clock()
            with transaction(self._sessions) as session:
                alive = session.execute(
                    update(IngestJobRow)
                    .where(IngestJobRow.id == job_id, IngestJobRow.state == "queued")
                    .values(heartbeat_at=now)
                )
                if alive.rowcount == 0:  # type: ignore[attr-defined]
                    return False  # failed as abandoned meanwhile (this process was stalled)
            if self._claim(job_id, queued_at, now):
                return True
            with self._turn:
                self._turn.wait(self._poll_every)
        self._finish(job_id, state="failed", error=STOPPED, from_state="queued")
        return False

    def _claim(self, job_id: str, queued_at: datetime, now: datetime) -> bool:
        earlier = aliased(IngestJobRow)
        cutoff = now - self._abandon_after
        first_in_line = ~exists().where(
            earlier.state == "queued",
            earlier.heartbeat_at >= cutoff,
            or_(earlier.created_at < queued_at, and_(earlier.created_at == queued_at, earlier.id < job_id)),
        )
        slot_free = ~exists().where(earlier.running_slot.is_not(None))
        try:
            with transaction(self._sessions) as session:
                claimed = session.execute(
                    update(IngestJobRow)
                    .where(
                        IngestJobRow.id == job_id, IngestJobRow.state == "queued", first_in_line, slot_free
                    )
                    .values(state="running", running_slot=1, started_at=now, heartbeat_at=now)
                )
                return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]
        except IntegrityError:  # another process took the slot at the same moment
            return False

    def _execute(self, job_id: str, paths: list[Path]) -> None:
        reporter = _Reporter(
            sessions=self._sessions, job_id=job_id, clock=self._clock, every=self._progress_every
        )
        beating = threading.Event()

        def heartbeat() -> None:
            while not beating.wait(self._heartbeat_every):
                reporter.write()

        beat = threading.Thread(target=heartbeat, name=f"ingest:{job_id}:heartbeat", daemon=True)
        beat.start()
        try:
            report = self._core.ingest(paths or None, progress=reporter.progress)
        except Exception as exc:  # reported on the job; the previous index stays live
            beating.set()
            self._finish(
                job_id, state="failed", error=str(exc)[:500] or type(exc).__name__, reporter=reporter
            )
        else:
            beating.set()
            self._finish(job_id, state="done", report=report, reporter=reporter)
        beat.join()

    def _finish(
        self,
        job_id: str,
        *,
        state: str,
        error: str | None = None,
        report: IngestReport | None = None,
        reporter: _Reporter | None = None,
        from_state: str = "running",
    ) -> None:
        now = self._clock()
        values: dict[str, object] = {
            "state": state, "error": error, "running_slot": None, "finished_at": now, "heartbeat_at": now,
        }  # fmt: skip
        if reporter is not None:
            stage, done, total = reporter.latest
            # Throttling may have held the last step back: a finished job shows its last stage complete.
            values.update(stage=stage, done=total if state == "done" else done, total=total)
        if report is not None:
            values.update(
                added=report.added, changed=report.changed, removed=report.removed,
                failed=[f"{problem.source}: {problem.message}" for problem in report.failed],
            )  # fmt: skip
        with transaction(self._sessions) as session:
            # Only from the state this process left it in: a job already failed as abandoned stays failed
            # (its slot may belong to another job by now).
            written = session.execute(
                update(IngestJobRow)
                .where(IngestJobRow.id == job_id, IngestJobRow.state == from_state)
                .values(**values)
            )
            if written.rowcount == 0:  # type: ignore[attr-defined]
                logger.warning("re-index job %s ended (%s) after it was given up as abandoned", job_id, state)

    # ------------------------------------------------------------ bookkeeping

    def _abandon_dead_here(self, session: Session, now: datetime) -> list[_Abandoned]:
        """Fail the live jobs of processes on this host that are gone (killed, crashed): a restart
        takes their work over at once instead of after ``abandon_after``."""
        host = self._owner.rpartition(":")[0]
        dead = []
        for owner in session.scalars(
            select(IngestJobRow.owner)
            .where(IngestJobRow.state.in_(LIVE), IngestJobRow.owner != self._owner)
            .distinct()
        ):
            owner_host, _, pid = owner.rpartition(":")
            if owner_host == host and pid.isdigit() and not _alive(int(pid)):
                dead.append(owner)
        if not dead:
            return []
        return self._fail_as_abandoned(session, now, IngestJobRow.owner.in_(dead))

    def _abandon_silent(self, session: Session, now: datetime) -> list[_Abandoned]:
        """Fail the live jobs nobody has heard of for ``abandon_after``."""
        return self._fail_as_abandoned(session, now, IngestJobRow.heartbeat_at < now - self._abandon_after)

    def _fail_as_abandoned(
        self, session: Session, now: datetime, which: ColumnElement[bool]
    ) -> list[_Abandoned]:
        """Fail the live jobs ``which`` selects as abandoned; returns them, to queue again (one
        UPDATE, so of two processes looking at once only one gets a given job back)."""
        rows = session.execute(
            update(IngestJobRow)
            .where(IngestJobRow.state.in_(LIVE), which)
            .values(state="failed", error=ABANDONED, running_slot=None, finished_at=now)
            .returning(IngestJobRow.id, IngestJobRow.paths, IngestJobRow.attempt, IngestJobRow.created_at)
        ).all()
        return [_Abandoned(str(r[0]), list(r[1] or []), int(r[2] or 1), r[3]) for r in rows]

    def _ahead(self, session: Session, row: IngestJobRow, now: datetime) -> int:
        live = and_(IngestJobRow.state.in_(LIVE), IngestJobRow.heartbeat_at >= now - self._abandon_after)
        before = or_(
            IngestJobRow.created_at < row.created_at,
            and_(IngestJobRow.created_at == row.created_at, IngestJobRow.id < row.id),
        )
        running_or_before = or_(IngestJobRow.state == "running", before)
        count = session.scalar(select(func.count()).where(live, running_or_before, IngestJobRow.id != row.id))
        return int(count or 0)

    def _forget_old(self, session: Session) -> None:
        recent = select(IngestJobRow.id).order_by(IngestJobRow.created_at.desc()).limit(self._keep)
        session.execute(
            delete(IngestJobRow).where(IngestJobRow.state.not_in(LIVE), IngestJobRow.id.not_in(recent))
        )


class _Reporter:
    """The running job's progress: kept as it comes, written at most every ``every`` seconds."""

    def __init__(
        self, *, sessions: sessionmaker[Session], job_id: str, clock: Callable[[], datetime], every: float
    ) -> None:
        self._sessions = sessions
        self._job_id = job_id
        self._clock = clock
        self._every = every
        self._lock = threading.Lock()
        self._written_at = 0.0
        self.latest: tuple[str, int, int] = ("", 0, 0)

    def progress(self, stage: str, done: int, total: int) -> None:
        """The ingest pipeline's progress callback."""
        with self._lock:
            self.latest = (stage[:40], done, total)
            due = time.monotonic() - self._written_at >= self._every
        if due:
            self.write()

    def write(self) -> None:
        """Write the latest progress and the heartbeat."""
        with self._lock:
            stage, done, total = self.latest
            self._written_at = time.monotonic()
            try:
                with transaction(self._sessions) as session:
                    session.execute(
                        update(IngestJobRow)
                        .where(IngestJobRow.id == self._job_id, IngestJobRow.state == "running")
                        .values(stage=stage, done=done, total=total, heartbeat_at=self._clock())
                    )
            except SQLAlchemyError:  # a database hiccup must not fail the re-index; the next write may land
                logger.warning("progress of re-index job %s not written", self._job_id, exc_info=True)
