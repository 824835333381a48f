"""Small helpers every handler uses: who is talking, in which language. (Which dialogue they are in:
bot/telegram/dialogue_states.py.)"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import ContextTypes

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
