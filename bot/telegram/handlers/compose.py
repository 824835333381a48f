"""Managers' broadcasting in chat, the parts its dialogues share: who may broadcast, and entering a
dialogue. /story is in stories.py (its review in story_review.py), /vision in vision.py, /broadcasts
in scheduled.py; dialogues.py routes a typed message to its step.

The draft story lives in the database, and so does "which step of the dialogue is this person on"
(``COMPOSE`` in bot/telegram/dialogue_states.py), so each message may reach any process. Buttons
carry ids that are checked against the person pressing them every time.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.broadcasts.senders import DeliveryWarning
from bot.broadcasts.stories import story_unit
from bot.people.models import Person, Unit
from bot.people.service import is_member, person_by_telegram_id
from bot.storage.database import in_transaction
from bot.telegram.context import services
from bot.telegram.dialogue_states import COMPOSE, Draft
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import text
from ingest.text import Language

# Every database step below is a small function run by ``in_transaction`` on a worker thread; it
# returns plain values (texts, ids, labels), never an ORM object for the coroutine to read later.


def _unit_label(unit: Unit | None, language: Language) -> str:
    return unit.name if unit else text("everyone", language)


def _actor(session: Session, user_id: int) -> Person | None:
    """The member behind a Telegram user id (the one pressing or typing, never the bot's own message)."""
    person = person_by_telegram_id(session=session, telegram_id=user_id)
    return person if person is not None and is_member(person) else None


def _may_broadcast(session: Session, person: Person | None) -> bool:
    return person is not None and (person.is_admin or story_unit(session=session, author=person) is not None)


def _warned(reply: str, warning: DeliveryWarning | None, language: Language) -> str:
    """``reply``, with ``warning`` below it (no sender worker runs, so nothing would be delivered)."""
    return reply if warning is None else f"{reply}\n\n{text(warning.value, language)}"


async def _start_dialogue(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, draft: Draft, prompt: str
) -> None:
    """Managers and admins only: start ``draft`` and ask its first question."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return

    def may_start(session: Session) -> tuple[Language, bool]:
        person = member(session, update)
        return language_of(update, person), _may_broadcast(session, person)

    language, allowed = await in_transaction(services(context).sessions, may_start)
    if not allowed:
        await message.reply_text(text("managers_only", language))
        return
    await COMPOSE.save(context, user.id, draft)
    await message.reply_text(text(prompt, language))
