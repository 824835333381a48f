"""The delivery worker: claims outbox rows, sends them at the configured rate, records every outcome.

Exactly once, as far as Telegram allows: a worker reserves a batch (``claimed``, with a lease),
marks each row ``sending`` in its own commit just before the request goes out, and ``sent`` right
after. When a worker dies, its lease runs out: reserved rows go back to the queue, and the single
row it was sending is marked ``uncertain`` rather than sent again (Telegram has no idempotency key,
and a second copy is the worse failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Broadcast, Delivery, DeliveryState
from bot.broadcasts.service import enqueue_due, finish_completed
from bot.people.service import mark_blocked
from bot.storage.base import utc_now
from bot.storage.database import transaction

logger = logging.getLogger(__name__)


class RecipientBlockedError(Exception):
    """The recipient blocked the bot (Telegram 403)."""


class RateLimitedError(Exception):
    """Telegram asked us to wait (429)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after} s")
        self.retry_after = retry_after


class TransientSendError(Exception):
    """A network or server error: worth retrying later."""


class PermanentSendError(Exception):
    """The request itself is wrong (bad chat id, bad text): retrying will not help."""


class MessageSender(Protocol):
    """What the worker needs from Telegram."""

    async def send(self, *, chat_id: int, text: str, delivery_id: int, must_read: bool) -> int:
        """Send one message; return its message id or raise one of the errors above."""
        ...


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """Pacing and retry policy."""

    rate_per_second: float = 25.0
    batch_size: int = 50
    lease_seconds: float = 120.0
    max_attempts: int = 5
    backoff_seconds: float = 2.0


@dataclass(frozen=True, slots=True)
class ClaimedCopy:
    """One outbox row a worker has reserved, with what it needs to send it."""

    delivery_id: int
    chat_id: int
    text: str
    must_read: bool
    attempts: int


class Pacer:
    """Spaces sends evenly at ``rate`` per second (one worker's share of Telegram's global limit)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0

    async def wait(self) -> None:
        """Sleep until the next send slot."""
        now = self._clock()
        if self._next > now:
            await asyncio.sleep(self._next - now)
            now = self._next
        self._next = now + self._interval

    async def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` (after a 429, the limit is the bot's, not the chat's)."""
        self._next = max(self._next, self._clock() + seconds)
        await asyncio.sleep(seconds)


class DeliveryWorker:
    """Works through the outbox. Several may run at once; each claims its own rows."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        sender: MessageSender,
        settings: WorkerSettings = WorkerSettings(),
        worker_id: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._sender = sender
        self._settings = settings
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:8]}"
        self._pacer = Pacer(settings.rate_per_second)

    def _claim(self) -> list[ClaimedCopy]:
        now = utc_now()
        with transaction(self._sessions) as session:
            enqueue_due(session=session, now=now)
            # A dead worker's reserved rows were never attempted: back in the queue. The one it was
            # sending may or may not have arrived: reported as uncertain, not sent again.
            session.execute(
                update(Delivery)
                .where(Delivery.state == DeliveryState.CLAIMED.value, Delivery.lease_until < now)
                .values(state=DeliveryState.QUEUED.value, worker=None, lease_until=None)
            )
            session.execute(
                update(Delivery)
                .where(Delivery.state == DeliveryState.SENDING.value, Delivery.lease_until < now)
                .values(state=DeliveryState.UNCERTAIN.value, error="worker stopped while sending")
            )
            candidates = (
                select(Delivery.id)
                .where(Delivery.state == DeliveryState.QUEUED.value, Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(self._settings.batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            ids = list(session.scalars(candidates).all())
            if not ids:
                finish_completed(session=session)
                return []
            # Compare-and-set on the state: a row another worker claimed first is not taken twice.
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.state == DeliveryState.QUEUED.value)
                .values(
                    state=DeliveryState.CLAIMED.value,
                    worker=self.worker_id,
                    lease_until=now + timedelta(seconds=self._settings.lease_seconds),
                )
                .execution_options(synchronize_session=False)
            )
            rows = session.execute(
                select(Delivery.id, Delivery.chat_id, Broadcast.text, Broadcast.must_read, Delivery.attempts)
                .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
                .where(Delivery.worker == self.worker_id, Delivery.state == DeliveryState.CLAIMED.value)
                .order_by(Delivery.id)
            ).all()
        return [
            ClaimedCopy(delivery_id=row[0], chat_id=row[1], text=row[2], must_read=row[3], attempts=row[4])
            for row in rows
        ]

    def _record(self, delivery_id: int, **values: object) -> None:
        with transaction(self._sessions) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.worker == self.worker_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    async def _deliver(self, copy: ClaimedCopy) -> None:
        delivery_id, chat_id, text, must_read = copy.delivery_id, copy.chat_id, copy.text, copy.must_read
        attempts = copy.attempts + 1
        while True:
            await self._pacer.wait()
            # Committed before the request leaves, so a crash from here on is known to be ambiguous.
            # Compare-and-set: a row cancelled since it was claimed is not sent.
            if not self._begin_send(delivery_id):
                return
            try:
                message_id = await self._sender.send(
                    chat_id=chat_id, text=text, delivery_id=delivery_id, must_read=must_read
                )
            except RateLimitedError as exc:
                logger.warning("Telegram rate limit: pausing %.1f s", exc.retry_after)
                self._record(delivery_id, state=DeliveryState.CLAIMED.value)  # refused, so certainly not sent
                await self._pacer.pause(exc.retry_after)
                continue  # not the recipient's fault: same attempt
            except RecipientBlockedError:
                self._record(
                    delivery_id, state=DeliveryState.BLOCKED.value, attempts=attempts, error="blocked by user"
                )
                with transaction(self._sessions) as session:
                    mark_blocked(session=session, telegram_id=chat_id)
                return
            except PermanentSendError as exc:
                self._record(
                    delivery_id, state=DeliveryState.FAILED.value, attempts=attempts, error=str(exc)[:500]
                )
                return
            except TransientSendError as exc:
                if attempts >= self._settings.max_attempts:
                    self._record(
                        delivery_id, state=DeliveryState.FAILED.value, attempts=attempts, error=str(exc)[:500]
                    )
                else:
                    delay = self._settings.backoff_seconds * 2 ** (attempts - 1)
                    self._record(
                        delivery_id,
                        state=DeliveryState.QUEUED.value,
                        attempts=attempts,
                        error=str(exc)[:500],
                        next_attempt_at=utc_now() + timedelta(seconds=delay),
                        worker=None,
                        lease_until=None,
                    )
                return
            self._record(
                delivery_id,
                state=DeliveryState.SENT.value,
                attempts=attempts,
                message_id=message_id,
                sent_at=utc_now(),
                error=None,
            )
            return

    def _begin_send(self, delivery_id: int) -> bool:
        with transaction(self._sessions) as session:
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.worker == self.worker_id,
                    Delivery.state == DeliveryState.CLAIMED.value,
                )
                .values(state=DeliveryState.SENDING.value)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def run_once(self) -> int:
        """Claim one batch and deliver it; returns how many rows were handled."""
        rows = await asyncio.to_thread(self._claim)
        for copy in rows:
            await self._deliver(copy)
        return len(rows)

    async def run(self, *, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        """Deliver until ``stop`` is set, sleeping ``idle_seconds`` when there is nothing to do."""
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # a database hiccup must not end the worker; it retries
                logger.exception("delivery round failed; retrying")
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
