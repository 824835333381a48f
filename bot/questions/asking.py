"""Asking, once for every edge: the asker's units decide which scoped FAQs may answer them, the
answerer runs outside any transaction, and the question is recorded with the band it got."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access.service import Principal
from bot.answering.retrieval import NO_FILTERS, SearchFilters
from bot.answering.service import Answer, Answerer
from bot.people.models import Person, Unit
from bot.people.service import ancestors, home_unit
from bot.questions.service import record_question
from bot.storage.database import transaction
from ingest.text import Language


@dataclass(frozen=True, slots=True)
class Asked:
    """The answer and the stored question it belongs to (None for an empty question)."""

    answer: Answer
    question_id: int | None


def _answered_in(units: Iterable[Unit]) -> SearchFilters:
    """Filters admitting FAQs scoped to ``units`` or any unit above them (none: no scoped FAQ)."""
    names = frozenset(u.name for unit in units for u in (unit, *ancestors(unit)))
    return SearchFilters(units=names) if names else NO_FILTERS


def asker_filters(*, session: Session, person_id: int | None) -> SearchFilters:
    """What ``person_id`` may be answered from: FAQs scoped to their unit or any unit above it."""
    person = session.get(Person, person_id) if person_id is not None else None
    unit = home_unit(person) if person is not None else None
    return _answered_in([unit] if unit is not None else [])


def principal_filters(*, session: Session, principal: Principal) -> SearchFilters:
    """What a manager's "try a question" may be answered from: whatever someone in the units they
    look after could be told (FAQs scoped to those units or above them); admins see every scope."""
    if principal.is_admin:
        return _answered_in(session.scalars(select(Unit)).all())
    managed = (session.get(Unit, unit_id) for unit_id in principal.unit_ids)
    return _answered_in(unit for unit in managed if unit is not None)


def ask(
    *,
    sessions: sessionmaker[Session],
    answerer: Answerer,
    question: str,
    channel: str,
    person_id: int | None = None,
    language: Language | None = None,
) -> Asked:
    """Answer ``question`` for ``person_id`` (None: someone unknown) and record it.

    Two short transactions around the answer, never one across it: the answerer is CPU-bound, and a
    transaction held over it would keep a pooled connection (and on SQLite the write lock) busy.

    Raises:
        KnowledgeUnavailableError: the vector store is down; nothing is recorded (it is no gap).
    """
    with transaction(sessions) as session:
        filters = asker_filters(session=session, person_id=person_id)
    answer = answerer.answer(question, language=language, filters=filters)
    if answer.kind == "empty":
        return Asked(answer=answer, question_id=None)
    with transaction(sessions) as session:
        row = record_question(session=session, answer=answer, channel=channel, person_id=person_id)
        return Asked(answer=answer, question_id=row.id)
