"""Reactions to broadcasts: the clap and the must-read acknowledgement."""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.broadcasts.service import react_to_delivery
from bot.errors import ChangebotError
from bot.storage.database import in_transaction
from bot.telegram.callbacks import BroadcastReaction, Reaction, pattern_for
from bot.telegram.context import services
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import text
from ingest.text import Language


async def reaction(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record a clap or an acknowledgement on one's own copy; anything else is stale."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    pressed = BroadcastReaction.from_data(query.data)

    def react(session: Session) -> tuple[Language, bool]:
        person = member(session, update)
        language = language_of(update, person)
        if pressed is None or person is None:
            return language, False
        try:
            with session.begin_nested():
                react_to_delivery(
                    session=session,
                    delivery_id=pressed.delivery_id,
                    person_id=person.id,
                    kind="acknowledge" if pressed.reaction is Reaction.ACKNOWLEDGE else "clap",
                )
        except ChangebotError:
            return language, False
        return language, True

    language, accepted = await in_transaction(services(context).sessions, react)
    await query.answer(text("thanks" if accepted else "stale_button", language))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CallbackQueryHandler(reaction, pattern=pattern_for(BroadcastReaction)))
