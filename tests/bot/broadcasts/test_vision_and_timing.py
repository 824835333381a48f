"""Vision series rotate their wording per person; exposure per unit; local send times, quiet hours,
and Telegram's per-chat limits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Broadcast, BroadcastKind, Delivery
from bot.broadcasts.reach import vision_exposure
from bot.broadcasts.recurring import SCHEDULE_ACTIONS, create_vision_series, stop_vision_series
from bot.broadcasts.sender import ChatLimits
from bot.broadcasts.service import DeliveryTiming, create_broadcast, enqueue_due
from bot.errors import ChangebotError, InvalidInputError
from bot.people.models import Membership, Person, Unit
from bot.scheduling.clock import QuietHours
from bot.scheduling.service import fire_due
from bot.storage.database import transaction
from tests.bot.broadcasts.conftest import People

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORDINGS = ["愿景一：让顾客少等。", "愿景二：让门店更轻松。", "愿景三：数据说话。"]
SUNDAY = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


def _deliver_everything(session: Session) -> None:
    session.execute(update(Delivery).where(Delivery.state == "queued").values(state="sent"))


def test_each_person_hears_a_different_wording_each_time(
    sessions: sessionmaker[Session], people: People
) -> None:
    with transaction(sessions) as session:
        series, _ = create_vision_series(
            session=session,
            title="愿景",
            variants=WORDINGS,
            cron="0 9 * * *",
            zones=[SHANGHAI],
            selectors=["unit:华东区-12号店"],
            now=SUNDAY,
        )
    heard: dict[int, list[int | None]] = {}
    for day in range(4):
        now = SUNDAY + timedelta(days=day, hours=22)  # just after 09:00 in Shanghai
        with transaction(sessions) as session:
            if day == 2:  # someone joins late: they start from the first wording
                late = Person(telegram_id=777, name="late", language="zh-Hans")
                session.add(late)
                session.flush()
                store = session.scalars(select(Unit).where(Unit.name == "华东区-12号店")).one()
                session.add(Membership(person_id=late.id, unit_id=store.id, role="staff"))
            assert fire_due(session=session, actions=SCHEDULE_ACTIONS, zones=[SHANGHAI], now=now)
            enqueue_due(session=session, now=now)
            for delivery in session.scalars(select(Delivery).where(Delivery.state == "queued")):
                heard.setdefault(delivery.person_id, []).append(delivery.variant)
            _deliver_everything(session)
    staff = people.store_staff[0]
    assert heard[staff] == [0, 1, 2, 0]
    late_id = max(heard)
    assert heard[late_id] == [0, 1]
    with transaction(sessions) as session:
        stop_vision_series(session=session, series_id=series.id)
        assert (
            fire_due(
                session=session, actions=SCHEDULE_ACTIONS, zones=[SHANGHAI], now=SUNDAY + timedelta(days=9)
            )
            == []
        )
        with pytest.raises(InvalidInputError):
            stop_vision_series(session=session, series_id=series.id)


def test_vision_exposure_per_unit_rolls_up(sessions: sessionmaker[Session], people: People) -> None:
    with transaction(sessions) as session:
        for n in range(3):
            broadcast = create_broadcast(
                session=session,
                text=WORDINGS[n],
                selectors=["unit:华东区-12号店"] if n < 2 else ["all"],
                kind=BroadcastKind.VISION,
            )
            enqueue_due(session=session)
            _deliver_everything(session)
            assert broadcast.id
        report = {row.unit: row for row in vision_exposure(session=session, target=3)}
    store, region, south = report["华东区-12号店"], report["华东区"], report["华南区"]
    assert store.people == 6 and store.reached_target == 6 and store.share_reached == 1.0
    assert region.people == 7 and region.reached_target == 6  # the region manager heard only the company one
    assert south.people == 3 and south.reached_target == 0 and south.mean_exposures == 1.0
    assert report["*"].people == 11


def test_bad_vision_series_are_refused(sessions: sessionmaker[Session], people: People) -> None:
    with transaction(sessions) as session:
        with pytest.raises(InvalidInputError, match="wording"):
            create_vision_series(
                session=session, title="x", variants=["  "], cron="0 9 * * *", zones=[SHANGHAI]
            )
        with pytest.raises(InvalidInputError, match="cron"):
            create_vision_series(
                session=session, title="x", variants=WORDINGS, cron="often", zones=[SHANGHAI]
            )
        # A cadence that would message people every minute (or every five on Mondays) is refused.
        for flood in ("* * * * *", "*/5 9 * * mon", "0 * * * *"):
            with pytest.raises(InvalidInputError, match="too often"):
                create_vision_series(
                    session=session, title="x", variants=WORDINGS, cron=flood, zones=[SHANGHAI]
                )
        with pytest.raises(ChangebotError, match="unit"):
            create_vision_series(
                session=session,
                title="x",
                variants=WORDINGS,
                cron="0 9 * * *",
                zones=[SHANGHAI],
                selectors=["unit:火星店"],
            )


def test_local_send_time_and_quiet_hours_per_person(sessions: sessionmaker[Session], people: People) -> None:
    timing = DeliveryTiming(
        default_timezone="Asia/Shanghai", quiet_hours=QuietHours(start=time(21), end=time(8))
    )
    with transaction(sessions) as session:
        london = session.get(Person, people.south_staff[1])
        assert london is not None
        london.timezone = "Europe/London"
        nine_local = create_broadcast(
            session=session,
            text="早上好",
            selectors=["unit:华南区"],
            send_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
            local_time=datetime(2026, 11, 23, 9, 0),
        )
        late_evening = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai, 14:00 in London
        evening = create_broadcast(
            session=session, text="晚间消息", selectors=["unit:华南区"], send_at=late_evening
        )
        enqueue_due(session=session, now=datetime(2026, 11, 23, 1, 0, tzinfo=UTC), timing=timing)
        enqueue_due(session=session, now=late_evening, timing=timing)

        def due(broadcast: Broadcast, person_id: int) -> datetime:
            return session.scalars(
                select(Delivery.next_attempt_at).where(
                    Delivery.broadcast_id == broadcast.id, Delivery.person_id == person_id
                )
            ).one()

        # 09:00 on each person's own clock.
        assert due(nine_local, people.south_staff[0]) == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
        assert due(nine_local, people.south_staff[1]) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        # At 22:00 Shanghai time the Shanghai reader waits for 08:00; London (14:00) gets it now.
        assert due(evening, people.south_staff[0]) == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
        assert due(evening, people.south_staff[1]) == late_evening


def test_per_chat_limits() -> None:
    clock = [0.0]
    limits = ChatLimits(private_interval=1.0, group_per_minute=20, clock=lambda: clock[0])
    assert limits.ready_in(42) == 0
    limits.record(42)
    assert limits.ready_in(42) == pytest.approx(1.0) and limits.ready_in(43) == 0
    clock[0] = 0.6
    assert limits.ready_in(42) == pytest.approx(0.4)
    group = -100123
    for n in range(20):
        clock[0] = n * 0.5
        assert limits.ready_in(group) == 0
        limits.record(group)
    assert limits.ready_in(group) == pytest.approx(60.0 - 9.5)
    clock[0] = 60.01
    assert limits.ready_in(group) == 0


def test_twice_a_day_is_the_most_a_vision_series_may_say_it(
    sessions: sessionmaker[Session], people: People
) -> None:
    with transaction(sessions) as session:
        series, _ = create_vision_series(
            session=session, title="x", variants=WORDINGS, cron="0 9,21 * * *", zones=[SHANGHAI]
        )
        assert series.id is not None
