"""/help, /lang, /stop, /resume, /privacy."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.errors import ChangebotError
from bot.people.service import managed_units, set_timezone
from bot.storage.database import transaction
from bot.telegram.context import services
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import text
from ingest.text import LANGUAGES

LANG_RE = re.compile(r"^lang:(zh-Hans|zh-Hant|en)$")
LANGUAGE_LABELS = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> None:
    if update.effective_message is None:
        return
    with transaction(services(context).sessions) as session:
        language = language_of(update, member(session, update))
    await update.effective_message.reply_text(text(key, language))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show what the bot can do; managers also see their commands."""
    if update.effective_message is None:
        return
    with transaction(services(context).sessions) as session:
        person = member(session, update)
        language = language_of(update, person)
        manages = person is not None and bool(managed_units(session=session, person=person))
    reply = text("help", language) + (text("help_manager", language) if manages else "")
    await update.effective_message.reply_text(reply)


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tz shows the person's time zone; /tz NAME sets it."""
    message = update.effective_message
    if message is None:
        return
    app = services(context)
    name = " ".join(context.args or []).strip()
    with transaction(app.sessions) as session:
        person = member(session, update)
        language = language_of(update, person)
        if person is None:
            reply = text("need_code", language)
        elif not name:
            reply = text("tz_current", language, tz=person.timezone or app.settings.default_timezone)
        else:
            try:
                with session.begin_nested():
                    set_timezone(session=session, person=person, name=name)
                reply = text("tz_set", language, tz=person.timezone)
            except ChangebotError:
                reply = text("tz_bad", language)
    await message.reply_text(reply)


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what is stored and why."""
    await _reply(update, context, "privacy")


async def lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the three languages as buttons."""
    if update.effective_message is None:
        return
    with transaction(services(context).sessions) as session:
        language = language_of(update, member(session, update))
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(LANGUAGE_LABELS[code], callback_data=f"lang:{code}") for code in LANGUAGES]]
    )
    await update.effective_message.reply_text(text("lang_prompt", language), reply_markup=keyboard)


async def lang_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the chosen language."""
    query = update.callback_query
    if query is None:
        return
    match = LANG_RE.match(query.data or "")
    with transaction(services(context).sessions) as session:
        person = member(session, update)
        if match is not None and person is not None:
            person.language = match.group(1)
        language = language_of(update, person)
        accepted = match is not None and person is not None
    if not accepted:
        await query.answer(text("stale_button", language))
        return
    await query.answer()
    await query.edit_message_text(text("lang_set", language))


async def _set_pushes(update: Update, context: ContextTypes.DEFAULT_TYPE, *, enabled: bool) -> None:
    if update.effective_message is None:
        return
    with transaction(services(context).sessions) as session:
        person = member(session, update)
        language = language_of(update, person)
        if person is not None:
            person.pushes_enabled = enabled
        reply = text("need_code" if person is None else "resumed" if enabled else "stopped", language)
    await update.effective_message.reply_text(reply)


async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pause pushed messages (broadcasts, surveys)."""
    await _set_pushes(update, context, enabled=False)


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Resume pushed messages."""
    await _set_pushes(update, context, enabled=True)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("privacy", privacy))
    application.add_handler(CommandHandler("lang", lang))
    application.add_handler(CallbackQueryHandler(lang_chosen, pattern=r"^lang:"))
    application.add_handler(CommandHandler("stop", stop))
    application.add_handler(CommandHandler("resume", resume))
    application.add_handler(CommandHandler("tz", timezone))
