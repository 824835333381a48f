"""The knowledge-gap loop in Telegram: escalate to a manager, deliver their reply, save it as an FAQ."""

from __future__ import annotations

import asyncio
import logging
import re
from html import escape
from pathlib import Path

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.dialogues.service import clear_dialogue, get_dialogue, put_dialogue
from bot.errors import ChangebotError
from bot.people.models import Person
from bot.people.service import home_unit
from bot.questions.gaps import escalate, may_answer, reply_to_question, save_reply_as_faq
from bot.questions.models import AskedQuestion
from bot.storage.database import transaction
from bot.telegram.context import services
from bot.telegram.handlers.common import dialogue_expiry, language_of, member
from bot.telegram.texts import text
from ingest.text import LANGUAGES, Language

logger = logging.getLogger(__name__)

GAP_RE = re.compile(r"^gap:(\d{1,12}):(r|f)$")
REPLYING_TO = "replying_to"  # dialogue kind: {"question": id} while a manager types a reply


def _language(person: Person) -> Language:
    return person.language if person.language in LANGUAGES else "zh-Hans"


async def pass_to_person(context: ContextTypes.DEFAULT_TYPE, *, question_id: int, asker_id: int) -> bool:
    """Escalate a question and message each manager found; returns whether anyone was told."""
    app = services(context)
    with transaction(app.sessions) as session:
        managers = escalate(session=session, question_id=question_id, asker_id=asker_id)
        question = session.get(AskedQuestion, question_id)
        asker = session.get(Person, asker_id)
        if question is None or asker is None:
            return False
        unit = home_unit(asker)
        outgoing = [
            (manager.telegram_id, _language(manager))
            for manager in managers
            if manager.telegram_id is not None and manager.active
        ]
        details = {
            "name": escape(asker.name or "—"),
            "unit": escape(unit.name if unit else "—"),
            "question": escape(question.text),
        }
    told = False
    for chat_id, language in outgoing:
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(text("reply_button", language), callback_data=f"gap:{question_id}:r")]]
        )
        try:
            await context.bot.send_message(
                chat_id,
                text("gap_for_manager", language, **details),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
            told = True
        except TelegramError:
            logger.warning("could not reach a manager about question %s", question_id, exc_info=True)
    return told


async def gap_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A manager pressed Reply (gap:ID:r) or Save as FAQ (gap:ID:f)."""
    query = update.callback_query
    if query is None:
        return
    app = services(context)
    match = GAP_RE.match(query.data or "")
    saved: Path | None = None
    question_text: str | None = None
    with transaction(app.sessions) as session:
        person = member(session, update)
        language = language_of(update, person)
        question = session.get(AskedQuestion, int(match.group(1))) if match else None
        if match is not None and person is not None and question is not None:
            if match.group(2) == "r":
                if question.person_id != person.id and may_answer(
                    session=session, person=person, question=question
                ):
                    question_text = question.text
                    put_dialogue(
                        session=session,
                        telegram_user_id=query.from_user.id,
                        kind=REPLYING_TO,
                        value={"question": question.id},
                        expires_after=dialogue_expiry(context),
                    )
            else:
                try:
                    with session.begin_nested():
                        saved = save_reply_as_faq(
                            session=session,
                            question_id=question.id,
                            responder=person,
                            knowledge_dir=app.settings.knowledge_dir,
                        )
                except ChangebotError:
                    saved = None
    if question_text is not None:
        await query.answer()
        if query.message is not None:
            await context.bot.send_message(
                query.message.chat.id,
                text("type_reply", language, question=question_text),
                reply_markup=ForceReply(selective=True),
            )
        return
    if saved is None:
        await query.answer(text("stale_button", language))
        return
    # Index the new FAQ now, off the event loop, so the next person asking gets it.
    await asyncio.to_thread(app.core.ingest, [saved])
    await query.answer(text("faq_saved", language))
    if query.message is not None:
        await query.edit_message_text(text("faq_saved", language))


async def take_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """If this person is answering an escalated question, treat their message as the reply.

    Returns True when the message was consumed as a reply.
    """
    message = update.effective_message
    user = update.effective_user
    if message is None or not message.text or user is None:
        return False
    app = services(context)
    error: str | None = None
    delivery: tuple[int, str] | None = None
    with transaction(app.sessions) as session:
        state = get_dialogue(session=session, telegram_user_id=user.id, kind=REPLYING_TO)
        if state is None:
            return False
        clear_dialogue(session=session, telegram_user_id=user.id, kind=REPLYING_TO)
        question_id = int(state["question"])
        responder = member(session, update)
        language = language_of(update, responder)
        if responder is None:
            return False
        try:
            with session.begin_nested():
                question = reply_to_question(
                    session=session, question_id=question_id, responder=responder, reply=message.text
                )
        except ChangebotError as exc:
            error = str(exc)
        else:
            asker = session.get(Person, question.person_id) if question.person_id else None
            if asker is not None and asker.telegram_id is not None:
                delivery = (
                    asker.telegram_id,
                    text(
                        "answer_from_person",
                        _language(asker),
                        question=escape(question.text),
                        name=escape(responder.name or "—"),
                        reply=escape(question.reply or ""),
                    ),
                )
    if error is not None:
        await message.reply_text(error)
        return True
    if delivery is not None:
        try:
            await context.bot.send_message(delivery[0], delivery[1], parse_mode=ParseMode.HTML)
        except TelegramError:
            logger.warning("could not deliver a reply to question %s", question_id, exc_info=True)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(text("save_faq", language), callback_data=f"gap:{question_id}:f")]]
    )
    await message.reply_text(text("reply_delivered", language), reply_markup=keyboard)
    return True


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CallbackQueryHandler(gap_button, pattern=r"^gap:"))
