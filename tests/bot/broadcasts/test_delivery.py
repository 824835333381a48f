"""The outbox and the delivery worker, with an in-memory sender standing in for Telegram."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.audience import parse_audience, resolve_audience
from bot.broadcasts.models import BroadcastKind, Delivery, DeliveryState
from bot.broadcasts.sender import (
    DeliveryWorker,
    PermanentSendError,
    RateLimitedError,
    RecipientBlockedError,
    TransientSendError,
    WorkerSettings,
)
from bot.broadcasts.service import broadcast_status, cancel_broadcast, create_broadcast, enqueue_due
from bot.errors import InvalidInputError, NotFoundError
from bot.people.models import Person, Role
from bot.people.service import add_unit, create_invite, redeem_invite
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.utils.patience import EVENTUALLY

FAST = WorkerSettings(
    rate_per_second=1000, batch_size=10, lease_seconds=0.5, max_attempts=3, backoff_seconds=0
)


class FakeSender:
    """Records what was sent; scripted failures per chat."""

    def __init__(self) -> None:
        self.sent: Counter[int] = Counter()
        self.failures: dict[int, list[Exception]] = {}
        self.hold: asyncio.Event | None = None
        self.in_flight = asyncio.Event()

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
        script = self.failures.get(chat_id)
        if script:
            raise script.pop(0)
        if self.hold is not None:
            self.sent[chat_id] += 1  # Telegram received it...
            self.in_flight.set()
            await self.hold.wait()  # ...but the worker dies before hearing back
        else:
            self.sent[chat_id] += 1
        return 10_000 + delivery_id


@pytest.fixture
def staff(sessions: sessionmaker[Session]) -> list[int]:
    """30 people: 20 in the east store (10 reading Traditional), 10 in the south; one manager."""
    ids = []
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        add_unit(session=session, name="华东区", parent="总部")
        add_unit(session=session, name="华东区-12号店", parent="华东区")
        add_unit(session=session, name="华南区", parent="总部")
        east = create_invite(session=session, unit_name="华东区-12号店", role=Role.STAFF, uses=100).code
        south = create_invite(session=session, unit_name="华南区", role=Role.STAFF, uses=100).code
        manager = create_invite(session=session, unit_name="华东区", role=Role.MANAGER).code
        for n in range(30):
            code = east if n < 20 else south
            lang = "zh-Hant" if n < 10 else "zh-Hans"
            ids.append(
                redeem_invite(
                    session=session, code=code, telegram_id=1000 + n, name=f"p{n}", language=lang
                ).person.telegram_id
            )
        redeem_invite(session=session, code=manager, telegram_id=2000, name="经理", language="zh-Hans")
    return [i for i in ids if i is not None]


def test_audience_selectors(sessions: sessionmaker[Session], staff: list[int]) -> None:
    with sessions() as session:

        def reach(*selectors: str) -> int:
            return len(resolve_audience(session=session, audience=parse_audience(selectors)))

        assert reach() == reach("all") == 31
        assert reach("unit:华东区") == 21  # the store below it and its manager
        assert reach("unit:华东区-12号店") == 20
        assert reach("unit:华东区-12号店", "unit:华南区") == 30
        assert reach("unit:华东区", "lang:zh-Hant") == 10
        assert reach("role:manager") == 1
        with pytest.raises(InvalidInputError, match="unknown audience selector 'team:x'"):
            parse_audience(["team:x"])
        with pytest.raises(NotFoundError):
            reach("unit:火星区")


def test_schedule_cancel_and_validation(sessions: sessionmaker[Session], staff: list[int]) -> None:
    with transaction(sessions) as session:
        later = create_broadcast(session=session, text="愿景", send_at=utc_now() + timedelta(days=1))
        assert enqueue_due(session=session) == 0
        cancel_broadcast(session=session, broadcast_id=later.id)
        assert broadcast_status(session=session, broadcast_id=later.id)["status"] == "cancelled"
        with pytest.raises(InvalidInputError, match="already cancelled"):
            cancel_broadcast(session=session, broadcast_id=later.id)
        with pytest.raises(InvalidInputError, match="needs text"):
            create_broadcast(session=session, text="  ")
        with pytest.raises(InvalidInputError, match="at most"):
            create_broadcast(session=session, text="长" * 5000)
        with pytest.raises(NotFoundError):
            create_broadcast(session=session, text="x", selectors=["unit:火星区"])
        # Buttons Telegram would refuse are refused now, not at send time.
        for label, data in (
            ("✍️ 回复", "gap:1:" + "q" * 60),
            ("  ", "gap:1:r"),
            ("长" * 65, "gap:1:r"),
            ("ok", ""),
        ):
            with pytest.raises(InvalidInputError, match="button"):
                create_broadcast(session=session, text="x", actions=[(label, data)])
        from datetime import datetime

        with pytest.raises(InvalidInputError, match="time zone"):
            create_broadcast(session=session, text="x", send_at=datetime(2026, 12, 1, 9, 0))  # noqa: DTZ001


async def test_every_recipient_once_with_429_403_and_retries(
    sessions: sessionmaker[Session], staff: list[int]
) -> None:
    sender = FakeSender()
    sender.failures[1000] = [RateLimitedError(0.05)]
    sender.failures[1001] = [RecipientBlockedError()]
    sender.failures[1002] = [TransientSendError("timeout"), TransientSendError("timeout")]
    sender.failures[1003] = [TransientSendError("down")] * 3
    sender.failures[1004] = [PermanentSendError("chat not found")]
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(
            session=session, text="本周成功故事", selectors=["unit:华东区-12号店"]
        ).id
    worker = DeliveryWorker(sessions=sessions, sender=sender, settings=FAST)
    await worker.run_until_idle()
    assert all(count == 1 for count in sender.sent.values())
    assert set(sender.sent) == set(staff[:20]) - {1001, 1003, 1004}
    with transaction(sessions) as session:
        status = broadcast_status(session=session, broadcast_id=broadcast_id)
        blocked = session.scalars(select(Person).where(Person.telegram_id == 1001)).one()
        retried = session.scalars(select(Delivery).where(Delivery.chat_id == 1002)).one()
    assert status["recipients"] == 20 and status["delivered"] == 17
    assert status["blocked"] == 1 and status["failed"] == 2 and status["status"] == "sent"
    assert blocked.active is False and retried.attempts == 3 and retried.state == "sent"


async def test_a_worker_killed_mid_send_is_resumed_without_duplicates(
    sessions: sessionmaker[Session], staff: list[int]
) -> None:
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(
            session=session, text="愿景第3版", selectors=["unit:华东区-12号店"]
        ).id
    first_sender = FakeSender()
    first_sender.hold = asyncio.Event()
    first = DeliveryWorker(sessions=sessions, sender=first_sender, settings=FAST, worker_id="first")
    task = asyncio.create_task(first.run_once())
    await asyncio.wait_for(first_sender.in_flight.wait(), timeout=EVENTUALLY)
    task.cancel()  # dies like a killed process: no cleanup runs for the claimed rows
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(FAST.lease_seconds + 0.1)  # its lease runs out

    second_sender = FakeSender()
    second = DeliveryWorker(sessions=sessions, sender=second_sender, settings=FAST, worker_id="second")
    await second.run_until_idle()
    total = first_sender.sent + second_sender.sent
    assert set(total) == set(staff[:20]) and max(total.values()) == 1  # everyone once, nobody twice
    with sessions() as session:
        status = broadcast_status(session=session, broadcast_id=broadcast_id)
    # The copies in flight when the worker died are reported, not resent (they did arrive here).
    in_flight = sum(first_sender.sent.values())
    assert 1 <= in_flight <= FAST.max_in_flight
    assert status["uncertain"] == in_flight and status["delivered"] == 20 - in_flight


async def test_two_workers_share_a_broadcast_without_duplicates(
    sessions: sessionmaker[Session], staff: list[int]
) -> None:
    with transaction(sessions) as session:
        create_broadcast(session=session, text="全员通知")
    sender = FakeSender()
    workers = [DeliveryWorker(sessions=sessions, sender=sender, settings=FAST) for _ in range(2)]

    async def drain(worker: DeliveryWorker) -> None:
        await worker.run_until_idle()

    await asyncio.gather(*(drain(w) for w in workers))
    assert len(sender.sent) == 31 and max(sender.sent.values()) == 1


def test_paused_people_get_no_pushes(sessions: sessionmaker[Session], staff: list[int]) -> None:
    with transaction(sessions) as session:
        session.execute(update(Person).where(Person.telegram_id == 1000).values(pushes_enabled=False))
        create_broadcast(session=session, text="通知", selectors=["unit:华东区-12号店"])
        assert enqueue_due(session=session) == 19
        assert enqueue_due(session=session) == 0  # a broadcast is materialised once
        states = session.scalars(select(Delivery.state)).all()
    assert set(states) == {DeliveryState.QUEUED.value}


@pytest.mark.parametrize(
    ("kind", "must_read", "reaches_the_paused"),
    [
        (BroadcastKind.MESSAGE, False, False),
        (BroadcastKind.STORY, False, False),
        (BroadcastKind.VISION, False, False),
        (BroadcastKind.MESSAGE, True, True),  # must-read means must-read
        (BroadcastKind.SURVEY, False, True),  # a resistance measure of the willing only would flatter
    ],
)
def test_a_pause_covers_stories_and_updates_not_must_reads_or_surveys(
    sessions: sessionmaker[Session],
    staff: list[int],
    kind: BroadcastKind,
    must_read: bool,
    reaches_the_paused: bool,
) -> None:
    with transaction(sessions) as session:
        session.execute(update(Person).where(Person.telegram_id == 1000).values(pushes_enabled=False))
        paused = session.scalar(select(Person.id).where(Person.telegram_id == 1000))
        create_broadcast(
            session=session, text="通知", selectors=["unit:华东区-12号店"], kind=kind, must_read=must_read
        )
        assert enqueue_due(session=session) == (20 if reaches_the_paused else 19)
        reached = set(session.scalars(select(Delivery.person_id)).all())
    assert (paused in reached) is reaches_the_paused


async def test_rows_cancelled_after_being_claimed_are_not_sent(
    sessions: sessionmaker[Session], staff: list[int]
) -> None:
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(session=session, text="取消的通知", selectors=["unit:华南区"]).id
    sender = FakeSender()
    worker = DeliveryWorker(sessions=sessions, sender=sender, settings=FAST)
    rows = await asyncio.to_thread(worker._claim)  # reserved, not yet sent
    assert len(rows) == 10
    with transaction(sessions) as session:
        cancel_broadcast(session=session, broadcast_id=broadcast_id)
    for row in rows:
        await worker._deliver(row)
    assert not sender.sent
