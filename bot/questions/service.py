"""Record questions and list the ones nobody has answered yet."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answering.service import Answer
from bot.questions.models import AskedQuestion


def record_question(
    *, session: Session, answer: Answer, channel: str, person_id: int | None = None
) -> AskedQuestion:
    """Store a question and its reply; unanswered ones open a knowledge gap.

    Args:
        session: an open session; the caller commits.
        answer: what the answerer replied.
        channel: where it was asked (cli, telegram, web).
        person_id: who asked, when known.
    """
    row = AskedQuestion(
        channel=channel,
        person_id=person_id,
        language=answer.language,
        text=answer.question,
        answer=answer.answer,
        answered=answer.answered,
        confidence=answer.confidence,
        sources=[
            {"title": s.title, "source": s.source, "section": s.section, "score": s.score}
            for s in answer.sources
        ],
        status="closed" if answer.answered else "open",
    )
    session.add(row)
    session.flush()
    return row


def open_questions(*, session: Session, limit: int = 100) -> Sequence[AskedQuestion]:
    """Unanswered questions, newest first."""
    query = (
        select(AskedQuestion)
        .where(AskedQuestion.status == "open")
        .order_by(AskedQuestion.asked_at.desc())
        .limit(limit)
    )
    return session.scalars(query).all()
