"""Re-index jobs live in the database: a job queued by one process is run by whichever process runs
jobs and reported, progress and final report, by another; a process that does not run jobs leaves
them queued and says nobody runs them; one job runs at a time across processes, in the order
queued, each by one runner only; a job whose process died shows as failed; how long a job will take
comes from the rate recent jobs embedded at; progress writes are throttled; stopping leaves waiting
jobs for the next runner."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.library.jobs import ABANDONED, IngestJob, IngestJobs
from bot.library.models import IngestJobRow, IngestRunnerRow
from bot.storage.base import utc_now
from bot.storage.database import make_engine, make_session_factory, transaction
from ingest.pipeline import FileProblem, IngestReport, ProgressCallback
from tests.utils.patience import EVENTUALLY


class GatedIngester:
    """An ingester that reports progress, then waits for the test to let it finish."""

    def __init__(self, *, steps: int = 4, fail: str | None = None) -> None:
        self.steps = steps
        self.fail = fail
        self.release = threading.Event()
        self.started = threading.Event()
        self.calls: list[list[str] | None] = []
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def reindex(
        self, sources: Sequence[str] | None = None, *, progress: ProgressCallback | None = None
    ) -> IngestReport:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.calls.append(list(sources) if sources else None)
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


def _jobs(
    core: GatedIngester, sessions: sessionmaker[Session], *, runs: bool = True, **options: Any
) -> IngestJobs:
    options.setdefault("poll_every", 0.05)
    return IngestJobs(core=core, sessions=sessions, runs=runs, **options)


def _until(read: Callable[[], IngestJob | None], done: Callable[[IngestJob], bool]) -> IngestJob:
    deadline = time.monotonic() + EVENTUALLY
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
    here, there = _jobs(core, sessions), _jobs(GatedIngester(), other_process, runs=False)
    job = here.start(["faqs/new.csv"])
    running = _until(lambda: there.get(job.id), lambda j: j.state == "running" and j.stage == "embedding")
    assert (running.done, running.total, running.percent) == (1, 4, 25)
    core.release.set()
    finished = _until(lambda: there.get(job.id), lambda j: j.state == "done")
    assert finished.added == ["faqs/new.csv"] and finished.changed == ["playbooks/pacing.md"]
    assert finished.failed == ["broken.pdf: no text"] and finished.percent == 100 and finished.error is None
    assert core.calls == [["faqs/new.csv"]]
    assert there.get("nope") is None
    here.close()


def test_a_process_that_does_not_run_jobs_leaves_them_queued_for_a_worker(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    core = GatedIngester()
    core.release.set()
    web = _jobs(core, sessions, runs=False)  # `serve --no-jobs`
    job = web.start(["playbooks/big.pdf"])
    assert (job.state, job.no_runner) == ("queued", True)  # said at once, in the upload's answer
    with pytest.raises(RuntimeError):
        web.run_in_background()
    assert web.get(job.id) == IngestJob(id=job.id, state="queued", no_runner=True)
    assert core.calls == []

    worker = _jobs(core, other_process)  # `changebot worker`, on its own connection
    worker.run_in_background()
    assert _until(lambda: web.get(job.id), lambda j: j.state == "done").no_runner is False
    assert core.calls == [["playbooks/big.pdf"]]
    later = web.start()
    assert _until(lambda: web.get(later.id), lambda j: j.state == "done").error is None
    with sessions() as session:
        runners = session.scalars(select(IngestRunnerRow)).all()
        assert len(runners) == 1 and runners[0].owner.endswith(f":{os.getpid()}")
    worker.close()
    with sessions() as session:  # a worker that stops says so at once
        assert session.scalars(select(IngestRunnerRow)).all() == []
    waiting = web.start()
    assert waiting.no_runner is True


def test_one_job_runs_at_a_time_across_processes_in_the_order_queued(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    core = GatedIngester()  # one record of the calls of both runners
    here, there = _jobs(core, sessions), _jobs(core, other_process)
    here.run_in_background()
    there.run_in_background()
    web = _jobs(GatedIngester(), sessions, runs=False)
    first = web.start(["first"])
    assert core.started.wait(10)
    second = web.start(["second"])
    third = web.start(["third"])
    queued = _until(lambda: web.get(second.id), lambda j: j.state == "queued" and j.ahead == 1)
    assert queued.percent == 0 and queued.no_runner is False
    assert _until(lambda: web.get(third.id), lambda j: j.ahead == 2).state == "queued"
    time.sleep(0.3)  # several polls of both runners: neither waiting job may start while the first runs
    assert len(core.calls) == 1
    core.release.set()
    _until(lambda: web.get(third.id), lambda j: j.state == "done")
    assert core.calls == [["first"], ["second"], ["third"]]
    assert core.most_at_once == 1
    assert [job.state for job in map(web.get, (first.id, second.id))] == ["done", "done"]
    here.close()
    there.close()


def test_two_runners_never_run_one_job_twice(database_url: str, sessions: sessionmaker[Session]) -> None:
    core = GatedIngester()
    core.release.set()
    engines = [make_engine(database_url) for _ in range(3)]
    runners = [_jobs(core, make_session_factory(engine), poll_every=0.005) for engine in engines]
    for runner in runners:
        runner.run_in_background()
    web = _jobs(GatedIngester(), sessions, runs=False)
    jobs = [web.start([f"file-{n}.md"]) for n in range(24)]
    for job in jobs:
        assert (
            _until(lambda job=job: web.get(job.id), lambda j: j.state in ("done", "failed")).state == "done"
        )
    assert sorted(map(str, (path for call in core.calls for path in call or []))) == sorted(
        f"file-{n}.md" for n in range(24)
    )
    assert len(core.calls) == 24 and core.most_at_once == 1
    for runner in runners:
        runner.close()
    for engine in engines:
        engine.dispose()


def test_how_long_a_job_will_take_comes_from_the_rate_of_recent_jobs(
    sessions: sessionmaker[Session],
) -> None:
    now = utc_now()
    with transaction(sessions) as session:
        for job_id, state, stage, done, total, hours_ago, seconds in (
            # 600 chunks in one minute, then 300 in half a minute: 10 a second.
            ("past-1", "done", "embed", 600, 600, 2.0, 60),
            ("past-2", "done", "embed", 300, 300, 1.0, 30),
            ("nothing-new", "done", "read", 3, 3, 0.5, 50),  # embedded nothing: no rate to learn
            ("running", "running", "embed", 100, 700, 0.01, None),  # 600 left: 60 s
        ):
            started = now - timedelta(hours=hours_ago)
            finished = None if seconds is None else started + timedelta(seconds=seconds)
            session.add(
                IngestJobRow(
                    id=job_id, state=state, running_slot=1 if state == "running" else None, paths=[], owner="w:1",
                    stage=stage, done=done, total=total, added=[], changed=[], removed=[], failed=[],
                    created_at=started, started_at=started, finished_at=finished, heartbeat_at=now,
                )
            )  # fmt: skip
    asked: list[list[str] | None] = []

    def estimate(paths: Sequence[str] | None, session: Session) -> int:
        asked.append(list(paths) if paths else None)
        return 1500  # chunks: 150 s at 10 a second

    web = _jobs(GatedIngester(), sessions, runs=False, estimate=estimate)
    job = web.start(["playbooks/big.pdf"])
    assert (job.state, job.ahead) == ("queued", 1)
    assert job.seconds_left == pytest.approx(60 + 150) and job.minutes_left == 4
    running = web.get("running")
    assert running is not None and running.seconds_left == pytest.approx(60) and running.minutes_left == 1
    again = web.get(job.id)
    assert again is not None and again.minutes_left == 4
    assert asked == [["playbooks/big.pdf"]]  # guessed once per job
    unknown = _jobs(GatedIngester(), sessions, runs=False).get(job.id)  # no way to guess: not said
    assert unknown is not None and unknown.seconds_left is None and unknown.minutes_left is None


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
        def reindex(
            self, sources: Sequence[str] | None = None, *, progress: ProgressCallback | None = None
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


def test_closing_lets_the_running_job_finish_and_leaves_the_waiting_ones_to_the_next_runner(
    sessions: sessionmaker[Session],
) -> None:
    core = GatedIngester()
    jobs = _jobs(core, sessions)
    running = jobs.start()
    assert core.started.wait(10)
    waiting = jobs.start()
    _until(lambda: jobs.get(waiting.id), lambda j: j.state == "queued")
    closing = threading.Thread(target=jobs.close, kwargs={"timeout": 10})
    closing.start()
    core.release.set()  # the running one is given its time to finish
    closing.join()
    assert [j.state for j in map(jobs.get, (running.id, waiting.id)) if j] == ["done", "queued"]
    assert len(core.calls) == 1
    after = _jobs(core, sessions)  # the process started again
    after.run_in_background()
    assert _until(lambda: after.get(waiting.id), lambda j: j.state in ("done", "failed")).state == "done"
    after.close()


def _dead_pid() -> int:
    """The id of a process that has exited (as one killed with -9 leaves its jobs behind)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_restart_takes_over_the_job_a_killed_process_left_running(
    sessions: sessionmaker[Session],
) -> None:
    import socket

    recently = utc_now() - timedelta(seconds=5)  # heartbeats still fresh: only the pid says it is gone
    owner = f"{socket.gethostname()}:{_dead_pid()}"
    with transaction(sessions) as session:
        for job_id, state, paths, attempt, offset in (
            ("was-running", "running", ["playbooks/pacing.md"], 1, 0),
            ("was-queued", "queued", ["faqs/new.csv"], 1, 1),  # a queued job belongs to no process
            ("gave-up", "running", ["cases/x.md"], 3, 2),  # abandoned twice before: not again
        ):
            session.add(
                IngestJobRow(
                    id=job_id, state=state, running_slot=None, paths=paths,
                    owner=owner, stage="", done=0, total=0, added=[], changed=[], removed=[], failed=[],
                    created_at=recently + timedelta(milliseconds=offset), heartbeat_at=recently, attempt=attempt,
                )
            )  # fmt: skip
        session.add(IngestRunnerRow(id="runner-killed", owner=owner, started_at=recently, seen_at=recently))
    core = GatedIngester()
    core.release.set()
    web = _jobs(core, sessions, runs=False, abandon_after=600)
    assert web.get("was-queued") == IngestJob(id="was-queued", ahead=2, no_runner=True)  # its runner is dead
    jobs = _jobs(core, sessions, abandon_after=600)
    again = jobs.recover()
    assert len(again) == 1
    jobs.run_in_background()
    for job_id in (again[0].id, "was-queued"):
        assert (
            _until(lambda job_id=job_id: jobs.get(job_id), lambda j: j.state in ("done", "failed")).state
            == "done"
        )
    assert core.calls == [["playbooks/pacing.md"], ["faqs/new.csv"]]  # in their old order
    with sessions() as session:
        for job_id in ("was-running", "gave-up"):
            row = session.get(IngestJobRow, job_id)
            assert (
                row is not None
                and row.state == "failed"
                and row.error == ABANDONED
                and row.running_slot is None
            )
        taken_over = session.get(IngestJobRow, again[0].id)
        assert taken_over is not None and taken_over.attempt == 2
        assert [r.id for r in session.scalars(select(IngestRunnerRow))] != ["runner-killed"]
    assert jobs.recover() == []  # taken over once
    jobs.close()
