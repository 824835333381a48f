"""/vision in chat: a rotating series of wordings on a cadence. The wordings are typed one by one,
/done (dialogues.py) asks for the cadence with the buttons built here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.broadcasts.recurring import create_vision_series
from bot.broadcasts.senders import delivery_warning
from bot.broadcasts.stories import story_unit
from bot.errors import ChangebotError
from bot.people.service import known_zones
from bot.storage.base import utc_now
from bot.storage.database import in_transaction
from bot.telegram.callbacks import Cadence, VisionCadence, pattern_for
from bot.telegram.context import services
from bot.telegram.dialogue_states import COMPOSE, VisionDraft, VisionStep
from bot.telegram.handlers.common import caller
from bot.telegram.handlers.compose import _actor, _start_dialogue, _warned
from bot.telegram.texts import text
from ingest.text import Language

CRON_OF: dict[Cadence, str] = {
    Cadence.WEEKLY: "0 9 * * mon",
    Cadence.TWICE_WEEKLY: "0 9 * * mon,thu",
    Cadence.WEEKDAYS: "0 9 * * mon-fri",
}

# Every database step below is a small function run by ``in_transaction`` on a worker thread; it
# returns plain values (texts, ids, labels), never an ORM object for the coroutine to read later.


async def vision_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a vision series (managers and admins)."""
    await _start_dialogue(update, context, draft=VisionDraft(VisionStep.VARIANTS), prompt="vision_prompt")


async def _vision_step(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    draft: VisionDraft,
    language: Language,
    *,
    user_id: int,
) -> None:
    """A message while setting up a vision series: one more wording, or (after /done) a cron line."""
    if not message.text:
        await message.reply_text(text("vision_prompt", language))
        return
    if draft.step is VisionStep.VARIANTS:
        draft = replace(draft, variants=(*draft.variants, message.text))
        await COMPOSE.save(context, user_id, draft)
        await message.reply_text(text("vision_variant_added", language, count=len(draft.variants)))
        return
    await _create_series(
        message, context, draft.variants, cron=message.text, language=language, user_id=user_id
    )


async def _create_series(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    variants: Sequence[str],
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
            title=variants[0][:60],
            variants=variants,
            cron=cron,
            zones=zones,
            selectors=[f"unit:{unit.name}"] if unit and not person.is_admin else ["all"],
            created_by=person,
        )
        label = unit.name if unit and not person.is_admin else text("everyone", language)
        created = text(
            "vision_created",
            language,
            id=series.id,
            count=len(series.variants),
            cron=schedule.cron,
            audience=label,
            next=schedule.next_occurrence.strftime("%Y-%m-%d %H:%M"),
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
    """A cadence button while setting up a vision series."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    draft = await COMPOSE.load(context, query.from_user.id)
    pressed = VisionCadence.from_data(query.data)
    language = (await caller(context, update)).language
    if pressed is None or not isinstance(draft, VisionDraft) or draft.step is not VisionStep.CADENCE:
        await query.answer(text("stale_button", language))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _create_series(
        query.message,
        context,
        draft.variants,
        cron=CRON_OF[pressed.cadence],
        language=language,
        user_id=query.from_user.id,
    )


def cadence_keyboard(language: Language) -> InlineKeyboardMarkup:
    """The cadence buttons /done offers; ``cadence_chosen`` reads what they carry."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(text(label, language), callback_data=VisionCadence(cadence).data)]
            for cadence, label in (
                (Cadence.WEEKLY, "btn_weekly"),
                (Cadence.TWICE_WEEKLY, "btn_twice_weekly"),
                (Cadence.WEEKDAYS, "btn_weekdays"),
            )
        ]
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CommandHandler("vision", vision_command))
    application.add_handler(CallbackQueryHandler(cadence_chosen, pattern=pattern_for(VisionCadence)))
