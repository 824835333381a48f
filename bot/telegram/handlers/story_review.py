"""Story review in chat: a story submitted from its preview goes to the reviewers of its unit with
approve and reject buttons, and their decision goes back to its author."""

from __future__ import annotations

import logging
from typing import NamedTuple

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.broadcasts.models import Story
from bot.broadcasts.stories import review_story, submit_story
from bot.errors import ChangebotError
from bot.library.publish import publish_story
from bot.people.models import Person, Unit
from bot.storage.database import in_transaction
from bot.telegram.callbacks import StoryReview, pattern_for
from bot.telegram.context import services
from bot.telegram.handlers.common import language_of, member
from bot.telegram.handlers.compose import _actor, _unit_label
from bot.telegram.texts import text
from bot.wording import reader_language
from ingest.text import Language

logger = logging.getLogger(__name__)

# Every database step below is a small function run by ``in_transaction`` on a worker thread; it
# returns plain values (texts, ids, labels), never an ORM object for the coroutine to read later.


class _Submitted(NamedTuple):
    approved_now: bool  # it needed no review: approved, and in the case library already
    author_name: str
    body: str
    photo: str | None  # Telegram file id
    reviewers: list[tuple[int, Language, str]]  # chat id, language, the unit's label in it


async def _submit(
    message: Message, context: ContextTypes.DEFAULT_TYPE, *, story_id: int, language: Language, user_id: int
) -> None:
    app = services(context)

    def submit(session: Session) -> _Submitted | None:
        person = _actor(session, user_id)
        if person is None:
            return None
        reviewers = submit_story(session=session, story_id=story_id, author=person)
        story = session.get(Story, story_id)
        assert story is not None  # noqa: S101  (just submitted)
        approved_now = story.approved_at is not None
        if approved_now:
            publish_story(session=session, story_id=story_id, jobs=app.jobs)
        unit = session.get(Unit, story.unit_id) if story.unit_id else None
        targets = [
            (r.telegram_id, reader_language(r.language), _unit_label(unit, reader_language(r.language)))
            for r in reviewers
            if r.telegram_id is not None
        ]
        return _Submitted(approved_now, person.name, story.text, story.photo_file_id, targets)

    try:
        submitted = await in_transaction(app.sessions, submit)
    except ChangebotError as exc:
        await message.reply_text(text("compose_invalid", language, reason=str(exc)))
        return
    if submitted is None:
        return
    approved_now, author_name, body, photo, targets = submitted
    if approved_now:
        await message.reply_text(text("story_auto_approved", language))
        return
    await message.reply_text(text("story_submitted", language, count=len(targets)))
    for chat_id, reviewer_language, label in targets:
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        text("btn_approve", reviewer_language),
                        callback_data=StoryReview(story_id, approve=True).data,
                    ),
                    InlineKeyboardButton(
                        text("btn_reject", reviewer_language),
                        callback_data=StoryReview(story_id, approve=False).data,
                    ),
                ]
            ]
        )
        try:
            await context.bot.send_message(
                chat_id, text("story_review_request", reviewer_language, author=author_name, unit=label)
            )
            if photo is not None:
                await context.bot.send_photo(chat_id, photo, caption=body, reply_markup=keyboard)
            else:
                await context.bot.send_message(chat_id, body, reply_markup=keyboard)
        except Exception:  # one unreachable reviewer must not hide the story from the others
            logger.warning("could not reach reviewer %s for story %s", chat_id, story_id, exc_info=True)


class _Reviewed(NamedTuple):
    approve: bool
    language: Language  # the reviewer's
    author_chat: int | None
    author_language: Language
    reviewer_name: str


async def review_action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Approve or reject a submitted story."""
    query = update.callback_query
    if query is None:
        return
    app = services(context)
    pressed = StoryReview.from_data(query.data)

    def decide(session: Session) -> _Reviewed:
        person = member(session, update)
        language = language_of(update, person)
        if pressed is None or person is None:
            raise ChangebotError("stale")
        approve = pressed.approve
        story = review_story(session=session, story_id=pressed.story_id, reviewer=person, approve=approve)
        if approve:
            publish_story(session=session, story_id=story.id, jobs=app.jobs)
        author = session.get(Person, story.author_id) if story.author_id else None
        return _Reviewed(
            approve=approve,
            language=language,
            author_chat=author.telegram_id if author else None,
            author_language=reader_language(author.language) if author else language,
            reviewer_name=person.name,
        )

    try:
        reviewed = await in_transaction(app.sessions, decide)
    except ChangebotError:
        await query.answer(text("stale_button", language_of(update, None)))
        return
    approve, language = reviewed.approve, reviewed.language
    await query.answer(text("review_done_ok" if approve else "review_done_no", language))
    await query.edit_message_reply_markup(None)
    if reviewed.author_chat is not None:
        key = "story_approved" if approve else "story_rejected"
        await context.bot.send_message(
            reviewed.author_chat, text(key, reviewed.author_language, reviewer=reviewed.reviewer_name)
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CallbackQueryHandler(review_action, pattern=pattern_for(StoryReview)))
