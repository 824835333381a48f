"""A person's conversation with the bot, as the web chat shows it: their questions with the bot's
answers, who has a question that went to a person, and the replies from people, with which of those
replies the person has not yet seen there.

Everything is read from the questions themselves (a reply is stored once, on its question, by
``gaps.reply_to_question``), so a reload or a second device shows the same conversation. The web
chat only draws what this returns.

Order: by last activity, newest last. A question's time is when it was asked, or when a person
replied to it: a reply brings its question to the end of the conversation, where the asker looks for
something new, as a new message would in any chat.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from bot.errors import NotFoundError
from bot.people.models import Person
from bot.questions.gaps import question_holders, reply_channels
from bot.questions.models import AskedQuestion
from bot.storage.base import utc_now

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class Handover:
    """Who has an escalated question, and what its asker may expect."""

    at: datetime
    unit: str | None  # the unit whose managers have it; None: the change team
    people: tuple[str, ...]  # their names
    reply_days: int  # roughly when: people answer within this many working days
    reply_to: tuple[str, ...]  # where the reply will reach the asker (``gaps.reply_channels``)
    waiting: bool  # no reply yet


@dataclass(frozen=True, slots=True)
class PersonReply:
    """A person's answer to the question."""

    text: str
    by: str  # the replier's name; "" once they are no longer known
    at: datetime
    unread: bool  # not yet seen in the web chat


@dataclass(frozen=True, slots=True)
class Exchange:
    """One question and everything that answered it."""

    question_id: int
    asked_at: datetime
    channel: str  # where it was asked: telegram, web
    language: str
    question: str
    answer: str  # the bot's
    answered: bool
    band: str  # answer, suggest ("did you mean"), unknown
    kind: str  # the bot's answer's kind (refused: "I don't know yet"; off_topic: chit-chat)
    sources: list[dict[str, object]]
    suggestions: list[dict[str, str]]  # "did you mean" candidates, while none was picked
    handover: Handover | None
    reply: PersonReply | None


@dataclass(frozen=True, slots=True)
class ConversationPage:
    """Some exchanges, oldest first, and how many there are in all."""

    items: list[Exchange]
    total: int


def conversation(
    *, session: Session, person_id: int, reply_days: int, limit: int = 20, offset: int = 0
) -> ConversationPage:
    """The person's ``limit`` most recent exchanges after skipping the ``offset`` most recent,
    newest last (``offset`` = limit gives the page before).

    Args:
        session: an open session.
        person_id: whose conversation; nobody else's questions are ever read.
        reply_days: how many working days people usually take to answer (the asker is told).
        limit: exchanges per page, at most ``MAX_PAGE``.
        offset: exchanges to skip, counted from the newest.
    """
    return _page(session, person_id, reply_days, [], limit=limit, offset=offset)


# A reply the person has not seen in the web chat.
_UNREAD = (AskedQuestion.reply.is_not(None), AskedQuestion.reply_read_at.is_(None))


def unread_replies(*, session: Session, person_id: int, reply_days: int, limit: int = 20) -> ConversationPage:
    """The person's exchanges with a reply they have not seen in the web chat, newest last (at most
    ``limit``), and how many there are in all: the badge."""
    return _page(session, person_id, reply_days, _UNREAD, limit=limit, offset=0)


def count_unread_replies(*, session: Session, person_id: int) -> int:
    """How many replies the person has not seen in the web chat."""
    query = select(func.count(AskedQuestion.id)).where(AskedQuestion.person_id == person_id, *_UNREAD)
    return session.scalar(query) or 0


def exchange(*, session: Session, person_id: int, question_id: int, reply_days: int) -> Exchange:
    """One of the person's exchanges (to draw it again after it changed).

    Raises:
        NotFoundError: no such question, or not theirs.
    """
    row = session.get(AskedQuestion, question_id)
    if row is None or row.person_id != person_id:
        raise NotFoundError("no such question of yours")
    return _exchanges(session, person_id, [row], reply_days)[0]


def _page(
    session: Session,
    person_id: int,
    reply_days: int,
    where: Sequence[ColumnElement[bool]],
    *,
    limit: int,
    offset: int,
) -> ConversationPage:
    conditions = [AskedQuestion.person_id == person_id, *where]
    last_activity = func.coalesce(AskedQuestion.replied_at, AskedQuestion.asked_at)
    query = (
        select(AskedQuestion)
        .where(*conditions)
        .order_by(last_activity.desc(), AskedQuestion.id.desc())
        .offset(max(0, offset))
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    rows = list(reversed(session.scalars(query).all()))
    total = session.scalar(select(func.count(AskedQuestion.id)).where(*conditions)) or 0
    return ConversationPage(items=_exchanges(session, person_id, rows, reply_days), total=total)


def mark_replies_read(*, session: Session, person_id: int, question_ids: Collection[int]) -> int:
    """The person saw the replies to ``question_ids`` in the web chat; returns how many were unread.
    Ids of other people's questions change nothing.

    Args:
        session: an open session; the caller commits.
        person_id: who saw them.
        question_ids: the questions whose replies were shown.
    """
    if not question_ids:
        return 0
    result = session.execute(
        update(AskedQuestion)
        .where(
            AskedQuestion.person_id == person_id,
            AskedQuestion.id.in_(list(question_ids)),
            AskedQuestion.reply.is_not(None),
            AskedQuestion.reply_read_at.is_(None),
        )
        .values(reply_read_at=utc_now())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _exchanges(
    session: Session, person_id: int, rows: Sequence[AskedQuestion], reply_days: int
) -> list[Exchange]:
    asker = session.get(Person, person_id)
    if asker is None:
        return []
    holders = question_holders(session=session, asker=asker) if any(r.escalated_at for r in rows) else None
    repliers = {row.replied_by_id for row in rows if row.replied_by_id is not None}
    names: dict[int, str] = {}
    if repliers:
        names = {
            row.id: row.name
            for row in session.execute(select(Person.id, Person.name).where(Person.id.in_(repliers)))
        }
    reply_to = reply_channels(asker)

    def handover(row: AskedQuestion) -> Handover | None:
        if row.escalated_at is None or holders is None:
            return None
        return Handover(
            at=row.escalated_at,
            unit=holders.unit.name if holders.unit is not None else None,
            people=tuple(person.name for person in holders.people if person.name),
            reply_days=reply_days,
            reply_to=reply_to,
            waiting=row.reply is None,
        )

    def reply(row: AskedQuestion) -> PersonReply | None:
        if row.reply is None:
            return None
        return PersonReply(
            text=row.reply,
            by=names.get(row.replied_by_id, "") if row.replied_by_id is not None else "",
            at=row.replied_at or row.asked_at,
            unread=row.reply_read_at is None,
        )

    return [
        Exchange(
            question_id=row.id,
            asked_at=row.asked_at,
            channel=row.channel,
            language=row.language,
            question=row.text,
            answer=row.answer,
            answered=row.answered,
            band=row.band,
            kind=row.reply_kind or "",
            sources=list(row.sources or []),
            suggestions=list(row.suggestions or []) if row.chosen_suggestion is None else [],
            handover=handover(row),
            reply=reply(row),
        )
        for row in rows
    ]
