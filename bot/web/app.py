"""The FastAPI application: built once per process, heavy objects made in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.config import Settings
from bot.storage.database import make_engine, make_session_factory, upgrade_database
from bot.web.routes import ask, chat_page, health

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings, *, core: KnowledgeCore | None = None) -> FastAPI:
    """The web app; tests pass a core built with a fake embedder."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database)
        upgrade_database(engine)
        app.state.settings = settings
        owned_core = core is None
        app.state.core = core or build_knowledge_core(settings)
        app.state.sessions = make_session_factory(engine)
        if app.state.core.store.current_name() is None:
            logger.warning("the index is empty: run `changebot ingest` to load the knowledge library")
        try:
            yield
        finally:
            if owned_core:
                app.state.core.close()
            engine.dispose()

    app = FastAPI(
        title="changebot",
        summary="Answers staff questions about an organisational change from the change team's library.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(health.router)
    app.include_router(ask.router)
    app.include_router(chat_page.router)
    return app
