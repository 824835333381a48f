"""Questions over HTTP: the JSON API and the web chat use the same route."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from bot.errors import KnowledgeUnavailableError
from bot.questions.service import record_question
from bot.web.deps import CoreDep, SessionDep

router = APIRouter(prefix="/api", tags=["answers"])

# Generous: the answerer reads only the first CHANGEBOT_MAX_QUESTION_CHARS; this bound only stops abuse.
MAX_BODY_QUESTION = 20_000


class AskRequest(BaseModel):
    """A question from a person."""

    question: str = Field(min_length=1, max_length=MAX_BODY_QUESTION)
    language: Literal["zh-Hans", "zh-Hant", "en"] | None = None


class SourcePublic(BaseModel):
    """A cited passage."""

    title: str
    source: str
    section: str
    doc_type: str
    text: str
    score: float


class AnswerPublic(BaseModel):
    """The answer, in the same shape as ``changebot ask --json`` plus the reply language."""

    answered: bool
    answer: str
    confidence: float
    sources: list[SourcePublic]
    latency_ms: float
    language: str
    note: str = ""
    question_id: int | None = None


@router.post("/ask", response_model=AnswerPublic)
async def ask(body: AskRequest, core: CoreDep, session: SessionDep) -> dict[str, Any]:
    """Answer a question from the knowledge library; unanswered ones are recorded for the change team."""
    try:
        answer = await run_in_threadpool(core.answerer.answer, body.question, language=body.language)
    except KnowledgeUnavailableError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc
    question_id = None
    if answer.kind != "empty":
        question_id = record_question(session=session, answer=answer, channel="web").id
    return {**answer.to_json(), "language": answer.language, "note": answer.note, "question_id": question_id}
