"""Small helpers every handler uses: who is talking, in which language."""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import Update

from bot.people.models import Person
from bot.people.service import is_member, person_by_telegram_id
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
