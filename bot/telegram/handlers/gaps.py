"""The knowledge-gap loop in Telegram: escalate to a manager, deliver their reply, save it as an FAQ."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session
from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.errors import ChangebotError
from bot.people.models import Person
from bot.questions.gaps import (
    answer_gap,
    faq_candidates,
    may_answer,
    pass_to_managers,
    save_reply_as_faq,
)
from bot.questions.models import AskedQuestion
from bot.storage.database import in_transaction
from bot.telegram.callbacks import GapAnswerWithFaq, GapReply, GapSaveFaq, parse, pattern_for
from bot.telegram.context import BotServices, services
from bot.telegram.dialogue_states import REPLYING_TO, ReplyingTo, dialogue_expiry
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import text
from ingest.text import Language

logger = logging.getLogger(__name__)


async def pass_to_person(context: ContextTypes.DEFAULT_TYPE, *, question_id: int, asker_id: int) -> bool:
    """Pass a question to the asker's managers (through the outbox); returns whether any will hear."""
    app = services(context)

    def escalated(session: Session) -> int:
        try:
            with session.begin_nested():
                return pass_to_managers(
                    session=session, question_id=question_id, asker_id=asker_id, answerer=app.core.answerer
                )
        except ChangebotError:
            return 0

    return await in_transaction(app.sessions, escalated) > 0


def _answer_with_faq(
    session: Session, *, app: BotServices, question: AskedQuestion, manager: Person, chunk_id: str
) -> bool:
    """Answer ``question`` with candidate FAQ ``chunk_id`` (sent through the outbox, the wording
    learned); False when it is not the manager's to answer, or the FAQ is gone or already used."""
    candidates = faq_candidates(answerer=app.core.answerer, question=question)
    offered = {c.chunk_id for c in candidates}
    if question.person_id == manager.id or question.reply is not None or chunk_id not in offered:
        return False
    try:
        with session.begin_nested():
            answer_gap(
                session=session, question_id=question.id, responder=manager, reply="", save_as_faq=False,
                answerer=app.core.answerer, faq_chunk_id=chunk_id,
            )  # fmt: skip
    except ChangebotError:
        return False
    return True


async def gap_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A manager pressed Reply, Save as FAQ, or one of the existing FAQs offered with the escalation."""
    query = update.callback_query
    if query is None:
        return
    app = services(context)
    found = parse(query.data)
    tapped = found if isinstance(found, GapReply | GapSaveFaq | GapAnswerWithFaq) else None
    expires_after = dialogue_expiry(context)

    def pressed(session: Session) -> tuple[Language, str | None, str | bool | None]:
        """(language, the question when Reply starts a reply dialogue, the FAQ file when saved or
        True when answered with an existing FAQ)."""
        person = member(session, update)
        language = language_of(update, person)
        question = session.get(AskedQuestion, tapped.question_id) if tapped else None
        if tapped is None or person is None or question is None:
            return language, None, None
        if isinstance(tapped, GapReply):
            if question.person_id == person.id or not may_answer(
                session=session, person=person, question=question
            ):
                return language, None, None
            REPLYING_TO.write(
                session, query.from_user.id, ReplyingTo(question.id), expires_after=expires_after
            )
            return language, question.text, None
        if isinstance(tapped, GapAnswerWithFaq):
            return (
                language,
                None,
                _answer_with_faq(
                    session, app=app, question=question, manager=person, chunk_id=tapped.chunk_id
                ),
            )
        try:
            with session.begin_nested():
                saved = save_reply_as_faq(
                    session=session,
                    question_id=question.id,
                    responder=person,
                )
        except ChangebotError:
            return language, None, None
        # Indexed in the background, queued in this transaction: it starts once the save commits.
        app.jobs.start([saved], session=session)
        return language, None, saved

    language, question_text, saved = await in_transaction(app.sessions, pressed)
    if question_text is not None:
        await query.answer()
        if query.message is not None:
            await context.bot.send_message(
                query.message.chat.id,
                text("type_reply", language, question=question_text),
                reply_markup=ForceReply(selective=True),
            )
        return
    if not saved:
        await query.answer(text("stale_button", language))
        return
    done = text("faq_sent" if saved is True else "faq_saved", language)
    await query.answer(done)
    if query.message is not None:
        await query.edit_message_text(done)


@dataclass(frozen=True, slots=True)
class _Reply:
    """What became of a manager's message typed as a reply."""

    question_id: int
    language: Language  # the responder's
    error: str | None  # why the reply was refused, to tell the responder


async def take_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """If this person is answering an escalated question, treat their message as the reply: stored,
    and queued to the asker through the outbox (quiet hours, ``/stop``, the send rate).

    Returns True when the message was consumed as a reply.
    """
    message = update.effective_message
    user = update.effective_user
    if message is None or not message.text or user is None:
        return False
    app = services(context)
    typed = message.text

    def store(session: Session) -> _Reply | None:
        """Store and queue the reply; None when this person is not replying to anything."""
        replying = REPLYING_TO.read(session, user.id)
        if replying is None:
            return None
        REPLYING_TO.end(session, user.id)
        question_id = replying.question_id
        responder = member(session, update)
        language = language_of(update, responder)
        if responder is None:
            return None
        try:
            with session.begin_nested():
                answer_gap(
                    session=session, question_id=question_id, responder=responder, reply=typed,
                    save_as_faq=False,
                )  # fmt: skip
        except ChangebotError as exc:
            return _Reply(question_id, language, error=str(exc))
        return _Reply(question_id, language, error=None)

    reply = await in_transaction(app.sessions, store)
    if reply is None:
        return False
    if reply.error is not None:
        await message.reply_text(reply.error)
        return True
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    text("save_faq", reply.language), callback_data=GapSaveFaq(reply.question_id).data
                )
            ]
        ]
    )
    await message.reply_text(text("reply_delivered", reply.language), reply_markup=keyboard)
    return True


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(
        CallbackQueryHandler(gap_button, pattern=pattern_for(GapReply, GapSaveFaq, GapAnswerWithFaq))
    )
