"""Which process runs re-index jobs: `changebot worker` does (its own code path, in this process,
with the fake embedder and the fake Bot API), `worker --no-jobs` and `serve --no-jobs` do not, and
`serve` alone does (one process runs everything)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bot import cli
from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.cli import common, serving
from bot.config import Settings
from bot.library.jobs import IngestJob, IngestJobs
from bot.library.store import write_file
from bot.storage.database import transaction
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.telegram_api import FakeTelegramServer
from tests.utils.databases import sessions_for
from tests.utils.patience import EVENTUALLY

Work = Callable[[asyncio.Event], Awaitable[None]]


@pytest.fixture
def with_bot(settings: Settings, library: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings with the fake Bot API's token, the fake embedder for every core the CLI builds."""
    with FakeTelegramServer() as fake:
        configured = settings.model_copy(
            update={"telegram_token": SecretStr(fake.token), "telegram_base_url": fake.url}
        )
        monkeypatch.setattr(common, "_settings", lambda: configured)
        monkeypatch.setattr(common, "_ENGINES", {})
        built: list[KnowledgeCore] = []

        def core(s: Settings) -> KnowledgeCore:
            built.append(build_knowledge_core(s, sessions=sessions_for(s), embedder=FakeEmbedder()))
            return built[-1]

        monkeypatch.setattr(common, "_core", core)
        yield configured
        for each in built:
            each.close()
        common._dispose_engines()


def _queued(settings: Settings) -> tuple[IngestJobs, IngestJob]:
    """A web process's queue (`serve --no-jobs`) with one job in it."""
    web = IngestJobs(core=build_knowledge_core(settings, sessions=sessions_for(settings), embedder=FakeEmbedder()), sessions=common._sessions(settings), runs=False)  # fmt: skip
    with transaction(sessions_for(settings)) as session:  # as an upload through the console puts it
        write_file(
            session,
            "playbooks/pacing.md",
            (settings.knowledge_dir / "playbooks" / "pacing.md").read_bytes(),
            by="test",
        )
        job = web.start(["playbooks/pacing.md"], session=session)
    assert job.state == "queued" and job.no_runner
    return web, job


def _wait_for(until: Callable[[], bool]) -> None:
    deadline = time.monotonic() + EVENTUALLY
    while not until() and time.monotonic() < deadline:
        time.sleep(0.05)


def _run_worker(monkeypatch: pytest.MonkeyPatch, *args: str, until: Callable[[], bool]) -> tuple[int, str]:
    """`changebot worker ARGS` in this process, stopped (as SIGTERM would) once ``until`` holds."""

    def run_until(work: Work) -> None:
        async def main() -> None:
            stop = asyncio.Event()

            async def watch() -> None:
                await asyncio.to_thread(_wait_for, until)
                stop.set()

            await asyncio.gather(work(stop), watch())

        asyncio.run(main())

    monkeypatch.setattr(serving, "_run_until_stopped", run_until)
    result = CliRunner().invoke(cli.app, ["worker", *args])
    return result.exit_code, result.stdout + (result.stderr if result.exit_code else "")


def test_the_worker_runs_the_jobs_a_web_process_queued(
    with_bot: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    web, job = _queued(with_bot)

    def done() -> bool:
        found = web.get(job.id)
        return found is not None and found.state == "done"

    code, output = _run_worker(monkeypatch, "--no-scheduler", until=done)
    assert code == 0, output
    assert "running: sender and re-index jobs" in output
    finished = web.get(job.id)
    assert finished is not None and finished.state == "done" and finished.added == ["playbooks/pacing.md"]
    assert web.start().no_runner is True  # the worker stopped: nobody runs jobs now


def test_a_worker_with_no_jobs_leaves_them_queued(
    with_bot: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    web, job = _queued(with_bot)
    started = time.monotonic()
    code, output = _run_worker(
        monkeypatch, "--no-scheduler", "--no-jobs", until=lambda: time.monotonic() - started > 0.5
    )
    assert code == 0, output
    assert "running: sender (" in output
    still = web.get(job.id)
    assert still is not None and still.state == "queued" and still.no_runner


def test_serve_runs_jobs_unless_told_not_to(with_bot: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.web.app

    asked: list[dict[str, Any]] = []
    monkeypatch.setattr(bot.web.app, "create_app", lambda settings, **kwargs: asked.append(kwargs))
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    runner = CliRunner()
    assert runner.invoke(cli.app, ["serve"]).exit_code == 0
    assert runner.invoke(cli.app, ["serve", "--no-scheduler", "--no-jobs"]).exit_code == 0
    assert asked == [
        {"run_scheduler": True, "run_jobs": True},
        {"run_scheduler": False, "run_jobs": False},
    ]
