"""The ``changebot`` command line."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.answering.service import Answer
from bot.broadcasts.service import (
    broadcast_status,
    cancel_broadcast,
    create_broadcast,
    list_broadcasts,
)
from bot.config import Settings
from bot.errors import ChangebotError, InvalidInputError, KnowledgeUnavailableError
from bot.evaluation.evalset import load_eval_set
from bot.evaluation.runner import calibrate_threshold, fit_confidence, run_eval, summarise
from bot.logging_setup import configure_logging
from bot.people.models import Role
from bot.people.service import add_unit, create_invite, invite_link, unit_tree
from bot.questions.asking import ask as ask_question
from bot.questions.gaps import group_gaps
from bot.questions.phrasings import DatabasePhrasings
from bot.questions.service import open_questions
from bot.storage.database import (
    database_unavailable,
    make_engine,
    make_session_factory,
    transaction,
    upgrade_database,
)
from bot.surveys.definitions import Survey
from ingest.index import VectorStoreUnavailableError

app = typer.Typer(
    help="changebot: answers, broadcasts and pulse surveys for organisational change.", no_args_is_help=True
)
console = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


def print_json(value: object) -> None:
    """Write ``value`` as one line of JSON to stdout, as it is: never through Rich, whose markup
    would eat "[bold]" in a unit's name and whose wrapping would break a line a script reads."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@contextlib.contextmanager
def _refusing() -> Iterator[None]:
    """A refused command prints why, in red, and exits with status 1 (nothing was changed)."""
    try:
        yield
    except ChangebotError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


_ENGINES: dict[str, Engine] = {}


def _sessions(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the configured database: one engine per process, migrated once, closed at exit."""
    engine = _ENGINES.get(settings.database)
    if engine is None:
        engine = make_engine(settings.database)
        upgrade_database(engine)
        _ENGINES[settings.database] = engine
        if len(_ENGINES) == 1:
            atexit.register(_dispose_engines)
    return make_session_factory(engine)


def run() -> None:
    """The ``changebot`` entry point: the commands, with an unreachable database said in one line."""
    try:
        app()
    except (DBAPIError, PoolTimeoutError) as exc:
        if not database_unavailable(exc):
            raise
        try:
            where = make_url(Settings().database).render_as_string(hide_password=True)
        except (ValueError, ArgumentError):
            where = "the configured database"
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        console.print(
            f"[red]Cannot reach the database[/red] ({where}): {reason}\n"
            "Check CHANGEBOT_DATABASE_URL and that the database server is running."
        )
        raise SystemExit(1) from None


def _dispose_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def _core(settings: Settings) -> KnowledgeCore:
    with _refusing():
        return build_knowledge_core(settings)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    """Configure logging for every command."""
    try:
        configured = Settings()
        level, fmt = configured.log_level, configured.log_format
    except ValueError:
        level, fmt = "INFO", "text"  # the command itself reports the configuration error
    configure_logging("DEBUG" if verbose else level, fmt=fmt)


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the knowledge library).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Index the knowledge library (incremental: unchanged files are skipped)."""
    settings = _settings()
    core = _core(settings)
    missing = [str(path) for path in paths or [] if not path.exists()]
    if missing:
        console.print(f"[red]No such file or folder:[/red] {', '.join(missing)}")
        raise typer.Exit(2)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json or not console.is_terminal,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            label = {"read": "Reading files", "embed": "Embedding chunks"}.get(stage, stage)
            if stage not in tasks:
                tasks[stage] = int(bar.add_task(label, total=total))
            bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        with _refusing():  # a Chroma server that does not answer: say so, the live index stays
            report = core.ingest(paths, progress=progress)
    if as_json:
        print_json(
            {
                "generation": report.generation,
                "added": report.added,
                "changed": report.changed,
                "removed": report.removed,
                "unchanged": report.unchanged,
                "failed": [{"source": p.source, "error": p.message} for p in report.failed],
                "chunks": report.chunks_total,
                "embedded": report.chunks_embedded,
                "seconds": round(report.seconds, 3),
            }
        )
    else:
        out.print(
            f"Indexed {report.chunks_total} chunks ({report.generation}): "
            f"{len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
            f"{report.unchanged} unchanged, {len(report.failed)} failed; "
            f"{report.chunks_embedded} embedded in {report.seconds:.1f} s."
        )
        for problem in report.failed:
            out.print(f"[red]✗[/red] {problem.source}: {problem.message}")
    if report.failed:
        raise typer.Exit(1)


def _print_answer(answer: Answer) -> None:
    if answer.note:
        out.print(f"[dim]{answer.note}[/dim]")
    out.print(answer.answer)
    if answer.answered and answer.sources:
        out.print()
        for number, source in enumerate(answer.sources, start=1):
            where = " > ".join(part for part in (source.title, source.section) if part)
            out.print(f"[dim][{number}] {where} ({source.source})[/dim]")
    out.print(f"[dim]confidence {answer.confidence:.2f} · {answer.latency_ms:.0f} ms[/dim]")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Answer one question from the knowledge library."""
    settings = _settings()
    core = _core(settings)
    sessions = _sessions(settings)
    core.learn_from(DatabasePhrasings(sessions=sessions))
    with _refusing():
        answer = ask_question(
            sessions=sessions, answerer=core.answerer, question=question, channel="cli"
        ).answer
    if as_json:
        print_json(answer.to_json())
    else:
        _print_answer(answer)


@app.command()
def chat() -> None:
    """Ask questions interactively (empty line or Ctrl-D to quit)."""
    settings = _settings()
    core = _core(settings)
    sessions = _sessions(settings)
    core.learn_from(DatabasePhrasings(sessions=sessions))
    out.print("Ask a question (empty line to quit).")
    while True:
        try:
            question = input("> ")
        except (EOFError, KeyboardInterrupt):
            out.print()
            break
        if not question.strip():
            break
        try:
            answer = ask_question(
                sessions=sessions, answerer=core.answerer, question=question, channel="cli"
            ).answer
        except KnowledgeUnavailableError as exc:
            console.print(f"[red]{exc}[/red]")
            continue
        _print_answer(answer)
        out.print()


@app.command(name="eval")
def evaluate(
    file: Annotated[Path, typer.Argument(help="Eval set, JSON lines.", exists=True, dir_okay=False)],
    k: Annotated[int, typer.Option("--k", min=1, max=20, help="Sources to look at per question.")] = 3,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print summary and per-question results as JSON.")
    ] = False,
    mode: Annotated[str, typer.Option(help="hybrid, lexical or dense.")] = "hybrid",
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Also suggest an answer threshold.")] = False,
    fit_to: Annotated[
        Path | None,
        typer.Option(
            "--fit",
            help="Fit the confidence model on the set's tuning half, write it here, then evaluate with it.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Measure hit@k, MRR, refusals and latency on an eval set (or fit the confidence model first)."""
    if mode not in ("hybrid", "lexical", "dense"):
        console.print("[red]--mode must be hybrid, lexical or dense[/red]")
        raise typer.Exit(2)
    try:
        questions = load_eval_set(file)
    except ChangebotError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    settings = _settings()
    core = _core(settings)
    if fit_to is not None:
        with Progress(
            TextColumn("Fitting on the tuning half"), BarColumn(), MofNCompleteColumn(),
            console=console, transient=True, disable=not console.is_terminal,
        ) as bar:  # fmt: skip
            fitting = bar.add_task("fit", total=None)
            try:
                model = fit_confidence(
                    answerer=core.answerer,
                    questions=questions,
                    fitted_on=f"{file.name} tuning half, {core.embedder.fingerprint}",
                    progress=lambda done, total: bar.update(fitting, completed=done, total=total),
                )
            except ValueError as exc:
                console.print(f"[red]Cannot fit on {file}: {exc}[/red]")
                raise typer.Exit(2) from exc
        model.save(fit_to)
        core.answerer.confidence_model = model
        console.print(
            f"Wrote {fit_to}: answer from {model.answer_from:.3f}, suggest from {model.suggest_from:.3f}, "
            f"chit-chat below {model.off_topic_below:.3f}. Serve with CHANGEBOT_CONFIDENCE_MODEL={fit_to}."
        )
    with Progress(
        TextColumn("Evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("eval", total=len(questions))
        results = run_eval(
            answerer=core.answerer,
            questions=questions,
            k=k,
            mode=mode,  # type: ignore[arg-type]
            progress=lambda done, total: bar.update(task, completed=done),
        )
    summary = summarise(results, k=k)
    if calibrate:
        summary["suggested_threshold"] = calibrate_threshold(results)
        summary["threshold"] = core.answerer.threshold
    if as_json:
        payload = {"summary": summary, "results": [result.to_json() for result in results]}
        print_json(payload)
        return
    table = Table("metric", "value", title=f"{file} ({mode}, k={k})")
    for key, value in summary.items():
        if isinstance(value, dict):
            continue
        table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    out.print(table)
    for title, group in (("By language", "by_language"), ("By kind", "by_kind"), ("By split", "by_split")):
        if summary.get(group):
            out.print(_slice_table(title, summary[group]))
    misses = [r for r in results if r.question.answerable and (r.rank is None or not r.answer.answered)]
    wrong_answers = [r for r in results if not r.question.answerable and r.answer.answered]
    for result in misses + wrong_answers:
        status = (
            "answered (should refuse)"
            if not result.question.answerable
            else ("refused" if not result.answer.answered else "not in top k")
        )
        out.print(
            f"[yellow]{result.question.id}[/yellow] {status} (confidence {result.answer.confidence:.2f}): {result.question.question}"
        )


def _slice_table(title: str, slices: dict[str, dict[str, Any]]) -> Table:
    """One row per slice: retrieval (hit@1, hit@3, MRR) and trust (wrong, refused, off-topic answered)."""
    table = Table(
        "slice",
        "n",
        "hit@1",
        "hit@3",
        "MRR",
        "conf. wrong",
        "found, refused",
        "off-topic answered",
        title=title,
    )

    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else "-"

    for name, metrics in slices.items():
        table.add_row(
            name, str(metrics["questions"]), cell(metrics["hit@1"]), cell(metrics["hit@3"]), cell(metrics["mrr"]),
            cell(metrics["confidently_wrong"]), cell(metrics["right_passage_refused"]), cell(metrics["off_topic_answered"]),
        )  # fmt: skip
    return table


def _vector_count(core: KnowledgeCore) -> int | str:
    try:
        return len(core.vectors.ids())
    except VectorStoreUnavailableError as exc:
        return f"unknown: {exc}"


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show what the index holds."""
    settings = _settings()
    core = _core(settings)
    manifest = core.store.read_manifest()
    if manifest is None:
        console.print("The index is empty: run `changebot ingest` first.")
        raise typer.Exit(1)
    by_type: dict[str, int] = {}
    chunk_count = 0
    for record in manifest.files.values():
        by_type[record.doc_type] = by_type.get(record.doc_type, 0) + 1
        chunk_count += len(record.chunk_ids)
    info = {
        "generation": core.store.current_name(),
        "created_at": manifest.created_at,
        "files": len(manifest.files),
        "files_by_type": by_type,
        "chunks": chunk_count,
        "vectors": _vector_count(core),
        "embedding_model": manifest.model_fingerprint,
        "embedding_languages": list(settings.embedding_languages),
        "vector_store": settings.chroma_url or str(settings.chroma_dir),
    }
    if as_json:
        print_json(info)
        return
    table = Table("", "")
    for key, value in info.items():
        table.add_row(
            key, ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        )
    out.print(table)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default CHANGEBOT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default CHANGEBOT_PORT).")] = None,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Leave the schedules to a `changebot worker` process.")
    ] = False,
) -> None:
    """Start the web app (JSON API, web chat, health probes) with the scheduler, and the Telegram bot
    and sender when a token is set."""
    import uvicorn

    from bot.web.app import create_app

    settings = _settings()
    bind_host = host or settings.host
    bind_port = port or settings.port
    out.print(f"changebot is starting on http://{bind_host}:{bind_port}/ (Ctrl-C to stop)")
    uvicorn.run(
        create_app(settings, run_scheduler=not no_scheduler),
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level.lower(),
        # uvicorn's own lines (start-up, access log) go through our handler: JSON when configured,
        # and with secrets in query strings redacted.
        log_config=None,
    )


@app.command()
def bot() -> None:
    """Run the Telegram bot alone, with long polling."""
    from bot.telegram.app import TelegramNotConfiguredError, build_application

    settings = _settings()
    try:
        application = build_application(settings=settings, core=_core(settings), sessions=_sessions(settings))
    except TelegramNotConfiguredError as exc:
        console.print(f"[red]{exc}[/red]: get a token from @BotFather and set it in .env")
        raise typer.Exit(2) from exc
    out.print("changebot Telegram bot is polling (Ctrl-C to stop)")
    application.run_polling()


@app.command()
def gaps(
    limit: Annotated[int, typer.Option("--limit", min=1, max=5000, help="Open questions to look at.")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="Print the groups as JSON.")] = False,
) -> None:
    """List open unanswered questions, grouped by similarity: the top missing topics first."""
    with _sessions(_settings())() as session:
        groups = group_gaps(open_questions(session=session, limit=limit))
    if as_json:
        payload = [
            {"count": len(g.questions), "example": g.example, "questions": [q.text for q in g.questions]}
            for g in groups
        ]
        print_json(payload)
        return
    if not groups:
        out.print("No open questions: everything asked has been answered.")
        return
    table = Table("#", "asked", "example question", title="Open questions by topic")
    for number, group in enumerate(groups, start=1):
        table.add_row(str(number), str(len(group.questions)), group.example)
    out.print(table)


broadcast = typer.Typer(help="Send, schedule and follow broadcasts.", no_args_is_help=True)
app.add_typer(broadcast, name="broadcast")


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError(f"--at {value!r} is not an ISO time such as 2026-12-01T09:00+08:00") from exc
    if moment.tzinfo is None:
        raise InvalidInputError("--at needs a time zone, e.g. 2026-12-01T09:00+08:00")
    return moment


@broadcast.command("send")
def broadcast_send(
    text: Annotated[str, typer.Option("--text", help="The message.")],
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="all, unit:NAME, role:ROLE, lang:CODE; repeatable.")
    ] = None,
    at: Annotated[str | None, typer.Option("--at", help="ISO time with zone; default now.")] = None,
    must_read: Annotated[bool, typer.Option("--must-read", help="Ask recipients to acknowledge.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"id"}.')] = False,
) -> None:
    """Queue a broadcast; the worker (or `serve`) delivers it."""
    settings = _settings()
    with _refusing(), transaction(_sessions(settings)) as session:
        created = create_broadcast(
            session=session,
            text=text,
            selectors=audience or [],
            send_at=_parse_time(at),
            must_read=must_read,
        )
        broadcast_id, send_at = created.id, created.send_at
    if as_json:
        print_json({"id": broadcast_id})
    else:
        out.print(f"Broadcast {broadcast_id} queued for {send_at:%Y-%m-%d %H:%M} UTC")


@broadcast.command("list")
def broadcast_list() -> None:
    """Recent and scheduled broadcasts."""
    with _sessions(_settings())() as session:
        rows = list_broadcasts(session=session)
        table = Table("id", "kind", "status", "send at (UTC)", "audience", "text")
        for row in rows:
            table.add_row(
                str(row.id),
                row.kind,
                row.status,
                f"{row.send_at:%Y-%m-%d %H:%M}",
                " ".join(row.audience),
                row.text[:40],
            )
    out.print(table)


@broadcast.command("cancel")
def broadcast_cancel(broadcast_id: Annotated[int, typer.Argument(help="Broadcast id.")]) -> None:
    """Cancel a broadcast; copies not yet sent are dropped."""
    with _refusing(), transaction(_sessions(_settings())) as session:
        cancel_broadcast(session=session, broadcast_id=broadcast_id)
    out.print(f"Broadcast {broadcast_id} cancelled")


@broadcast.command("status")
def broadcast_status_command(
    broadcast_id: Annotated[int, typer.Argument(help="Broadcast id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the delivery figures as JSON.")] = False,
) -> None:
    """Delivery figures for one broadcast."""
    with _refusing(), _sessions(_settings())() as session:
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
    if as_json:
        keys = ("recipients", "delivered", "failed", "blocked", "reactions", "acknowledged")
        print_json({key: figures[key] for key in keys})
        return
    for key, value in figures.items():
        out.print(f"{key:>13}: {value}")


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


@app.command()
def worker(
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Only send; another process runs the schedules.")
    ] = False,
) -> None:
    """Run the broadcast sender and the scheduler alone (no web app)."""
    from telegram import Bot

    from bot.broadcasts.sender import DeliveryWorker
    from bot.runtime import build_scheduler, worker_settings
    from bot.telegram.broadcast_sender import TelegramMessageSender
    from bot.telegram.runner import connect_bot_when_reachable

    settings = _settings()
    if settings.telegram_token is None:
        console.print("[red]CHANGEBOT_TELEGRAM_TOKEN is not set[/red]: the worker delivers through Telegram")
        raise typer.Exit(2)
    sessions = _sessions(settings)
    bot = Bot(settings.telegram_token.get_secret_value(), base_url=settings.telegram_base_url)
    delivery = DeliveryWorker(
        sessions=sessions, sender=TelegramMessageSender(bot), settings=worker_settings(settings)
    )
    scheduler = None if no_scheduler else build_scheduler(sessions=sessions, settings=settings)

    async def work(stop: asyncio.Event) -> None:
        # The schedules do not need Telegram: they run while the sender waits for it to answer.
        jobs = [scheduler.run(stop=stop)] if scheduler else []
        jobs.append(send_when_connected(stop))
        await asyncio.gather(*jobs)

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

    out.print(
        f"changebot worker {delivery.worker_id} running: sender"
        + ("" if no_scheduler else " and scheduler")
        + " (Ctrl-C to stop)"
    )
    _run_until_stopped(work)
    if refused:
        console.print("[red]Telegram refused CHANGEBOT_TELEGRAM_TOKEN[/red]: check it with @BotFather")
        raise typer.Exit(2)


vision = typer.Typer(
    help="Vision series: the vision in several wordings, sent on a cadence.", no_args_is_help=True
)
app.add_typer(vision, name="vision")


@vision.command("add")
def vision_add(
    wording: Annotated[
        list[str], typer.Option("--text", help="One wording of the vision; repeat for each variant.")
    ],
    cron: Annotated[
        str, typer.Option("--cron", help="Cadence in each person's local time, e.g. '0 9 * * mon'.")
    ],
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="all, unit:NAME, role:ROLE, lang:CODE; repeatable.")
    ] = None,
    title: Annotated[str, typer.Option("--title", help="A name for the series.")] = "",
    must_read: Annotated[bool, typer.Option("--must-read", help="Ask recipients to acknowledge.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"id", "next"} as JSON.')] = False,
) -> None:
    """Start a vision series; each person gets the next wording in turn."""
    from bot.broadcasts.recurring import create_vision_series
    from bot.scheduling.service import known_zones

    settings = _settings()
    with _refusing(), transaction(_sessions(settings)) as session:
        zones = known_zones(session=session, default_timezone=settings.default_timezone)
        series, schedule = create_vision_series(
            session=session,
            title=title,
            variants=wording,
            cron=cron,
            zones=zones,
            selectors=audience or [],
            must_read=must_read,
        )
        result = {"id": series.id, "next": schedule.next_occurrence.isoformat(timespec="minutes")}
    if as_json:
        print_json(result)
    else:
        out.print(f"Vision series {result['id']}: next at {result['next']} (each person's local time)")


@vision.command("list")
def vision_list() -> None:
    """Active vision series and when each runs next."""
    from bot.broadcasts.recurring import vision_schedules

    with _sessions(_settings())() as session:
        table = Table("id", "title", "wordings", "cadence", "next (local)", "audience")
        for series, schedule in vision_schedules(session=session):
            table.add_row(
                str(series.id),
                series.title[:40],
                str(len(series.variants)),
                schedule.cron,
                f"{schedule.next_occurrence:%Y-%m-%d %H:%M}",
                " ".join(series.audience),
            )
    out.print(table)


@vision.command("stop")
def vision_stop(series_id: Annotated[int, typer.Argument(help="Vision series id.")]) -> None:
    """Stop a vision series; what it sent still counts toward exposure."""
    from bot.broadcasts.recurring import stop_vision_series

    with _refusing(), transaction(_sessions(_settings())) as session:
        stop_vision_series(session=session, series_id=series_id)
    out.print(f"Vision series {series_id} stopped")


survey = typer.Typer(
    help="Pulse surveys: send waves, follow them, read results with the anonymity rules.",
    no_args_is_help=True,
)
app.add_typer(survey, name="survey")


def _library_survey(settings: Settings, survey_id: str) -> Survey:
    from bot.surveys.definitions import SurveyFileError, load_surveys

    try:
        found = load_surveys(settings.knowledge_dir / settings.surveys_dir_name)
    except SurveyFileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if survey_id not in found:
        console.print(
            f"[red]no survey {survey_id!r}[/red]; the library has: {', '.join(sorted(found)) or 'none'}"
        )
        raise typer.Exit(1)
    return found[survey_id]


@survey.command("send")
def survey_send(
    survey_id: Annotated[str, typer.Argument(help="Survey id (file name in knowledge/surveys/).")],
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="all, unit:NAME, role:ROLE, lang:CODE; repeatable.")
    ] = None,
    closes: Annotated[
        str | None, typer.Option("--closes", help="Closing time with zone, e.g. 2026-12-04T18:00+08:00.")
    ] = None,
    named: Annotated[bool, typer.Option("--named", help="Keep names with answers (not anonymous).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"wave": ID} as JSON.')] = False,
) -> None:
    """Open a wave now; invitations go out through the broadcast sender."""
    from datetime import timedelta

    from bot.storage.base import utc_now
    from bot.surveys.waves import launch_wave

    settings = _settings()
    definition = _library_survey(settings, survey_id)
    try:
        closes_at = datetime.fromisoformat(closes) if closes else None
    except ValueError as exc:
        console.print(f"[red]--closes: not an ISO time: {closes!r}[/red]")
        raise typer.Exit(1) from exc
    now = utc_now()
    with _refusing(), transaction(_sessions(settings)) as session:
        wave = launch_wave(
            session=session,
            survey=definition,
            closes_at=closes_at or now + timedelta(hours=settings.survey_open_hours),
            selectors=audience or [],
            anonymous=not named,
            reminder_before_close=timedelta(hours=settings.survey_reminder_hours_before_close) or None,
            now=now,
        )
        wave_id, invited = wave.id, wave.invited
    if as_json:
        print_json({"wave": wave_id})
    else:
        out.print(f"Wave {wave_id} of {survey_id}: {invited} people invited")


@survey.command("status")
def survey_status(
    wave_id: Annotated[int, typer.Argument(help="Wave id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Invited, finished and response rate of a wave (never any answers)."""
    from bot.surveys.results import wave_status
    from bot.surveys.waves import get_wave

    with _refusing(), _sessions(_settings())() as session:
        figures = wave_status(session=session, wave=get_wave(session=session, wave_id=wave_id))
    if as_json:
        print_json(figures)
        return
    for key, value in figures.items():
        out.print(f"{key:>14}: {value}")


def _closed_results(wave_id: int) -> tuple[dict[str, object], list[dict[str, object]]]:
    from bot.runtime import survey_rules
    from bot.surveys.results import results_as_dict, wave_results, wave_status
    from bot.surveys.waves import get_wave

    settings = _settings()
    with _refusing(), _sessions(settings)() as session:
        wave = get_wave(session=session, wave_id=wave_id)
        if wave.status != "closed":
            raise InvalidInputError(
                f"wave {wave_id} is {wave.status}: results are shown once it closes "
                "(watching them change while people answer would reveal answers)"
            )
        definition = _library_survey(settings, wave.survey_id)
        rules = survey_rules(settings)
        groups = wave_results(session=session, wave=wave, survey=definition, rules=rules)
        return wave_status(session=session, wave=wave), results_as_dict(groups)


@survey.command("results")
def survey_results(
    wave_id: Annotated[int, typer.Argument(help="Wave id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Per unit and dimension: n, mean, band, or suppressed with the reason (closed waves only)."""
    status, rows = _closed_results(wave_id)
    if as_json:
        print_json({**status, "units": rows})
        return
    table = Table(
        "unit", "respondents", "dimension", "n", "mean", "band", title=f"Wave {wave_id}: {status['survey']}"
    )
    for row in rows:
        name = "(everyone)" if row["unit"] == "*" else "  " * (int(str(row["depth"])) - 1) + str(row["unit"])
        if "suppressed" in row:
            table.add_row(name, "–", "–", "–", "–", f"suppressed: {row['suppressed']}")
            continue
        dimensions = row["dimensions"]
        assert isinstance(dimensions, dict)  # noqa: S101
        for index, (dimension, figures) in enumerate(dimensions.items()):
            table.add_row(
                name if index == 0 else "",
                str(row["respondents"]) if index == 0 else "",
                dimension,
                str(figures["n"]),
                f"{figures['mean']:.2f}",
                str(figures["band"]),
            )
    out.print(table)


@survey.command("export")
def survey_export(
    wave_id: Annotated[int, typer.Argument(help="Wave id.")],
    csv_file: Annotated[Path, typer.Option("--csv", help="File to write.")],
) -> None:
    """Write the results (per unit and dimension, anonymity rules applied) as CSV; never single answers."""
    import csv

    status, rows = _closed_results(wave_id)
    try:
        csv_file.parent.mkdir(parents=True, exist_ok=True)
        stream = csv_file.open("w", encoding="utf-8-sig", newline="")  # BOM: Excel reads the Chinese right
    except OSError as exc:
        console.print(f"[red]cannot write {csv_file}: {exc}[/red]")
        raise typer.Exit(1) from exc
    with stream:
        writer = csv.writer(stream)
        writer.writerow(
            [
                "wave",
                "survey",
                "unit",
                "respondents",
                "response_rate",
                "dimension",
                "n",
                "mean",
                "band",
                "suppressed",
            ]
        )
        for row in rows:
            if "suppressed" in row:
                writer.writerow(
                    [wave_id, status["survey"], row["unit"], "", "", "", "", "", "", row["suppressed"]]
                )
                continue
            dimensions = row["dimensions"]
            assert isinstance(dimensions, dict)  # noqa: S101
            for dimension, figures in dimensions.items():
                writer.writerow(
                    [wave_id, status["survey"], row["unit"], row["respondents"], row["response_rate"], dimension,
                     figures["n"], figures["mean"], figures["band"], ""]
                )  # fmt: skip
    out.print(f"Wrote {csv_file}")


@survey.command("trend")
def survey_trend(
    survey_id: Annotated[str, typer.Argument(help="Survey id.")],
    unit: Annotated[str, typer.Option("--unit", help="Unit name; default: everyone.")] = "*",
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """One unit's dimension means across the survey's closed waves, oldest first (rules applied)."""
    from bot.runtime import survey_rules
    from bot.surveys.results import results_as_dict, trend

    settings = _settings()
    definition = _library_survey(settings, survey_id)
    rules = survey_rules(settings)
    with _sessions(settings)() as session:
        rows = [
            {
                "wave": wave.id,
                "closed": wave.closes_at.isoformat(timespec="minutes"),
                **results_as_dict([group])[0],
            }
            for wave, group in trend(session=session, survey=definition, rules=rules, unit=unit)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("wave", "closed", "respondents", *definition.dimensions, title=f"{survey_id}: {unit}")
    for row in rows:
        dimensions = row.get("dimensions")
        cells = [
            f"{dimensions[d]['mean']:.2f} {dimensions[d]['band']}"
            if isinstance(dimensions, dict) and d in dimensions
            else "–"
            for d in definition.dimensions
        ]
        table.add_row(
            str(row["wave"]), str(row["closed"]), str(row.get("respondents", row.get("suppressed"))), *cells
        )
    out.print(table)


@survey.command("close")
def survey_close(wave_id: Annotated[int, typer.Argument(help="Wave id.")]) -> None:
    """Close a wave now (its key is erased: answers can no longer be matched to anyone)."""
    from bot.surveys.waves import close_wave, get_wave

    with _refusing(), transaction(_sessions(_settings())) as session:
        close_wave(session=session, wave=get_wave(session=session, wave_id=wave_id))
    out.print(f"Wave {wave_id} closed")


@survey.command("list")
def survey_list() -> None:
    """Surveys in the library and recent waves."""
    from bot.runtime import survey_definitions
    from bot.surveys.results import wave_status
    from bot.surveys.waves import waves

    settings = _settings()
    library = survey_definitions(settings)
    out.print("Library: " + (", ".join(f"{s.id} (v{s.version})" for s in library.values()) or "none"))
    table = Table("wave", "survey", "status", "closes", "invited", "respondents", "rate")
    with _sessions(settings)() as session:
        for wave in waves(session=session):
            figures = wave_status(session=session, wave=wave)
            table.add_row(
                str(wave.id), wave.survey_id, wave.status, str(figures["closes_at"]), str(figures["invited"]),
                str(figures["respondents"]), str(figures["response_rate"]),
            )  # fmt: skip
    out.print(table)


@survey.command("schedule")
def survey_schedule(
    survey_id: Annotated[str, typer.Argument(help="Survey id.")],
    cron: Annotated[
        str, typer.Option("--cron", help="When each wave opens (local time), e.g. '0 10 * * mon'.")
    ],
    open_hours: Annotated[float, typer.Option("--open-hours", help="How long each wave stays open.")] = 72.0,
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="all, unit:NAME, role:ROLE, lang:CODE; repeatable.")
    ] = None,
) -> None:
    """Recurring waves: a new wave at every cron occurrence."""
    from bot.scheduling.service import known_zones
    from bot.surveys.waves import schedule_survey

    settings = _settings()
    definition = _library_survey(settings, survey_id)
    with _refusing(), transaction(_sessions(settings)) as session:
        zones = known_zones(session=session, default_timezone=settings.default_timezone)
        schedule = schedule_survey(
            session=session, survey=definition, cron=cron, open_hours=open_hours, zones=zones,
            selectors=audience or [],
        )  # fmt: skip
        first = schedule.next_occurrence.isoformat(timespec="minutes")
    out.print(f"{survey_id}: a wave opens {cron} (local time), first at {first}")


rollout = typer.Typer(
    help="The rollout: waves, weekly usage figures, warning lights, alerts.", no_args_is_help=True
)
app.add_typer(rollout, name="rollout")


def _week_option(raw: str | None) -> date:
    from bot.rollout.figures import last_complete_week, week_of

    if raw is None:
        return last_complete_week()
    try:
        return week_of(date.fromisoformat(raw))
    except ValueError as exc:
        console.print(f"[red]--week: not a date: {raw!r}[/red]")
        raise typer.Exit(1) from exc


@rollout.command("plan")
def rollout_plan(
    units: Annotated[int, typer.Option("--units", min=1, help="How many units (stores) switch in all.")],
    coaches: Annotated[int, typer.Option("--coaches", min=1, help="Coaches supporting the rollout at once.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Suggest waves: 1-3-9-27 pacing, none larger than the coaches can carry (3 units per coach)."""
    from bot.rollout.waves import suggest_plan

    with _refusing():
        plan = suggest_plan(units=units, coaches=coaches)
    if as_json:
        print_json(
            [{"wave": w.number, "units": w.units, "starts_after_weeks": w.starts_after_weeks} for w in plan]
        )
        return
    table = Table("wave", "units", "starts after (weeks)", title=f"{units} units, {coaches} coaches")
    for wave in plan:
        table.add_row(str(wave.number), str(wave.units), str(wave.starts_after_weeks))
    out.print(table)
    out.print("Create them with `changebot rollout wave-add` and fill them with `changebot rollout assign`.")


@rollout.command("wave-add")
def rollout_wave_add(
    number: Annotated[int, typer.Argument(help="Wave number (1 = pilot).")],
    starts: Annotated[str, typer.Option("--starts", help="Start date, e.g. 2027-01-05.")],
    target: Annotated[
        float, typer.Option("--target", help="Share of units green or yellow to call it a success.")
    ] = 0.8,
    capacity: Annotated[int, typer.Option("--capacity", help="Coaches supporting this wave.")] = 0,
    name: Annotated[str, typer.Option("--name", help="A name, e.g. 试点.")] = "",
) -> None:
    """Add a rollout wave."""
    from bot.rollout.waves import add_wave

    try:
        starts_on = date.fromisoformat(starts)
    except ValueError as exc:
        console.print(f"[red]--starts: not a date: {starts!r}[/red]")
        raise typer.Exit(1) from exc
    try:
        with transaction(_sessions(_settings())) as session:
            add_wave(
                session=session,
                number=number,
                starts_on=starts_on,
                target_success_rate=target,
                support_capacity=capacity,
                name=name,
            )
    except ChangebotError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    out.print(f"Wave {number} starts {starts}")


@rollout.command("assign")
def rollout_assign(
    number: Annotated[int, typer.Argument(help="Wave number.")],
    units: Annotated[list[str], typer.Argument(help="Unit names.")],
) -> None:
    """Put units into a wave (all or none: an unknown unit changes nothing)."""
    from bot.rollout.waves import assign_units

    with _refusing(), transaction(_sessions(_settings())) as session:
        count = assign_units(session=session, number=number, unit_names=units)
    out.print(f"{count} unit(s) in wave {number}")


@rollout.command("import")
def rollout_import(
    file: Annotated[
        Path, typer.Argument(help="CSV (unit,week,usage_rate[,efficiency_change,complaints]) or JSON.")
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or json (default: from the file name).")
    ] = None,
) -> None:
    """Import weekly usage figures; any bad row refuses the whole file, every problem named by line."""
    from bot.rollout.figures import import_figures

    chosen = fmt or ("json" if file.suffix.lower() == ".json" else "csv")
    try:
        content = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]cannot read {file}: {exc}[/red]")
        raise typer.Exit(1) from exc
    with _refusing(), transaction(_sessions(_settings())) as session:
        count = import_figures(session=session, text=content, fmt=chosen)
    out.print(f"Imported {count} row(s) from {file}")


@rollout.command("evaluate")
def rollout_evaluate(
    week: Annotated[
        str | None, typer.Option("--week", help="Any day of the week (default: last week).")
    ] = None,
) -> None:
    """Work out a week's lights, and queue alerts (with advice from the library) for the sender."""
    from bot.rollout.service import evaluate_and_alert, knowledge_search
    from bot.runtime import light_rules, survey_definitions, survey_rules

    settings = _settings()
    chosen = _week_option(week)
    core = _core(settings)
    try:
        with transaction(_sessions(settings)) as session:
            evaluation = evaluate_and_alert(
                session=session, week=chosen, rules=light_rules(settings), search=knowledge_search(core),
                surveys=survey_definitions(settings), survey_rules=survey_rules(settings),
            )  # fmt: skip
            lights = [(row.unit_id, row.light, row.reasons) for row in evaluation.lights]
            alerts = len(evaluation.notices)
    finally:
        core.close()
    out.print(f"Week {chosen}: {len(lights)} unit(s) lit, {alerts} alert(s) queued")


@rollout.command("status")
def rollout_status(
    week: Annotated[
        str | None, typer.Option("--week", help="Any day of the week (default: last week).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Each unit's light with its reasons, and each wave against its target."""
    from sqlalchemy import select as sql_select

    from bot.people.models import Unit
    from bot.rollout.models import UnitLight
    from bot.rollout.waves import wave_progress

    chosen = _week_option(week)
    with _sessions(_settings())() as session:
        names = dict(session.execute(sql_select(Unit.id, Unit.name)).all())
        rows = session.scalars(
            sql_select(UnitLight).where(UnitLight.week == chosen).order_by(UnitLight.usage_rate)
        ).all()
        lights = [(names.get(row.unit_id, "?"), row.light, row.usage_rate, list(row.reasons)) for row in rows]
        waves = [
            {"wave": p.wave.number, "units": p.units, "successes": p.successes, "success_rate": p.success_rate,
             "target": p.wave.target_success_rate, "pause_next": p.pause_next, "advice": p.advice}
            for p in wave_progress(session=session, week=chosen)
        ]  # fmt: skip
    if as_json:
        as_dicts = [{"unit": u, "light": lt, "usage_rate": r, "reasons": why} for u, lt, r, why in lights]
        print_json({"week": chosen.isoformat(), "lights": as_dicts, "waves": waves})
        return
    table = Table("unit", "light", "usage", "why", title=f"Week of {chosen}")
    for unit_name, light, rate, reasons in lights:
        table.add_row(unit_name, light, f"{rate:.0%}", "; ".join(reasons))
    out.print(table)
    for wave in waves:
        out.print(
            f"Wave {wave['wave']}: {wave['successes']}/{wave['units']} green or yellow — {wave['advice']}"
        )


@app.command()
def review(
    manager: Annotated[
        int | None, typer.Option("--manager", help="Telegram id of one manager (default: all).")
    ] = None,
    week: Annotated[
        str | None, typer.Option("--week", help="Any day of the week (default: last week).")
    ] = None,
) -> None:
    """Print the weekly review pack of each manager (or one)."""
    from bot.broadcasts.reach import vision_exposure
    from bot.people.service import person_by_telegram_id
    from bot.rollout.review import managers, review_pack
    from bot.rollout.service import latest_resistance
    from bot.runtime import survey_definitions, survey_rules

    settings = _settings()
    chosen = _week_option(week)
    with _sessions(settings)() as session:
        if manager is not None:
            person = person_by_telegram_id(session=session, telegram_id=manager)
            if person is None:
                console.print(f"[red]no person with Telegram id {manager}[/red]")
                raise typer.Exit(1)
            people = [person]
        else:
            people = managers(session=session)
        resistance = latest_resistance(
            session=session, surveys=survey_definitions(settings), rules=survey_rules(settings)
        )
        exposure = vision_exposure(session=session, target=settings.vision_target_exposures)
        for person in people:
            pack = review_pack(
                session=session, manager=person, week=chosen, resistance=resistance,
                vision_target=settings.vision_target_exposures, exposure=exposure,
            )  # fmt: skip
            out.print(f"── {person.name or person.id} ──")
            out.print(pack.text)
            out.print()
    if not people:
        out.print("No managers yet.")


@app.command()
def report(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    recent: Annotated[int, typer.Option("--recent", min=0, max=200, help="Broadcasts to list.")] = 10,
) -> None:
    """What askers got last week (answered / did you mean / don't know, helpful), vision exposure per
    unit against the target, and delivery figures of recent broadcasts."""
    from bot.broadcasts.reach import vision_exposure
    from bot.questions.outcomes import answer_outcomes
    from bot.storage.base import utc_now

    settings = _settings()
    target = settings.vision_target_exposures
    with _sessions(settings)() as session:
        outcomes = answer_outcomes(session=session, since=utc_now() - timedelta(days=7))
        exposure = vision_exposure(session=session, target=target)
        broadcasts = [
            {
                "id": row.id,
                "kind": row.kind,
                "text": row.text[:40],
                **broadcast_status(session=session, broadcast_id=row.id),
            }
            for row in list_broadcasts(session=session, limit=recent)
        ]
    units = [
        {
            "unit": row.unit,
            "depth": row.depth,
            "people": row.people,
            "reached_target": row.reached_target,
            "share_reached": round(row.share_reached, 4),
            "mean_exposures": round(row.mean_exposures, 2),
        }
        for row in exposure
    ]
    if as_json:
        print_json(
            {
                "questions_last_7_days": outcomes.to_json(),
                "vision_target": target,
                "vision_exposure": units,
                "broadcasts": broadcasts,
            },  # fmt: skip
        )
        return

    def share(value: float | None) -> str:
        return "–" if value is None else f"{value:.0%}"

    asked = Table("questions", "answered", "did you mean", "(picked)", "don't know", "(chit-chat)", "helpful",
                  title="Questions, last 7 days")  # fmt: skip
    asked.add_row(
        str(outcomes.questions), f"{outcomes.answered} ({share(outcomes.answered_share)})",
        f"{outcomes.suggested} ({share(outcomes.suggested_share)})", str(outcomes.suggestion_picked),
        f"{outcomes.unknown} ({share(outcomes.unknown_share)})", str(outcomes.chit_chat),
        f"{share(outcomes.helpful_share)} of {outcomes.rated} rated",
    )  # fmt: skip
    out.print(asked)
    table = Table(
        "unit", "people", f"heard the vision ≥{target}×", "share", "mean times", title="Vision exposure"
    )
    for row in exposure:
        name = "(everyone)" if row.unit == "*" else "  " * (row.depth - 1) + row.unit
        table.add_row(
            name,
            str(row.people),
            str(row.reached_target),
            f"{row.share_reached:.0%}",
            f"{row.mean_exposures:.1f}",
        )
    out.print(table)
    figures = Table(
        "id", "kind", "status", "recipients", "delivered", "failed", "blocked", "reactions", "acknowledged", "text",
        title="Recent broadcasts",
    )  # fmt: skip
    for figure in broadcasts:
        figures.add_row(*(str(figure[key]) for key in (
            "id", "kind", "status", "recipients", "delivered", "failed", "blocked", "reactions", "acknowledged", "text",
        )))  # fmt: skip
    out.print(figures)


@app.command()
def scheduler() -> None:
    """Run the scheduler alone (vision series, digests, surveys, the rollout's weekly rhythm)."""
    from bot.runtime import build_scheduler

    settings = _settings()
    runner = build_scheduler(sessions=_sessions(settings), settings=settings)
    out.print("changebot scheduler running (Ctrl-C to stop)")
    _run_until_stopped(lambda stop: runner.run(stop=stop))


admin = typer.Typer(help="Units, invite codes and roles.", no_args_is_help=True)
app.add_typer(admin, name="admin")


@admin.command("add-unit")
def admin_add_unit(
    name: Annotated[str, typer.Argument(help="Unit name, unique (e.g. 华东区-12号店).")],
    parent: Annotated[str | None, typer.Option("--parent", help="Name of the unit above it.")] = None,
) -> None:
    """Add a unit to the organisation tree."""
    settings = _settings()
    with _refusing(), transaction(_sessions(settings)) as session:
        unit = add_unit(session=session, name=name, parent=parent)
        out.print(f"Added unit {unit.name!r}" + (f" under {parent!r}" if parent else ""))


@admin.command("list-units")
def admin_list_units() -> None:
    """Show the unit tree."""
    with _sessions(_settings())() as session:
        tree = unit_tree(session=session)
    if not tree:
        out.print("No units yet: add one with `changebot admin add-unit NAME`.")
    for depth, unit in tree:
        out.print("  " * depth + unit.name)


@admin.command("console-link")
def admin_console_link(
    telegram_id: Annotated[
        int | None, typer.Option("--telegram-id", help="An existing manager or admin.")
    ] = None,
    new_admin: Annotated[
        str | None, typer.Option("--new-admin", help="Create an admin with this name (no Telegram).")
    ] = None,
) -> None:
    """Print a one-time console sign-in link (15 minutes), for operators and first set-up without Telegram."""
    from bot.access.service import create_sign_in_link
    from bot.people.models import Person
    from bot.people.service import person_by_telegram_id

    if (telegram_id is None) == (new_admin is None):
        console.print("[red]give --telegram-id or --new-admin[/red]")
        raise typer.Exit(2)
    settings = _settings()
    with _refusing(), transaction(_sessions(settings)) as session:
        if new_admin is not None:
            person: Person | None = Person(name=new_admin.strip()[:200] or "admin", is_admin=True)
            session.add(person)
            session.flush()
        else:
            person = person_by_telegram_id(session=session, telegram_id=telegram_id or 0)
        if person is None:
            raise InvalidInputError(f"no person with Telegram id {telegram_id}")
        secret = create_sign_in_link(session=session, person=person)
    out.print(f"{settings.base_url}/auth/link?token={secret}")


@admin.command("create-invite")
def admin_create_invite(
    unit: Annotated[str, typer.Option("--unit", help="The unit people join.")],
    role: Annotated[Role, typer.Option("--role", help="staff or manager.")] = Role.STAFF,
    uses: Annotated[int, typer.Option("--uses", help="How many people may use it.")] = 1,
    expires_days: Annotated[float, typer.Option("--expires-days", help="Days until it expires.")] = 14,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"code", "link"}.')] = False,
) -> None:
    """Create an invite code (and deep link) for a unit and role."""
    settings = _settings()
    with _refusing(), transaction(_sessions(settings)) as session:
        invite = create_invite(
            session=session, unit_name=unit, role=role, uses=uses, expires_days=expires_days
        )
        code, expires = invite.code, invite.expires_at
    link = invite_link(code=code, bot_username=settings.telegram_bot_username)
    if as_json:
        print_json({"code": code, "link": link})
        return
    out.print(
        f"Invite code {code} for {unit!r} as {role.value}, {uses} use(s), expires {expires:%Y-%m-%d %H:%M} UTC"
    )
    if link:
        out.print(link)
