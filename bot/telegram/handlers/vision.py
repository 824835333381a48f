"""/vision in chat: a rotating series of wordings on a cadence. The wordings are typed one by one;
/done (dialogues.py) asks for the cadence, with the preset buttons built here or typed in short
("周一 周四 09:00 每2周", read by ``bot.scheduling.cadence.parse_cadence``). Before anything is saved
the bot shows the cadence in words and its next five sends on the person's own clock, with buttons
to set it up or pick again; a cadence typed at that point replaces the one shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.broadcasts.recurring import create_vision_series
from bot.broadcasts.senders import delivery_warning
from bot.broadcasts.stories import story_unit
from bot.errors import ChangebotError
from bot.people.service import known_zones
from bot.scheduling.cadence import Cadence, CadenceParseError, anchored, next_send_times, parse_cadence
from bot.scheduling.clock import zone
from bot.scheduling.wording import describe_cadence, local_time_text
from bot.storage.base import utc_now
from bot.storage.database import in_transaction
from bot.telegram.callbacks import CadencePreset, VisionCadence, VisionConfirm, parse, pattern_for
from bot.telegram.context import services
from bot.telegram.dialogue_states import COMPOSE, VisionDraft, VisionStep
from bot.telegram.handlers.common import caller
from bot.telegram.handlers.compose import _actor, _start_dialogue, _warned
from bot.telegram.texts import text
from ingest.text import Language

PRESETS: dict[CadencePreset, Cadence] = {
    CadencePreset.WEEKLY: Cadence(weekdays=(0,), at=time(9)),
    CadencePreset.TWICE_WEEKLY: Cadence(weekdays=(0, 3), at=time(9)),
    CadencePreset.WEEKDAYS: Cadence(weekdays=(0, 1, 2, 3, 4), at=time(9)),
    CadencePreset.EVERY_OTHER_WEEK: Cadence(weekdays=(0,), at=time(9), every_weeks=2),
}
_PRESET_LABELS: tuple[tuple[CadencePreset, str], ...] = (
    (CadencePreset.WEEKLY, "btn_weekly"),
    (CadencePreset.TWICE_WEEKLY, "btn_twice_weekly"),
    (CadencePreset.WEEKDAYS, "btn_weekdays"),
    (CadencePreset.EVERY_OTHER_WEEK, "btn_every_other_week"),
)

# Every database step below is a small function run by ``in_transaction`` on a worker thread; it
# returns plain values (texts, ids, labels), never an ORM object for the coroutine to read later.


async def vision_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a vision series (managers and admins)."""
    await _start_dialogue(update, context, draft=VisionDraft(VisionStep.VARIANTS), prompt="vision_prompt")


def cadence_problem_text(error: CadenceParseError, language: Language) -> str:
    """What is wrong with a typed cadence, in the person's words, with examples that work."""
    problem = text(f"cadence_{error.problem.value}", language, fragment=error.fragment)
    return text("bad_cadence", language, problem=problem)


def preview_text(
    cadence: Cadence, *, reader: ZoneInfo, zones: Sequence[ZoneInfo], now: datetime, language: Language
) -> str:
    """The cadence in words and its next five sends on the reader's clock, before it is saved."""
    times = next_send_times(cadence, zone=reader, now=now, zones=zones)
    lines = "\n".join(
        f"• {local_time_text(moment, zone=reader, language=language, show_zone=True)}" for moment in times
    )
    return text(
        "vision_preview", language, cadence=describe_cadence(cadence, language), zone=reader.key, times=lines
    )


async def _vision_step(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    draft: VisionDraft,
    language: Language,
    *,
    user_id: int,
) -> None:
    """A message while setting up a vision series: one more wording, or (after /done) a typed cadence."""
    if not message.text:
        await message.reply_text(text("vision_prompt", language))
        return
    if draft.step is VisionStep.VARIANTS:
        draft = replace(draft, variants=(*draft.variants, message.text))
        await COMPOSE.save(context, user_id, draft)
        await message.reply_text(text("vision_variant_added", language, count=len(draft.variants)))
        return
    try:
        cadence = parse_cadence(message.text)
    except CadenceParseError as exc:
        await message.reply_text(cadence_problem_text(exc, language))
        return
    await _show_preview(message, context, draft, cadence, language=language, user_id=user_id)


async def _show_preview(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    draft: VisionDraft,
    cadence: Cadence,
    *,
    language: Language,
    user_id: int,
) -> None:
    """Show ``cadence`` and its next five sends, and keep it (anchored) for the save button."""
    app = services(context)

    def clocks(session: Session) -> tuple[ZoneInfo, list[ZoneInfo]] | None:
        """(the person's time zone, every zone a series waits on); None when no longer a member."""
        person = _actor(session, user_id)
        if person is None:
            return None
        default = app.settings.default_timezone
        return zone(person.timezone, default=default), known_zones(session=session, default_timezone=default)

    found = await in_transaction(app.sessions, clocks)
    if found is None:
        return
    reader, zones = found
    now = utc_now()
    shown = anchored(cadence, now=now, zones=(reader, *zones))
    await COMPOSE.save(context, user_id, replace(draft, step=VisionStep.CONFIRM, cadence=shown))
    await message.reply_text(
        preview_text(shown, reader=reader, zones=zones, now=now, language=language),
        reply_markup=confirm_keyboard(language),
    )


async def _create_series(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    variants: Sequence[str],
    *,
    cadence: Cadence,
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
            title=variants[0][:60],
            variants=variants,
            cadence=cadence,
            zones=zones,
            selectors=[f"unit:{unit.name}"] if unit and not person.is_admin else ["all"],
            created_by=person,
        )
        reader = zone(person.timezone, default=app.settings.default_timezone)
        label = unit.name if unit and not person.is_admin else text("everyone", language)
        created = text(
            "vision_created",
            language,
            id=series.id,
            count=len(series.variants),
            cadence=describe_cadence(cadence, language),
            audience=label,
            next=local_time_text(schedule.next_occurrence, zone=reader, language=language, show_zone=True),
        )
        warning = delivery_warning(session=session, now=utc_now(), send_at=schedule.next_run_at)
        return _warned(created, warning, language)

    try:
        reply = await in_transaction(app.sessions, create)
    except ChangebotError as exc:
        await message.reply_text(text("bad_cron", language, reason=str(exc)))
        return
    if reply is None:
        return
    await COMPOSE.save(context, user_id, None)
    await message.reply_text(reply)


async def cadence_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button while setting up a vision series: a preset cadence, or set up / change the one shown."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    message, user_id = query.message, query.from_user.id
    draft = await COMPOSE.load(context, user_id)
    pressed = parse(query.data)
    language = (await caller(context, update)).language
    if not isinstance(draft, VisionDraft) or draft.step is VisionStep.VARIANTS:
        pressed = None
    elif isinstance(pressed, VisionConfirm) and (
        draft.step is not VisionStep.CONFIRM or draft.cadence is None
    ):
        pressed = None  # a preview's button after the cadence was picked again
    if not isinstance(draft, VisionDraft) or not isinstance(pressed, VisionCadence | VisionConfirm):
        await query.answer(text("stale_button", language))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if isinstance(pressed, VisionCadence):
        await _show_preview(
            message, context, draft, PRESETS[pressed.cadence], language=language, user_id=user_id
        )
    elif pressed.save and draft.cadence is not None:
        await _create_series(
            message, context, draft.variants, cadence=draft.cadence, language=language, user_id=user_id
        )
    else:
        await COMPOSE.save(context, user_id, replace(draft, step=VisionStep.CADENCE, cadence=None))
        await message.reply_text(text("vision_cadence", language), reply_markup=cadence_keyboard(language))


def cadence_keyboard(language: Language) -> InlineKeyboardMarkup:
    """The preset cadence buttons /done offers; ``cadence_chosen`` reads what they carry."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(text(label, language), callback_data=VisionCadence(preset).data)]
            for preset, label in _PRESET_LABELS
        ]
    )


def confirm_keyboard(language: Language) -> InlineKeyboardMarkup:
    """Under a cadence's preview: set the series up, or pick the cadence again."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    text("btn_vision_save", language), callback_data=VisionConfirm(save=True).data
                ),
                InlineKeyboardButton(
                    text("btn_vision_change", language), callback_data=VisionConfirm(save=False).data
                ),
            ]
        ]
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CommandHandler("vision", vision_command))
    application.add_handler(
        CallbackQueryHandler(cadence_chosen, pattern=pattern_for(VisionCadence, VisionConfirm))
    )
