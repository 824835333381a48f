"""Get, put and clear the dialogue a person is in. Keyed by Telegram user id and kind of dialogue;
the value is whatever small JSON the dialogue needs to carry on (ids, a step name), never more."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.dialogues.models import DialogueState
from bot.storage.base import utc_now
from bot.storage.upsert import upsert


def get_dialogue(
    *, session: Session, telegram_user_id: int, kind: str, now: datetime | None = None
) -> dict[str, Any] | None:
    """The dialogue's value, or None when there is none or it has expired."""
    found = session.execute(
        select(DialogueState.value, DialogueState.expires_at).where(
            DialogueState.telegram_user_id == telegram_user_id, DialogueState.kind == kind
        )
    ).one_or_none()
    if found is None or found.expires_at <= (now or utc_now()):
        return None
    value: dict[str, Any] = found.value
    return value


def put_dialogue(
    *,
    session: Session,
    telegram_user_id: int,
    kind: str,
    value: dict[str, Any],
    expires_after: timedelta,
    subject: str | None = None,
    now: datetime | None = None,
) -> None:
    """Start or move on the dialogue: ``value`` replaces what was there, the expiry starts again.

    Args:
        session: the open transaction.
        telegram_user_id: whose dialogue.
        kind: which dialogue (one of each kind per person at a time).
        value: small JSON-able state; keep out anything the dialogue does not need.
        expires_after: how long an untouched dialogue lives.
        subject: what it is about, for `end_subject` (e.g. a survey wave).
        now: the current time (tests).
    """
    now = now or utc_now()
    row = {"value": value, "subject": subject, "updated_at": now, "expires_at": now + expires_after}
    session.execute(
        upsert(
            session=session,
            model=DialogueState,
            values={"telegram_user_id": telegram_user_id, "kind": kind, **row},
            keys=["telegram_user_id", "kind"],
            update=row,
        )
    )


def clear_dialogue(*, session: Session, telegram_user_id: int, kind: str) -> None:
    """The dialogue is over (finished or left)."""
    session.execute(
        delete(DialogueState).where(
            DialogueState.telegram_user_id == telegram_user_id, DialogueState.kind == kind
        )
    )


def clear_dialogues(*, session: Session, telegram_user_id: int) -> list[str]:
    """End every dialogue the person is in (``/cancel``); returns the kinds that were open."""
    kinds = list(
        session.scalars(
            select(DialogueState.kind).where(
                DialogueState.telegram_user_id == telegram_user_id, DialogueState.expires_at > utc_now()
            )
        ).all()
    )
    session.execute(delete(DialogueState).where(DialogueState.telegram_user_id == telegram_user_id))
    return sorted(kinds)


def end_subject(*, session: Session, subject: str) -> int:
    """End every dialogue about ``subject`` (it closed or went away); returns how many."""
    result = session.execute(delete(DialogueState).where(DialogueState.subject == subject))
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count


def purge_expired_dialogues(session: Session, now: datetime) -> int:
    """Delete abandoned dialogues (a scheduler chore); returns how many."""
    result = session.execute(delete(DialogueState).where(DialogueState.expires_at <= now))
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count
