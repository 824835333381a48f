"""Reactions to broadcasts: the clap and the must-read "I've read it"."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session
from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.broadcasts.service import Reacted, ReactionKind, react_to_delivery
from bot.errors import ChangebotError
from bot.storage.database import in_transaction
from bot.telegram.broadcast_sender import broadcast_keyboard
from bot.telegram.callbacks import BroadcastReaction, Reaction, pattern_for
from bot.telegram.context import services
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import text
from ingest.text import Language

logger = logging.getLogger(__name__)


async def reaction(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record a clap or a read on one's own copy and redraw its buttons; anything else is stale."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    pressed = BroadcastReaction.from_data(query.data)
    read = pressed is not None and pressed.reaction is Reaction.ACKNOWLEDGE

    def react(session: Session) -> tuple[Language, Reacted | None]:
        person = member(session, update)
        language = language_of(update, person)
        if pressed is None or person is None:
            return language, None
        try:
            with session.begin_nested():
                reacted = react_to_delivery(
                    session=session,
                    delivery_id=pressed.delivery_id,
                    person_id=person.id,
                    kind=ReactionKind.ACKNOWLEDGE if read else ReactionKind.CLAP,
                )
        except ChangebotError:
            return language, None
        return language, reacted

    language, reacted = await in_transaction(services(context).sessions, react)
    if reacted is None:
        await query.answer(text("stale_button", language))
        return
    await query.answer(text("read_thanks" if read else "clapped", language))  # a read is not feedback
    if not isinstance(query.message, Message):  # too old for Telegram to hand back: nothing to redraw
        return
    keyboard = broadcast_keyboard(
        reacted.delivery_id, must_read=reacted.must_read, button=reacted.button, actions=reacted.actions,
        kind=reacted.kind, language=reacted.language, claps=reacted.claps, read=reacted.read,
    )  # fmt: skip
    try:  # the clap count and the read mark on the presser's own copy
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except BadRequest as exc:  # "message is not modified" (pressed again), or gone from the chat
        logger.debug("copy %s not redrawn: %s", reacted.delivery_id, exc)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CallbackQueryHandler(reaction, pattern=pattern_for(BroadcastReaction)))
