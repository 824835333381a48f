"""Whether anything is delivering the outbox, so that no edge confirms a send with a silent "sending".

A broadcast is only queued by whoever sends or schedules it; a delivery worker (`changebot worker`,
or the one `serve` and `changebot bot` run beside the bot) sends it. Each running worker rewrites
its ``sender_workers`` row about once a second, idle or busy (``bot.broadcasts.budget``), and one
that stops cleanly deletes it. A worker is running here when its row was rewritten within
``SENDER_SILENCE``: a minute, far above any heartbeat the settings allow (at most ten seconds), so a
worker slowed by a busy database still counts, and one killed drops out a minute later.

Every edge that confirms a send or a schedule (the console, the API, the bot, the CLI) asks
``delivery_warning`` and, when it answers, draws the warning in its reader's words.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.broadcasts.models import SenderWorker

# A worker whose row is older than this is taken to be gone.
SENDER_SILENCE = timedelta(minutes=1)


class DeliveryWarning(StrEnum):
    """What a confirmation adds while no sender worker is running; each value is also the key of
    its wording in the edges' text tables (bot/telegram/texts.py, bot/web/console_text.py)."""

    NOT_DELIVERING = "no_sender_now"  # due now: nothing is being delivered yet
    WAITS_FOR_SENDER = "no_sender_later"  # scheduled: it goes out only once a sender runs


def delivery_running(*, session: Session, now: datetime) -> bool:
    """Whether a sender worker reported within the last ``SENDER_SILENCE``.

    Args:
        session: the transaction to read in.
        now: the current time (UTC-aware).
    """
    recent = select(SenderWorker.worker_id).where(SenderWorker.seen_at >= now - SENDER_SILENCE)
    return bool(session.scalar(select(exists(recent))))


def delivery_warning(*, session: Session, now: datetime, send_at: datetime) -> DeliveryWarning | None:
    """What to add to the confirmation of something due at ``send_at``; None while a sender runs.

    Args:
        session: the transaction to read in.
        now: the current time (UTC-aware).
        send_at: when the broadcast (or a series' first occurrence) is due.
    """
    if delivery_running(session=session, now=now):
        return None
    return DeliveryWarning.WAITS_FOR_SENDER if send_at > now else DeliveryWarning.NOT_DELIVERING
