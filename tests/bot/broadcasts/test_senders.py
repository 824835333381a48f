"""Whether a sender worker runs: a row rewritten within the last minute, by a busy worker or an idle
one; what a send or a schedule confirmed while none runs must add."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import SenderWorker
from bot.broadcasts.sender import DeliveryWorker, WorkerSettings
from bot.broadcasts.senders import SENDER_SILENCE, DeliveryWarning, delivery_running, delivery_warning
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.utils.patience import EVENTUALLY

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _worker_seen(sessions: sessionmaker[Session], seen_at: datetime) -> None:
    with transaction(sessions) as session:
        session.execute(
            insert(SenderWorker).values(worker_id="w1", busy=False, seen_at=seen_at, started_at=seen_at)
        )


def _running(sessions: sessionmaker[Session], now: datetime = NOW) -> bool:
    with transaction(sessions) as session:
        return delivery_running(session=session, now=now)


def test_no_worker_row_means_no_sender(sessions: sessionmaker[Session]) -> None:
    assert _running(sessions) is False


def test_a_worker_that_reported_within_the_minute_is_running(sessions: sessionmaker[Session]) -> None:
    assert timedelta(minutes=1) == SENDER_SILENCE
    _worker_seen(sessions, NOW - timedelta(seconds=30))  # idle (busy=False) still counts
    assert _running(sessions) is True


def test_a_worker_silent_for_over_a_minute_is_gone(sessions: sessionmaker[Session]) -> None:
    _worker_seen(sessions, NOW - timedelta(minutes=2))  # killed: its row was never deleted
    assert _running(sessions) is False


def test_the_warning_says_now_or_later_and_nothing_while_a_sender_runs(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        assert delivery_warning(session=session, now=NOW, send_at=NOW) is DeliveryWarning.NOT_DELIVERING
        later = NOW + timedelta(days=1)
        assert delivery_warning(session=session, now=NOW, send_at=later) is DeliveryWarning.WAITS_FOR_SENDER
    _worker_seen(sessions, NOW - timedelta(seconds=1))
    with transaction(sessions) as session:
        assert delivery_warning(session=session, now=NOW, send_at=NOW) is None
        assert delivery_warning(session=session, now=NOW, send_at=NOW + timedelta(days=1)) is None


class _NeverCalled:
    """A sender for a worker with nothing to send."""

    async def send(
        self,
        *,
        chat_id: int,
        text: str,
        delivery_id: int,
        must_read: bool,
        photo_file_id: str | None = None,
        button: str | None = None,
        actions: Sequence[tuple[str, str]] = (),
        kind: str = "message",
        language: str = "zh-Hans",
    ) -> int:
        raise AssertionError("nothing was queued")


async def _until(check: Callable[[], bool]) -> None:
    """Wait until ``check`` (run on a worker thread: it reads the database) is true."""
    async with asyncio.timeout(EVENTUALLY):
        while True:
            if await asyncio.to_thread(check):
                return
            await asyncio.sleep(0.02)


async def test_an_idle_running_worker_counts_as_running_until_it_stops(
    sessions: sessionmaker[Session],
) -> None:
    worker = DeliveryWorker(sessions=sessions, sender=_NeverCalled(), settings=WorkerSettings())
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop=stop, idle_seconds=0.05))
    try:
        await _until(lambda: _running(sessions, utc_now()))  # its heartbeats, with no work to do
    finally:
        stop.set()
        await task
    assert await asyncio.to_thread(_running, sessions, utc_now()) is False  # it signed off on the way out
