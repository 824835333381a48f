"""Record questions and list the ones nobody has answered yet."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answering.service import Answer
from bot.errors import InvalidInputError
from bot.questions.models import AskedQuestion
from bot.storage.base import utc_now

FEEDBACK_VALUES = frozenset({"helpful", "not_helpful"})


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


def record_feedback(*, session: Session, question_id: int, person_id: int, verdict: str) -> AskedQuestion:
    """Store a person's verdict on the answer to their own question; "not helpful" reopens it.

    Args:
        session: an open session; the caller commits.
        question_id: the question the buttons belong to.
        person_id: who pressed; only the asker may rate an answer.
        verdict: "helpful" or "not_helpful".
    """
    if verdict not in FEEDBACK_VALUES:
        raise InvalidInputError(f"unknown feedback {verdict!r}")
    question = session.get(AskedQuestion, question_id)
    if question is None or question.person_id != person_id:
        raise InvalidInputError("that answer is not yours to rate")
    question.feedback = verdict
    question.feedback_at = utc_now()
    if verdict == "not_helpful":
        question.status = "open"  # a wrong answer is a knowledge gap like a missing one
    session.flush()
    return question
