"""/start with an invite code (typed or from a t.me deep link), and managers' /invite."""

from __future__ import annotations

import logging
from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.errors import ChangebotError
from bot.people.models import Role
from bot.people.service import create_invite, home_unit, invite_link, managed_units, redeem_invite
from bot.storage.database import transaction
from bot.telegram.context import services
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import language_from_telegram, text

logger = logging.getLogger(__name__)

INVITE_USES = 20
INVITE_DAYS = 14
_REASONS = {
    "unknown invite code": {
        "zh-Hans": "找不到这个邀请码",
        "zh-Hant": "找不到這個邀請碼",
        "en": "unknown code",
    },
    "this invite code has expired": {
        "zh-Hans": "邀请码已过期",
        "zh-Hant": "邀請碼已過期",
        "en": "it has expired",
    },
    "this invite code has been used up": {
        "zh-Hans": "邀请码已用完",
        "zh-Hant": "邀請碼已用完",
        "en": "it has been used up",
    },
}


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Join a unit with the invite code given after /start; without one, explain how to get one."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    app = services(context)
    code = " ".join(context.args or []).strip()
    with transaction(app.sessions) as session:
        known = member(session, update)
        language = language_of(update, known)
        if not code:
            if known is not None:
                unit = home_unit(known)
                await message.reply_text(text("already_member", language, unit=unit.name if unit else "—"))
            else:
                await message.reply_text(text("need_code", language))
            return
        try:
            joined = redeem_invite(
                session=session,
                code=code,
                telegram_id=user.id,
                name=user.full_name,
                language=language if known else language_from_telegram(user.language_code),
            )
        except ChangebotError as exc:
            reason = _REASONS.get(str(exc), {}).get(language, str(exc))
            await message.reply_text(text("bad_code", language, reason=reason))
            return
        key = "already_member" if joined.already_member else "joined"
        language = language_of(update, joined.person)
        logger.info("person %s joined unit %s as %s", joined.person.id, joined.unit.id, joined.role.value)
        await message.reply_text(text(key, language, unit=joined.unit.name))


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Managers: create an invite code for one of their units (/invite staff|manager [unit])."""
    message = update.effective_message
    if message is None:
        return
    app = services(context)
    with transaction(app.sessions) as session:
        person = member(session, update)
        language = language_of(update, person)
        if person is None:
            await message.reply_text(text("need_code", language))
            return
        units = managed_units(session=session, person=person)
        if not units:
            await message.reply_text(text("managers_only", language))
            return
        args = context.args or []
        if not args or args[0].lower() not in {"staff", "manager"}:
            await message.reply_text(text("invite_usage", language))
            return
        role = Role(args[0].lower())
        home = home_unit(person)
        unit_name = " ".join(args[1:]).strip() or (home.name if home else units[0].name)
        try:
            created = create_invite(
                session=session,
                unit_name=unit_name,
                role=role,
                uses=INVITE_USES,
                expires_days=INVITE_DAYS,
                created_by=person,
            )
        except ChangebotError as exc:
            await message.reply_text(escape(str(exc)))
            return
        link = invite_link(code=created.code, bot_username=context.bot.username) or ""
        await message.reply_text(
            text(
                "invite_created",
                language,
                unit=escape(created.unit.name),
                role=role.value,
                code=f"<code>{created.code}</code>",
                uses=INVITE_USES,
                days=INVITE_DAYS,
                link=escape(link),
            ),
            parse_mode=ParseMode.HTML,
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("invite", invite))
