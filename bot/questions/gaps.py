"""The knowledge-gap loop: a question the library cannot answer goes to a person; their reply goes
back to the asker and, with one tap, becomes an FAQ that answers the next person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access.service import Principal
from bot.answering.service import MAX_SUGGESTIONS, Answerer, Suggestion
from bot.errors import InvalidInputError, NotFoundError
from bot.library.store import rewrite_file
from bot.people.models import Membership, Person, Unit
from bot.people.service import ancestors, can_manage, home_unit, managed_units, nearest_managers
from bot.questions.escalation import EscalationReason, Nudge, escalation_reason, manager_message
from bot.questions.models import AskedQuestion
from bot.questions.phrasings import learn_phrasing
from bot.questions.scope import asker_filters
from bot.questions.wording import FAQ_BUTTON, REPLY_BUTTON, REPLY_FOR_ASKER
from bot.storage.base import utc_now
from bot.wording import reader_language, say
from ingest.faq_file import append_faq
from ingest.text import is_intent_word, tokenize

MAX_REPLY_CHARS = 3000
TEAM_FAQ_FILE = "faqs/answered-by-the-team.yaml"
REVIEW_AFTER = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Holders:
    """Who has an asker's escalated questions: the managers of ``unit`` (``question_holders``: the
    nearest unit from the asker's own upwards that has managers besides the asker; ``holders_above``:
    the next one up); with ``unit`` None, the admins (the change team)."""

    unit: Unit | None
    people: list[Person]


def question_holders(*, session: Session, asker: Person) -> Holders:
    """Who an escalated question of ``asker`` goes to: what ``escalate`` does and what the asker is told."""
    unit = home_unit(asker)
    found = nearest_managers(session=session, unit=unit, excluding=asker.id) if unit else None
    if found is not None:
        return Holders(unit=found[0], people=list(found[1]))
    return Holders(unit=None, people=_admins(session, excluding={asker.id}))


def holders_above(*, session: Session, asker: Person, holders: Holders) -> Holders | None:
    """Who an escalated question of ``asker`` goes to one level up from ``holders``: the managers of
    the next unit above theirs with managers other than the asker and ``holders``, else the admins
    (those of them who did not have it); None when the admins had it already, there being nobody
    above them.

    Whoever it reaches this way may answer it: a manager of a unit above manages the asker's unit
    through it (``people.service.managed_units``), and admins manage every unit.
    """
    if holders.unit is None:
        return None
    had = {person.id for person in holders.people} | {asker.id}
    above = holders.unit.parent
    while above is not None:
        found = nearest_managers(session=session, unit=above, excluding=asker.id)
        if found is None:
            break
        people = [person for person in found[1] if person.id not in had]
        if people:
            return Holders(unit=found[0], people=people)
        above = found[0].parent
    return Holders(unit=None, people=_admins(session, excluding=had))


def _admins(session: Session, *, excluding: set[int]) -> list[Person]:
    admins = select(Person).where(
        Person.is_admin.is_(True), Person.active.is_(True), Person.id.not_in(sorted(excluding))
    )
    return list(session.scalars(admins).all())


def escalate(*, session: Session, question_id: int, asker_id: int) -> list[Person]:
    """Send an asker's question to the nearest managers of their unit (admins if none); returns them.

    Args:
        session: an open session; the caller commits.
        question_id: the stored question.
        asker_id: who is asking for a person; only the asker can escalate their own question.
    """
    question = session.get(AskedQuestion, question_id)
    asker = session.get(Person, asker_id)
    if question is None or asker is None or question.person_id != asker_id:
        raise InvalidInputError("that question is not yours to pass on")
    question.status = "open"
    # The first time counts: pressing "ask a person" again must not put off its reminder.
    question.escalated_at = question.escalated_at or utc_now()
    session.flush()
    return question_holders(session=session, asker=asker).people


FAQ_LABEL_CHARS = 40


# An escalation's buttons are stored with it in the outbox (``Broadcast.actions``, migration 0014) as
# the callback data the bot parses when a manager taps one. That format is defined, with every other
# button's, in bot/telegram/callbacks.py (``GapReply``, ``GapAnswerWithFaq``); this domain may not
# import the Telegram edge, so these two write it here, and tests/bot/telegram/test_callbacks.py
# checks that what they write is what callbacks.py parses.
def reply_action(question_id: int) -> str:
    """The stored action of an escalation's Reply button."""
    return f"gap:{question_id}:r"


def faq_action(question_id: int, chunk_id: str) -> str:
    """The stored action of an escalation's "answer with this FAQ" button (FAQ chunk ``chunk_id``)."""
    return f"gap:{question_id}:q{chunk_id}"


def pass_to_managers(
    *, session: Session, question_id: int, asker_id: int, answerer: Answerer | None = None
) -> int:
    """Escalate an asker's question and queue it to each manager who will answer it; returns how many.
    A question passed on before is not queued again.

    Each manager reads it as ``queue_for_managers`` words it, with one "answer with this FAQ" button
    per FAQ the question was nearly answered from (``faq_candidates``; none without ``answerer``).

    Raises:
        InvalidInputError: not the asker's question to pass on.
    """
    before = session.get(AskedQuestion, question_id)
    passed_on_already = before is not None and before.escalated_at is not None
    managers = escalate(session=session, question_id=question_id, asker_id=asker_id)
    question = session.get(AskedQuestion, question_id)
    asker = session.get(Person, asker_id)
    if question is None or asker is None:
        return 0
    if passed_on_already:  # "ask a person" pressed under a question passed on by itself: once is enough
        return len(_reachable(managers))
    faqs = faq_candidates(answerer=answerer, question=question) if answerer is not None else []
    return queue_for_managers(session=session, question=question, asker=asker, managers=managers, faqs=faqs)


def _reachable(people: Sequence[Person]) -> list[Person]:
    # As the outbox will reach them: on Telegram, and not paused with /stop.
    return [
        person
        for person in people
        if person.active and person.pushes_enabled and person.telegram_id is not None
    ]


def queue_for_managers(
    *,
    session: Session,
    question: AskedQuestion,
    asker: Person,
    managers: Sequence[Person],
    faqs: Sequence[Suggestion] = (),
    nudge: Nudge | None = None,
    held_by: str = "",
    send_at: datetime | None = None,
) -> int:
    """Queue ``question`` to each of ``managers`` the outbox can reach; returns how many. The one
    place an escalation is worded and sent, the first time and when it comes again.

    Through the outbox like every other message, so quiet hours, ``/stop`` and the send rate hold
    and a crash loses nothing. Each manager reads, in their own language, why it came to a person,
    who asked from where, the question and what the bot had said (``escalation.manager_message``),
    with a Reply button and a button per FAQ in ``faqs``.

    Args:
        session: an open session; the caller commits.
        question: the escalated question.
        asker: who asked it.
        managers: who should answer it.
        faqs: FAQs it could be answered with, one button each.
        nudge: why it comes again (a reminder, a step up); None the first time.
        held_by: for a step up, the unit whose managers had it.
        send_at: when the copies are due (None: now).
    """
    from bot.broadcasts.models import BroadcastKind  # broadcasts sit above questions
    from bot.broadcasts.service import create_broadcast

    reachable = _reachable(managers)
    unit = home_unit(asker)
    by_language: dict[str, list[Person]] = {}
    for manager in reachable:
        by_language.setdefault(reader_language(manager.language), []).append(manager)
    for language, people in by_language.items():
        actions = [(say(REPLY_BUTTON, language), reply_action(question.id))] + [
            (
                say(FAQ_BUTTON, language, label=faq.label[:FAQ_LABEL_CHARS]),
                faq_action(question.id, faq.chunk_id),
            )
            for faq in faqs
        ]
        create_broadcast(
            session=session,
            kind=BroadcastKind.ESCALATION,  # its Reply buttons, and never a clap
            text=manager_message(
                question, language, asker=asker.name or "", unit=unit.name if unit else "", nudge=nudge,
                held_by=held_by,
            ),
            selectors=[f"person:{person.id}" for person in people],
            actions=actions,
            send_at=send_at,
        )  # fmt: skip
    return len(reachable)


def may_answer(*, session: Session, person: Person, question: AskedQuestion) -> bool:
    """Whether ``person`` may answer ``question``: an admin, or a manager of the asker's unit."""
    if person.is_admin:
        return True
    asker = session.get(Person, question.person_id) if question.person_id else None
    unit = home_unit(asker) if asker else None
    return unit is not None and can_manage(session=session, person=person, unit=unit)


def reply_to_question(*, session: Session, question_id: int, responder: Person, reply: str) -> AskedQuestion:
    """Record a manager's answer to an escalated question.

    Args:
        session: an open session; the caller commits.
        question_id: the question being answered.
        responder: the manager (or admin) answering; must manage the asker's unit.
        reply: the answer text.
    """
    reply = reply.strip()
    if not reply:
        raise InvalidInputError("the reply is empty")
    if len(reply) > MAX_REPLY_CHARS:
        raise InvalidInputError(f"replies are at most {MAX_REPLY_CHARS} characters")
    question = session.get(AskedQuestion, question_id)
    if question is None:
        raise NotFoundError("no such question")
    if not may_answer(session=session, person=responder, question=question):
        raise InvalidInputError("you do not manage the unit this question came from")
    question.reply = reply
    question.replied_by_id = responder.id
    question.replied_at = utc_now()
    question.status = "answered"
    session.flush()
    return question


def reply_channels(asker: Person) -> tuple[str, ...]:
    """Where ``asker`` reads a person's reply: always the web chat's inbox (the reply is stored with
    the question, so any device they sign in on shows it), and Telegram too once they joined there."""
    return ("web", "telegram") if asker.telegram_id is not None else ("web",)


def deliver_reply(*, session: Session, question: AskedQuestion, responder: Person) -> tuple[str, ...]:
    """Bring the reply recorded on ``question`` to its asker wherever they read (``reply_channels``);
    returns those channels (none for a question nobody known asked). The one place that decides, for
    every edge a reply comes from: the console, the API, a manager's reply in Telegram.

    The web chat's inbox is the question row itself: the reply is unread there until the asker sees
    it (``bot.questions.conversation``). Telegram goes through the outbox like every other message,
    so quiet hours, ``/stop`` and the send rate hold and a crash loses nothing.

    Args:
        session: an open session; the caller commits.
        question: a question with its ``reply`` recorded (``reply_to_question``).
        responder: who replied; named to the asker.
    """
    from bot.broadcasts.models import BroadcastKind  # broadcasts sit above questions
    from bot.broadcasts.service import create_broadcast

    asker = session.get(Person, question.person_id) if question.person_id else None
    if asker is None or question.reply is None:
        return ()
    channels = reply_channels(asker)
    question.reply_read_at = None  # a new reply (or a second one) waits in the inbox
    if "telegram" in channels:
        create_broadcast(
            session=session,
            kind=BroadcastKind.NOTICE,  # the answer to their own question: nothing to clap for
            text=say(
                REPLY_FOR_ASKER,
                asker.language,
                question=question.text[:200],
                name=responder.name or "",
                reply=question.reply,
            ),
            selectors=[f"person:{asker.id}"],
            created_by=responder,
        )
    session.flush()
    return channels


def save_reply_as_faq(*, session: Session, question_id: int, responder: Person) -> str:
    """Write an answered question into the library's team FAQ file; returns the file to re-index.

    A manager's answer is right for their own stores, not necessarily for everyone: it is scoped to
    the unit they manage the asker through (and everything below it), marked for the change team's
    review, and due for another look in ``REVIEW_AFTER``. An admin's answer is the change team's own:
    company-wide and reviewed.
    """
    question = session.get(AskedQuestion, question_id)
    if question is None or question.reply is None:
        raise InvalidInputError("only a question with a reply can become an FAQ")
    if question.replied_by_id != responder.id and not responder.is_admin:
        raise InvalidInputError("only the person who replied can save it as an FAQ")
    entry_id = f"team-{question.id}"
    today = utc_now().date()
    reply = question.reply
    scope = "" if responder.is_admin else _answering_unit(session, question=question, responder=responder)
    rewrite_file(
        session,
        TEAM_FAQ_FILE,
        lambda text: append_faq(
            text,
            entry_id=entry_id,
            question=question.text,
            answer=reply,
            lang=question.language,
            tags=["team"],
            scope=scope,
            owner=responder.name or "",
            created=today.isoformat(),
            review_by=(today + REVIEW_AFTER).isoformat(),
            status="" if responder.is_admin else "review",
        ),
        by=responder.name or f"person {responder.id}",
    )
    question.faq_id = entry_id
    question.status = "closed"
    session.flush()
    return TEAM_FAQ_FILE


def _answering_unit(session: Session, *, question: AskedQuestion, responder: Person) -> str:
    """The highest unit ``responder`` manages on the way from the asker's unit to the top."""
    asker = session.get(Person, question.person_id) if question.person_id else None
    unit = home_unit(asker) if asker else None
    managed = {u.id for u in managed_units(session=session, person=responder)}
    chain = [unit, *ancestors(unit)] if unit is not None else []
    mine = [u for u in chain if u.id in managed]
    if not mine:
        raise InvalidInputError("you do not manage the unit this question came from")
    return mine[-1].name


@dataclass
class GapGroup:
    """Open questions that look alike: one missing topic."""

    questions: list[AskedQuestion] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)

    @property
    def example(self) -> str:
        """The first question asked in the group."""
        return min(self.questions, key=lambda q: q.asked_at).text

    @property
    def reasons(self) -> list[EscalationReason]:
        """Why its questions are open (``escalation.escalation_reason``), each once, in a fixed order."""
        found = {escalation_reason(question) for question in self.questions}
        return [reason for reason in EscalationReason if reason in found]


OPEN_GAPS_READ = 1000  # the newest open questions grouped into topics; older ones wait their turn


def open_gaps_for(*, session: Session, principal: Principal) -> list[GapGroup]:
    """The open questions this principal answers (from people in their units; admins: everyone's),
    grouped by topic, biggest first: the console's and the API's gaps queue alike."""
    query = (
        select(AskedQuestion)
        .where(AskedQuestion.status == "open")
        .order_by(AskedQuestion.asked_at.desc())
        .limit(OPEN_GAPS_READ)
    )
    if not principal.is_admin:
        askers = select(Membership.person_id).where(Membership.unit_id.in_(principal.unit_ids))
        query = query.where(AskedQuestion.person_id.in_(askers))
    return group_gaps(session.scalars(query).all())


def group_gaps(questions: Sequence[AskedQuestion], *, threshold: float = 0.3) -> list[GapGroup]:
    """Group questions whose informative words overlap (Jaccard >= threshold), biggest group first."""
    groups: list[GapGroup] = []
    for question in questions:
        # Topic words only: "培训要多久" and "上线要多久" share an intent word, not a missing topic.
        tokens = {token for token in tokenize(question.text) if not is_intent_word(token)}
        best: GapGroup | None = None
        best_score = threshold
        for group in groups:
            union = tokens | group.tokens
            score = len(tokens & group.tokens) / len(union) if union else 0.0
            if score >= best_score:
                best, best_score = group, score
        if best is None:
            groups.append(GapGroup(questions=[question], tokens=tokens))
        else:
            best.questions.append(question)
            best.tokens |= tokens
    return sorted(groups, key=lambda g: (-len(g.questions), g.example))


def _faq_reply(session: Session, *, answerer: Answerer, question_id: int, chunk_id: str) -> str:
    """The whole answer of FAQ ``chunk_id`` to question ``question_id``, as its asker reads it."""
    question = session.get(AskedQuestion, question_id)
    if question is None:
        raise NotFoundError("no such question")
    if answerer.faq_of(chunk_id) is None:
        raise NotFoundError("that FAQ is no longer in the library")
    found = answerer.answer_from(
        question.text, chunk_id=chunk_id, language=question.language,  # type: ignore[arg-type]
        filters=asker_filters(session=session, person_id=question.person_id),
    )  # fmt: skip
    if found is None:
        raise InvalidInputError("that FAQ does not answer the asker's unit")
    return (found.full_answer or found.answer)[:MAX_REPLY_CHARS]


def faq_candidates(*, answerer: Answerer, question: AskedQuestion) -> list[Suggestion]:
    """FAQs a manager could answer ``question`` with: those among the passages it was answered or
    offered from, still in the library (labelled with the FAQ's question)."""
    seen: dict[str, Suggestion] = {}
    chunk_ids = [str(s.get("chunk_id") or "") for s in question.sources or []]
    chunk_ids += [str(s.get("chunk_id") or "") for s in question.suggestions or []]
    for chunk_id in chunk_ids:
        faq = answerer.faq_of(chunk_id) if chunk_id and chunk_id not in seen else None
        if faq is not None:
            seen[chunk_id] = Suggestion(label=faq.question, chunk_id=chunk_id)
    return list(seen.values())[:MAX_SUGGESTIONS]


def answer_gap(
    *,
    session: Session,
    question_id: int,
    responder: Person,
    reply: str,
    save_as_faq: bool,
    answerer: Answerer | None = None,
    faq_chunk_id: str = "",
) -> tuple[AskedQuestion, str | None]:
    """Answer an open question from the console, the API or Telegram: the answer reaches the asker
    (``deliver_reply``: their web chat inbox, and Telegram through the sender when they joined
    there), and with ``save_as_faq`` is written to the team FAQ file (returned, to be indexed).

    With ``faq_chunk_id`` the manager answers with an existing FAQ instead of writing: the asker
    gets that FAQ's answer, and the FAQ learns the asker's wording (``phrasings``), so the library
    answers it by itself next time. Nothing is written to the FAQ file.

    Raises:
        InvalidInputError: an empty or over-long reply, not the responder's question to answer, or
            an FAQ the asker may not be answered from.
        NotFoundError: no such question, or the FAQ left the library since.
    """
    if faq_chunk_id:
        if answerer is None:
            raise InvalidInputError("answering with an FAQ needs the library")
        reply, save_as_faq = (
            _faq_reply(session, answerer=answerer, question_id=question_id, chunk_id=faq_chunk_id),
            False,
        )
    question = reply_to_question(session=session, question_id=question_id, responder=responder, reply=reply)
    deliver_reply(session=session, question=question, responder=responder)
    if faq_chunk_id and answerer is not None:
        learn_phrasing(
            session=session, answerer=answerer, question=question, chunk_id=faq_chunk_id, origin="manager"
        )
        question.status = "closed"  # the library holds the answer already: nothing to save
    saved = (
        save_reply_as_faq(session=session, question_id=question_id, responder=responder)
        if save_as_faq
        else None
    )
    return question, saved
