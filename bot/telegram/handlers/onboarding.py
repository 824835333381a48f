"""/start with an invite code (typed or from a t.me deep link), and managers' /invite."""

from __future__ import annotations

import logging
from html import escape

from sqlalchemy.orm import Session
from telegram import Update, User
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.errors import ChangebotError
from bot.people.models import Role
from bot.people.service import (
    InviteRejectedError,
    create_invite,
    default_invite_terms,
    home_unit,
    invite_link,
    managed_units,
    redeem_invite_from,
)
from bot.storage.database import in_transaction
from bot.telegram.context import services
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import language_from_telegram, text
from bot.wording import say

logger = logging.getLogger(__name__)

_REASONS = {
    "unknown": {
        "zh-Hans": "找不到这个邀请码",
        "zh-Hant": "找不到這個邀請碼",
        "en": "unknown code",
    },
    "expired": {
        "zh-Hans": "邀请码已过期",
        "zh-Hant": "邀請碼已過期",
        "en": "it has expired",
    },
    "used_up": {
        "zh-Hans": "邀请码已用完",
        "zh-Hant": "邀請碼已用完",
        "en": "it has been used up",
    },
    "too_many": {
        "zh-Hans": "输错的次数太多了，请一分钟后再试",
        "zh-Hant": "輸錯的次數太多了，請一分鐘後再試",
        "en": "too many wrong codes; try again in a minute",
    },
}


# Handlers never hold a database transaction across an await: a reply to Telegram can take
# seconds, and a transaction left open meanwhile blocks every other writer.


def _start_reply(session: Session, update: Update, user: User, code: str) -> str:
    known = member(session, update)
    language = language_of(update, known)
    if not code:
        if known is None:
            return text("need_code", language)
        unit = home_unit(known)
        if unit is None:  # an admin of the change team, in no unit: not "you're already in —"
            return text("admin_home" if known.is_admin else "need_code", language)
        return text("already_member", language, unit=unit.name)
    try:
        joined = redeem_invite_from(
            session=session,
            tried_from=f"telegram:{user.id}",
            code=code,
            telegram_id=user.id,
            name=user.full_name,
            language=language if known else language_from_telegram(user.language_code),
        )
    except InviteRejectedError as exc:
        return text("bad_code", language, reason=say(_REASONS[exc.reason], language))
    logger.info("person %s joined unit %s as %s", joined.person.id, joined.unit.id, joined.role.value)
    key = "already_member" if joined.already_member else "joined"
    reply_language = language_of(update, joined.person)
    reply = text(key, reply_language, unit=joined.unit.name)
    if joined.role is Role.MANAGER and not joined.already_member:
        what = say({"zh-Hans": "店长", "zh-Hant": "店長", "en": "a manager"}, reply_language)
        reply += text("manager_welcome", reply_language, what=what)
    return reply


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Join a unit with the invite code given after /start; without one, explain how to get one."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    code = " ".join(context.args or []).strip()
    reply = await in_transaction(
        services(context).sessions, lambda session: _start_reply(session, update, user, code)
    )
    await message.reply_text(reply)


def _invite_reply(session: Session, update: Update, args: list[str], bot_username: str | None) -> str:
    person = member(session, update)
    language = language_of(update, person)
    if person is None:
        return text("need_code", language)
    units = managed_units(session=session, person=person)
    if not units:
        return text("managers_only", language)
    if not args or args[0].lower() not in {"staff", "manager"}:
        return text("invite_usage", language)
    role = Role(args[0].lower())
    terms = default_invite_terms(role)
    home = home_unit(person)
    unit_name = " ".join(args[1:]).strip() or (home.name if home else units[0].name)
    try:
        created = create_invite(
            session=session,
            unit_name=unit_name,
            role=role,
            uses=terms.uses,
            expires_days=terms.days,
            created_by=person,
        )
    except ChangebotError as exc:
        return escape(str(exc))
    return text(
        "invite_created",
        language,
        unit=escape(created.unit.name),
        role=role.value,
        code=f"<code>{created.code}</code>",
        uses=terms.uses,
        days=f"{terms.days:g}",
        link=escape(invite_link(code=created.code, bot_username=bot_username) or ""),
    )


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Managers: create an invite code for one of their units (/invite staff|manager [unit])."""
    message = update.effective_message
    if message is None:
        return
    args, username = list(context.args or []), context.bot.username
    reply = await in_transaction(
        services(context).sessions, lambda session: _invite_reply(session, update, args, username)
    )
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("invite", invite))
