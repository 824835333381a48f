"""Learn how staff word their questions: keep an asker's wording as another phrasing of the FAQ
that answered it, once a person confirmed the answer (the asker pressing "helpful", or a manager
answering an escalated question with that FAQ). Retrieval reads them through ``DatabasePhrasings``
(``bot.answering.phrasings``); the change team sees and retires them in the console's review queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.access.service import Principal
from bot.answering.phrasings import Phrasing, same_wording
from bot.answering.service import Answerer
from bot.errors import NotFoundError
from bot.questions.models import AskedQuestion, LearnedPhrasing
from bot.storage.database import read_only_transaction

Origin = Literal["helpful", "manager"]
# Longer than this is a message, not a way of asking (and would drown the FAQ's own words).
MAX_PHRASING_CHARS = 200


class DatabasePhrasings:
    """The ``PhrasingSource`` of retrieval: the active phrasings in the database.

    Read in read-only transactions: retrieval runs inside other transactions too (the API's "try a
    question", advice for an alert), and on SQLite a second write-locked transaction would wait on
    the first for good."""

    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def revision(self) -> str:
        """Moves with every phrasing added, retired or restored (the sum of the active ids does)."""
        active = LearnedPhrasing.status == "active"
        with read_only_transaction(self._sessions) as session:
            count, total, id_sum = session.execute(
                select(
                    func.count(LearnedPhrasing.id),
                    func.coalesce(func.max(LearnedPhrasing.id), 0),
                    func.coalesce(func.sum(case((active, LearnedPhrasing.id), else_=0)), 0),
                )
            ).one()
        return f"{count}:{total}:{id_sum}"

    def active(self) -> Sequence[Phrasing]:
        """Every phrasing in use."""
        with read_only_transaction(self._sessions) as session:
            rows = session.execute(
                select(LearnedPhrasing.faq_key, LearnedPhrasing.text)
                .where(LearnedPhrasing.status == "active")
                .order_by(LearnedPhrasing.id)
            ).all()
        return [Phrasing(faq_key=key, text=text) for key, text in rows]


def learn_phrasing(
    *, session: Session, answerer: Answerer, question: AskedQuestion, chunk_id: str, origin: Origin
) -> LearnedPhrasing | None:
    """Keep ``question``'s wording as a phrasing of the FAQ passage ``chunk_id``; None when there is
    nothing to learn: not an FAQ, a wording the FAQ already has (written or learned), one the change
    team retired, or text too long or too short to be a question.

    Args:
        session: an open session; the caller commits.
        answerer: resolves the passage to its FAQ entry in the live library.
        question: the asked question whose wording is kept.
        chunk_id: the FAQ passage a person confirmed answers it.
        origin: "helpful" (the asker) or "manager" (answered with that FAQ).
    """
    text = question.text.strip()
    if not 2 <= len(text) <= MAX_PHRASING_CHARS:
        return None
    faq = answerer.faq_of(chunk_id)
    if faq is None:
        return None
    learned = session.scalars(select(LearnedPhrasing.text).where(LearnedPhrasing.faq_key == faq.key)).all()
    # Already written in the file, or already learned (or retired by the change team: their call stands).
    if any(same_wording(text, known) for known in (*faq.phrasings, *learned)):
        return None
    row = LearnedPhrasing(
        faq_key=faq.key, faq_question=faq.question, text=text, language=question.language,
        origin=origin, question_id=question.id, status="active",
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None  # a concurrent press learned the same wording a moment ago
    return row


@dataclass(frozen=True, slots=True)
class PhrasingView:
    """One learned phrasing as the review queue shows it."""

    id: int
    text: str
    faq_question: str
    origin: str
    learned_at: datetime
    active: bool


def phrasings_for_review(*, session: Session, limit: int = 200) -> list[PhrasingView]:
    """The learned phrasings, newest first (active and retired)."""
    rows = session.scalars(select(LearnedPhrasing).order_by(LearnedPhrasing.id.desc()).limit(limit)).all()
    return [
        PhrasingView(
            id=row.id,
            text=row.text,
            faq_question=row.faq_question,
            origin=row.origin,
            learned_at=row.learned_at,
            active=row.status == "active",
        )  # fmt: skip
        for row in rows
    ]


def set_phrasing_active(*, session: Session, principal: Principal, phrasing_id: int, active: bool) -> None:
    """Retire a learned phrasing (it stops matching at once, in every process) or restore it.

    Raises:
        AccessDeniedError: not an admin (the change team reviews what the bot learned).
        NotFoundError: no such phrasing.
    """
    principal.require_admin()
    row = session.get(LearnedPhrasing, phrasing_id)
    if row is None:
        raise NotFoundError("no such learned phrasing")
    row.status = "active" if active else "retired"
    session.flush()
