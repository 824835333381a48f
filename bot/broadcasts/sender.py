"""The delivery worker: claims outbox rows, sends them at the configured rate, records every outcome.

Exactly once, as far as Telegram allows: a worker reserves a batch (``claimed``, with a lease),
marks each row ``sending`` in its own commit just before the request goes out, and ``sent`` right
after. When a worker dies, its lease runs out: reserved rows go back to the queue, and the single
row it was sending is marked ``uncertain`` rather than sent again (Telegram has no idempotency key,
and a second copy is the worse failure).

Everything a copy needs is read with the claim: its text and its language (chosen when the row was
made), its kind and buttons. Drawing it (``bot.broadcasts.look``, the sender's labels) reads nothing
more, so nothing stands between the 'sending' commit and the request but the request itself.

Every worker on the database shares one send rate (``bot.broadcasts.budget``). If the database goes
away, no copy is sent (each needs its 'sending' commit first) and the outcomes of those already
under way are written once it is back; the worker waits and carries on by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Protocol, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.budget import SharedBudget
from bot.broadcasts.models import Broadcast, BroadcastKind, Delivery, DeliveryState
from bot.broadcasts.service import DeliveryTiming, enqueue_due, finish_completed
from bot.people.service import mark_blocked
from bot.storage.base import utc_now
from bot.storage.database import database_unavailable, in_thread, transaction
from bot.wording import reader_language

T = TypeVar("T")

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
        actions: Sequence[tuple[str, str]] = (),
        kind: str = BroadcastKind.MESSAGE.value,
        language: str | None = None,
    ) -> int:
        """Send one copy as ``bot.broadcasts.look`` says it looks (its ``kind``, ``must_read``,
        ``button`` such as "survey:12", its own ``actions`` as (label, callback data) pairs), worded
        in ``language`` (None: the configured default); a photo with ``text`` as caption when
        given. Return its message id or raise one of the errors above."""
        ...


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """Pacing, retry policy and delivery timing."""

    rate_per_second: float = 25.0  # for every worker on the database together
    max_in_flight: int = 8
    batch_size: int = 50
    lease_seconds: float = 120.0
    max_attempts: int = 5
    backoff_seconds: float = 2.0
    private_chat_interval: float = 1.0  # Telegram: about one message a second to the same person
    group_per_minute: int = 20  # ...and 20 a minute to the same group
    timing: DeliveryTiming = field(default_factory=DeliveryTiming)
    heartbeat_seconds: float = 1.0  # how often a worker reports and learns its share of the rate
    worker_timeout_seconds: float = 5.0  # a worker silent this long drops out of the share


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
    actions: tuple[tuple[str, str], ...] = ()
    kind: str = BroadcastKind.MESSAGE.value
    language: str | None = None  # the reader's, chosen with the text when the row was made


class ChatLimits:
    """Telegram's per-chat limits: one message a second to a person, twenty a minute to a group.

    Group chats have negative ids. Kept in memory, per worker: they space the copies one worker
    holds for the same chat (several broadcasts going out at once, a retry). Copies for one chat
    held by two workers are not spaced against each other, as the global rate is; such a chat may
    get two messages within the interval, and if Telegram answers that with 429, every worker
    pauses (see ``SharedBudget.pause``).
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
    """Works through the outbox. Several may run at once; each claims its own rows and takes its
    share of the global send rate (see ``bot.broadcasts.budget``)."""

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
        self.budget = SharedBudget(
            sessions=sessions,
            worker_id=self.worker_id,
            rate=settings.rate_per_second,
            heartbeat=settings.heartbeat_seconds,
            timeout=settings.worker_timeout_seconds,
        )
        self._chats = ChatLimits(
            private_interval=settings.private_chat_interval, group_per_minute=settings.group_per_minute
        )
        self._database_away_since: float | None = None
        self._outages = 0  # how many times the database went away; a send that waited for it re-paces
        self._gave_up = False  # the database stayed away longer than the lease: leave the batch

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
                    Broadcast.actions,
                    Broadcast.kind,
                    Delivery.language,
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
                actions=tuple((str(label), str(data)) for label, data in row[7] or ()),
                kind=row[8],
                language=reader_language(row[9]),
            )
            for row in rows
        ]

    # ------------------------------------------------------------ the database, which may go away

    def _database_lost(self, exc: BaseException) -> None:
        if self._database_away_since is None:
            self._database_away_since = time.monotonic()
            self._outages += 1
            logger.warning("database unavailable, sends paused until it is back: %s", exc)

    def _database_back(self) -> None:
        if self._database_away_since is not None:
            logger.info(
                "database back after %.1f s; sending resumes", time.monotonic() - self._database_away_since
            )
            self._database_away_since = None

    async def _store(self, action: Callable[[], T]) -> T:
        """Run ``action`` (a short transaction) on a worker thread; while the database is away, try
        again with backoff, for up to the lease, then raise its error.

        Never on the event loop: a transaction waiting there for SQLite's write lock would stop the
        whole process, and the lock may be held by a request whose end the loop has to run. A
        cancellation waits for the transaction to finish (``in_thread``), so a 'sending' commit is
        never left unknown to the worker: a copy cancelled between that commit and the request
        stays 'sending' and is reported uncertain, as after a crash.
        """
        delay, deadline = 0.05, time.monotonic() + self._settings.lease_seconds
        while True:
            try:
                result = await in_thread(action)
            except SQLAlchemyError as exc:
                if not database_unavailable(exc) or time.monotonic() >= deadline:
                    raise
                self._database_lost(exc)
                await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 2.0)
                continue
            self._database_back()
            return result

    async def _write(self, what: str, action: Callable[[], object]) -> None:
        """``_store`` for an outcome: every write here is idempotent, so a commit whose answer was
        lost can be repeated. One the database never took is logged, not raised: the other
        requests in flight go on."""
        try:
            await self._store(action)
        except SQLAlchemyError as exc:
            if not database_unavailable(exc):
                raise
            # Left 'sending': once the lease runs out it is reported as uncertain, never sent again.
            logger.error("%s not recorded, the database stayed away: %s", what, exc)

    def _update(self, delivery_id: int, values: dict[str, object]) -> None:
        with transaction(self._sessions) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.worker == self.worker_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    async def _record(self, delivery_id: int, **values: object) -> None:
        """Write a copy's outcome (see ``_write``)."""
        await self._write(
            f"copy {delivery_id} {values.get('state')}", partial(self._update, delivery_id, values)
        )

    async def _requeue(self, delivery_id: int, *, after: float, **values: object) -> None:
        """Hand a row back to the queue, due in ``after`` seconds, for any worker to take."""
        await self._record(
            delivery_id,
            state=DeliveryState.QUEUED.value,
            next_attempt_at=utc_now() + timedelta(seconds=after),
            worker=None,
            lease_until=None,
            **values,
        )

    def _blocked(self, delivery_id: int, chat_id: int, attempts: int) -> None:
        with transaction(self._sessions) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.worker == self.worker_id)
                .values(state=DeliveryState.BLOCKED.value, attempts=attempts, error="blocked by user")
                .execution_options(synchronize_session=False)
            )
            mark_blocked(session=session, telegram_id=chat_id)

    def _begin_send(self, delivery_id: int, *, again: bool = False) -> bool:
        """Mark the copy 'sending' (compare-and-set); ``again``: a retry of a commit whose answer
        was lost, which may have gone through."""
        states = [DeliveryState.CLAIMED.value] + ([DeliveryState.SENDING.value] if again else [])
        with transaction(self._sessions) as session:
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.worker == self.worker_id,
                    Delivery.state.in_(states),
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

    def _unbegin(self, delivery_id: int) -> None:
        with transaction(self._sessions) as session:
            session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.worker == self.worker_id,
                    Delivery.state == DeliveryState.SENDING.value,
                )
                .values(state=DeliveryState.CLAIMED.value)
                .execution_options(synchronize_session=False)
            )

    # ------------------------------------------------------------ sending

    async def _deliver(self, copy: ClaimedCopy) -> None:
        """One attempt at one copy; every outcome is written down before returning."""
        delivery_id, chat_id = copy.delivery_id, copy.chat_id
        attempts = copy.attempts + 1
        outages = self._outages
        tries = 0

        def begin() -> bool:
            nonlocal tries
            tries += 1
            # Only this task sends this copy, so a 'sending' row of ours on a retry is our own
            # commit that went through before the connection dropped.
            return self._begin_send(delivery_id, again=tries > 1)

        # Committed before the request leaves, so a crash from here on is known to be ambiguous.
        # Compare-and-set: a row cancelled (or taken over after a long pause) since it was claimed is skipped.
        try:
            begun = await self._store(begin)
        except asyncio.CancelledError:
            # Cancelled while the 'sending' commit ran on its thread: the request certainly did not
            # leave, so the copy goes back to 'claimed' (queued again when its lease runs out)
            # rather than being reported uncertain to someone who never got it.
            with contextlib.suppress(SQLAlchemyError):  # database away: left 'sending', reported uncertain
                await in_thread(partial(self._unbegin, delivery_id))
            raise
        except SQLAlchemyError as exc:
            if not database_unavailable(exc):
                raise
            self._gave_up = True  # still 'claimed': back in the queue once its lease runs out
            return
        if not begun:
            return
        if self._outages != outages:
            await self.budget.wait()  # its slot went by while the database was away: no burst on return
        try:
            message_id = await self._sender.send(
                chat_id=chat_id,
                text=copy.text,
                delivery_id=delivery_id,
                must_read=copy.must_read,
                photo_file_id=copy.photo_file_id,
                button=copy.button,
                actions=copy.actions,
                kind=copy.kind,
                language=copy.language,
            )
        except RateLimitedError as exc:
            logger.warning("Telegram rate limit: every worker pauses %.1f s", exc.retry_after)
            self.budget.pause(exc.retry_after)
            # Refused, so certainly not sent; no attempt used.
            await self._requeue(delivery_id, after=exc.retry_after)
            return
        except RecipientBlockedError:
            await self._write(
                f"copy {delivery_id} blocked", partial(self._blocked, delivery_id, chat_id, attempts)
            )
            return
        except PermanentSendError as exc:
            await self._record(
                delivery_id, state=DeliveryState.FAILED.value, attempts=attempts, error=str(exc)[:500]
            )
            return
        except AmbiguousSendError as exc:
            await self._record(
                delivery_id,
                state=DeliveryState.UNCERTAIN.value,
                attempts=attempts,
                error=f"no answer from Telegram: {exc}"[:500],
            )
            return
        except TransientSendError as exc:
            if attempts >= self._settings.max_attempts:
                await self._record(
                    delivery_id,
                    state=DeliveryState.FAILED.value,
                    attempts=attempts,
                    error=f"gave up after {attempts} attempts: {exc}"[:500],
                )
            else:
                delay = self._settings.backoff_seconds * 2 ** (attempts - 1)
                await self._requeue(delivery_id, after=delay, attempts=attempts, error=str(exc)[:500])
            return
        await self._record(
            delivery_id,
            state=DeliveryState.SENT.value,
            attempts=attempts,
            message_id=message_id,
            sent_at=utc_now(),
            error=None,
        )

    async def run_once(self) -> int:
        """Claim one batch and deliver it, several requests in flight; returns how many rows were handled.

        Raises the database's error if the claim fails; a database that goes away after the claim
        holds the sends until it is back (or, after the lease, leaves the rest of the batch).
        """
        rows = await in_thread(self._claim)
        self._database_back()
        await self.budget.set_busy(bool(rows))
        self._gave_up = False
        in_flight = asyncio.Semaphore(self._settings.max_in_flight)
        async with asyncio.TaskGroup() as tasks:  # cancelling the worker cancels its requests too
            for copy in rows:
                if self._gave_up:  # unsent copies stay 'claimed' and go back to the queue with their lease
                    break
                wait = self._chats.ready_in(copy.chat_id)
                if wait > 0:  # this chat just had a message: later, without holding up the others
                    tasks.create_task(self._requeue(copy.delivery_id, after=wait))
                    continue
                await self.budget.wait()
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

    def _finish(self) -> None:
        with transaction(self._sessions) as session:
            finish_completed(session=session)

    async def _round(self, *, patience: float | None) -> int:
        """One ``run_once``; 0 when the database is away (noted, to be tried again), unless it has
        been away longer than ``patience`` seconds."""
        try:
            return await self.run_once()
        except SQLAlchemyError as exc:
            if not database_unavailable(exc):
                raise
            self._database_lost(exc)
            away = time.monotonic() - (self._database_away_since or time.monotonic())
            if patience is not None and away > patience:
                raise
            return 0

    async def run_until_idle(self, *, horizon: float = 60.0) -> None:
        """Deliver until nothing is due within ``horizon`` seconds (retries and pauses included).

        A database away for longer than the lease ends it with the database's error.
        """
        async with self.budget.running():
            while True:
                if await self._round(patience=self._settings.lease_seconds):
                    continue
                if self._database_away_since is not None:  # the claim failed: again in a moment
                    await asyncio.sleep(1.0)
                    continue
                due_in = await self._store(self._next_due_in)
                if due_in is None or due_in > horizon:
                    await self._store(self._finish)
                    return
                await asyncio.sleep(min(due_in, 1.0) + 0.01)

    async def run(self, *, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        """Deliver until ``stop`` is set, sleeping ``idle_seconds`` when there is nothing to do.

        A database that goes away pauses the worker; it carries on by itself once it is back.
        """
        async with self.budget.running():
            while not stop.is_set():
                try:
                    handled = await self._round(patience=None)
                except Exception:  # a bug in one round must not end the worker; it tries again
                    logger.exception("delivery round failed; retrying")
                    handled = 0
                if not handled:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=idle_seconds)
