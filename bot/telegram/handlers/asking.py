"""Questions in chat: answered with sources and feedback buttons; groups only when addressed."""

from __future__ import annotations

import asyncio
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.answering.service import Answer
from bot.errors import ChangebotError, KnowledgeUnavailableError
from bot.questions.service import record_feedback, record_question
from bot.storage.database import transaction
from bot.telegram.context import services
from bot.telegram.formatting import render_answer, split_message
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import text

# Callback data is untrusted input: anything that does not match exactly is "stale".
FEEDBACK_RE = re.compile(r"^fb:(\d{1,12}):(h|n)$")
_VERDICTS = {"h": "helpful", "n": "not_helpful"}


def feedback_keyboard(question_id: int, answer: Answer) -> InlineKeyboardMarkup:
    """Helpful / not helpful buttons for one stored question."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(text("helpful", answer.language), callback_data=f"fb:{question_id}:h"),
                InlineKeyboardButton(
                    text("not_helpful", answer.language), callback_data=f"fb:{question_id}:n"
                ),
            ]
        ]
    )


async def _answer(
    message: Message, question: str, update: Update, context: ContextTypes.DEFAULT_TYPE
) -> None:
    app = services(context)
    with transaction(app.sessions) as session:
        person = member(session, update)
        language = language_of(update, person)
        if person is None:
            await message.reply_text(text("need_code", language))
            return
        person_id = person.id
    if not app.flood.allow(person_id):
        await message.reply_text(text("flood", language))
        return
    await message.chat.send_action(ChatAction.TYPING)
    try:
        # The answerer is CPU-bound (embedding, ranking): keep it off the event loop. The reply
        # follows the question's own language; the profile language is for the bot's own words.
        answer = await asyncio.to_thread(app.core.answerer.answer, question)
    except KnowledgeUnavailableError:
        await message.reply_text(text("unavailable", language))
        return
    keyboard = None
    if answer.kind != "empty":
        with transaction(app.sessions) as session:
            stored = record_question(session=session, answer=answer, channel="telegram", person_id=person_id)
            keyboard = feedback_keyboard(stored.id, answer) if answer.answered else None
    pieces = split_message(render_answer(answer))
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        await message.reply_text(piece, parse_mode=ParseMode.HTML, reply_markup=keyboard if last else None)


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any plain text in a private chat is a question."""
    message = update.effective_message
    if message is None or not message.text:
        return
    await _answer(message, message.text, update, context)


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups, answer only when mentioned or replied to."""
    message = update.effective_message
    if message is None or not message.text:
        return
    username = context.bot.username
    mention = f"@{username}" if username else None
    replied_to_bot = (
        message.reply_to_message is not None
        and message.reply_to_message.from_user is not None
        and (message.reply_to_message.from_user.id == context.bot.id)
    )
    if mention and mention.lower() in message.text.lower():
        question = re.sub(re.escape(mention), " ", message.text, flags=re.IGNORECASE).strip()
    elif replied_to_bot:
        question = message.text
    else:
        return
    await _answer(message, question, update, context)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION, for groups (works in private chats too)."""
    message = update.effective_message
    if message is None:
        return
    await _answer(message, " ".join(context.args or []), update, context)


async def feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record a press on helpful / not helpful; forged or stale data changes nothing."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    app = services(context)
    match = FEEDBACK_RE.match(query.data or "")
    with transaction(app.sessions) as session:
        person = member(session, update)
        language = language_of(update, person)
        if match is None or person is None:
            await query.answer(text("stale_button", language))
            return
        try:
            record_feedback(
                session=session,
                question_id=int(match.group(1)),
                person_id=person.id,
                verdict=_VERDICTS[match.group(2)],
            )
        except ChangebotError:
            await query.answer(text("stale_button", language))
            return
    key = "thanks" if match.group(2) == "h" else "not_helpful_noted"
    await query.answer(text(key, language))
    if query.message is not None:
        await query.edit_message_reply_markup(reply_markup=None)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CommandHandler("ask", ask_command))
    application.add_handler(CallbackQueryHandler(feedback, pattern=r"^fb:"))
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, private_text)
    )
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, group_text)
    )
