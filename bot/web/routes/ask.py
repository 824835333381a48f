"""Questions over HTTP: the JSON API and the web chat use the same route."""

from __future__ import annotations

import hmac
import math
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.access.service import AccessDeniedError, ChatUser, chat_user
from bot.answering.service import Answer, Band
from bot.config import Settings
from bot.errors import KnowledgeUnavailableError, NotFoundError
from bot.questions.asking import TooManyQuestionsError
from bot.questions.asking import ask as ask_question
from bot.questions.gaps import pass_to_managers
from bot.questions.service import pick_suggestion, record_feedback
from bot.storage.database import transaction
from bot.web.deps import CoreDep, FloodDep, SessionDep, SessionsDep, SettingsDep
from bot.web.routes.api_common import ERROR_RESPONSES, IdPath
from bot.web.security import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE

router = APIRouter(prefix="/api", tags=["answers"], responses=ERROR_RESPONSES)

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
    chunk_id: str = ""  # the chat links to it: /chat/documents?source=...#c-<chunk_id>


class SuggestionPublic(BaseModel):
    """A "did you mean" candidate; the chat posts its position back to /choose."""

    label: str
    chunk_id: str


class AnswerPublic(BaseModel):
    """The answer, in the same shape as ``changebot ask --json`` plus the reply language and kind."""

    answered: bool
    answer: str
    confidence: float
    sources: list[SourcePublic]
    latency_ms: float
    band: Band = "unknown"
    suggestions: list[SuggestionPublic] = []
    full_answer: str = ""
    kind: str = ""
    language: str
    note: str = ""
    question_id: int | None = None
    escalated: bool = False  # passed to a person (a gap): the chat shows who has it, from the conversation


def chat_person(request: Request, session: Session, *, settings: Settings, changing: bool) -> ChatUser | None:
    """The signed-in member (checked CSRF on changes); None when the chat is open and nobody signed in."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        if settings.web_chat_open and not changing:
            return None
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="join with your invite code first")
    try:
        user = chat_user(session=session, cookie=cookie)
    except AccessDeniedError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=str(exc)) from exc
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
        request.headers.get(CSRF_HEADER, ""), user.csrf_token
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="missing or wrong CSRF token")
    return user


@router.post("/ask", response_model=AnswerPublic)
def ask(
    body: AskRequest,
    request: Request,
    core: CoreDep,
    sessions: SessionsDep,
    flood: FloodDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Answer a question from the knowledge library; unanswered ones are recorded for the change team.

    Staff sign in first (invite code or a /web link) unless ``CHANGEBOT_WEB_CHAT_OPEN`` is set."""
    # The whole request on one worker thread, with two short transactions around the answer rather
    # than one session across it: under load, a request holding a pooled connection while it waits
    # for a worker thread, beside threads waiting for connections, deadlocks the app.
    with transaction(sessions) as session:
        user = chat_person(request, session, settings=settings, changing=False)
    try:
        # The same per-person limit as in Telegram, shared by every process (an open kiosk has no person).
        asked = ask_question(
            sessions=sessions, answerer=core.answerer, question=body.question, channel="web",
            person_id=user.person_id if user else None, language=body.language, flood=flood,
        )  # fmt: skip
    except TooManyQuestionsError as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, detail=str(exc), headers={"Retry-After": "60"}
        ) from exc
    except KnowledgeUnavailableError as exc:
        # Not recorded: a store that is down is not a gap in the library.
        retry = max(1, math.ceil(core.settings.chroma_retry_s))
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc), headers={"Retry-After": str(retry)}
        ) from exc
    return _public(asked.answer, asked.question_id, escalated=asked.escalated)


def _public(answer: Answer, question_id: int | None, *, escalated: bool = False) -> dict[str, Any]:
    """``AnswerPublic``: the ``ask --json`` object, with what the chat needs to draw it."""
    return {
        **answer.to_json(), "kind": answer.kind, "language": answer.language, "note": answer.note,
        "question_id": question_id, "escalated": escalated,
    }  # fmt: skip


class ChoiceIn(BaseModel):
    """Which "did you mean" candidate the asker picked (its position in ``suggestions``)."""

    index: int = Field(ge=0, le=9)


@router.post("/questions/{question_id}/choose", response_model=AnswerPublic)
def choose(
    question_id: IdPath,
    body: ChoiceIn,
    request: Request,
    core: CoreDep,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Answer one's own question from the candidate picked; it counts as feedback on the candidates."""
    with transaction(sessions) as session:
        user = chat_person(request, session, settings=settings, changing=True)
    assert user is not None  # noqa: S101  (changes always need a signed-in member)
    try:
        answer = pick_suggestion(
            sessions=sessions, answerer=core.answerer, question_id=question_id,
            person_id=user.person_id, index=body.index,
        )  # fmt: skip
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_410_GONE, detail=str(exc)) from exc
    return _public(answer, question_id)


class FeedbackIn(BaseModel):
    """The asker's verdict on an answer."""

    verdict: Literal["helpful", "not_helpful"]


@router.post("/questions/{question_id}/feedback")
def feedback(
    question_id: IdPath,
    body: FeedbackIn,
    request: Request,
    session: SessionDep,
    core: CoreDep,
    settings: SettingsDep,
) -> dict[str, str]:
    """Helpful or not, on one's own answer; "not helpful" reopens the question for the change team,
    "helpful" under an FAQ teaches it the asker's wording."""
    user = chat_person(request, session, settings=settings, changing=True)
    assert user is not None  # noqa: S101  (changes always need a signed-in member)
    question = record_feedback(
        session=session, question_id=question_id, person_id=user.person_id, verdict=body.verdict,
        answerer=core.answerer,
    )  # fmt: skip
    return {"status": question.status, "feedback": question.feedback or ""}


@router.post("/questions/{question_id}/escalate")
def ask_a_person(
    question_id: IdPath, request: Request, session: SessionDep, core: CoreDep, settings: SettingsDep
) -> dict[str, int]:
    """Pass one's own question to the nearest managers; they hear of it through the bot."""
    user = chat_person(request, session, settings=settings, changing=True)
    assert user is not None  # noqa: S101
    notified = pass_to_managers(
        session=session, question_id=question_id, asker_id=user.person_id, answerer=core.answerer
    )
    return {"notified": notified}
