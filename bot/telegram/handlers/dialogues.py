"""The compose dialogue's plumbing: a typed message goes to the /story or /vision step it belongs to
(before question answering), /done and /skip move a dialogue on, /cancel leaves any dialogue."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.broadcasts.stories import cancel_story
from bot.dialogues.service import clear_dialogues
from bot.errors import ChangebotError
from bot.storage.database import in_transaction
from bot.telegram.context import services
from bot.telegram.dialogue_states import COMPOSE, Draft, StoryNeedsPhoto, VisionDraft, VisionStep
from bot.telegram.handlers.common import caller, language_of, member
from bot.telegram.handlers.stories import _show_preview, _story_step
from bot.telegram.handlers.vision import _vision_step, cadence_keyboard
from bot.telegram.texts import text
from ingest.text import Language

# Every database step below is a small function run by ``in_transaction`` on a worker thread; it
# returns plain values (texts, ids, labels), never an ORM object for the coroutine to read later.


async def compose_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before question answering: a message that belongs to a dialogue in progress stops here."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return

    def look_up(session: Session) -> tuple[Draft, Language] | None:
        """The dialogue this person is in and their language; None when they are in none."""
        draft = COMPOSE.read(session, user.id)
        if draft is None:
            return None
        return draft, language_of(update, member(session, update))

    found = await in_transaction(services(context).sessions, look_up)
    if found is None:
        return
    draft, language = found
    if isinstance(draft, VisionDraft):
        await _vision_step(message, context, draft, language, user_id=user.id)
    else:
        await _story_step(message, context, draft, language, user_id=user.id)
    raise ApplicationHandlerStop


async def done_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/done: the wordings of a vision series are complete."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    draft = await COMPOSE.load(context, user.id)
    language = (await caller(context, update)).language
    if not isinstance(draft, VisionDraft):
        return
    if not draft.variants:
        await message.reply_text(text("vision_need_variant", language))
        return
    await COMPOSE.save(context, user.id, replace(draft, step=VisionStep.CADENCE, cadence=None))
    keyboard = cadence_keyboard(language)
    await message.reply_text(text("vision_cadence", language), reply_markup=keyboard)


async def skip_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/skip: no photo for this story."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return

    def leave_photo_step(session: Session) -> tuple[int, Language] | None:
        """The story waiting for its photo, and the language; None when no story is at that step."""
        draft = COMPOSE.read(session, user.id)
        if not isinstance(draft, StoryNeedsPhoto):
            return None
        COMPOSE.end(session, user.id)
        return draft.story_id, language_of(update, member(session, update))

    found = await in_transaction(services(context).sessions, leave_photo_step)
    if found is None:
        return
    story_id, language = found
    await _show_preview(message, context, story_id=story_id, language=language)


async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: leave whatever dialogue is open (a story or vision draft, a reply to an escalated
    question, a survey comment); a story draft is discarded. Always answers, so nobody wonders
    whether their next message will still be taken as a reply."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return

    def leave(session: Session) -> tuple[Language, bool]:
        """End every dialogue (and discard a story draft): (the language, whether any was open)."""
        draft = COMPOSE.read(session, user.id)
        person = member(session, update)
        language = language_of(update, person)
        # Only a story still being written is discarded; one previewed (waiting for its time) stays.
        if person is not None and isinstance(draft, StoryNeedsPhoto):
            try:
                with session.begin_nested():
                    cancel_story(session=session, story_id=draft.story_id, person=person)
            except ChangebotError:
                pass
        return language, bool(clear_dialogues(session=session, telegram_user_id=user.id))

    language, was_open = await in_transaction(services(context).sessions, leave)
    await message.reply_text(text("dialogue_cancelled" if was_open else "nothing_to_cancel", language))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers; the dialogue step handler runs before question answering."""
    application.add_handler(CommandHandler("done", done_command))
    application.add_handler(CommandHandler("skip", skip_command))
    application.add_handler(CommandHandler("cancel", cancel_command))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND, compose_message
        ),
        group=-1,
    )
