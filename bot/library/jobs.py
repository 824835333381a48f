"""Re-indexing in the background with progress people can watch (one job at a time per process)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.answering.factory import KnowledgeCore
from ingest.pipeline import IngestReport


@dataclass
class IngestJob:
    """One re-index: where it is, and what it did."""

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

    @property
    def percent(self) -> int:
        """Progress through the current stage, 0-100."""
        return int(100 * self.done / self.total) if self.total else (100 if self.state == "done" else 0)


class IngestJobs:
    """Starts re-index jobs on a worker thread and remembers the recent ones."""

    def __init__(self, *, core: KnowledgeCore, keep: int = 20) -> None:
        self._core = core
        self._jobs: dict[str, IngestJob] = {}
        self._order: list[str] = []
        self._keep = keep
        self._lock = threading.Lock()
        self._running = threading.Lock()  # the index has one writer; jobs queue behind each other

    def start(self, paths: Sequence[Path] | None = None) -> IngestJob:
        """Queue a re-index of ``paths`` (default: the whole library) and return its job."""
        job = IngestJob(id=uuid.uuid4().hex[:12])
        with self._lock:
            self._jobs[job.id] = job
            self._order.append(job.id)
            while len(self._order) > self._keep:
                self._jobs.pop(self._order.pop(0), None)
        thread = threading.Thread(target=self._run, args=(job, list(paths or [])), daemon=True)
        thread.start()
        return job

    def get(self, job_id: str) -> IngestJob | None:
        """The job, if this process remembers it."""
        with self._lock:
            return self._jobs.get(job_id)

    def _run(self, job: IngestJob, paths: list[Path]) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total

        with self._running:
            job.state = "running"
            try:
                report: IngestReport = self._core.ingest(paths or None, progress=progress)
            except Exception as exc:  # reported on the job; the previous index stays live
                job.state, job.error = "failed", str(exc)[:500]
            else:
                job.added, job.changed, job.removed = report.added, report.changed, report.removed
                job.failed = [f"{problem.source}: {problem.message}" for problem in report.failed]
                job.state = "done"
