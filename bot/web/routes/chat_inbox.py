"""The web chat's conversation and inbox: what the signed-in person asked and was answered (from any
device, after any reload), who has a question that went to a person, replies from people with the
unread badge, and marking replies read once the chat has shown them. ``bot.questions.conversation``
decides all of it; these routes only put it in the reader's words."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from bot.access.service import ChatUser
from bot.errors import NotFoundError
from bot.questions.conversation import (
    ConversationPage,
    Exchange,
    conversation,
    count_unread_replies,
    exchange,
    mark_replies_read,
    unread_replies,
)
from bot.questions.wording import handover_notice
from bot.web.deps import SessionDep, SettingsDep
from bot.web.i18n import pick_language, ui_text
from bot.web.routes.api_common import ERROR_RESPONSES, MAX_ID, IdPath, OffsetQuery, Page
from bot.web.routes.ask import SuggestionPublic, chat_person
from ingest.text import Language

router = APIRouter(prefix="/api/chat", tags=["web chat"], responses=ERROR_RESPONSES)


ReaderLanguage = Annotated[
    Literal["zh-Hans", "zh-Hant", "en"] | None,
    Query(description="The language the chat is read in (the page's); default: the person's own."),
]


class SourceLink(BaseModel):
    """A passage the bot's answer was taken from; the chat links to it in its document."""

    title: str
    section: str
    source: str
    chunk_id: str


class HandoverPublic(BaseModel):
    """Who has a question that went to a person, and what the asker may expect, also as a sentence."""

    at: datetime
    unit: str | None  # None: the change team
    people: list[str]
    reply_days: int
    reply_to: list[str]  # web, telegram
    waiting: bool
    notice: str


class ReplyPublic(BaseModel):
    """A person's reply, with the heading the chat shows above it."""

    text: str
    by: str
    at: datetime
    unread: bool
    label: str


class ExchangePublic(BaseModel):
    """One question in the person's conversation, with everything that answered it."""

    question_id: int
    asked_at: datetime
    channel: str
    language: str
    question: str
    answer: str
    answered: bool
    band: str
    kind: str
    sources: list[SourceLink]
    suggestions: list[SuggestionPublic]
    handover: HandoverPublic | None
    reply: ReplyPublic | None


class InboxPublic(BaseModel):
    """Replies from people not yet seen in the web chat: how many (the badge), and the newest."""

    unread: int
    items: list[ExchangePublic]


class RepliesRead(BaseModel):
    """The questions whose replies the chat has shown."""

    question_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(max_length=100)


class RepliesReadOut(BaseModel):
    """How many replies became read, and how many are still unread."""

    marked: int
    unread: int


@router.get("/conversation")
def my_conversation(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    lang: ReaderLanguage = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Questions per page.")] = 20,
    offset: OffsetQuery = 0,
) -> Page[ExchangePublic]:
    """The signed-in person's recent questions, answers and replies, newest last (``offset`` counts
    back from the newest); an open chat without a person has none."""
    user = chat_person(request, session, settings=settings, changing=False)
    if user is None:
        return Page[ExchangePublic](items=[], total=0, limit=limit, offset=offset)
    found = conversation(
        session=session,
        person_id=user.person_id,
        reply_days=settings.escalation_reply_days,
        limit=limit,
        offset=offset,
    )
    return Page[ExchangePublic](
        items=_drawn(found, _reader(request, user, lang)), total=found.total, limit=limit, offset=offset
    )


@router.get("/conversation/{question_id}")
def my_exchange(
    question_id: IdPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    lang: ReaderLanguage = None,
) -> ExchangePublic:
    """One of the signed-in person's questions as the chat draws it (after it was passed to a person)."""
    user = chat_person(request, session, settings=settings, changing=False)
    if user is None:
        raise NotFoundError("no such question of yours")
    found = exchange(
        session=session,
        person_id=user.person_id,
        question_id=question_id,
        reply_days=settings.escalation_reply_days,
    )
    return _public(found, _reader(request, user, lang))


@router.get("/inbox")
def my_inbox(
    request: Request, session: SessionDep, settings: SettingsDep, lang: ReaderLanguage = None
) -> InboxPublic:
    """Replies from people the signed-in person has not seen here yet (the chat polls this)."""
    user = chat_person(request, session, settings=settings, changing=False)
    if user is None:
        return InboxPublic(unread=0, items=[])
    found = unread_replies(
        session=session, person_id=user.person_id, reply_days=settings.escalation_reply_days
    )
    return InboxPublic(unread=found.total, items=_drawn(found, _reader(request, user, lang)))


@router.post("/inbox/read")
def replies_read(
    body: RepliesRead, request: Request, session: SessionDep, settings: SettingsDep
) -> RepliesReadOut:
    """The chat showed these replies: they are read (only one's own; other ids change nothing)."""
    user = chat_person(request, session, settings=settings, changing=True)
    assert user is not None  # noqa: S101  (changes always need a signed-in member)
    marked = mark_replies_read(session=session, person_id=user.person_id, question_ids=body.question_ids)
    return RepliesReadOut(
        marked=marked, unread=count_unread_replies(session=session, person_id=user.person_id)
    )


def _reader(request: Request, user: ChatUser, lang: Language | None) -> Language:
    """The page's language when it says (``?lang=``), else as the chat page picks it."""
    return pick_language(
        query=lang or user.language, accept_language=request.headers.get("accept-language", "")
    )


def _drawn(found: ConversationPage, language: Language) -> list[ExchangePublic]:
    return [_public(item, language) for item in found.items]


def _public(item: Exchange, language: Language) -> ExchangePublic:
    t = ui_text(language)
    return ExchangePublic(
        question_id=item.question_id,
        asked_at=item.asked_at,
        channel=item.channel,
        language=item.language,
        question=item.question,
        answer=item.answer,
        answered=item.answered,
        band=item.band,
        kind=item.kind,
        sources=[
            SourceLink(
                title=str(source.get("title") or ""),
                section=str(source.get("section") or ""),
                source=str(source.get("source") or ""),
                chunk_id=str(source.get("chunk_id") or ""),
            )
            for source in item.sources
        ],
        suggestions=[
            SuggestionPublic(label=s.get("label", ""), chunk_id=s.get("chunk_id", ""))
            for s in item.suggestions
        ],
        handover=(
            HandoverPublic(
                at=item.handover.at,
                unit=item.handover.unit,
                people=list(item.handover.people),
                reply_days=item.handover.reply_days,
                reply_to=list(item.handover.reply_to),
                waiting=item.handover.waiting,
                notice=handover_notice(item.handover, language, read_in="web"),
            )
            if item.handover is not None
            else None
        ),
        reply=(
            ReplyPublic(
                text=item.reply.text,
                by=item.reply.by,
                at=item.reply.at,
                unread=item.reply.unread,
                label=t["reply_from"].format(name=item.reply.by or t["someone"]),
            )
            if item.reply is not None
            else None
        ),
    )
