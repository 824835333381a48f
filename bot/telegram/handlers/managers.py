"""Managers in chat: /usage (report last week's usage), /review (the pack now), /action (note or close
an action), /mute (no alerts about a unit for a week), /web (a sign-in link to the console)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.access.service import create_sign_in_link
from bot.errors import ChangebotError
from bot.people.models import Role, Unit
from bot.people.service import get_unit, managed_units
from bot.rollout.alerts import mute_unit
from bot.rollout.figures import last_complete_week, report_usage
from bot.rollout.review import add_action, complete_action, review_pack
from bot.rollout.service import latest_resistance
from bot.runtime import light_rules, survey_rules
from bot.storage.base import utc_now
from bot.storage.database import in_transaction
from bot.telegram.context import services
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import text


def _own_unit(units: list[Unit], name: str | None) -> Unit | None:
    """The unit named, among the person's own; with no name, their only directly managed one."""
    if name:
        return next((unit for unit in units if unit.name == name), None)
    return units[0] if len(units) == 1 else None


async def usage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/usage 72 [unit]: last week's usage rate for the manager's unit."""
    message = update.effective_message
    if message is None:
        return
    args = list(context.args or [])

    def compose_reply(session: Session) -> str:
        person = member(session, update)
        language = language_of(update, person)
        if person is None or not managed_units(session=session, person=person):
            return text("managers_only", language)
        elif not args:
            return text("usage_usage", language)
        else:
            direct = [m.unit for m in person.memberships if m.role == Role.MANAGER.value]
            unit = _own_unit(direct, " ".join(args[1:]).strip() or None)
            if unit is None and person.is_admin and len(args) > 1:
                try:
                    unit = get_unit(session=session, name=" ".join(args[1:]))
                except ChangebotError:
                    unit = None
            if unit is None:
                return text("usage_usage", language)
            else:
                try:
                    with session.begin_nested():
                        row = report_usage(session=session, unit=unit, reporter=person, rate=args[0])
                    return text(
                        "usage_saved",
                        language,
                        unit=unit.name,
                        week=row.week.isoformat(),
                        rate=f"{row.usage_rate:.0%}",
                    )
                except (ValueError, ChangebotError) as exc:
                    return text("usage_bad", language, reason=str(exc))

    reply = await in_transaction(services(context).sessions, compose_reply)
    await message.reply_text(reply)


async def review(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/review: the manager's pack for last week, now."""
    message = update.effective_message
    if message is None:
        return
    app = services(context)

    def compose_reply(session: Session) -> str:
        person = member(session, update)
        language = language_of(update, person)
        if person is None or not managed_units(session=session, person=person):
            return text("managers_only", language)
        else:
            return review_pack(
                session=session,
                manager=person,
                week=last_complete_week(),
                resistance=latest_resistance(
                    session=session, surveys=app.surveys, rules=survey_rules(app.settings)
                ),
                vision_target=app.settings.vision_target_exposures,
                light_rules=light_rules(app.settings),
                console_url=f"{app.settings.base_url}/console",
            ).text

    reply = await in_transaction(app.sessions, compose_reply)
    await message.reply_text(reply)


async def action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/action what | owner | due date, or /action done NUMBER."""
    message = update.effective_message
    if message is None:
        return
    raw = " ".join(context.args or []).strip()

    def compose_reply(session: Session) -> str:
        person = member(session, update)
        language = language_of(update, person)
        if person is None or not managed_units(session=session, person=person):
            return text("managers_only", language)
        else:
            try:
                with session.begin_nested():
                    if raw.lower().startswith("done ") and raw[5:].strip().lstrip("#").isdigit():
                        done = complete_action(
                            session=session, action_id=int(raw[5:].strip().lstrip("#")), person=person
                        )
                        return text("action_done", language, id=done.id)
                    else:
                        parts = [part.strip() for part in raw.split("|")]
                        if len(parts) != 3:
                            raise ValueError("three parts")
                        added = add_action(
                            session=session,
                            manager=person,
                            what=parts[0],
                            owner=parts[1],
                            due_on=date.fromisoformat(parts[2]),
                        )
                        return text("action_saved", language, id=added.id)
            except (ValueError, ChangebotError):
                return text("action_usage", language)

    reply = await in_transaction(services(context).sessions, compose_reply)
    await message.reply_text(reply)


async def mute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mute UNIT: no alerts about that unit (one of one's own) for a week."""
    message = update.effective_message
    if message is None:
        return
    name = " ".join(context.args or []).strip()

    def compose_reply(session: Session) -> str:
        person = member(session, update)
        language = language_of(update, person)
        units = managed_units(session=session, person=person) if person is not None else []
        unit = next((u for u in units if u.name == name), None)
        if person is None or not units:
            return text("managers_only", language)
        elif unit is None:
            return text("mute_usage", language)
        else:
            until = utc_now() + timedelta(days=7)
            mute_unit(session=session, unit=unit, person=person, until=until)
            return text("muted", language, unit=unit.name, until=until.date().isoformat())

    reply = await in_transaction(services(context).sessions, compose_reply)
    await message.reply_text(reply)


async def web(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/web: a one-time sign-in link: managers to the console, staff to the web chat (private chats only)."""
    message = update.effective_message
    if message is None:
        return
    app = services(context)

    def compose_reply(session: Session) -> str:
        person = member(session, update)
        language = language_of(update, person)
        if person is None or message.chat.type != "private":
            return text("need_code", language)
        else:
            secret = create_sign_in_link(session=session, person=person)
            key = "web_link" if managed_units(session=session, person=person) else "web_chat_link"
            return text(key, language, url=f"{app.settings.base_url}/auth/link?token={secret}")

    reply = await in_transaction(app.sessions, compose_reply)
    await message.reply_text(reply, disable_web_page_preview=True)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    application.add_handler(CommandHandler("usage", usage))
    application.add_handler(CommandHandler("review", review))
    application.add_handler(CommandHandler("action", action))
    application.add_handler(CommandHandler("mute", mute))
    application.add_handler(CommandHandler("web", web))
