"""Re-index jobs live in the database: a job started by one process is reported, progress and final
report, by another; one job runs at a time across processes with the queue visible behind it; a job
whose process died shows as failed; progress writes are throttled; stopping cancels waiting jobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.library.jobs import ABANDONED, STOPPED, IngestJob, IngestJobs
from bot.library.models import IngestJobRow
from bot.storage.base import utc_now
from bot.storage.database import make_engine, make_session_factory, transaction
from ingest.pipeline import FileProblem, IngestReport, ProgressCallback


class GatedIngester:
    """An ingester that reports progress, then waits for the test to let it finish."""

    def __init__(self, *, steps: int = 4, fail: str | None = None) -> None:
        self.steps = steps
        self.fail = fail
        self.release = threading.Event()
        self.started = threading.Event()
        self.calls: list[list[Path] | None] = []
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def ingest(
        self, paths: Sequence[Path] | None = None, *, progress: ProgressCallback | None = None
    ) -> IngestReport:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.calls.append(list(paths) if paths else None)
        try:
            assert progress is not None
            progress("embedding", 1, self.steps)
            self.started.set()
            assert self.release.wait(20), "the test never released the ingest"
            if self.fail:
                raise RuntimeError(self.fail)
            return IngestReport(
                added=["faqs/new.csv"], changed=["playbooks/pacing.md"],
                failed=[FileProblem(source="broken.pdf", message="no text")],
            )  # fmt: skip
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def other_process(database_url: str, sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """A second engine on the same (migrated) database, as another web process has."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _jobs(core: GatedIngester, sessions: sessionmaker[Session], **options: float) -> IngestJobs:
    return IngestJobs(core=core, sessions=sessions, poll_every=0.05, **options)  # type: ignore[arg-type]


def _until(read: Callable[[], IngestJob | None], done: Callable[[IngestJob], bool]) -> IngestJob:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job = read()
        if job is not None and done(job):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job never got there: {read()}")


def test_a_job_started_on_one_process_is_reported_by_another(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    core = GatedIngester()
    here, there = _jobs(core, sessions), _jobs(GatedIngester(), other_process)
    job = here.start([Path("knowledge/faqs/new.csv")])
    running = _until(lambda: there.get(job.id), lambda j: j.state == "running" and j.stage == "embedding")
    assert (running.done, running.total, running.percent) == (1, 4, 25)
    core.release.set()
    finished = _until(lambda: there.get(job.id), lambda j: j.state == "done")
    assert finished.added == ["faqs/new.csv"] and finished.changed == ["playbooks/pacing.md"]
    assert finished.failed == ["broken.pdf: no text"] and finished.percent == 100 and finished.error is None
    assert core.calls == [[Path("knowledge/faqs/new.csv")]]
    assert there.get("nope") is None
    here.close()


def test_one_job_runs_at_a_time_across_processes_in_the_order_queued(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    first_core, second_core = GatedIngester(), GatedIngester()
    here, there = _jobs(first_core, sessions), _jobs(second_core, other_process)
    first = here.start()
    assert first_core.started.wait(10)
    second = there.start()
    third = here.start()
    queued = _until(lambda: here.get(second.id), lambda j: j.state == "queued" and j.ahead == 1)
    assert queued.percent == 0
    assert _until(lambda: there.get(third.id), lambda j: j.ahead == 2).state == "queued"
    time.sleep(0.3)  # several polls: neither waiting job may start while the first runs
    assert not second_core.started.is_set() and len(first_core.calls) == 1
    first_core.release.set()
    assert second_core.started.wait(10)  # the other process's job was queued first
    assert here.get(third.id) == IngestJob(id=third.id, state="queued", ahead=1)
    second_core.release.set()
    _until(lambda: there.get(third.id), lambda j: j.state == "done")
    assert first_core.most_at_once == 1 and second_core.most_at_once == 1
    assert [job.state for job in map(there.get, (first.id, second.id))] == ["done", "done"]
    here.close()
    there.close()


def test_a_job_whose_process_died_shows_as_failed_and_does_not_block_the_queue(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    long_ago = utc_now() - timedelta(minutes=10)
    with transaction(sessions) as session:  # what a process killed mid-run leaves behind
        session.add(
            IngestJobRow(
                id="dead", state="running", running_slot=1, paths=[], owner="gone:1", stage="embedding",
                done=3, total=9, added=[], changed=[], removed=[], failed=[],
                created_at=long_ago, started_at=long_ago, heartbeat_at=long_ago,
            )
        )  # fmt: skip
    core = GatedIngester()
    jobs = _jobs(core, other_process, abandon_after=60)
    dead = jobs.get("dead")
    assert dead is not None and dead.state == "failed" and dead.error == ABANDONED
    core.release.set()
    job = jobs.start()
    assert _until(lambda: jobs.get(job.id), lambda j: j.state in ("done", "failed")).state == "done"
    with sessions() as session:
        row = session.get(IngestJobRow, "dead")
        assert row is not None and row.state == "failed" and row.running_slot is None
    jobs.close()


def test_a_failing_ingest_is_reported_and_frees_the_slot(sessions: sessionmaker[Session]) -> None:
    core = GatedIngester(fail="the Chroma server went away")
    core.release.set()
    jobs = _jobs(core, sessions)
    job = jobs.start()
    failed = _until(lambda: jobs.get(job.id), lambda j: j.state == "failed")
    assert failed.error == "the Chroma server went away" and failed.percent == 25
    core.fail = None
    after = jobs.start()
    assert _until(lambda: jobs.get(after.id), lambda j: j.state in ("done", "failed")).state == "done"
    jobs.close()


def _updates_to_jobs(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("UPDATE ingest_jobs SET stage"):
            seen.append(statement)

    return seen


def test_progress_writes_are_throttled(database_url: str, sessions: sessionmaker[Session]) -> None:
    engine = make_engine(database_url)
    writes = _updates_to_jobs(engine)

    class Chatty(GatedIngester):
        def ingest(
            self, paths: Sequence[Path] | None = None, *, progress: ProgressCallback | None = None
        ) -> IngestReport:
            assert progress is not None
            started = time.monotonic()
            for n in range(2000):  # a burst of progress over about half a second
                progress("chunking", n, 2000)
                time.sleep(0.00025)
            self.seconds = time.monotonic() - started
            return IngestReport()

    core = Chatty()
    jobs = _jobs(core, make_session_factory(engine), progress_every=0.25)
    job = jobs.start()
    done = _until(lambda: jobs.get(job.id), lambda j: j.state == "done")
    assert done.stage == "chunking" and done.percent == 100
    assert 1 <= len(writes) <= core.seconds / 0.25 + 2
    jobs.close()
    engine.dispose()


def test_closing_cancels_the_jobs_still_waiting(sessions: sessionmaker[Session]) -> None:
    core = GatedIngester()
    jobs = _jobs(core, sessions)
    running = jobs.start()
    assert core.started.wait(10)
    waiting = jobs.start()
    _until(lambda: jobs.get(waiting.id), lambda j: j.state == "queued")
    closing = threading.Thread(target=jobs.close, kwargs={"timeout": 10})
    closing.start()
    cancelled = _until(lambda: jobs.get(waiting.id), lambda j: j.state == "failed")
    assert cancelled.error == STOPPED
    core.release.set()  # the running one is given its time to finish
    closing.join()
    assert [j.state for j in map(jobs.get, (running.id, waiting.id)) if j] == ["done", "failed"]


def _dead_pid() -> int:
    """The id of a process that has exited (as one killed with -9 leaves its jobs behind)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_restart_takes_over_the_jobs_a_killed_process_left_running_and_queued(
    sessions: sessionmaker[Session],
) -> None:
    import socket

    recently = utc_now() - timedelta(seconds=5)  # heartbeats still fresh: only the pid says it is gone
    owner = f"{socket.gethostname()}:{_dead_pid()}"
    with transaction(sessions) as session:
        for job_id, state, paths, attempt, offset in (
            ("was-running", "running", ["playbooks/pacing.md"], 1, 0),
            ("was-queued", "queued", ["faqs/new.csv"], 1, 1),
            ("gave-up", "queued", ["cases/x.md"], 3, 2),  # abandoned twice before: not again
        ):
            session.add(
                IngestJobRow(
                    id=job_id, state=state, running_slot=1 if state == "running" else None, paths=paths,
                    owner=owner, stage="", done=0, total=0, added=[], changed=[], removed=[], failed=[],
                    created_at=recently + timedelta(milliseconds=offset), heartbeat_at=recently, attempt=attempt,
                )
            )  # fmt: skip
    core = GatedIngester()
    core.release.set()
    jobs = _jobs(core, sessions, abandon_after=600)
    again = jobs.recover()
    assert len(again) == 2
    for job in again:
        assert (
            _until(lambda job=job: jobs.get(job.id), lambda j: j.state in ("done", "failed")).state == "done"
        )
    assert core.calls == [[Path("playbooks/pacing.md")], [Path("faqs/new.csv")]]  # in their old order
    with sessions() as session:
        for job_id in ("was-running", "was-queued", "gave-up"):
            row = session.get(IngestJobRow, job_id)
            assert (
                row is not None
                and row.state == "failed"
                and row.error == ABANDONED
                and row.running_slot is None
            )
        attempts = sorted(
            row.attempt
            for row in session.query(IngestJobRow).filter(IngestJobRow.id.in_([j.id for j in again]))
        )
        assert attempts == [2, 2]
    assert jobs.recover() == []  # taken over once
    jobs.close()
