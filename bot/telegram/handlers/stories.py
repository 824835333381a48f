"""/story in chat: write a success story (text, then maybe a photo), preview it exactly as staff will
get it, then send it now, schedule it, submit it for review (story_review.py) or discard it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.broadcasts.models import Story
from bot.broadcasts.senders import DeliveryWarning, delivery_warning
from bot.broadcasts.stories import (
    attach_photo,
    cancel_story,
    may_send_directly,
    send_story,
    start_story,
    story_copy,
)
from bot.errors import ChangebotError
from bot.library.publish import publish_story
from bot.people.models import Person, Unit
from bot.scheduling.clock import zone
from bot.storage.base import utc_now
from bot.storage.database import in_transaction
from bot.telegram.callbacks import StoryAction, StoryChoice, pattern_for
from bot.telegram.context import services
from bot.telegram.dialogue_states import (
    COMPOSE,
    StoryDraft,
    StoryNeedsPhoto,
    StoryNeedsText,
    StoryNeedsTime,
)
from bot.telegram.handlers.common import language_of, member
from bot.telegram.handlers.compose import _actor, _start_dialogue, _unit_label, _warned
from bot.telegram.handlers.story_review import _submit
from bot.telegram.texts import text
from ingest.text import Language

TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M")

# Every database step below is a small function run by ``in_transaction`` on a worker thread; it
# returns plain values (texts, ids, labels), never an ORM object for the coroutine to read later.


async def story_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a success story (managers and admins)."""
    await _start_dialogue(update, context, draft=StoryNeedsText(), prompt="story_prompt")


def _photo_problem(message: Message, limit_mb: float) -> float | None:
    """The photo's size in MB when it is over the limit, else None."""
    size = message.photo[-1].file_size if message.photo else None
    if size is not None and size > limit_mb * 1024 * 1024:
        return round(size / 1024 / 1024, 1)
    return None


class _Preview(NamedTuple):
    body: str
    photo: str | None  # Telegram file id
    unit_label: str
    direct: bool  # the author may send or schedule it without a review


async def _show_preview(
    message: Message, context: ContextTypes.DEFAULT_TYPE, *, story_id: int, language: Language
) -> None:
    """The story exactly as staff will get it, then the choices its author has."""
    app = services(context)

    def look_up(session: Session) -> _Preview | None:
        story = session.get(Story, story_id)
        if story is None:
            return None
        author = session.get(Person, story.author_id) if story.author_id else None
        unit = session.get(Unit, story.unit_id) if story.unit_id else None
        direct = author is not None and may_send_directly(
            session=session,
            story=story,
            author=author,
            approval_for_own_unit=app.settings.stories_need_approval_for_own_unit,
        )
        body = story_copy(
            text=story.text, author=author.name if author else None, unit=unit.name if unit else None,
            language=language,
        )  # fmt: skip
        return _Preview(body, story.photo_file_id, _unit_label(unit, language), direct)

    preview = await in_transaction(app.sessions, look_up)
    if preview is None:
        return
    body, photo, label, direct = preview
    await message.reply_text(text("story_preview", language))
    if photo is not None:
        await message.reply_photo(photo, caption=body)
    else:
        await message.reply_text(body)
    choices: list[tuple[StoryChoice, str]] = []
    if direct:
        choices.append((StoryChoice.SEND_NOW, text("btn_send_now", language, unit=label)))
        choices.append((StoryChoice.SCHEDULE, text("btn_schedule", language)))
    choices.append((StoryChoice.SUBMIT, text("btn_submit", language)))
    choices.append((StoryChoice.DISCARD, text("btn_discard", language)))
    rows = [
        [InlineKeyboardButton(caption, callback_data=StoryAction(story_id, choice).data)]
        for choice, caption in choices
    ]
    prompt = text("story_actions", language) if direct else text("story_actions_review", language, unit=label)
    await message.reply_text(prompt, reply_markup=InlineKeyboardMarkup(rows))


class _Written(NamedTuple):
    author_left: bool  # no longer a member: the dialogue has been ended
    story_id: int | None  # the story begun or given its photo; None when the message added nothing


async def _story_step(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    draft: StoryDraft,
    language: Language,
    *,
    user_id: int,
) -> None:
    """A message while writing a story: its text (maybe a captioned photo), then a photo, then a time."""
    app = services(context)
    if isinstance(draft, StoryNeedsTime):
        await _take_time(message, context, draft.story_id, language, user_id=user_id)
        return
    photo_id = message.photo[-1].file_id if message.photo else None
    if photo_id is not None:
        too_large = _photo_problem(message, app.settings.story_max_photo_mb)
        if too_large is not None:
            await message.reply_text(
                text("photo_too_large", language, size=too_large, limit=app.settings.story_max_photo_mb)
            )
            return
    body = message.caption if photo_id is not None else message.text

    def write(session: Session) -> _Written:
        person = _actor(session, user_id)
        if person is None:
            COMPOSE.end(session, user_id)
            return _Written(author_left=True, story_id=None)
        if isinstance(draft, StoryNeedsText) and body:
            story = start_story(
                session=session, author=person, text=body, language=language, photo_file_id=photo_id
            )
        elif isinstance(draft, StoryNeedsPhoto) and photo_id is not None:
            story = attach_photo(
                session=session, story_id=draft.story_id, author=person, photo_file_id=photo_id
            )
        else:
            return _Written(author_left=False, story_id=None)
        return _Written(author_left=False, story_id=story.id)

    try:
        written = await in_transaction(app.sessions, write)
    except ChangebotError as exc:
        await message.reply_text(text("compose_invalid", language, reason=str(exc)))
        return
    if written.author_left:
        return
    story_id = written.story_id
    if story_id is None:  # e.g. a photo without a caption as the first message
        prompt = "story_prompt" if isinstance(draft, StoryNeedsText) else "story_photo_prompt"
        await message.reply_text(text(prompt, language))
        return
    if isinstance(draft, StoryNeedsText) and photo_id is None:
        await COMPOSE.save(context, user_id, StoryNeedsPhoto(story_id))
        await message.reply_text(text("story_photo_prompt", language))
        return
    await COMPOSE.save(context, user_id, None)
    await _show_preview(message, context, story_id=story_id, language=language)


def _parse_local_time(raw: str, tz: Any) -> datetime | None:
    raw = raw.strip()
    try:
        parsed = datetime.fromisoformat(raw)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    except ValueError:
        pass
    for form in TIME_FORMATS:
        try:
            return datetime.strptime(raw, form).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


async def _take_time(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    story_id: int,
    language: Language,
    *,
    user_id: int,
) -> None:
    app = services(context)

    def time_zone(session: Session) -> ZoneInfo:
        person = _actor(session, user_id)
        return zone(person.timezone if person else None, default=app.settings.default_timezone)

    tz = await in_transaction(app.sessions, time_zone)
    when = _parse_local_time(message.text or "", tz)
    if when is None or when <= datetime.now(tz):
        await message.reply_text(text("bad_time", language))
        return
    await _schedule_story(message, context, story_id=story_id, when=when, language=language, user_id=user_id)


class _Scheduled(NamedTuple):
    unit_label: str
    local_time: str  # when it goes out, in the author's time zone
    warning: DeliveryWarning | None  # no sender worker runs


async def _schedule_story(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    *,
    story_id: int,
    when: datetime | None,
    language: Language,
    user_id: int,
) -> None:
    """Send now (``when`` None) or at ``when``, on the author's own authority."""
    app = services(context)

    def schedule(session: Session) -> _Scheduled | None:
        person = _actor(session, user_id)
        if person is None:
            return None
        broadcast = send_story(
            session=session,
            story_id=story_id,
            author=person,
            approval_for_own_unit=app.settings.stories_need_approval_for_own_unit,
            send_at=when,
        )
        story = session.get(Story, story_id)
        unit = session.get(Unit, story.unit_id) if story and story.unit_id else None
        # Into the case library (staff can ask about it), re-indexed in the background.
        publish_story(session=session, story_id=story_id, jobs=app.jobs)
        tz = zone(person.timezone, default=app.settings.default_timezone)
        local = broadcast.send_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        warning = delivery_warning(session=session, now=utc_now(), send_at=broadcast.send_at)
        return _Scheduled(_unit_label(unit, language), local, warning)

    try:
        scheduled = await in_transaction(app.sessions, schedule)
    except ChangebotError as exc:
        await COMPOSE.save(context, user_id, None)
        await message.reply_text(text("compose_invalid", language, reason=str(exc)))
        return
    if scheduled is None:
        return
    await COMPOSE.save(context, user_id, None)
    if when is None:
        reply = text("story_sending", language, unit=scheduled.unit_label)
    else:
        reply = text("story_scheduled", language, when=scheduled.local_time, unit=scheduled.unit_label)
    await message.reply_text(_warned(reply, scheduled.warning, language))


async def story_action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons under a story preview: send now, schedule, submit for review, discard."""
    query = update.callback_query
    if query is None or query.message is None or not isinstance(query.message, Message):
        return
    app = services(context)
    pressed = StoryAction.from_data(query.data)

    def look_up(session: Session) -> tuple[Language, bool, ZoneInfo]:
        """(language, whether the story is the presser's own, their time zone)."""
        person = member(session, update)
        story = session.get(Story, pressed.story_id) if pressed else None
        mine = story is not None and person is not None and story.author_id == person.id
        tz = zone(person.timezone if person else None, default=app.settings.default_timezone)
        return language_of(update, person), mine, tz

    language, mine, tz = await in_transaction(app.sessions, look_up)
    if pressed is None or not mine:
        await query.answer(text("stale_button", language))
        return
    user_id = query.from_user.id
    story_id, choice = pressed.story_id, pressed.choice
    await query.answer()
    await query.edit_message_reply_markup(None)  # one choice per preview
    message = query.message
    if choice is StoryChoice.SEND_NOW:
        await _schedule_story(
            message, context, story_id=story_id, when=None, language=language, user_id=user_id
        )
    elif choice in (StoryChoice.TOMORROW_9, StoryChoice.MONDAY_9):
        today = datetime.now(tz).replace(hour=9, minute=0, second=0, microsecond=0)
        when = (
            today + timedelta(days=1)
            if choice is StoryChoice.TOMORROW_9
            else today + timedelta(days=7 - today.weekday())
        )
        await _schedule_story(
            message, context, story_id=story_id, when=when, language=language, user_id=user_id
        )
    elif choice is StoryChoice.SCHEDULE:
        await COMPOSE.save(context, user_id, StoryNeedsTime(story_id))
        example = (datetime.now(tz) + timedelta(days=1)).strftime("%Y-%m-%d 09:00")
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        text("btn_tomorrow_9", language),
                        callback_data=StoryAction(story_id, StoryChoice.TOMORROW_9).data,
                    ),
                    InlineKeyboardButton(
                        text("btn_monday_9", language),
                        callback_data=StoryAction(story_id, StoryChoice.MONDAY_9).data,
                    ),
                ]
            ]
        )
        await message.reply_text(
            text("story_when", language, tz=str(tz), example=example), reply_markup=keyboard
        )
    elif choice is StoryChoice.SUBMIT:
        await _submit(message, context, story_id=story_id, language=language, user_id=user_id)
    else:

        def discard(session: Session) -> None:
            person = member(session, update)
            if person is not None:
                cancel_story(session=session, story_id=story_id, person=person)

        try:
            await in_transaction(app.sessions, discard)
        except ChangebotError as exc:
            await message.reply_text(text("compose_invalid", language, reason=str(exc)))
            return
        await COMPOSE.save(context, user_id, None)
        await message.reply_text(text("story_discarded", language))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CommandHandler("story", story_command))
    application.add_handler(CallbackQueryHandler(story_action, pattern=pattern_for(StoryAction)))
