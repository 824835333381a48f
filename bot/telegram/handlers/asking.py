"""Questions in chat: answered with sources and feedback buttons; groups only when addressed."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import partial
from html import escape

from sqlalchemy.orm import Session
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.answering.service import Answer, Answerer
from bot.errors import ChangebotError, InvalidInputError, KnowledgeUnavailableError, NotFoundError
from bot.people.models import Person
from bot.questions.asking import TooManyQuestionsError, ask
from bot.questions.conversation import Handover, exchange
from bot.questions.models import AskedQuestion
from bot.questions.service import pick_suggestion, record_feedback, whole_passage
from bot.questions.wording import handover_notice
from bot.storage.database import in_thread, in_transaction
from bot.telegram.callbacks import Feedback, MorePassage, SuggestionPick, Verdict, pattern_for
from bot.telegram.context import services
from bot.telegram.formatting import render_answer, split_message
from bot.telegram.handlers.common import caller, language_of, member
from bot.telegram.handlers.gaps import pass_to_person, take_reply
from bot.telegram.texts import text
from ingest.text import Language

# Callback data is untrusted input: anything that does not parse (bot/telegram/callbacks.py) is "stale".
_RECORDED: dict[Verdict, str] = {Verdict.HELPFUL: "helpful", Verdict.NOT_HELPFUL: "not_helpful"}
# Telegram shows about this many characters of a button on a phone; the rest is cut with "…".
_BUTTON_CHARS = 48


def _ask_person(question_id: int, language: Language) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text("ask_person", language), callback_data=Feedback(question_id, Verdict.ASK_PERSON).data
    )


def feedback_keyboard(question_id: int, answer: Answer) -> InlineKeyboardMarkup:
    """Helpful / not helpful / ask a person buttons for one stored question, and "more" when the
    answer shows only part of its passage."""
    language = answer.language
    last = [_ask_person(question_id, language)]
    if answer.full_answer:
        last.insert(
            0, InlineKeyboardButton(text("more", language), callback_data=MorePassage(question_id).data)
        )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    text("helpful", language), callback_data=Feedback(question_id, Verdict.HELPFUL).data
                ),
                InlineKeyboardButton(
                    text("not_helpful", language),
                    callback_data=Feedback(question_id, Verdict.NOT_HELPFUL).data,
                ),
            ],
            last,
        ]
    )


def suggestions_keyboard(question_id: int, answer: Answer) -> InlineKeyboardMarkup:
    """One button per "did you mean" candidate, then "ask a person"."""
    rows = [
        [
            InlineKeyboardButton(
                _button_label(suggestion.label), callback_data=SuggestionPick(question_id, index).data
            )
        ]
        for index, suggestion in enumerate(answer.suggestions)
    ]
    rows.append([_ask_person(question_id, answer.language)])
    return InlineKeyboardMarkup(rows)


def ask_person_keyboard(question_id: int, answer: Answer) -> InlineKeyboardMarkup:
    """Only "ask a person": after the chit-chat reply, in case it was a real question after all."""
    return InlineKeyboardMarkup([[_ask_person(question_id, answer.language)]])


def keyboard_for(question_id: int, answer: Answer) -> InlineKeyboardMarkup | None:
    """The buttons under a reply, by its band."""
    if answer.answered:
        return feedback_keyboard(question_id, answer)
    if answer.band == "suggest":
        return suggestions_keyboard(question_id, answer)
    if answer.kind == "off_topic":
        return ask_person_keyboard(question_id, answer)
    return None  # "I don't know yet" has gone to a person already


def _button_label(label: str) -> str:
    return label if len(label) <= _BUTTON_CHARS else label[: _BUTTON_CHARS - 1].rstrip() + "…"


async def _answer(
    message: Message, question: str, update: Update, context: ContextTypes.DEFAULT_TYPE
) -> None:
    app = services(context)
    asker = await caller(context, update)
    language, person_id = asker.language, asker.person_id
    if person_id is None:
        await message.reply_text(text("need_code", language))
        return
    await message.chat.send_action(ChatAction.TYPING)
    try:
        # The answerer is CPU-bound (embedding, ranking): keep it off the event loop. The reply
        # follows the question's own language; the profile language is for the bot's own words.
        asked = await in_thread(
            partial(
                ask, sessions=app.sessions, answerer=app.core.answerer, question=question,
                channel="telegram", person_id=person_id, flood=app.flood,
            )
        )  # fmt: skip
    except TooManyQuestionsError:
        await message.reply_text(text("flood", language))
        return
    except KnowledgeUnavailableError:
        await message.reply_text(text("unavailable", language))
        return
    answer, question_id = asked.answer, asked.question_id
    keyboard = keyboard_for(question_id, answer) if question_id is not None else None
    await _send_in_pieces(
        message.reply_text, render_answer(answer, documents_at=app.settings.public_url), keyboard
    )
    if asked.escalated and question_id is not None:
        await _say_who_has_it(
            message.reply_text, context, question_id=question_id, asker_id=person_id, language=language
        )


async def _say_who_has_it(
    send: Callable[..., Awaitable[object]],
    context: ContextTypes.DEFAULT_TYPE,
    *,
    question_id: int,
    asker_id: int,
    language: Language,
) -> None:
    """A message of its own, not a toast, saying who has the question and when to expect an answer:
    the words the web chat shows for it (``questions.wording.handover_notice``)."""
    app = services(context)

    def handover(session: Session) -> Handover | None:
        return exchange(
            session=session, person_id=asker_id, question_id=question_id,
            reply_days=app.settings.escalation_reply_days,
        ).handover  # fmt: skip

    found = await in_transaction(app.sessions, handover)
    if found is not None:
        await send(handover_notice(found, language, read_in="telegram"))


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any plain text in a private chat is a question."""
    message = update.effective_message
    if message is None or not message.text:
        return
    if await take_reply(update, context):
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


def _apply_feedback(
    session: Session, pressed: Feedback | None, person: Person | None, answerer: Answerer
) -> bool:
    if pressed is None or person is None:
        return False
    question_id = pressed.question_id
    try:
        # A savepoint, so a refused press leaves nothing half-written in the surrounding transaction.
        with session.begin_nested():
            if pressed.verdict in _RECORDED:
                record_feedback(
                    session=session, question_id=question_id, person_id=person.id,
                    verdict=_RECORDED[pressed.verdict], answerer=answerer,
                )  # fmt: skip
            else:
                owned = session.get(AskedQuestion, question_id)
                if owned is None or owned.person_id != person.id:
                    raise InvalidInputError("not your question")
    except ChangebotError:
        return False
    return True


async def feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record helpful / not helpful, or pass the question to a person; forged or stale data changes nothing."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    app = services(context)
    pressed = Feedback.from_data(query.data)

    def apply(session: Session) -> tuple[int | None, Language, bool]:
        """(the member pressing, the language, whether the press was accepted)."""
        person = member(session, update)
        person_id = person.id if person is not None else None
        return (
            person_id,
            language_of(update, person),
            _apply_feedback(session, pressed, person, app.core.answerer),
        )

    person_id, language, accepted = await in_transaction(app.sessions, apply)
    if pressed is None or person_id is None or not accepted:
        await query.answer(text("stale_button", language))
        return
    if pressed.verdict is Verdict.HELPFUL:
        await query.answer(text("thanks", language))
    else:
        # "Not helpful" and "ask a person" both put the question in front of a person.
        await pass_to_person(context, question_id=pressed.question_id, asker_id=person_id)
        asked_for_person = pressed.verdict is Verdict.ASK_PERSON
        await query.answer(text("escalated" if asked_for_person else "not_helpful_noted", language))
        send = partial(context.bot.send_message, _chat_of(query))
        await _say_who_has_it(
            send, context, question_id=pressed.question_id, asker_id=person_id, language=language
        )
    if query.message is not None:
        await query.edit_message_reply_markup(reply_markup=None)


async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A "did you mean" button: answer from that passage under the same question, with feedback
    buttons; forged, stale or someone else's buttons change nothing."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    app = services(context)
    asker = await caller(context, update)
    pressed = SuggestionPick.from_data(query.data)
    if pressed is None or asker.person_id is None:
        await query.answer(text("stale_button", asker.language))
        return
    question_id = pressed.question_id
    try:
        answer = await in_thread(
            partial(
                pick_suggestion, sessions=app.sessions, answerer=app.core.answerer,
                question_id=question_id, person_id=asker.person_id, index=pressed.index,
            )
        )  # fmt: skip
    except (InvalidInputError, NotFoundError, KnowledgeUnavailableError):
        await query.answer(text("stale_button", asker.language))
        return
    await query.answer()
    if query.message is not None:
        await query.edit_message_reply_markup(reply_markup=None)
    send = partial(context.bot.send_message, _chat_of(query))
    await _send_in_pieces(
        send,
        render_answer(answer, documents_at=app.settings.public_url),
        feedback_keyboard(question_id, answer),
    )


async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "More": the whole passage behind an answer, as a reply in the same chat."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    app = services(context)
    asker = await caller(context, update)
    pressed = MorePassage.from_data(query.data)
    if pressed is None or asker.person_id is None:
        await query.answer(text("stale_button", asker.language))
        return
    try:
        passage = await in_thread(
            partial(
                whole_passage,
                sessions=app.sessions,
                answerer=app.core.answerer,
                question_id=pressed.question_id,
            )
        )
    except (NotFoundError, KnowledgeUnavailableError):
        await query.answer(text("stale_button", asker.language))
        return
    await query.answer()
    await _send_in_pieces(partial(context.bot.send_message, _chat_of(query)), escape(passage), None)


def _chat_of(query: CallbackQuery) -> int:
    """Where the buttons were: the private chat, or the group the question was asked in."""
    return query.message.chat.id if query.message is not None else query.from_user.id


async def _send_in_pieces(
    send: Callable[..., Awaitable[object]], html: str, markup: InlineKeyboardMarkup | None
) -> None:
    """``html`` in as many messages as Telegram needs; the buttons go under the last one."""
    pieces = split_message(html)
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        await send(piece, parse_mode=ParseMode.HTML, reply_markup=markup if last else None)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CommandHandler("ask", ask_command))
    application.add_handler(CallbackQueryHandler(feedback, pattern=pattern_for(Feedback)))
    application.add_handler(CallbackQueryHandler(pick, pattern=pattern_for(SuggestionPick)))
    application.add_handler(CallbackQueryHandler(more, pattern=pattern_for(MorePassage)))
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, private_text)
    )
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, group_text)
    )
