"""Reactions to broadcasts: the clap and the must-read acknowledgement."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.broadcasts.service import react_to_delivery
from bot.errors import ChangebotError
from bot.storage.database import transaction
from bot.telegram.context import services
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import text

BROADCAST_RE = re.compile(r"^bc:(\d{1,12}):(c|a)$")


async def reaction(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record a clap or an acknowledgement on one's own copy; anything else is stale."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    match = BROADCAST_RE.match(query.data or "")
    accepted = False
    with transaction(services(context).sessions) as session:
        person = member(session, update)
        language = language_of(update, person)
        if match is not None and person is not None:
            try:
                with session.begin_nested():
                    react_to_delivery(
                        session=session,
                        delivery_id=int(match.group(1)),
                        person_id=person.id,
                        kind="acknowledge" if match.group(2) == "a" else "clap",
                    )
                accepted = True
            except ChangebotError:
                accepted = False
    await query.answer(text("thanks" if accepted else "stale_button", language))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CallbackQueryHandler(reaction, pattern=r"^bc:"))
