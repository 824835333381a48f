"""Dependencies routes declare: the objects the lifespan built, typed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore


def get_core(request: Request) -> KnowledgeCore:
    """The knowledge core built at start-up."""
    core: KnowledgeCore = request.app.state.core
    return core


def get_session(request: Request) -> Iterator[Session]:
    """A database session committed when the request succeeds."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session, session.begin():
        yield session


def get_sessions(request: Request) -> sessionmaker[Session]:
    """The session factory, for routes that keep transactions short around slow work."""
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


CoreDep = Annotated[KnowledgeCore, Depends(get_core)]
SessionDep = Annotated[Session, Depends(get_session)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
