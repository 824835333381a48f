"""Re-indexing in the background, run by the processes set up to run it, with progress that any
process can report.

A job is a row in ``ingest_jobs``, queued by whichever process was asked (a web process, the bot).
It is run by a *runner*: a process whose ``IngestJobs`` has ``runs`` (`changebot worker`, and
`serve` unless started with ``--no-jobs``), which looks for the oldest queued job every
``poll_every`` seconds (at once when its own process queues one) and runs it on its worker thread,
writing its progress (a few times a second at most) and a heartbeat. A web process that does not
run jobs only queues and reads them, so a large upload takes a worker's time, not a web process's.

Each job runs once, one at a time across processes, in the order they were queued: a runner claims a
job with one UPDATE from ``queued`` to ``running`` that also takes the ``running_slot`` (unique: no
second running job can hold it), and only while no job queued before it waits. Of two runners
claiming at once, one changes the row; the other changes nothing, or trips the unique constraint,
and looks again later. A running job whose process has shown no sign of life for ``abandon_after``
seconds (it died, or lost the database) is failed as abandoned by whoever looks first, so it neither
shows as running forever nor blocks the queue, and queued again in its old place (an ingest is
incremental: running it twice does no harm), up to ``MAX_ATTEMPTS`` times. A queued job belongs to
no process: it waits, however long, for a runner.

Runners report in (``ingest_runners``) every quarter of ``abandon_after``; while none has for
``abandon_after``, a queued job says so (``no_runner``) rather than a silent "queued". How long a
job will take (``seconds_left``, the jobs ahead of it included) is the chunks it will embed (an
``Estimate`` from the library's files against the live index, or the running job's own count) at
the rate recent jobs embedded (their chunks per second of run, reading the files included).
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, and_, delete, event, exists, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.library.models import IngestJobRow, IngestRunnerRow
from bot.storage.base import utc_now
from bot.storage.database import transaction
from ingest.pipeline import IngestReport, ProgressCallback

logger = logging.getLogger(__name__)

LIVE = ("queued", "running")
ABANDONED = "abandoned: the process running it stopped answering"
MAX_ATTEMPTS = 3
RATE_JOBS = 10  # the embedding rate is measured over this many recent jobs

Estimate = Callable[[Sequence[str] | None, Session], int]
"""About how many chunks a re-index of these library files (None: the whole library) would embed, read
in the given session (the caller's: a file uploaded in it counts before it commits)."""


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


def _gone_here(owner: str, host: str) -> bool:
    """Whether ``owner`` ("host:pid") is a process of this ``host`` that has exited."""
    owner_host, _, pid = owner.rpartition(":")
    return owner_host == host and pid.isdigit() and not _alive(int(pid))


class Ingester(Protocol):
    """What runs a re-index (the knowledge core)."""

    def reindex(
        self, sources: Sequence[str] | None = None, *, progress: ProgressCallback | None = None
    ) -> IngestReport: ...


@dataclass
class IngestJob:
    """One re-index as people see it: where it is, how long it will take, and what it did."""

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
    no_runner: bool = False  # queued, and no process that runs re-index jobs has reported in
    seconds_left: float | None = None  # until it is done, the jobs ahead included (None: not known)

    @property
    def percent(self) -> int:
        """Progress through the current stage, 0-100."""
        return int(100 * self.done / self.total) if self.total else (100 if self.state == "done" else 0)

    @property
    def minutes_left(self) -> int | None:
        """``seconds_left`` in whole minutes, rounded up ("about N minutes"); None when not known."""
        return None if self.seconds_left is None else max(1, math.ceil(self.seconds_left / 60))


class IngestJobs:
    """The re-index queue in the database, which any process reads; with ``runs``, this process also
    runs queued jobs (its own and other processes') on a worker thread, from `run_in_background` or
    the first job it queues, until `close`."""

    def __init__(
        self,
        *,
        core: Ingester,
        sessions: sessionmaker[Session],
        runs: bool = True,
        estimate: Estimate | None = None,
        abandon_after: float = 120.0,
        keep: int = 50,
        progress_every: float = 0.25,
        poll_every: float = 1.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._core = core
        self._sessions = sessions
        self._runs = runs
        self._estimate = estimate
        self._abandon_after = timedelta(seconds=abandon_after)
        self._heartbeat_every = abandon_after / 4
        self._keep = keep
        self._progress_every = progress_every
        self._poll_every = poll_every
        self._clock = clock
        self._owner = f"{socket.gethostname()}:{os.getpid()}"[:120]
        self._host = self._owner.rpartition(":")[0]
        self._runner_id = f"runner-{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._wake = threading.Condition()  # a job queued in this process: look now, not at the next poll
        self._woken = False
        self._runner: threading.Thread | None = None
        self._runner_lock = threading.Lock()
        self._estimates: dict[str, int] = {}  # job id -> chunks to embed, guessed once per job
        self._estimates_lock = threading.Lock()

    @property
    def runs(self) -> bool:
        """Whether this process runs re-index jobs (else it only queues and reads them)."""
        return self._runs

    def start(self, sources: Sequence[str] | None = None, *, session: Session | None = None) -> IngestJob:
        """Queue a re-index of library files ``sources`` (default: the whole library) and return its
        job as it stands.

        Args:
            sources: names of library files or folders to re-read ("faqs/answered-by-the-team.yaml"):
                any host can run the job, so it names them in the library, not on a disk.
            session: a transaction the caller has open (a route's request session): the job is queued
                in it and a runner sees it once it commits; nothing runs if it rolls back. Without one
                the job is queued in a transaction of its own.
        """
        job_id = self._queue(sources, session=session, attempt=1)
        if session is None:
            return self.get(job_id) or IngestJob(id=job_id)
        session.flush()
        return self._read(session, job_id) or IngestJob(id=job_id)

    def run_in_background(self) -> None:
        """Run queued jobs, this process's and any other's, on a worker thread until `close` (once)."""
        if not self._runs:
            raise RuntimeError("this process was set up not to run re-index jobs")
        with self._runner_lock:
            if self._runner is None and not self._stop.is_set():
                self._runner = threading.Thread(target=self._serve, name="ingest:runner", daemon=True)
                self._runner.start()

    def recover(self) -> list[IngestJob]:
        """Fail the running jobs whose process stopped answering, and queue each again in its old place
        (the next attempt, up to ``MAX_ATTEMPTS``); returns the new jobs. Safe in every process at
        once: each abandoned job is taken over by one of them."""
        with transaction(self._sessions) as session:
            now = self._clock()
            abandoned = self._abandon_dead_here(session, now) + self._abandon_silent(session, now)
        again = []
        for lost in sorted(abandoned, key=lambda a: (a.created_at, a.id)):
            if lost.attempt >= MAX_ATTEMPTS:
                logger.error(
                    "re-index job %s was abandoned %d times; not queued again", lost.id, lost.attempt
                )
                continue
            job_id = self._queue(
                list(lost.paths), session=None, attempt=lost.attempt + 1,
                queued_at=lost.created_at,
            )  # fmt: skip
            logger.warning(
                "re-index job %s was abandoned (its process stopped); queued again as %s", lost.id, job_id
            )
            again.append(IngestJob(id=job_id))
        return again

    def _queue(
        self,
        sources: Sequence[str] | None,
        *,
        session: Session | None,
        attempt: int,
        queued_at: datetime | None = None,
    ) -> str:
        job_id = uuid.uuid4().hex[:12]
        now = queued_at or self._clock()
        row = IngestJobRow(
            id=job_id, state="queued", paths=list(sources or []), owner=self._owner,
            stage="", done=0, total=0, added=[], changed=[], removed=[], failed=[],
            created_at=now, heartbeat_at=now, attempt=attempt,
        )  # fmt: skip
        if session is None:
            with transaction(self._sessions) as own:
                own.add(row)
            self._wake_runner()
        else:
            # A runner's connection cannot see the row before the caller commits: wake it after.
            session.add(row)
            event.listen(session, "after_commit", lambda _session: self._wake_runner(), once=True)
        return job_id

    def get(self, job_id: str, *, session: Session | None = None) -> IngestJob | None:
        """The job, whichever process queued or runs it (None once it is long forgotten).

        Args:
            job_id: as `start` returned it.
            session: a transaction the caller has open, to read in (else a session of its own).
        """
        if session is None:
            with self._sessions() as own:
                return self._read(own, job_id)
        return self._read(session, job_id)

    def close(self, *, timeout: float = 10.0) -> None:
        """Stop running jobs: a running one is given ``timeout`` seconds to finish (one cut short is
        taken over as abandoned once this process is gone); queued ones wait for the next runner."""
        self._stop.set()
        with self._wake:
            self._woken = True
            self._wake.notify_all()
        with self._runner_lock:
            runner = self._runner
        if runner is not None:
            runner.join(timeout)

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
        if row.state == "running" and row.heartbeat_at < now - self._abandon_after:
            job.state, job.error = "failed", ABANDONED
        elif row.state in LIVE:
            ahead = self._ahead(session, row, now) if row.state == "queued" else []
            job.ahead = len(ahead)
            job.no_runner = row.state == "queued" and not self._runner_reported(session, now)
            job.seconds_left = self._seconds_left(session, [*ahead, row], now)
        return job

    # ------------------------------------------------------------ the runner

    def _wake_runner(self) -> None:
        if not self._runs:
            return
        self.run_in_background()
        with self._wake:
            self._woken = True
            self._wake.notify_all()

    def _serve(self) -> None:
        """Report in, take over abandoned jobs, run the next queued one; again until `close`."""
        reported: float | None = None
        try:
            while not self._stop.is_set():
                claimed = None
                try:
                    # Abandoned jobs take abandon_after to show anyway: looking as often as this runner
                    # reports in is soon enough, and an idle runner writes only then.
                    if reported is None or time.monotonic() - reported >= self._heartbeat_every:
                        self._report_in()
                        self.recover()
                        reported = time.monotonic()
                    claimed = self._claim_next()
                except SQLAlchemyError as exc:  # the database went away: the next round tries again
                    logger.warning("re-index jobs: the database did not answer (%s); trying again", exc)
                if claimed is not None:
                    self._run(*claimed)
                    continue
                with self._wake:
                    if not self._woken:
                        self._wake.wait(self._poll_every)
                    self._woken = False
        finally:
            self._sign_off()

    def _report_in(self) -> None:
        """Tell every process that this one runs jobs, and forget the runners that are gone."""
        now = self._clock()
        with transaction(self._sessions) as session:
            seen = session.execute(
                update(IngestRunnerRow).where(IngestRunnerRow.id == self._runner_id).values(seen_at=now)
            )
            if seen.rowcount == 0:  # type: ignore[attr-defined]
                session.add(
                    IngestRunnerRow(id=self._runner_id, owner=self._owner, started_at=now, seen_at=now)
                )
            gone = [
                runner.id
                for runner in session.scalars(
                    select(IngestRunnerRow).where(IngestRunnerRow.id != self._runner_id)
                )
                if runner.seen_at < now - self._abandon_after or _gone_here(runner.owner, self._host)
            ]
            if gone:
                session.execute(delete(IngestRunnerRow).where(IngestRunnerRow.id.in_(gone)))

    def _sign_off(self) -> None:
        try:
            with transaction(self._sessions) as session:
                session.execute(delete(IngestRunnerRow).where(IngestRunnerRow.id == self._runner_id))
        except SQLAlchemyError:  # it drops out once silent for abandon_after
            logger.warning("re-index runner %s could not sign off", self._runner_id, exc_info=True)

    def _runner_reported(self, session: Session, now: datetime) -> bool:
        """Whether any process runs re-index jobs: this one, or a runner that reported in lately."""
        if self._runs and not self._stop.is_set():
            return True
        owners = session.scalars(
            select(IngestRunnerRow.owner).where(IngestRunnerRow.seen_at >= now - self._abandon_after)
        )
        return any(not _gone_here(owner, self._host) for owner in owners)

    def _claim_next(self) -> tuple[str, list[str]] | None:
        """Take the oldest queued job, if it is its turn and no other runner took it first."""
        with self._sessions() as session:
            oldest = session.execute(
                select(IngestJobRow.id, IngestJobRow.created_at, IngestJobRow.paths)
                .where(IngestJobRow.state == "queued")
                .order_by(IngestJobRow.created_at, IngestJobRow.id)
                .limit(1)
            ).first()
        if oldest is None or not self._claim(oldest[0], oldest[1], self._clock()):
            return None
        return str(oldest[0]), [str(p) for p in oldest[2] or []]

    def _claim(self, job_id: str, queued_at: datetime, now: datetime) -> bool:
        earlier = aliased(IngestJobRow)
        first_in_line = ~exists().where(
            earlier.state == "queued",
            or_(earlier.created_at < queued_at, and_(earlier.created_at == queued_at, earlier.id < job_id)),
        )
        slot_free = ~exists().where(earlier.running_slot.is_not(None))
        try:
            with transaction(self._sessions) as session:
                # One statement: of two runners claiming at once, the second finds the job no longer
                # queued (it waits for the first's row lock), or trips the slot's unique constraint.
                claimed = session.execute(
                    update(IngestJobRow)
                    .where(
                        IngestJobRow.id == job_id, IngestJobRow.state == "queued", first_in_line, slot_free
                    )
                    .values(
                        state="running", running_slot=1, owner=self._owner, started_at=now, heartbeat_at=now
                    )
                )
                return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]
        except IntegrityError:  # another runner took the slot at the same moment
            return False

    def _run(self, job_id: str, paths: list[str]) -> None:
        try:
            self._execute(job_id, paths)
            with transaction(self._sessions) as session:
                self._forget_old(session)
        except Exception:  # the database went away: the job will show as abandoned, the index is intact
            logger.exception("re-index job %s could not be run to the end", job_id)

    def _execute(self, job_id: str, paths: list[str]) -> None:
        reporter = _Reporter(
            sessions=self._sessions, job_id=job_id, clock=self._clock, every=self._progress_every
        )
        beating = threading.Event()

        def heartbeat() -> None:
            while not beating.wait(self._heartbeat_every):
                reporter.write()
                try:
                    self._report_in()
                except SQLAlchemyError:  # the job's own heartbeat is what keeps it; this one may wait
                    logger.warning("re-index runner %s could not report in", self._runner_id)

        beat = threading.Thread(target=heartbeat, name=f"ingest:{job_id}:heartbeat", daemon=True)
        beat.start()
        try:
            report = self._core.reindex(paths or None, progress=reporter.progress)
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
            # Only from running: a job already failed as abandoned stays failed (its slot may belong to
            # another job by now).
            written = session.execute(
                update(IngestJobRow)
                .where(IngestJobRow.id == job_id, IngestJobRow.state == "running")
                .values(**values)
            )
            if written.rowcount == 0:  # type: ignore[attr-defined]
                logger.warning("re-index job %s ended (%s) after it was given up as abandoned", job_id, state)

    # ------------------------------------------------------------ how long

    def _seconds_left(self, session: Session, rows: Sequence[IngestJobRow], now: datetime) -> float | None:
        """How long until the last of ``rows`` is done (None: not known)."""
        rate = self._rate(session)
        total = 0.0
        for row in rows:
            left = self._left(session, row, rate, now)
            if left is None:
                return None
            total += left
        return total

    def _left(self, session: Session, row: IngestJobRow, rate: float | None, now: datetime) -> float | None:
        if row.state == "running" and row.stage == "embed" and row.total:
            if rate is None and row.done and row.started_at is not None:
                # Nothing measured yet: this job's own pace so far.
                rate = row.done / max((now - row.started_at).total_seconds(), 1.0)
            return None if rate is None else (row.total - row.done) / rate
        chunks = self._chunks(session, row)
        if chunks is None or (rate is None and chunks):
            return None
        return chunks / rate if chunks and rate else 0.0

    def _rate(self, session: Session) -> float | None:
        """Chunks embedded per second of run by the latest jobs that embedded any (None: none yet)."""
        recent = session.execute(
            select(IngestJobRow.total, IngestJobRow.started_at, IngestJobRow.finished_at)
            .where(
                IngestJobRow.state == "done",
                IngestJobRow.stage == "embed",
                IngestJobRow.total > 0,
                IngestJobRow.started_at.is_not(None),
                IngestJobRow.finished_at.is_not(None),
            )
            .order_by(IngestJobRow.finished_at.desc())
            .limit(RATE_JOBS)
        ).all()
        chunks, seconds = 0, 0.0
        for total, started, finished in recent:
            if started is not None and finished is not None:
                chunks += int(total)
                seconds += max((finished - started).total_seconds(), 0.0)
        return chunks / seconds if chunks and seconds > 0 else None

    def _chunks(self, session: Session, row: IngestJobRow) -> int | None:
        """The chunks this job will embed, guessed once (None: no way to guess here)."""
        if self._estimate is None:
            return None
        with self._estimates_lock:
            if row.id in self._estimates:
                return self._estimates[row.id]
        try:
            chunks = self._estimate(list(row.paths) or None, session)
        except OSError as exc:  # a path gone from outside the library: no guess, the job still runs
            logger.warning("cannot tell how much re-index job %s will embed: %s", row.id, exc)
            return None
        with self._estimates_lock:
            self._estimates[row.id] = chunks
            while len(self._estimates) > self._keep:
                self._estimates.pop(next(iter(self._estimates)))
        return chunks

    # ------------------------------------------------------------ bookkeeping

    def _abandon_dead_here(self, session: Session, now: datetime) -> list[_Abandoned]:
        """Fail the running jobs of processes on this host that are gone (killed, crashed): a restart
        takes their work over at once instead of after ``abandon_after``."""
        dead = [
            owner
            for owner in session.scalars(
                select(IngestJobRow.owner)
                .where(IngestJobRow.state == "running", IngestJobRow.owner != self._owner)
                .distinct()
            )
            if _gone_here(owner, self._host)
        ]
        if not dead:
            return []
        return self._fail_as_abandoned(session, now, IngestJobRow.owner.in_(dead))

    def _abandon_silent(self, session: Session, now: datetime) -> list[_Abandoned]:
        """Fail the running jobs nobody has heard of for ``abandon_after``."""
        return self._fail_as_abandoned(session, now, IngestJobRow.heartbeat_at < now - self._abandon_after)

    def _fail_as_abandoned(
        self, session: Session, now: datetime, which: ColumnElement[bool]
    ) -> list[_Abandoned]:
        """Fail the running jobs ``which`` selects as abandoned; returns them, to queue again (one
        UPDATE, so of two processes looking at once only one gets a given job back)."""
        rows = session.execute(
            update(IngestJobRow)
            .where(IngestJobRow.state == "running", which)
            .values(state="failed", error=ABANDONED, running_slot=None, finished_at=now)
            .returning(IngestJobRow.id, IngestJobRow.paths, IngestJobRow.attempt, IngestJobRow.created_at)
        ).all()
        return [_Abandoned(str(r[0]), list(r[1] or []), int(r[2] or 1), r[3]) for r in rows]

    def _ahead(self, session: Session, row: IngestJobRow, now: datetime) -> list[IngestJobRow]:
        """The jobs that will run before this queued one: the one running, and those queued before it."""
        running = and_(
            IngestJobRow.state == "running", IngestJobRow.heartbeat_at >= now - self._abandon_after
        )
        before = and_(
            IngestJobRow.state == "queued",
            or_(
                IngestJobRow.created_at < row.created_at,
                and_(IngestJobRow.created_at == row.created_at, IngestJobRow.id < row.id),
            ),
        )
        found = session.scalars(
            select(IngestJobRow)
            .where(or_(running, before))
            .order_by(IngestJobRow.created_at, IngestJobRow.id)
            .execution_options(populate_existing=True)
        )
        return list(found)

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
