"""The one error handler: log with the traceback, answer the person politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.people.service import mark_blocked
from bot.storage.database import in_transaction
from bot.telegram.context import services
from bot.telegram.handlers.common import language_of
from bot.telegram.texts import text

logger = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the exception (never the token) and apologise to the person, if there is one."""
    if (
        isinstance(context.error, Forbidden)
        and isinstance(update, Update)
        and update.effective_user is not None
    ):
        # They blocked the bot: stop writing to them until they come back with /start.
        blocked = update.effective_user.id
        await in_transaction(
            services(context).sessions, lambda session: mark_blocked(session=session, telegram_id=blocked)
        )
        logger.info("a person blocked the bot; marked inactive")
        return
    logger.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(text("error", language_of(update, None)))
        except TelegramError:
            logger.warning("could not send the apology either", exc_info=True)


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any callback data no handler claimed is forged or from an old version: say so, change nothing."""
    if update.callback_query is not None:
        await update.callback_query.answer(text("stale_button", language_of(update, None)))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add the error handler and the catch-all for unclaimed buttons (registered last)."""
    # Same group as the real button handlers, added after them: it runs only when none matched.
    # (In a group of its own it would answer every press a second time.)
    application.add_handler(CallbackQueryHandler(unknown_button))
    application.add_error_handler(on_error)
