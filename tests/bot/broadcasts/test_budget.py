"""One send budget for every delivery worker: the pacer on a fake clock, the shared rows on the
test's database, and three in-process workers sharing a broadcast."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.budget import CATCH_UP_SECONDS, Pacer, SharedBudget, report_worker, retire_worker
from bot.broadcasts.models import SenderWorker
from bot.broadcasts.sender import DeliveryWorker, WorkerSettings
from bot.broadcasts.service import create_broadcast
from bot.people.models import Membership, Person, Role, Unit
from bot.storage.database import transaction

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def _sends(pacer: Pacer, clock: FakeClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        await pacer.wait()
        times.append(clock.now)
    return times


def _gaps(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in zip(times, times[1:], strict=False)]


async def test_the_pacer_spaces_sends_and_follows_rate_changes_and_pauses() -> None:
    assert CATCH_UP_SECONDS == 0.2  # the figures below are worked out for it
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    first = await _sends(pacer, clock, 13)
    # From idle, 0.2 s worth of slots go at once (three at 10 a second), then one every 0.1 s.
    assert first[0] == first[2] and round(first[-1] - first[2], 6) == 1.0
    last = clock.now
    clock.now += 0.25  # busy elsewhere (claiming the next batch): 0.15 s behind its next slot
    late = await _sends(pacer, clock, 4)
    assert [round(t - last, 3) for t in late] == [0.25, 0.25, 0.3, 0.4]  # made up, back on schedule
    clock.now += 60.0  # a long idle spell is not made up beyond the 0.2 s
    quiet = await _sends(pacer, clock, 5)
    assert quiet[0] == quiet[2] and _gaps(quiet[2:]) == [0.1, 0.1]
    pacer.set_rate(10.0 / 3)  # two more workers joined
    third = await _sends(pacer, clock, 4)
    assert _gaps(third) == [0.3, 0.3, 0.3]
    pacer.pause(5.0)  # a 429: nothing for five seconds
    before = clock.now
    await pacer.wait()
    assert clock.now - before == 5.0


def _report(
    session: Session, worker: str, at: float, *, busy: bool = True, paused: float | None = None
) -> int:
    view = report_worker(
        session=session,
        worker_id=worker,
        now=T0 + timedelta(seconds=at),
        busy=busy,
        paused_until=None if paused is None else T0 + timedelta(seconds=paused),
        timeout=5.0,
    )
    return view.busy_workers


def test_live_busy_workers_share_the_rate_and_dead_ones_drop_out(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        assert _report(session, "a", 0) == 1
        assert _report(session, "b", 0.2) == 2
        assert _report(session, "c", 0.4) == 3
        assert _report(session, "a", 1) == 3
        assert _report(session, "c", 1.4, busy=False) == 3  # idle: its own figure does not matter...
        assert _report(session, "a", 2) == 2  # ...but the busy ones no longer count it
        # b stops reporting (killed): after the timeout a counts alone.
        assert _report(session, "a", 5.1) == 2
        assert _report(session, "a", 5.3) == 1
        retire_worker(session=session, worker_id="a", now=T0 + timedelta(seconds=6))
        assert session.get(SenderWorker, "a") is None


def test_a_pause_holds_for_every_worker_even_after_its_worker_died(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        _report(session, "a", 0)
        _report(session, "b", 0, paused=30)  # b got a 429 asking for 30 s, then died
        view = report_worker(session=session, worker_id="a", now=T0 + timedelta(seconds=20), busy=True,
                             paused_until=None, timeout=5.0)  # fmt: skip
        assert view.busy_workers == 1 and view.paused_until == T0 + timedelta(seconds=30)
        retire_worker(session=session, worker_id="b", now=T0 + timedelta(seconds=20))
        assert session.get(SenderWorker, "b") is not None  # its pause still runs: the row stays, idle
        view = report_worker(session=session, worker_id="a", now=T0 + timedelta(seconds=31), busy=True,
                             paused_until=None, timeout=5.0)  # fmt: skip
        assert view.paused_until is None


def test_a_new_worker_forgets_workers_gone_for_an_hour(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        session.execute(
            insert(SenderWorker),
            [
                {"worker_id": "old", "busy": True, "seen_at": T0 - timedelta(hours=2), "started_at": T0},
                {"worker_id": "recent", "busy": True, "seen_at": T0 - timedelta(minutes=5), "started_at": T0},
            ],
        )
        _report(session, "new", 0)
        assert set(session.scalars(select(SenderWorker.worker_id))) == {"recent", "new"}


async def test_shared_budgets_split_the_rate_and_pass_a_pause_on(sessions: sessionmaker[Session]) -> None:
    wall = [T0]
    clock = FakeClock()

    def budget(worker: str) -> SharedBudget:
        return SharedBudget(
            sessions=sessions,
            worker_id=worker,
            rate=30.0,
            clock=clock,
            sleep=clock.sleep,
            wall_clock=lambda: wall[0],
        )

    a, b, c = budget("a"), budget("b"), budget("c")
    await a.set_busy(True)  # turning busy learns the share before the first send
    assert a.rate == 30.0
    await a.wait()  # alone: no hold
    assert clock.slept == []
    await b.set_busy(True)
    wall[0] += timedelta(seconds=0.5)
    await c.set_busy(True)
    assert (b.rate, c.rate) == (15.0, 10.0)
    # a and b still send at their old shares until they report: c holds its sends till then.
    await c.refresh()
    await c.wait()
    assert clock.slept == [1.0]
    await c.refresh()  # still no word from them: another heartbeat
    await c.wait()
    assert clock.slept == [1.0, 1.0]
    await a.refresh()
    await b.refresh()
    await c.refresh()
    assert a.rate == b.rate == c.rate == 10.0  # 30 a second together
    await c.wait()
    assert clock.slept[2:] == [pytest.approx(0.1)]  # released: the usual spacing at 10 a second

    b.pause(4.0)  # Telegram refused b with 429, retry_after 4
    await b.refresh()  # (the heartbeat does this at once)
    wall[0] += timedelta(seconds=1)
    await a.refresh()
    before = clock.now
    await a.wait()
    await a.wait()
    assert clock.now - before >= 3.0  # a holds its sends until b's pause ends

    await c.set_busy(False)
    await c.refresh()  # (its heartbeat, woken at once)
    wall[0] += timedelta(seconds=1)
    await a.refresh()
    assert a.rate == 15.0  # c ran out of work: a and b share the rate


def _people(sessions: sessionmaker[Session], count: int, first_chat: int) -> None:
    with transaction(sessions) as session:
        store = Unit(name="华东区-12号店")
        session.add(store)
        session.flush()
        people = [Person(telegram_id=first_chat + n, name=f"p{n}", language="zh-Hans") for n in range(count)]
        session.add_all(people)
        session.flush()
        session.add_all(Membership(person_id=p.id, unit_id=store.id, role=Role.STAFF.value) for p in people)


class TimedSender:
    """Records when each chat got its copy."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.sent: list[tuple[float, int]] = []
        self._clock = clock

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
        await asyncio.sleep(0.005)
        self.sent.append((self._clock(), chat_id))
        return delivery_id


async def test_three_workers_in_one_process_keep_to_the_global_rate(sessions: sessionmaker[Session]) -> None:
    rate, recipients = 60.0, 180
    _people(sessions, recipients, 10_000)
    with transaction(sessions) as session:
        create_broadcast(session=session, text="全员通知")
    sender = TimedSender()
    config = WorkerSettings(
        rate_per_second=rate, batch_size=10, heartbeat_seconds=0.2, worker_timeout_seconds=1.0
    )
    workers = [DeliveryWorker(sessions=sessions, sender=sender, settings=config) for _ in range(3)]
    await asyncio.gather(*(worker.run_until_idle() for worker in workers))
    times = sorted(at for at, _ in sender.sent)
    chats = [chat for _, chat in sender.sent]
    assert sorted(chats) == list(range(10_000, 10_000 + recipients))  # everyone, once
    aggregate = (len(times) - 1) / (times[-1] - times[0])
    assert rate * 0.6 < aggregate <= rate * 1.15, aggregate  # three workers alone would send 3x
    with sessions() as session:
        assert session.scalars(select(SenderWorker)).all() == []  # every worker signed off
