"""/broadcasts in chat: what is scheduled that a manager may cancel (their own, their units'; admins
all), with a cancel button for each."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.access.service import cancel_broadcast_as, principal_for, upcoming_broadcasts_for
from bot.broadcasts.recurring import stop_vision_series, vision_schedules
from bot.broadcasts.senders import DeliveryWarning, delivery_warning
from bot.errors import ChangebotError
from bot.scheduling.cadence import rule_of
from bot.scheduling.clock import zone
from bot.scheduling.wording import describe_rule
from bot.storage.base import utc_now
from bot.storage.database import in_transaction
from bot.telegram.callbacks import CancelBroadcast, CancelVisionSeries, parse, pattern_for
from bot.telegram.context import services
from bot.telegram.handlers.common import language_of, member
from bot.telegram.handlers.compose import _may_broadcast, _warned
from bot.telegram.texts import text
from ingest.text import Language


class _Item(NamedTuple):
    """One scheduled thing one may cancel."""

    line: str  # in the list
    shown_id: str  # on its cancel button: "12" for a broadcast, "V3" for a vision series
    cancel: CancelBroadcast | CancelVisionSeries


# Every database step below is a small function run by ``in_transaction`` on a worker thread; it
# returns plain values (texts, ids, labels), never an ORM object for the coroutine to read later.


async def broadcasts_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What is scheduled that one may cancel (one's own, one's units'; admins all), with cancel buttons."""
    message = update.effective_message
    if message is None:
        return
    app = services(context)

    def look_up(session: Session) -> tuple[Language, bool, list[_Item], DeliveryWarning | None]:
        """(language, whether they may broadcast, the scheduled items, what to add while no sender runs)."""
        person = member(session, update)
        language = language_of(update, person)
        allowed = _may_broadcast(session, person)
        items: list[_Item] = []
        due: list[datetime] = []  # when each item goes out
        if allowed and person is not None:
            tz = zone(person.timezone, default=app.settings.default_timezone)
            for broadcast in upcoming_broadcasts_for(
                session=session, principal=principal_for(session, person)
            ):
                due.append(broadcast.send_at)
                when = broadcast.send_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                preview = broadcast.text.replace("\n", " ")[:60]
                items.append(
                    _Item(
                        f"#{broadcast.id} {when} [{broadcast.kind}] {preview}",
                        str(broadcast.id),
                        CancelBroadcast(broadcast.id),
                    )
                )
            for series, schedule in vision_schedules(session=session, by=person):
                due.append(schedule.next_run_at)
                when = schedule.next_occurrence.strftime("%Y-%m-%d %H:%M")
                items.append(
                    _Item(
                        f"#V{series.id} {when} ({describe_rule(rule_of(schedule), language)}) [vision] "
                        f"{series.title[:50]}",
                        f"V{series.id}",
                        CancelVisionSeries(series.id),
                    )
                )
        warning = delivery_warning(session=session, now=utc_now(), send_at=min(due)) if due else None
        return language, allowed, items, warning

    language, allowed, items, warning = await in_transaction(app.sessions, look_up)
    if not allowed:
        await message.reply_text(text("managers_only", language))
        return
    if not items:
        await message.reply_text(text("broadcasts_none", language))
        return
    lines = [text("broadcasts_header", language), *(item.line for item in items)]
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    text("btn_cancel_item", language, id=item.shown_id), callback_data=item.cancel.data
                )
            ]
            for item in items
        ]
    )
    await message.reply_text(_warned("\n".join(lines), warning, language), reply_markup=keyboard)


async def cancel_item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A cancel button from /broadcasts: only the author or an admin may use it."""
    query = update.callback_query
    if query is None:
        return
    found = parse(query.data)
    pressed = found if isinstance(found, CancelBroadcast | CancelVisionSeries) else None

    def cancel(session: Session) -> tuple[Language, bool]:
        person = member(session, update)
        language = language_of(update, person)
        if pressed is None or person is None or not _may_broadcast(session, person):
            return language, False
        try:
            with session.begin_nested():
                if isinstance(pressed, CancelBroadcast):
                    cancel_broadcast_as(
                        session=session,
                        principal=principal_for(session, person),
                        broadcast_id=pressed.broadcast_id,
                    )
                else:
                    stop_vision_series(session=session, series_id=pressed.series_id, by=person)
        except ChangebotError:
            return language, False
        return language, True

    language, done = await in_transaction(services(context).sessions, cancel)
    await query.answer(text("item_cancelled" if done else "stale_button", language))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CommandHandler("broadcasts", broadcasts_command))
    application.add_handler(
        CallbackQueryHandler(cancel_item, pattern=pattern_for(CancelBroadcast, CancelVisionSeries))
    )
