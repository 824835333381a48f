"""Managers' broadcasting in chat: /story (write, preview, send, schedule or submit), story review,
/vision (a rotating series on a cadence) and /broadcasts (what is scheduled, with cancel buttons).

The draft story lives in the database, and so does "which step of the dialogue is this person on"
(bot/dialogues), so each message may reach any process. Buttons carry ids that are checked against
the person pressing them every time.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.access.service import cancel_broadcast_as, principal_for, upcoming_broadcasts_for
from bot.broadcasts.models import Story
from bot.broadcasts.recurring import create_vision_series, stop_vision_series, vision_schedules
from bot.broadcasts.stories import (
    attach_photo,
    cancel_story,
    may_send_directly,
    review_story,
    send_story,
    start_story,
    story_unit,
    submit_story,
)
from bot.dialogues.service import clear_dialogue, clear_dialogues, get_dialogue
from bot.errors import ChangebotError
from bot.library.publish import publish_story
from bot.people.models import Person, Unit
from bot.people.service import is_member, person_by_telegram_id
from bot.scheduling.clock import zone
from bot.scheduling.service import known_zones
from bot.storage.database import in_transaction
from bot.telegram.context import services
from bot.telegram.handlers.common import caller, language_of, load_dialogue, member, save_dialogue
from bot.telegram.texts import text
from ingest.text import LANGUAGES, Language

logger = logging.getLogger(__name__)

COMPOSE = "compose"  # dialogue kind: {"kind": "story"|"vision", "step": ..., ...}
STORY_RE = re.compile(r"^sty:(\d{1,12}):(now|sch|sub|del|t1|t2)$")
REVIEW_RE = re.compile(r"^stv:(\d{1,12}):(ok|no)$")
CADENCE_RE = re.compile(r"^vis:(weekly|twice|weekdays)$")
CANCEL_RE = re.compile(r"^bcx:(b|v):(\d{1,12})$")
CADENCES = {"weekly": "0 9 * * mon", "twice": "0 9 * * mon,thu", "weekdays": "0 9 * * mon-fri"}
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M")

# Every database step below is a small function run by ``in_transaction`` on a worker thread; it
# returns plain values (texts, ids, labels), never an ORM object for the coroutine to read later.


async def _state(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> dict[str, Any] | None:
    return await load_dialogue(context, user_id=user_id, kind=COMPOSE)


async def _set_state(context: ContextTypes.DEFAULT_TYPE, user_id: int, state: dict[str, Any] | None) -> None:
    await save_dialogue(context, user_id=user_id, kind=COMPOSE, value=state)


def _unit_label(unit: Unit | None, language: Language) -> str:
    return unit.name if unit else text("everyone", language)


def _actor(session: Session, user_id: int) -> Person | None:
    """The member behind a Telegram user id (the one pressing or typing, never the bot's own message)."""
    person = person_by_telegram_id(session=session, telegram_id=user_id)
    return person if person is not None and is_member(person) else None


def _language(person: Person) -> Language:
    return person.language if person.language in LANGUAGES else "zh-Hans"


def _may_broadcast(session: Session, person: Person | None) -> bool:
    return person is not None and (person.is_admin or story_unit(session=session, author=person) is not None)


# ---------------------------------------------------------------- /story


async def _start_dialogue(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, state: dict[str, Any], prompt: str
) -> None:
    """Managers and admins only: enter the dialogue ``state`` and ask its first question."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return

    def may_start(session: Session) -> tuple[Language, bool]:
        person = member(session, update)
        return language_of(update, person), _may_broadcast(session, person)

    language, allowed = await in_transaction(services(context).sessions, may_start)
    if not allowed:
        await message.reply_text(text("managers_only", language))
        return
    await _set_state(context, user.id, state)
    await message.reply_text(text(prompt, language))


async def story_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a success story (managers and admins)."""
    await _start_dialogue(update, context, state={"kind": "story", "step": "text"}, prompt="story_prompt")


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
        return _Preview(story.text, story.photo_file_id, _unit_label(unit, language), direct)

    preview = await in_transaction(app.sessions, look_up)
    if preview is None:
        return
    body, photo, label, direct = preview
    await message.reply_text(text("story_preview", language))
    if photo is not None:
        await message.reply_photo(photo, caption=body)
    else:
        await message.reply_text(body)
    rows = []
    if direct:
        rows.append(
            [
                InlineKeyboardButton(
                    text("btn_send_now", language, unit=label), callback_data=f"sty:{story_id}:now"
                )
            ]
        )
        rows.append(
            [InlineKeyboardButton(text("btn_schedule", language), callback_data=f"sty:{story_id}:sch")]
        )
    rows.append([InlineKeyboardButton(text("btn_submit", language), callback_data=f"sty:{story_id}:sub")])
    rows.append([InlineKeyboardButton(text("btn_discard", language), callback_data=f"sty:{story_id}:del")])
    prompt = text("story_actions", language) if direct else text("story_actions_review", language, unit=label)
    await message.reply_text(prompt, reply_markup=InlineKeyboardMarkup(rows))


class _Draft(NamedTuple):
    author_left: bool  # no longer a member: the dialogue has been ended
    story_id: int | None  # the story begun or given its photo; None when the message added nothing


async def _story_step(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    state: dict[str, Any],
    language: Language,
    *,
    user_id: int,
) -> None:
    """A message while writing a story: its text (maybe a captioned photo), then a photo, then a time."""
    app = services(context)
    step = state["step"]
    if step == "when":
        await _take_time(message, context, state, language, user_id=user_id)
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

    def write(session: Session) -> _Draft:
        person = _actor(session, user_id)
        if person is None:
            clear_dialogue(session=session, telegram_user_id=user_id, kind=COMPOSE)
            return _Draft(author_left=True, story_id=None)
        if step == "text" and body:
            story = start_story(
                session=session, author=person, text=body, language=language, photo_file_id=photo_id
            )
        elif step == "photo" and photo_id is not None:
            story = attach_photo(session=session, story_id=state["id"], author=person, photo_file_id=photo_id)
        else:
            return _Draft(author_left=False, story_id=None)
        return _Draft(author_left=False, story_id=story.id)

    try:
        draft = await in_transaction(app.sessions, write)
    except ChangebotError as exc:
        await message.reply_text(text("compose_invalid", language, reason=str(exc)))
        return
    if draft.author_left:
        return
    story_id = draft.story_id
    if story_id is None:  # e.g. a photo without a caption as the first message
        await message.reply_text(text("story_prompt" if step == "text" else "story_photo_prompt", language))
        return
    if step == "text" and photo_id is None:
        await _set_state(context, user_id, {"kind": "story", "step": "photo", "id": story_id})
        await message.reply_text(text("story_photo_prompt", language))
        return
    await _set_state(context, user_id, None)
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
    state: dict[str, Any],
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
    await _schedule_story(
        message, context, story_id=int(state["id"]), when=when, language=language, user_id=user_id
    )


class _Scheduled(NamedTuple):
    unit_label: str
    local_time: str  # when it goes out, in the author's time zone


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
        publish_story(
            session=session, story_id=story_id, knowledge_dir=app.settings.knowledge_dir, jobs=app.jobs
        )
        tz = zone(person.timezone, default=app.settings.default_timezone)
        local = broadcast.send_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        return _Scheduled(_unit_label(unit, language), local)

    try:
        scheduled = await in_transaction(app.sessions, schedule)
    except ChangebotError as exc:
        await _set_state(context, user_id, None)
        await message.reply_text(text("compose_invalid", language, reason=str(exc)))
        return
    if scheduled is None:
        return
    await _set_state(context, user_id, None)
    if when is None:
        await message.reply_text(text("story_sending", language, unit=scheduled.unit_label))
    else:
        await message.reply_text(
            text("story_scheduled", language, when=scheduled.local_time, unit=scheduled.unit_label)
        )


async def story_action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons under a story preview: send now, schedule, submit for review, discard."""
    query = update.callback_query
    if query is None or query.message is None or not isinstance(query.message, Message):
        return
    app = services(context)
    match = STORY_RE.match(query.data or "")

    def look_up(session: Session) -> tuple[Language, bool, ZoneInfo]:
        """(language, whether the story is the presser's own, their time zone)."""
        person = member(session, update)
        story = session.get(Story, int(match.group(1))) if match else None
        mine = story is not None and person is not None and story.author_id == person.id
        tz = zone(person.timezone if person else None, default=app.settings.default_timezone)
        return language_of(update, person), mine, tz

    language, mine, tz = await in_transaction(app.sessions, look_up)
    if match is None or not mine:
        await query.answer(text("stale_button", language))
        return
    user_id = query.from_user.id
    story_id, action = int(match.group(1)), match.group(2)
    await query.answer()
    await query.edit_message_reply_markup(None)  # one choice per preview
    message = query.message
    if action == "now":
        await _schedule_story(
            message, context, story_id=story_id, when=None, language=language, user_id=user_id
        )
    elif action in ("t1", "t2"):
        today = datetime.now(tz).replace(hour=9, minute=0, second=0, microsecond=0)
        when = today + timedelta(days=1) if action == "t1" else today + timedelta(days=7 - today.weekday())
        await _schedule_story(
            message, context, story_id=story_id, when=when, language=language, user_id=user_id
        )
    elif action == "sch":
        await _set_state(context, user_id, {"kind": "story", "step": "when", "id": story_id})
        example = (datetime.now(tz) + timedelta(days=1)).strftime("%Y-%m-%d 09:00")
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        text("btn_tomorrow_9", language), callback_data=f"sty:{story_id}:t1"
                    ),
                    InlineKeyboardButton(text("btn_monday_9", language), callback_data=f"sty:{story_id}:t2"),
                ]
            ]
        )
        await message.reply_text(
            text("story_when", language, tz=str(tz), example=example), reply_markup=keyboard
        )
    elif action == "sub":
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
        await _set_state(context, user_id, None)
        await message.reply_text(text("story_discarded", language))


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
            publish_story(
                session=session, story_id=story_id, knowledge_dir=app.settings.knowledge_dir, jobs=app.jobs
            )
        unit = session.get(Unit, story.unit_id) if story.unit_id else None
        targets = [
            (r.telegram_id, _language(r), _unit_label(unit, _language(r)))
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
                        text("btn_approve", reviewer_language), callback_data=f"stv:{story_id}:ok"
                    ),
                    InlineKeyboardButton(
                        text("btn_reject", reviewer_language), callback_data=f"stv:{story_id}:no"
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
    match = REVIEW_RE.match(query.data or "")

    def decide(session: Session) -> _Reviewed:
        person = member(session, update)
        language = language_of(update, person)
        if match is None or person is None:
            raise ChangebotError("stale")
        approve = match.group(2) == "ok"
        story = review_story(session=session, story_id=int(match.group(1)), reviewer=person, approve=approve)
        if approve:
            publish_story(
                session=session, story_id=story.id, knowledge_dir=app.settings.knowledge_dir, jobs=app.jobs
            )
        author = session.get(Person, story.author_id) if story.author_id else None
        return _Reviewed(
            approve=approve,
            language=language,
            author_chat=author.telegram_id if author else None,
            author_language=_language(author) if author else language,
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


# ---------------------------------------------------------------- /vision


async def vision_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a vision series (managers and admins)."""
    await _start_dialogue(
        update, context, state={"kind": "vision", "step": "variants", "variants": []}, prompt="vision_prompt"
    )


async def _vision_step(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    state: dict[str, Any],
    language: Language,
    *,
    user_id: int,
) -> None:
    if not message.text:
        await message.reply_text(text("vision_prompt", language))
        return
    if state["step"] == "variants":
        state["variants"].append(message.text)
        await _set_state(context, user_id, state)
        await message.reply_text(text("vision_variant_added", language, count=len(state["variants"])))
        return
    await _create_series(message, context, state, cron=message.text, language=language, user_id=user_id)


async def _create_series(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    state: dict[str, Any],
    *,
    cron: str,
    language: Language,
    user_id: int,
) -> None:
    app = services(context)

    def create(session: Session) -> str | None:
        """The reply announcing the new series; None when the person is no longer a member."""
        person = _actor(session, user_id)
        if person is None:
            return None
        unit = story_unit(session=session, author=person)
        zones = known_zones(session=session, default_timezone=app.settings.default_timezone)
        series, schedule = create_vision_series(
            session=session,
            title=state["variants"][0][:60],
            variants=state["variants"],
            cron=cron,
            zones=zones,
            selectors=[f"unit:{unit.name}"] if unit and not person.is_admin else ["all"],
            created_by=person,
        )
        label = unit.name if unit and not person.is_admin else text("everyone", language)
        return text(
            "vision_created",
            language,
            id=series.id,
            count=len(series.variants),
            cron=schedule.cron,
            audience=label,
            next=schedule.next_occurrence.strftime("%Y-%m-%d %H:%M"),
        )

    try:
        reply = await in_transaction(app.sessions, create)
    except ChangebotError as exc:
        await message.reply_text(text("bad_cron", language, reason=str(exc)))
        return
    if reply is None:
        return
    await _set_state(context, user_id, None)
    await message.reply_text(reply)


async def cadence_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A cadence button while setting up a vision series."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    state = await _state(context, query.from_user.id)
    match = CADENCE_RE.match(query.data or "")
    language = (await caller(context, update)).language
    if match is None or state is None or state.get("kind") != "vision" or state.get("step") != "cadence":
        await query.answer(text("stale_button", language))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _create_series(
        query.message,
        context,
        state,
        cron=CADENCES[match.group(1)],
        language=language,
        user_id=query.from_user.id,
    )


# ---------------------------------------------------------------- dialogue plumbing


async def compose_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before question answering: a message that belongs to a dialogue in progress stops here."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return

    def look_up(session: Session) -> tuple[dict[str, Any], Language] | None:
        """The dialogue this person is in and their language; None when they are in none."""
        state = get_dialogue(session=session, telegram_user_id=user.id, kind=COMPOSE)
        if state is None:
            return None
        return state, language_of(update, member(session, update))

    found = await in_transaction(services(context).sessions, look_up)
    if found is None:
        return
    state, language = found
    if state["kind"] == "story":
        await _story_step(message, context, state, language, user_id=user.id)
    else:
        await _vision_step(message, context, state, language, user_id=user.id)
    raise ApplicationHandlerStop


async def done_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/done: the wordings of a vision series are complete."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    state = await _state(context, user.id)
    language = (await caller(context, update)).language
    if state is None or state.get("kind") != "vision":
        return
    if not state["variants"]:
        await message.reply_text(text("vision_need_variant", language))
        return
    state["step"] = "cadence"
    await _set_state(context, user.id, state)
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(text("btn_weekly", language), callback_data="vis:weekly")],
            [InlineKeyboardButton(text("btn_twice_weekly", language), callback_data="vis:twice")],
            [InlineKeyboardButton(text("btn_weekdays", language), callback_data="vis:weekdays")],
        ]
    )
    await message.reply_text(text("vision_cadence", language), reply_markup=keyboard)


async def skip_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/skip: no photo for this story."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return

    def leave_photo_step(session: Session) -> tuple[int, Language] | None:
        """The story waiting for its photo, and the language; None when no story is at that step."""
        state = get_dialogue(session=session, telegram_user_id=user.id, kind=COMPOSE)
        if state is None or state.get("kind") != "story" or state.get("step") != "photo":
            return None
        clear_dialogue(session=session, telegram_user_id=user.id, kind=COMPOSE)
        return int(state["id"]), language_of(update, member(session, update))

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
        state = get_dialogue(session=session, telegram_user_id=user.id, kind=COMPOSE)
        person = member(session, update)
        language = language_of(update, person)
        draft = (
            state is not None
            and state.get("kind") == "story"
            and "id" in state
            and state.get("step") == "photo"
        )
        if person is not None and state is not None and draft:
            try:
                with session.begin_nested():
                    cancel_story(session=session, story_id=int(state["id"]), person=person)
            except ChangebotError:
                pass
        return language, bool(clear_dialogues(session=session, telegram_user_id=user.id))

    language, was_open = await in_transaction(services(context).sessions, leave)
    await message.reply_text(text("dialogue_cancelled" if was_open else "nothing_to_cancel", language))


# ---------------------------------------------------------------- /broadcasts


async def broadcasts_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What is scheduled that one may cancel (one's own, one's units'; admins all), with cancel buttons."""
    message = update.effective_message
    if message is None:
        return
    app = services(context)

    def look_up(session: Session) -> tuple[Language, bool, list[tuple[str, str, str]]]:
        """(language, whether they may broadcast, one (label, kind, id) per scheduled item)."""
        person = member(session, update)
        language = language_of(update, person)
        allowed = _may_broadcast(session, person)
        items: list[tuple[str, str, str]] = []
        if allowed and person is not None:
            tz = zone(person.timezone, default=app.settings.default_timezone)
            for broadcast in upcoming_broadcasts_for(
                session=session, principal=principal_for(session, person)
            ):
                when = broadcast.send_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                preview = broadcast.text.replace("\n", " ")[:60]
                items.append((f"#{broadcast.id} {when} [{broadcast.kind}] {preview}", "b", str(broadcast.id)))
            for series, schedule in vision_schedules(session=session, by=person):
                when = schedule.next_occurrence.strftime("%Y-%m-%d %H:%M")
                items.append(
                    (
                        f"#V{series.id} {when} ({schedule.cron}) [vision] {series.title[:50]}",
                        "v",
                        str(series.id),
                    )
                )
        return language, allowed, items

    language, allowed, items = await in_transaction(app.sessions, look_up)
    if not allowed:
        await message.reply_text(text("managers_only", language))
        return
    if not items:
        await message.reply_text(text("broadcasts_none", language))
        return
    lines = [text("broadcasts_header", language), *(label for label, _, _ in items)]
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    text("btn_cancel_item", language, id=("V" if kind == "v" else "") + ident),
                    callback_data=f"bcx:{kind}:{ident}",
                )
            ]
            for _, kind, ident in items
        ]
    )
    await message.reply_text("\n".join(lines), reply_markup=keyboard)


async def cancel_item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A cancel button from /broadcasts: only the author or an admin may use it."""
    query = update.callback_query
    if query is None:
        return
    match = CANCEL_RE.match(query.data or "")

    def cancel(session: Session) -> tuple[Language, bool]:
        person = member(session, update)
        language = language_of(update, person)
        if match is None or person is None or not _may_broadcast(session, person):
            return language, False
        try:
            with session.begin_nested():
                if match.group(1) == "b":
                    cancel_broadcast_as(
                        session=session,
                        principal=principal_for(session, person),
                        broadcast_id=int(match.group(2)),
                    )
                else:
                    stop_vision_series(session=session, series_id=int(match.group(2)), by=person)
        except ChangebotError:
            return language, False
        return language, True

    language, done = await in_transaction(services(context).sessions, cancel)
    await query.answer(text("item_cancelled" if done else "stale_button", language))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers; the dialogue step handler runs before question answering."""
    application.add_handler(CommandHandler("story", story_command))
    application.add_handler(CommandHandler("vision", vision_command))
    application.add_handler(CommandHandler("broadcasts", broadcasts_command))
    application.add_handler(CommandHandler("done", done_command))
    application.add_handler(CommandHandler("skip", skip_command))
    application.add_handler(CommandHandler("cancel", cancel_command))
    application.add_handler(CallbackQueryHandler(story_action, pattern=r"^sty:"))
    application.add_handler(CallbackQueryHandler(review_action, pattern=r"^stv:"))
    application.add_handler(CallbackQueryHandler(cadence_chosen, pattern=r"^vis:"))
    application.add_handler(CallbackQueryHandler(cancel_item, pattern=r"^bcx:"))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND, compose_message
        ),
        group=-1,
    )
