"""The long-running processes: the web app, the Telegram bot, the worker and the scheduler."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import common
from bot.cli.common import console, out

if TYPE_CHECKING:
    from bot.answering.factory import KnowledgeCore
    from ingest.pipeline import IngestReport, ProgressCallback


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default CHANGEBOT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default CHANGEBOT_PORT).")] = None,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Leave the schedules to a `changebot worker` process.")
    ] = False,
    no_jobs: Annotated[
        bool,
        typer.Option(
            "--no-jobs",
            help="Only queue re-index jobs; `changebot worker` processes run them (several web processes).",
        ),
    ] = False,
) -> None:
    """Start the web app (JSON API, web chat, health probes) with the scheduler and the re-index jobs,
    and the Telegram bot and sender when a token is set."""
    import uvicorn

    from bot.runtime import survey_pairing_key
    from bot.web.app import create_app

    settings = common._settings()
    with common._refusing():  # a damaged survey key file is said in one line, before anything starts
        survey_pairing_key(settings)  # the app's lifespan gets this same object
    bind_host = host or settings.host
    bind_port = port or settings.port
    out.print(f"changebot is starting on http://{bind_host}:{bind_port}/ (Ctrl-C to stop)")
    uvicorn.run(
        create_app(settings, run_scheduler=not no_scheduler, run_jobs=not no_jobs),
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level.lower(),
        # uvicorn's own lines (start-up, access log) go through our handler: JSON when configured,
        # and with secrets in query strings redacted.
        log_config=None,
    )


def bot(
    no_sender: Annotated[
        bool,
        typer.Option("--no-sender", help="Do not send broadcasts; `changebot worker` processes send them."),
    ] = False,
) -> None:
    """Run the Telegram bot alone, with long polling, and the broadcast sender unless --no-sender."""
    from bot.broadcasts.sender import DeliveryWorker
    from bot.runtime import worker_settings
    from bot.telegram.app import TelegramNotConfiguredError, build_application
    from bot.telegram.broadcast_sender import TelegramMessageSender
    from bot.telegram.runner import deliver_beside

    settings = common._settings()
    try:
        with common._refusing():  # e.g. a damaged survey key file
            core, sessions = common._core(settings), common._sessions(settings)
            application = build_application(settings=settings, core=core, sessions=sessions)
    except TelegramNotConfiguredError as exc:
        console.print(f"[red]{exc}[/red]: get a token from @BotFather and set it in .env")
        raise typer.Exit(2) from exc
    if no_sender:
        # Said at start: what managers send from here is only queued until a sender runs.
        out.print(
            "changebot Telegram bot is polling, without a sender: broadcasts are delivered only while "
            "`changebot worker` (or `changebot serve`) runs (Ctrl-C to stop)"
        )
    else:
        # As `serve` does: the bot's own process delivers what its managers send.
        delivery = DeliveryWorker(
            sessions=sessions,
            sender=TelegramMessageSender(application.bot),
            settings=worker_settings(settings),
        )
        deliver_beside(application, delivery)
        out.print(f"changebot Telegram bot is polling, with sender {delivery.worker_id} (Ctrl-C to stop)")
    application.run_polling()


def _run_until_stopped(work: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``work`` until SIGTERM (what `docker stop` sends) or Ctrl-C sets its stop event.

    The loops finish the round they are in, so a copy being sent is recorded before the process exits
    instead of being left for the next worker to report as uncertain.
    """

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await work(stop)

    asyncio.run(main())


def worker(
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Only send; another process runs the schedules.")
    ] = False,
    no_jobs: Annotated[
        bool, typer.Option("--no-jobs", help="Leave re-index jobs to other processes.")
    ] = False,
) -> None:
    """Run the broadcast sender, the scheduler and the re-index jobs (no web app)."""
    from telegram import Bot

    from bot.broadcasts.sender import DeliveryWorker
    from bot.library.jobs import IngestJobs
    from bot.runtime import build_scheduler, worker_settings
    from bot.telegram.broadcast_sender import TelegramMessageSender
    from bot.telegram.runner import connect_bot_when_reachable

    settings = common._settings()
    if settings.telegram_token is None:
        console.print("[red]CHANGEBOT_TELEGRAM_TOKEN is not set[/red]: the worker delivers through Telegram")
        raise typer.Exit(2)
    sessions = common._sessions(settings)
    bot = Bot(settings.telegram_token.get_secret_value(), base_url=settings.telegram_base_url)
    delivery = DeliveryWorker(
        sessions=sessions, sender=TelegramMessageSender(bot), settings=worker_settings(settings)
    )
    with common._refusing():  # e.g. a damaged survey key file
        scheduler = None if no_scheduler else build_scheduler(sessions=sessions, settings=settings)
    core = _CoreOnFirstJob(lambda: common._core(settings))
    jobs = None if no_jobs else IngestJobs(
        core=core, sessions=sessions, abandon_after=settings.ingest_job_abandon_seconds
    )  # fmt: skip

    async def work(stop: asyncio.Event) -> None:
        # The schedules and the re-index jobs do not need Telegram: they run while the sender waits
        # for it to answer.
        tasks = [scheduler.run(stop=stop)] if scheduler else []
        if jobs is not None:
            tasks.append(run_jobs(jobs, stop))
        tasks.append(send_when_connected(stop))
        await asyncio.gather(*tasks)

    async def run_jobs(jobs: IngestJobs, stop: asyncio.Event) -> None:
        jobs.run_in_background()
        try:
            await stop.wait()
        finally:  # a job running is given its time to finish; queued ones wait for the next runner
            await asyncio.to_thread(jobs.close)
            await asyncio.to_thread(core.close)

    async def send_when_connected(stop: asyncio.Event) -> None:
        if not await connect_bot_when_reachable(bot, stop=stop):
            if not stop.is_set():  # the token was refused: say so with a failing exit status
                stop.set()
                refused.append(True)
            return
        try:
            await delivery.run(stop=stop)
        finally:
            await bot.shutdown()

    refused: list[bool] = []

    duties = ["sender"] + ([] if no_scheduler else ["scheduler"]) + ([] if no_jobs else ["re-index jobs"])
    said = duties[0] if len(duties) == 1 else ", ".join(duties[:-1]) + " and " + duties[-1]
    out.print(f"changebot worker {delivery.worker_id} running: {said} (Ctrl-C to stop)")
    _run_until_stopped(work)
    if refused:
        console.print("[red]Telegram refused CHANGEBOT_TELEGRAM_TOKEN[/red]: check it with @BotFather")
        raise typer.Exit(2)


class _CoreOnFirstJob:
    """The knowledge core of a worker, built when it runs its first re-index job: a worker that never
    runs one never loads the embedding model."""

    def __init__(self, build: Callable[[], KnowledgeCore]) -> None:
        self._build = build
        self._core: KnowledgeCore | None = None
        self._lock = threading.Lock()

    def reindex(
        self, sources: Sequence[str] | None = None, *, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Build the core if this is the first job, then re-index library files ``sources``."""
        with self._lock:
            if self._core is None:
                self._core = self._build()
        return self._core.reindex(sources, progress=progress)

    def close(self) -> None:
        """Close the core's connections, if it was built."""
        if self._core is not None:
            self._core.close()


def scheduler() -> None:
    """Run the scheduler alone (vision series, digests, surveys, the rollout's weekly rhythm)."""
    from bot.runtime import build_scheduler

    settings = common._settings()
    with common._refusing():  # e.g. a damaged survey key file
        runner = build_scheduler(sessions=common._sessions(settings), settings=settings)
    out.print("changebot scheduler running (Ctrl-C to stop)")
    _run_until_stopped(lambda stop: runner.run(stop=stop))


def register(app: typer.Typer) -> None:
    """Add the process commands: serve, bot, worker, scheduler."""
    app.command()(serve)
    app.command()(bot)
    app.command()(worker)
    app.command()(scheduler)
