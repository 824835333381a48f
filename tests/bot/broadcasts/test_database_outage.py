"""The database goes away while a broadcast is under way: no copy leaves while it is gone, the
outcomes of those already sent are written once it is back, and the worker carries on by itself.

Here the outage is a session factory that refuses to connect; the real thing (a PostgreSQL server
stopped and started under a worker process) is in ``test_database_restart.py``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Delivery, DeliveryState
from bot.broadcasts.sender import DeliveryWorker, WorkerSettings
from bot.broadcasts.service import create_broadcast
from bot.storage.database import transaction
from tests.bot.broadcasts.test_budget import _people
from tests.utils.patience import EVENTUALLY

RECIPIENTS = 60
FIRST_CHAT = 20_000


class FlakySessions(sessionmaker[Session]):
    """Sessions that cannot connect while ``down`` is set, as when the server is restarting."""

    down = False

    def __call__(self, **local_kw: Any) -> Session:
        if self.down:
            raise OperationalError("connect", {}, ConnectionRefusedError("connection refused"))
        return super().__call__(**local_kw)


class OutageSender:
    """Delivers every copy; the ``at``-th send takes the database away for ``seconds`` (None: until
    the test brings it back)."""

    def __init__(self, database: FlakySessions, *, at: int, seconds: float | None) -> None:
        self.database = database
        self.sent: Counter[int] = Counter()
        self.sent_while_down = 0
        self._at = at
        self._seconds = seconds

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
        if self.database.down:
            self.sent_while_down += 1
        self.sent[chat_id] += 1
        if sum(self.sent.values()) == self._at:
            self.database.down = True  # Telegram has the message; recording it will fail
            if self._seconds is not None:
                asyncio.get_running_loop().call_later(self._seconds, self._back)
        await asyncio.sleep(0.01)
        return 50_000 + delivery_id

    def _back(self) -> None:
        self.database.down = False


def _flaky(sessions: sessionmaker[Session]) -> FlakySessions:
    return FlakySessions(sessions.kw["bind"], expire_on_commit=False)


def _states(sessions: sessionmaker[Session]) -> dict[int, str]:
    with sessions() as session:
        return dict(session.execute(select(Delivery.chat_id, Delivery.state)).all())


async def test_a_short_outage_pauses_the_worker_and_loses_nothing(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    _people(sessions, RECIPIENTS, FIRST_CHAT)
    with transaction(sessions) as session:
        create_broadcast(session=session, text="系统维护通知")
    database = _flaky(sessions)
    sender = OutageSender(database, at=20, seconds=0.8)
    config = WorkerSettings(rate_per_second=200, batch_size=10, max_in_flight=4, lease_seconds=30)
    worker = DeliveryWorker(sessions=database, sender=sender, settings=config)
    with caplog.at_level(logging.INFO, logger="bot.broadcasts.sender"):
        await worker.run_until_idle()

    assert sender.sent_while_down == 0  # every copy waits for its 'sending' commit
    assert sorted(sender.sent) == list(range(FIRST_CHAT, FIRST_CHAT + RECIPIENTS))
    assert max(sender.sent.values()) == 1
    assert set(_states(sessions).values()) == {DeliveryState.SENT.value}  # the in-flight ones too
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("database unavailable, sends paused") for m in messages)
    assert any(m.startswith("database back after") for m in messages)


async def test_an_outage_longer_than_the_lease_leaves_uncertain_copies_not_lost_ones(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    _people(sessions, RECIPIENTS, FIRST_CHAT)
    with transaction(sessions) as session:
        create_broadcast(session=session, text="系统维护通知")
    database = _flaky(sessions)
    sender = OutageSender(database, at=20, seconds=None)
    config = WorkerSettings(rate_per_second=200, batch_size=10, max_in_flight=4, lease_seconds=0.5)
    worker = DeliveryWorker(sessions=database, sender=sender, settings=config)
    stop = asyncio.Event()

    async def until(predicate: Callable[[], bool]) -> None:
        deadline = time.monotonic() + EVENTUALLY
        while time.monotonic() < deadline:
            if predicate():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("timed out")

    def settled() -> bool:
        states = _states(sessions).values()
        return all(s in (DeliveryState.SENT.value, DeliveryState.UNCERTAIN.value) for s in states)

    with caplog.at_level(logging.INFO, logger="bot.broadcasts.sender"):
        running = asyncio.create_task(worker.run(stop=stop, idle_seconds=0.1))
        # Down until the worker has given up writing an outcome (after the lease), then back.
        await until(lambda: any("not recorded" in record.getMessage() for record in caplog.records))
        database.down = False
        await until(settled)
        stop.set()
        await asyncio.wait_for(running, timeout=EVENTUALLY)  # still running: the outage did not end it

    states = _states(sessions)
    uncertain = [chat for chat, state in states.items() if state == DeliveryState.UNCERTAIN.value]
    assert sender.sent_while_down == 0 and max(sender.sent.values()) == 1
    # The copies whose outcome could not be written in time are reported, never sent again...
    assert 1 <= len(uncertain) <= config.max_in_flight
    assert all(sender.sent[chat] == 1 for chat in uncertain)
    # ...and every other copy was sent after the database came back.
    assert all(sender.sent[chat] == 1 for chat, state in states.items() if state == DeliveryState.SENT.value)
    assert len(states) == RECIPIENTS
