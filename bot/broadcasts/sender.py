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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Broadcast, Delivery, DeliveryState
from bot.broadcasts.service import DeliveryTiming, enqueue_due, finish_completed
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


class AmbiguousSendError(Exception):
    """The request may have reached Telegram but no answer came back (e.g. a read timeout).

    Sending again could deliver a second copy, so the copy is recorded as uncertain instead.
    """


class PermanentSendError(Exception):
    """The request itself is wrong (bad chat id, bad text): retrying will not help."""


class MessageSender(Protocol):
    """What the worker needs from Telegram."""

    async def send(
        self,
        *,
        chat_id: int,
        text: str,
        delivery_id: int,
        must_read: bool,
        photo_file_id: str | None = None,
        button: str | None = None,
    ) -> int:
        """Send one message (a photo with ``text`` as caption when given; ``button`` such as
        "survey:12" adds that action); return its message id or raise one of the errors above."""
        ...


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """Pacing, retry policy and delivery timing."""

    rate_per_second: float = 25.0
    max_in_flight: int = 8
    batch_size: int = 50
    lease_seconds: float = 120.0
    max_attempts: int = 5
    backoff_seconds: float = 2.0
    private_chat_interval: float = 1.0  # Telegram: about one message a second to the same person
    group_per_minute: int = 20  # ...and 20 a minute to the same group
    timing: DeliveryTiming = field(default_factory=DeliveryTiming)


@dataclass(frozen=True, slots=True)
class ClaimedCopy:
    """One outbox row a worker has reserved, with what it needs to send it."""

    delivery_id: int
    chat_id: int
    text: str
    must_read: bool
    attempts: int
    photo_file_id: str | None = None
    button: str | None = None


class Pacer:
    """Spaces sends evenly at ``rate`` per second (one worker's share of Telegram's global limit)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0

    async def wait(self) -> None:
        """Sleep until the next send slot."""
        now = self._clock()
        while self._next > now:
            await asyncio.sleep(self._next - now)
            now = self._clock()  # a pause may have moved the slot while we slept
        self._next = max(self._next, now - self._interval) + self._interval

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` (after a 429, the limit is the bot's, not the chat's)."""
        self._next = max(self._next, self._clock() + seconds)


class ChatLimits:
    """Telegram's per-chat limits: one message a second to a person, twenty a minute to a group.

    Group chats have negative ids. Kept per worker process; with several workers each chat still
    gets copies spaced by whichever worker holds them, as a broadcast has one copy per chat.
    """

    def __init__(
        self,
        *,
        private_interval: float = 1.0,
        group_per_minute: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._private_interval = private_interval
        self._group_per_minute = group_per_minute
        self._clock = clock
        self._last: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}

    def ready_in(self, chat_id: int) -> float:
        """Seconds until ``chat_id`` may get another message (0 = now)."""
        now = self._clock()
        if chat_id < 0:
            sends = self._group_sends.get(chat_id)
            if sends is None:
                return 0.0
            while sends and sends[0] <= now - 60.0:
                sends.popleft()
            return 0.0 if len(sends) < self._group_per_minute else sends[0] + 60.0 - now
        last = self._last.get(chat_id)
        return 0.0 if last is None else max(0.0, last + self._private_interval - now)

    def record(self, chat_id: int) -> None:
        """Note a send to ``chat_id`` now."""
        now = self._clock()
        if chat_id < 0:
            self._group_sends.setdefault(chat_id, deque()).append(now)
        else:
            self._last[chat_id] = now
            if len(self._last) > 100_000:  # forget chats long past their interval
                horizon = now - self._private_interval
                self._last = {chat: t for chat, t in self._last.items() if t > horizon}


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
        self._chats = ChatLimits(
            private_interval=settings.private_chat_interval, group_per_minute=settings.group_per_minute
        )

    def _claim(self) -> list[ClaimedCopy]:
        now = utc_now()
        with transaction(self._sessions) as session:
            enqueue_due(session=session, now=now, timing=self._settings.timing)
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
                select(
                    Delivery.id,
                    Delivery.chat_id,
                    func.coalesce(Delivery.text, Broadcast.text),
                    Broadcast.must_read,
                    Delivery.attempts,
                    Broadcast.photo_file_id,
                    Broadcast.button,
                )
                .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
                .where(Delivery.worker == self.worker_id, Delivery.state == DeliveryState.CLAIMED.value)
                .order_by(Delivery.next_attempt_at, Delivery.id)
            ).all()
        return [
            ClaimedCopy(
                delivery_id=row[0],
                chat_id=row[1],
                text=row[2],
                must_read=row[3],
                attempts=row[4],
                photo_file_id=row[5],
                button=row[6],
            )
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

    def _requeue(self, delivery_id: int, *, after: float, **values: object) -> None:
        """Hand a row back to the queue, due in ``after`` seconds, for any worker to take."""
        self._record(
            delivery_id,
            state=DeliveryState.QUEUED.value,
            next_attempt_at=utc_now() + timedelta(seconds=after),
            worker=None,
            lease_until=None,
            **values,
        )

    async def _deliver(self, copy: ClaimedCopy) -> None:
        """One attempt at one copy; every outcome is written down before returning."""
        delivery_id, chat_id = copy.delivery_id, copy.chat_id
        attempts = copy.attempts + 1
        # Committed before the request leaves, so a crash from here on is known to be ambiguous.
        # Compare-and-set: a row cancelled (or taken over after a long pause) since it was claimed is skipped.
        if not self._begin_send(delivery_id):
            return
        try:
            message_id = await self._sender.send(
                chat_id=chat_id,
                text=copy.text,
                delivery_id=delivery_id,
                must_read=copy.must_read,
                photo_file_id=copy.photo_file_id,
                button=copy.button,
            )
        except RateLimitedError as exc:
            logger.warning("Telegram rate limit: pausing %.1f s", exc.retry_after)
            self._pacer.pause(exc.retry_after)
            self._requeue(
                delivery_id, after=exc.retry_after
            )  # refused, so certainly not sent; no attempt used
            return
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
        except AmbiguousSendError as exc:
            self._record(
                delivery_id,
                state=DeliveryState.UNCERTAIN.value,
                attempts=attempts,
                error=f"no answer from Telegram: {exc}"[:500],
            )
            return
        except TransientSendError as exc:
            if attempts >= self._settings.max_attempts:
                self._record(
                    delivery_id, state=DeliveryState.FAILED.value, attempts=attempts, error=str(exc)[:500]
                )
            else:
                delay = self._settings.backoff_seconds * 2 ** (attempts - 1)
                self._requeue(delivery_id, after=delay, attempts=attempts, error=str(exc)[:500])
            return
        self._record(
            delivery_id,
            state=DeliveryState.SENT.value,
            attempts=attempts,
            message_id=message_id,
            sent_at=utc_now(),
            error=None,
        )

    def _begin_send(self, delivery_id: int) -> bool:
        with transaction(self._sessions) as session:
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.worker == self.worker_id,
                    Delivery.state == DeliveryState.CLAIMED.value,
                )
                # The lease counts from the request, not the claim: a long 429 pause in the batch
                # must not let another worker declare this copy uncertain while it is under way.
                .values(
                    state=DeliveryState.SENDING.value,
                    lease_until=utc_now() + timedelta(seconds=self._settings.lease_seconds),
                )
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def run_once(self) -> int:
        """Claim one batch and deliver it, several requests in flight; returns how many rows were handled."""
        rows = await asyncio.to_thread(self._claim)
        in_flight = asyncio.Semaphore(self._settings.max_in_flight)
        async with asyncio.TaskGroup() as tasks:  # cancelling the worker cancels its requests too
            for copy in rows:
                wait = self._chats.ready_in(copy.chat_id)
                if wait > 0:  # this chat just had a message: later, without holding up the others
                    self._requeue(copy.delivery_id, after=wait)
                    continue
                await self._pacer.wait()
                await in_flight.acquire()
                self._chats.record(copy.chat_id)
                task = tasks.create_task(self._deliver(copy))
                task.add_done_callback(lambda _: in_flight.release())
        return len(rows)

    def _next_due_in(self) -> float | None:
        """Seconds until the soonest queued row is due (None: nothing left to send)."""
        with transaction(self._sessions) as session:
            soonest = session.scalar(
                select(func.min(Delivery.next_attempt_at)).where(
                    Delivery.state.in_([DeliveryState.QUEUED.value, DeliveryState.CLAIMED.value])
                )
            )
        if soonest is None:
            return None
        return max(0.0, (soonest - utc_now()).total_seconds())

    async def run_until_idle(self, *, horizon: float = 60.0) -> None:
        """Deliver until nothing is due within ``horizon`` seconds (retries and pauses included)."""
        while True:
            if await self.run_once():
                continue
            due_in = await asyncio.to_thread(self._next_due_in)
            if due_in is None or due_in > horizon:
                await asyncio.to_thread(self._finish)
                return
            await asyncio.sleep(min(due_in, 1.0) + 0.01)

    def _finish(self) -> None:
        with transaction(self._sessions) as session:
            finish_completed(session=session)

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
