"""Small helpers every handler uses: who is talking, in which language, which dialogue they are in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.dialogues.service import clear_dialogue, get_dialogue, put_dialogue
from bot.people.models import Person
from bot.people.service import is_member, person_by_telegram_id
from bot.storage.database import in_transaction
from bot.telegram.context import services
from bot.telegram.texts import language_from_telegram
from ingest.text import LANGUAGES, Language


def language_of(update: Update, person: Person | None) -> Language:
    """The person's chosen language, else their Telegram client's."""
    if person is not None and person.language in LANGUAGES:
        return person.language
    user = update.effective_user
    return language_from_telegram(user.language_code if user else None)


def member(session: Session, update: Update) -> Person | None:
    """The person behind the update, if they have joined a unit (or are an admin)."""
    user = update.effective_user
    if user is None:
        return None
    person = person_by_telegram_id(session=session, telegram_id=user.id)
    return person if person is not None and is_member(person) else None


# Dialogue state lives in the database, not in PTB's per-process ``user_data``: behind a load balancer
# the next message of the same person may reach another process.


def dialogue_expiry(context: ContextTypes.DEFAULT_TYPE) -> timedelta:
    """How long an untouched dialogue lives."""
    return timedelta(hours=services(context).settings.dialogue_expiry_hours)


async def load_dialogue(
    context: ContextTypes.DEFAULT_TYPE, *, user_id: int, kind: str
) -> dict[str, Any] | None:
    """The dialogue ``kind`` this Telegram user is in, if any (its own short transaction)."""
    return await in_transaction(
        services(context).sessions,
        lambda session: get_dialogue(session=session, telegram_user_id=user_id, kind=kind),
    )


async def save_dialogue(
    context: ContextTypes.DEFAULT_TYPE, *, user_id: int, kind: str, value: dict[str, Any] | None
) -> None:
    """Move the dialogue on to ``value``, or end it with None (its own short transaction)."""
    expires_after = dialogue_expiry(context)

    def save(session: Session) -> None:
        if value is None:
            clear_dialogue(session=session, telegram_user_id=user_id, kind=kind)
        else:
            put_dialogue(
                session=session, telegram_user_id=user_id, kind=kind, value=value, expires_after=expires_after
            )

    await in_transaction(services(context).sessions, save)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent an update, as plain values read in one short transaction."""

    person_id: int | None  # the member; None when they have not joined
    language: Language  # the language to answer in


async def caller(context: ContextTypes.DEFAULT_TYPE, update: Update) -> Caller:
    """``member`` and ``language_of`` for an update, off the event loop."""

    def look_up(session: Session) -> Caller:
        person = member(session, update)
        return Caller(
            person_id=person.id if person is not None else None, language=language_of(update, person)
        )

    return await in_transaction(services(context).sessions, look_up)
