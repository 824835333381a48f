"""The FastAPI application: built once per process, heavy objects made in the lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bot.access.service import AccessDeniedError
from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.broadcasts.sender import DeliveryWorker
from bot.config import Settings
from bot.errors import ChangebotError, ConflictError, KnowledgeUnavailableError, NotFoundError
from bot.library.jobs import IngestJobs
from bot.questions.flood import FloodGate
from bot.questions.phrasings import DatabasePhrasings
from bot.rollout.figures import FiguresImportError
from bot.runtime import build_scheduler, survey_pairing_key, worker_settings
from bot.storage.database import database_unavailable, make_engine, make_session_factory, upgrade_database
from bot.telegram.app import build_application
from bot.telegram.broadcast_sender import TelegramMessageSender
from bot.telegram.runner import start_telegram_when_reachable, stop_telegram, try_start_telegram
from bot.web.headers import SecurityHeaders, serve_docs
from bot.web.routes import (
    api_broadcasts,
    api_common,
    api_knowledge,
    api_rollout,
    api_stories,
    api_surveys,
    api_units,
    ask,
    auth,
    chat_page,
    chat_surveys,
    console_broadcasts,
    console_knowledge,
    console_overview,
    console_people,
    console_surveys,
    health,
    telegram_webhook,
)
from bot.wording import set_default_language

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"


def create_app(
    settings: Settings,
    *,
    core: KnowledgeCore | None = None,
    run_telegram: bool = True,
    run_scheduler: bool = True,
    run_jobs: bool = True,
) -> FastAPI:
    """The web app with the scheduler and the re-index jobs, and the Telegram bot and sender when a
    token is set.

    Tests pass a fake-embedder core; ``run_scheduler=False`` leaves the schedules, and
    ``run_jobs=False`` the re-index jobs this process queues, to another process (`changebot worker`).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # First: a damaged survey key file stops the start with its message, before anything runs.
        app.state.survey_key = await asyncio.to_thread(survey_pairing_key, settings)
        set_default_language(settings.default_language)  # before anything words a page or a message
        engine = make_engine(settings.database)
        await asyncio.to_thread(upgrade_database, engine)
        app.state.settings = settings
        app.state.sessions = make_session_factory(engine)
        owned_core = core is None
        app.state.core = core or build_knowledge_core(settings, sessions=app.state.sessions)
        app.state.flood = FloodGate(sessions=app.state.sessions, per_minute=settings.questions_per_minute)
        app.state.core.learn_from(DatabasePhrasings(sessions=app.state.sessions))
        app.state.ingest_jobs = IngestJobs(
            core=app.state.core,
            sessions=app.state.sessions,
            runs=run_jobs,
            estimate=app.state.core.chunks_to_embed,
            abandon_after=settings.ingest_job_abandon_seconds,
        )
        # Re-index jobs a killed process left behind (this host's at once, others' once silent).
        await asyncio.to_thread(app.state.ingest_jobs.recover)
        if await asyncio.to_thread(app.state.core.store.current_name) is None:
            logger.warning("the index is empty: run `changebot ingest` to load the knowledge library")
        app.state.telegram = None
        stop_background = asyncio.Event()
        background: list[asyncio.Task[None]] = []
        try:  # whatever fails from here on (a broken model, a refused token), everything started stops
            # Load the embedding model and embed the learned wordings now, not on the first question:
            # the first person to ask would otherwise wait seconds, and a broken model path should
            # stop start-up, not a question.
            await asyncio.to_thread(app.state.core.warm_up)
            if run_jobs:  # else only queued here: the embedding runs in a worker, not on the web threads
                app.state.ingest_jobs.run_in_background()
            if run_scheduler:
                # Always: survey waves must close (and forget who answered) on time, with or without Telegram.
                scheduler = build_scheduler(
                    sessions=app.state.sessions, settings=settings, core=lambda: app.state.core
                )
                background.append(asyncio.create_task(scheduler.run(stop=stop_background)))
            if settings.telegram_token is not None and run_telegram:
                app.state.telegram = build_application(
                    settings=settings,
                    core=app.state.core,
                    sessions=app.state.sessions,
                    webhook=settings.telegram_webhook_url is not None,
                    jobs=app.state.ingest_jobs,
                )
                telegram = app.state.telegram
                # The sender runs in the same process by default; `changebot worker` runs it (and the
                # scheduler) alone for bigger deployments.
                delivery = DeliveryWorker(
                    sessions=app.state.sessions,
                    sender=TelegramMessageSender(telegram.bot),
                    settings=worker_settings(settings),
                )

                async def telegram_then_sender(*, started: bool) -> None:
                    if started or await start_telegram_when_reachable(
                        telegram, settings=settings, stop=stop_background
                    ):
                        await delivery.run(stop=stop_background)

                # First attempt now, so a healthy start is ready when the app is. If the Bot API cannot
                # be reached, the app serves without Telegram and keeps trying in the background; a
                # refused token (TelegramTokenRejectedError) is a set-up error and stops start-up.
                started = await try_start_telegram(telegram, settings=settings)
                background.append(asyncio.create_task(telegram_then_sender(started=started)))
            yield
        finally:
            stop_background.set()
            await asyncio.gather(*background)
            await asyncio.to_thread(app.state.ingest_jobs.close)
            if app.state.telegram is not None:
                await stop_telegram(app.state.telegram)
            if owned_core:
                app.state.core.close()
            engine.dispose()

    app = FastAPI(
        title="changebot",
        summary="Answers staff questions about an organisational change from the change team's library.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served from our own origin: serve_docs
        redoc_url=None,
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    serve_docs(app)
    _add_error_handlers(app)
    _refuse_nul_characters(app)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(api_common.router)
    app.include_router(api_units.router)
    app.include_router(api_broadcasts.router)
    app.include_router(api_surveys.router)
    app.include_router(api_rollout.router)
    app.include_router(api_knowledge.router)
    app.include_router(api_stories.router)
    app.include_router(chat_surveys.router)
    app.include_router(console_overview.router)
    app.include_router(console_knowledge.router)
    app.include_router(console_broadcasts.router)
    app.include_router(console_surveys.router)
    app.include_router(console_people.router)
    app.include_router(ask.router)
    app.include_router(chat_page.router)
    app.include_router(telegram_webhook.router)
    return app


def _refuse_nul_characters(app: FastAPI) -> None:
    """No text field may hold a NUL character (PostgreSQL cannot store one): refuse it up front."""

    @app.middleware("http")
    async def check(request: Request, call_next: Any) -> Any:
        kind = request.headers.get("content-type", "")
        if request.method in ("POST", "PUT", "PATCH") and not kind.startswith("multipart/"):
            body = await request.body()
            encoded = b"%00" in body and kind.startswith("application/x-www-form-urlencoded")
            if b"\x00" in body or b"\\u0000" in body or encoded:
                return JSONResponse({"detail": "text must not contain NUL characters"}, status_code=422)
        if "\x00" in request.url.query or "%00" in request.url.query:
            return JSONResponse({"detail": "text must not contain NUL characters"}, status_code=422)
        return await call_next(request)


DATABASE_RETRY_AFTER_S = 5


def _add_error_handlers(app: FastAPI) -> None:
    """Domain errors become 4xx answers with the message; nothing a caller sends should make a 500."""

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, AccessDeniedError):
            code = status.HTTP_403_FORBIDDEN
        elif isinstance(exc, NotFoundError):
            code = status.HTTP_404_NOT_FOUND
        elif isinstance(exc, KnowledgeUnavailableError):
            code = status.HTTP_503_SERVICE_UNAVAILABLE
        elif isinstance(exc, ConflictError):
            code = status.HTTP_409_CONFLICT
        else:
            code = status.HTTP_422_UNPROCESSABLE_CONTENT
        body: dict[str, object] = {"detail": str(exc)}
        if isinstance(exc, FiguresImportError):
            body["problems"] = exc.problems
        return JSONResponse(body, status_code=code)

    app.add_exception_handler(ChangebotError, refused)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        # FastAPI's own handler echoes the input, and a lone UTF-16 surrogate ("\ud800") in it
        # cannot be encoded: the 422 became a 500. Echo it with the surrogate replaced.
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        return JSONResponse({"detail": _printable(jsonable_encoder(errors))}, status_code=422)

    app.add_exception_handler(RequestValidationError, invalid)

    async def database_away(request: Request, exc: Exception) -> JSONResponse:
        # The database is restarting or unreachable: say so and when to try again, as the vector
        # store's outage does, rather than a bare 500. Any other database error stays a 500.
        if not database_unavailable(exc):
            logger.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
            return JSONResponse({"detail": "internal error"}, status_code=500)
        logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(
            {"detail": "the database is not answering right now; please try again in a moment"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
        )

    app.add_exception_handler(DBAPIError, database_away)
    app.add_exception_handler(PoolTimeoutError, database_away)


def _printable(value: Any) -> Any:
    """``value`` with every string made encodable (lone surrogates become U+FFFD)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_printable(item) for item in value]
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    return value
