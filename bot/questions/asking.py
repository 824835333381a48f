"""Asking, once for every edge: the per-person limit, the asker's units deciding which scoped FAQs
may answer them, the answerer outside any transaction, the question recorded with the band it got,
and a question the library cannot answer passed to the asker's managers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.answering.service import Answer, Answerer
from bot.errors import ChangebotError
from bot.questions.flood import FloodGate
from bot.questions.gaps import pass_to_managers
from bot.questions.scope import asker_filters
from bot.questions.service import record_question
from bot.storage.database import transaction
from ingest.text import Language


class TooManyQuestionsError(ChangebotError):
    """The asker is over the per-minute limit; nothing was answered or recorded."""


@dataclass(frozen=True, slots=True)
class Asked:
    """The answer, the stored question it belongs to (None for an empty question), whether it was
    passed to a person (a gap, asked by a member), and how many managers will hear of it at once."""

    answer: Answer
    question_id: int | None
    managers_told: int = 0
    escalated: bool = False


def ask(
    *,
    sessions: sessionmaker[Session],
    answerer: Answerer,
    question: str,
    channel: str,
    person_id: int | None = None,
    language: Language | None = None,
    flood: FloodGate | None = None,
) -> Asked:
    """Answer ``question`` for ``person_id`` (None: someone unknown) and record it; a gap (the
    library cannot answer it) goes to the asker's managers at once, through the outbox.

    Two short transactions around the answer, never one across it: the answerer is CPU-bound, and a
    transaction held over it would keep a pooled connection (and on SQLite the write lock) busy.

    Args:
        flood: the per-person limit, shared by every process (None: no limit, as for an operator
            at the command line; someone unknown is never limited, having nothing to count on).

    Raises:
        TooManyQuestionsError: over the limit; nothing is answered or recorded.
        KnowledgeUnavailableError: the vector store is down; nothing is recorded (it is no gap).
    """
    if flood is not None and person_id is not None and not flood.allow(person_id):
        raise TooManyQuestionsError("too many questions in a minute; please wait a minute and ask again")
    with transaction(sessions) as session:
        filters = asker_filters(session=session, person_id=person_id)
    answer = answerer.answer(question, language=language, filters=filters)
    if answer.kind == "empty":
        return Asked(answer=answer, question_id=None)
    with transaction(sessions) as session:
        row = record_question(session=session, answer=answer, channel=channel, person_id=person_id)
        told, escalated = 0, False
        if answer.is_gap and person_id is not None:
            # "I don't know yet, I've passed it on" is what the asker reads: make it true.
            told = pass_to_managers(
                session=session, question_id=row.id, asker_id=person_id, answerer=answerer
            )
            escalated = True
        return Asked(answer=answer, question_id=row.id, managers_told=told, escalated=escalated)
