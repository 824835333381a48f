"""One send budget for every delivery worker on the database: Telegram's limit is the bot's.

``CHANGEBOT_DELIVERY_RATE_PER_SECOND`` is the rate of all workers together. Each worker keeps a row
in ``sender_workers`` and rewrites it about once a second (one short transaction, on SQLite too):
the row says whether the worker has copies in hand, and until when Telegram told it to pause. In
the same transaction the worker counts the busy workers seen within the timeout and reads the
latest pause; it then sends at ``rate / busy workers`` and holds every send until the pause ends.
An idle worker reports too, so the rows also say whether any sender runs at all
(``bot.broadcasts.senders``).

A worker that turns busy counts itself before its first send and, if others are sending, holds
its sends until each of them has reported since (and so slowed down), so the total stays within
the budget. A worker that runs out of work says so at once, and the others speed up at their next
heartbeat; one that dies stops reporting and drops out after the timeout. Pauses are wall-clock
times written by one worker and read by another: the servers' clocks are assumed to agree (NTP)
to well under a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import SenderWorker
from bot.storage.base import utc_now
from bot.storage.database import transaction

logger = logging.getLogger(__name__)

# How far behind its slots a worker may fall and still catch up. Claiming a batch takes a few tens
# of milliseconds on PostgreSQL, which cost one worker a fifth of its rate when every missed slot
# was lost; the burst this allows is at most this many seconds' worth of the rate, all workers
# together, which Telegram's per-second limit absorbs.
CATCH_UP_SECONDS = 0.2

# Rows of workers silent this long are deleted when a worker starts.
_FORGET_AFTER = timedelta(hours=1)


class Pacer:
    """Spaces sends evenly at ``rate`` per second; ``set_rate`` changes it, ``pause`` holds every send."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0

    @property
    def rate(self) -> float:
        """Sends a second at the moment."""
        return 1.0 / self._interval

    def set_rate(self, rate: float) -> None:
        """Send at ``rate`` from the next slot on."""
        self._interval = 1.0 / rate

    async def wait(self) -> None:
        """Sleep until the next send slot."""
        now = self._clock()
        while self._next > now:
            await self._sleep(self._next - now)
            now = self._clock()  # a pause may have moved the slot while we slept
        # Slots missed while the worker was busy elsewhere (claiming the next batch, a slow
        # database write) are made up, but no more than CATCH_UP_SECONDS' worth: a long idle
        # spell is not followed by a burst.
        self._next = max(self._next, now - max(self._interval, CATCH_UP_SECONDS)) + self._interval

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` (after a 429 the limit is the bot's, not the chat's)."""
        self._next = max(self._next, self._clock() + seconds)


@dataclass(frozen=True, slots=True)
class BudgetView:
    """What a worker learns when it reports: how many share the rate, and the pause to keep."""

    busy_workers: int  # live workers with copies in hand, this one included when it is busy; >= 1
    paused_until: datetime | None
    others_reported_at: datetime | None = None  # the oldest last report of the other busy workers


def report_worker(
    *,
    session: Session,
    worker_id: str,
    now: datetime,
    busy: bool,
    paused_until: datetime | None,
    timeout: float,
) -> BudgetView:
    """Write this worker's heartbeat and read the share and the pause (one transaction).

    Args:
        session: the transaction to use.
        worker_id: this worker.
        now: the current time.
        busy: whether this worker has copies in hand.
        paused_until: the end of the last pause Telegram gave this worker, if any.
        timeout: seconds after which a silent worker counts as dead.
    """
    values = {"busy": busy, "seen_at": now, "paused_until": paused_until}
    # Only this worker writes its row, so update-then-insert cannot race with anyone.
    updated = session.execute(
        update(SenderWorker)
        .where(SenderWorker.worker_id == worker_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        # A new worker. Killed ones never sign off: their rows go here, once their pauses are over.
        session.execute(
            delete(SenderWorker).where(SenderWorker.seen_at < now - _FORGET_AFTER, _pause_over(now))
        )
        session.execute(insert(SenderWorker).values(worker_id=worker_id, started_at=now, **values))
    live = SenderWorker.seen_at >= now - timedelta(seconds=timeout)
    other_busy = live & SenderWorker.busy & (SenderWorker.worker_id != worker_id)
    others, oldest, pause = session.execute(
        select(
            func.count(case((other_busy, 1))),
            func.min(case((other_busy, SenderWorker.seen_at))),
            # A dead worker's pause still holds: Telegram's limit is on the bot, not on that worker.
            func.max(SenderWorker.paused_until),
        )
    ).one()
    return BudgetView(
        busy_workers=int(others) + 1,  # an idle worker still reckons with its own share
        paused_until=pause if pause is not None and pause > now else None,
        others_reported_at=oldest,
    )


def retire_worker(*, session: Session, worker_id: str, now: datetime) -> None:
    """Take a stopping worker out of the share at once (its row stays while a pause it got still runs)."""
    session.execute(delete(SenderWorker).where(SenderWorker.worker_id == worker_id, _pause_over(now)))
    session.execute(
        update(SenderWorker)
        .where(SenderWorker.worker_id == worker_id)
        .values(busy=False)
        .execution_options(synchronize_session=False)
    )


def _pause_over(now: datetime) -> ColumnElement[bool]:
    return or_(SenderWorker.paused_until.is_(None), SenderWorker.paused_until < now)


class SharedBudget:
    """This worker's share of the global rate, and the pause every worker keeps after a 429.

    ``running()`` keeps the share fresh (a heartbeat every ``heartbeat`` seconds, and at once when
    the worker turns busy or idle, or gets a 429); without it the worker paces at the last share
    it learned. When the database is away the last figures stand: the sends stop anyway, as each
    one needs the database first.
    """

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        worker_id: str,
        rate: float,
        heartbeat: float = 1.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._worker_id = worker_id
        self._rate = rate
        self._heartbeat = heartbeat
        self._timeout = timeout
        self._wall_clock = wall_clock
        self._pacer = Pacer(rate, clock=clock, sleep=sleep)
        self._busy = False
        self._paused_until: datetime | None = None  # this worker's own latest 429, to be reported
        self._joined_at: datetime | None = None  # turned busy beside others, who may not know yet
        self._wake = asyncio.Event()
        self._reporting = asyncio.Lock()
        self.busy_workers = 1

    @property
    def rate(self) -> float:
        """This worker's sends a second at the moment."""
        return self._pacer.rate

    async def wait(self) -> None:
        """Sleep until this worker's next send slot."""
        await self._pacer.wait()

    def pause(self, seconds: float) -> None:
        """Telegram asked for a pause: keep it here at once, and tell the others."""
        self._pacer.pause(seconds)
        until = self._wall_clock() + timedelta(seconds=seconds)
        self._paused_until = until if self._paused_until is None else max(self._paused_until, until)
        self._wake.set()

    async def set_busy(self, busy: bool) -> None:
        """Whether this worker has copies in hand; a worker turning busy learns its share before sending."""
        if busy == self._busy:
            return
        self._busy = busy
        if not busy:
            self._wake.set()  # the others may speed up
            return
        try:
            await self.refresh()
        except SQLAlchemyError:  # the database away: the sends wait for it anyway
            return
        if self.busy_workers > 1:
            # The others learn of this worker at their next heartbeat and send at their old share
            # until then: this one holds its sends until they all have, so the total stays within
            # the rate (see ``apply``).
            self._joined_at = self._wall_clock()
            self._pacer.pause(self._heartbeat)

    async def refresh(self) -> None:
        """Report to the database and take the share and the pause it answers with."""
        # One report at a time: a heartbeat still under way when the worker turns busy would
        # otherwise commit 'idle' after the 'busy' one, and the others would count it out.
        async with self._reporting:
            report = asyncio.ensure_future(asyncio.to_thread(self._report))
            try:
                view = await asyncio.shield(report)
            except asyncio.CancelledError:
                # The thread runs on regardless: wait for it to hand its connection back, or it
                # would land in a pool the stopping worker may already have closed.
                with contextlib.suppress(Exception):
                    await report
                raise
            self.apply(view)

    def apply(self, view: BudgetView) -> None:
        """Pace at this worker's share of the rate and keep the shared pause."""
        self.busy_workers = view.busy_workers
        self._pacer.set_rate(self._rate / view.busy_workers)
        if view.paused_until is not None:
            remaining = (view.paused_until - self._wall_clock()).total_seconds()
            if remaining > 0:
                self._pacer.pause(remaining)
        if self._joined_at is not None:
            if view.others_reported_at is not None and view.others_reported_at < self._joined_at:
                self._pacer.pause(self._heartbeat)  # one of them has not reported since: hold on
            else:
                self._joined_at = None

    def _report(self) -> BudgetView:
        with transaction(self._sessions) as session:
            return report_worker(
                session=session,
                worker_id=self._worker_id,
                now=self._wall_clock(),
                busy=self._busy,
                paused_until=self._paused_until,
                timeout=self._timeout,
            )

    def _retire(self) -> None:
        with transaction(self._sessions) as session:
            retire_worker(session=session, worker_id=self._worker_id, now=self._wall_clock())

    async def _keep_fresh(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.refresh()
            except SQLAlchemyError as exc:  # the worker reports the outage; here the last share stands
                logger.debug("send budget not refreshed: %s", exc)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that comes as
            # the event is set (turning idle, then stopping), and this task would never end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._heartbeat):
                    await self._wake.wait()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Keep the share fresh while the block runs; leave the share on the way out."""
        task = asyncio.create_task(self._keep_fresh(), name=f"send-budget:{self._worker_id}")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            try:
                await asyncio.to_thread(self._retire)
            except SQLAlchemyError as exc:  # it drops out by itself after the timeout
                logger.warning("sender %s could not sign off: %s", self._worker_id, exc)
