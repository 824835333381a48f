"""Record questions and list the ones nobody has answered yet."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.service import Answer, Answerer
from bot.errors import InvalidInputError, NotFoundError
from bot.questions.models import AskedQuestion
from bot.questions.phrasings import learn_phrasing
from bot.storage.base import utc_now
from bot.storage.database import transaction

FEEDBACK_VALUES = frozenset({"helpful", "not_helpful"})


def record_question(
    *, session: Session, answer: Answer, channel: str, person_id: int | None = None
) -> AskedQuestion:
    """Store a question and its reply; "I don't know yet" opens a knowledge gap (a "did you mean"
    or the chit-chat reply does not: the asker can still press "ask a person").

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
        band=answer.band,
        reply_kind=answer.kind,
        confidence=answer.confidence,
        sources=_stored_sources(answer),
        suggestions=[suggestion.to_json() for suggestion in answer.suggestions] or None,
        status="open" if answer.is_gap else "closed",
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


def record_feedback(
    *, session: Session, question_id: int, person_id: int, verdict: str, answerer: Answerer | None = None
) -> AskedQuestion:
    """Store a person's verdict on the answer to their own question; "not helpful" reopens it.
    "Helpful" under an FAQ answer teaches the FAQ the asker's wording (``phrasings``), so the
    next person who asks it that way gets the answer straight away.

    Args:
        session: an open session; the caller commits.
        question_id: the question the buttons belong to.
        person_id: who pressed; only the asker may rate an answer.
        verdict: "helpful" or "not_helpful".
        answerer: the live library, to learn from "helpful" (None: learn nothing).
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
    chunk_id = str(question.sources[0].get("chunk_id") or "") if question.sources else ""
    if verdict == "helpful" and answerer is not None and question.answered and chunk_id:
        learn_phrasing(
            session=session, answerer=answerer, question=question, chunk_id=chunk_id, origin="helpful"
        )
    return question


def pick_suggestion(
    *,
    sessions: sessionmaker[Session],
    answerer: Answerer,
    question_id: int,
    person_id: int,
    index: int,
) -> Answer:
    """The asker picked "did you mean" candidate ``index``: answer from it and keep the choice.

    The pick is the asker's verdict on the candidates, so it counts as feedback; the answer then
    gets the usual helpful / not helpful buttons (same question id). Runs the answerer between two
    short transactions, never inside one.

    Raises:
        InvalidInputError: not the asker's question, no such candidate, or already picked.
        NotFoundError: the candidate's passage left the library since (re-ingested).
    """
    with transaction(sessions) as session:
        question = session.get(AskedQuestion, question_id)
        if question is None or question.person_id != person_id:
            raise InvalidInputError("that question is not yours")
        candidates = question.suggestions or []
        if not 0 <= index < len(candidates) or question.chosen_suggestion is not None:
            raise InvalidInputError("no such suggestion, or one was picked already")
        text, language, chunk_id = question.text, question.language, candidates[index]["chunk_id"]
    answer = answerer.answer_from(text, chunk_id=chunk_id, language=language)  # type: ignore[arg-type]
    if answer is None:
        raise NotFoundError("that passage is no longer in the library")
    with transaction(sessions) as session:
        question = session.get(AskedQuestion, question_id)
        if question is None or question.chosen_suggestion is not None:
            raise InvalidInputError("no such suggestion, or one was picked already")
        question.chosen_suggestion = index
        question.answer = answer.answer
        question.answered = True
        question.status = "closed"
        question.sources = _stored_sources(answer)
    return answer


def _stored_sources(answer: Answer) -> list[dict[str, object]]:
    return [
        {"title": s.title, "source": s.source, "section": s.section, "score": s.score, "chunk_id": s.chunk_id}
        for s in answer.sources
    ]


def whole_passage(*, sessions: sessionmaker[Session], answerer: Answerer, question_id: int) -> str:
    """The whole passage behind the answer to a stored question ("more"), in the asker's script.

    Raises:
        NotFoundError: no such answered question, or its passage left the library since.
    """
    with transaction(sessions) as session:
        question = session.get(AskedQuestion, question_id)
        if question is None or not question.answered or not question.sources:
            raise NotFoundError("no answer with a passage behind it")
        chunk_id, language = str(question.sources[0].get("chunk_id") or ""), question.language
    text = answerer.passage(chunk_id, language=language) if chunk_id else None  # type: ignore[arg-type]
    if text is None:
        raise NotFoundError("that passage is no longer in the library")
    return text
