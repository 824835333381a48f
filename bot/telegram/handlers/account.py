"""/help, /lang, /stop, /resume, /privacy."""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.errors import ChangebotError
from bot.people.service import managed_units, set_timezone
from bot.storage.database import in_transaction
from bot.telegram.callbacks import LanguageChoice, pattern_for
from bot.telegram.context import services
from bot.telegram.handlers.common import caller, language_of, member
from bot.telegram.texts import text
from ingest.text import LANGUAGES, Language

LANGUAGE_LABELS = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English"}


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> None:
    if update.effective_message is None:
        return
    language = (await caller(context, update)).language
    await update.effective_message.reply_text(text(key, language))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show what the bot can do; managers also see their commands."""
    if update.effective_message is None:
        return

    def look_up(session: Session) -> tuple[Language, bool]:
        person = member(session, update)
        manages = person is not None and bool(managed_units(session=session, person=person))
        return language_of(update, person), manages

    language, manages = await in_transaction(services(context).sessions, look_up)
    reply = text("help", language) + (text("help_manager", language) if manages else "")
    await update.effective_message.reply_text(reply)


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tz shows the person's time zone; /tz NAME sets it."""
    message = update.effective_message
    if message is None:
        return
    app = services(context)
    name = " ".join(context.args or []).strip()

    def change(session: Session) -> str:
        person = member(session, update)
        language = language_of(update, person)
        if person is None:
            return text("need_code", language)
        if not name:
            return text("tz_current", language, tz=person.timezone or app.settings.default_timezone)
        try:
            with session.begin_nested():
                set_timezone(session=session, person=person, name=name)
        except ChangebotError:
            return text("tz_bad", language)
        return text("tz_set", language, tz=person.timezone)

    await message.reply_text(await in_transaction(app.sessions, change))


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what is stored and why."""
    await _reply(update, context, "privacy")


async def lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the three languages as buttons."""
    if update.effective_message is None:
        return
    language = (await caller(context, update)).language
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(LANGUAGE_LABELS[code], callback_data=LanguageChoice(code).data)
                for code in LANGUAGES
            ]
        ]
    )
    await update.effective_message.reply_text(text("lang_prompt", language), reply_markup=keyboard)


async def lang_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the chosen language."""
    query = update.callback_query
    if query is None:
        return
    chosen = LanguageChoice.from_data(query.data)

    def choose(session: Session) -> tuple[Language, bool]:
        person = member(session, update)
        if chosen is not None and person is not None:
            person.language = chosen.language
        return language_of(update, person), chosen is not None and person is not None

    language, accepted = await in_transaction(services(context).sessions, choose)
    if not accepted:
        await query.answer(text("stale_button", language))
        return
    await query.answer()
    await query.edit_message_text(text("lang_set", language))


async def _set_pushes(update: Update, context: ContextTypes.DEFAULT_TYPE, *, enabled: bool) -> None:
    if update.effective_message is None:
        return

    def switch(session: Session) -> str:
        person = member(session, update)
        if person is not None:
            person.pushes_enabled = enabled
        return text(
            "need_code" if person is None else "resumed" if enabled else "stopped",
            language_of(update, person),
        )

    await update.effective_message.reply_text(await in_transaction(services(context).sessions, switch))


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
    application.add_handler(CallbackQueryHandler(lang_chosen, pattern=pattern_for(LanguageChoice)))
    application.add_handler(CommandHandler("stop", stop))
    application.add_handler(CommandHandler("resume", resume))
    application.add_handler(CommandHandler("tz", timezone))
