"""Dependencies routes declare: the objects the lifespan built, typed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.library.jobs import IngestJobs
from bot.questions.flood import FloodGate
from bot.storage.base import utc_now
from bot.storage.database import DEFERRED_BEGIN
from bot.surveys.pairing import PairingKey


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_core(request: Request) -> KnowledgeCore:
    """The knowledge core built at start-up."""
    core: KnowledgeCore = request.app.state.core
    return core


def get_session(request: Request) -> Iterator[Session]:
    """A database session committed when the route returns (before the response is sent).

    A GET begins a deferred transaction, which on SQLite takes no write lock unless it writes: pages
    and look-ups neither wait for a writer nor hold one up. The transaction ends with the route
    (``scope="function"``), never across the sending of the response.
    """
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session, session.begin():
        if request.method in ("GET", "HEAD"):
            session.connection(execution_options={DEFERRED_BEGIN: True})
        yield session


def get_sessions(request: Request) -> sessionmaker[Session]:
    """The session factory, for routes that keep transactions short around slow work."""
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def get_flood(request: Request) -> FloodGate:
    """The per-person question limit, shared with every other process."""
    flood: FloodGate = request.app.state.flood
    return flood


def get_survey_key(request: Request) -> PairingKey:
    """The survey key read at start-up (``bot.runtime.survey_pairing_key``)."""
    key: PairingKey = request.app.state.survey_key
    return key


def get_ingest_jobs(request: Request) -> IngestJobs:
    """The re-index job queue (run here, or only queued for a `changebot worker`)."""
    jobs: IngestJobs = request.app.state.ingest_jobs
    return jobs


def get_telegram(request: Request) -> Application | None:  # type: ignore[type-arg]
    """The PTB application when this process runs the bot, else None."""
    application: Application | None = getattr(request.app.state, "telegram", None)  # type: ignore[type-arg]
    return application


def get_now() -> datetime:
    """The present moment, for routes that preview what a schedule will do (tests override it)."""
    return utc_now()


SettingsDep = Annotated[Settings, Depends(get_settings)]
CoreDep = Annotated[KnowledgeCore, Depends(get_core)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
FloodDep = Annotated[FloodGate, Depends(get_flood)]
SurveyKeyDep = Annotated[PairingKey, Depends(get_survey_key)]
IngestJobsDep = Annotated[IngestJobs, Depends(get_ingest_jobs)]
TelegramDep = Annotated[Application | None, Depends(get_telegram)]  # type: ignore[type-arg]
NowDep = Annotated[datetime, Depends(get_now)]
