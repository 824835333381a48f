"""Must-read means must-read (issue 15): each copy in its reader's language, one reminder for what
is not read in time (through the outbox, never twice), who has not read it per unit, and a press
recorded only with a button the copy carries."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Broadcast, BroadcastKind, Delivery, DeliveryState
from bot.broadcasts.reminders import send_must_read_reminders
from bot.broadcasts.service import (
    DeliveryTiming,
    broadcast_status,
    create_broadcast,
    enqueue_due,
    react_to_delivery,
    unread_report,
)
from bot.broadcasts.stories import send_story, start_story
from bot.errors import InvalidInputError
from bot.people.models import Person
from bot.scheduling.clock import parse_quiet_hours
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.bot.broadcasts.conftest import People

DAY = timedelta(hours=24)


def _must_read(session: Session, *, selectors: tuple[str, ...] = (), send_at: datetime | None = None) -> int:
    broadcast = create_broadcast(
        session=session,
        text="周五前完成新系统培训",
        texts={"zh-Hant": "週五前完成新系統培訓", "en": "Finish the new system training by Friday"},
        selectors=list(selectors),
        must_read=True,
        send_at=send_at,
    )
    return broadcast.id


def _sent(session: Session, broadcast_id: int, *, hours_ago: float) -> None:
    """Every copy of ``broadcast_id`` delivered ``hours_ago`` (as the worker records it)."""
    session.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast_id)
        .values(state=DeliveryState.SENT.value, sent_at=utc_now() - timedelta(hours=hours_ago))
    )


def _copy(session: Session, broadcast_id: int, person_id: int) -> Delivery:
    return session.scalars(
        select(Delivery).where(Delivery.broadcast_id == broadcast_id, Delivery.person_id == person_id)
    ).one()


def test_each_copy_is_worded_in_its_readers_language_and_keeps_it(
    sessions: sessionmaker[Session], people: People
) -> None:
    with transaction(sessions) as session:
        broadcast_id = _must_read(session, selectors=("unit:华东区-12号店",))
        enqueue_due(session=session)
        traditional = _copy(session, broadcast_id, people.store_staff[0])
        simplified = _copy(session, broadcast_id, people.store_staff[3])
        assert (traditional.language, traditional.text) == ("zh-Hant", "週五前完成新系統培訓")
        assert (simplified.language, simplified.text) == ("zh-Hans", None)  # the broadcast's own text
        # /lang after the copy was queued: text and buttons stay in the language it was worded in.
        person = session.get(Person, people.store_staff[0])
        assert person is not None
        person.language = "en"
        session.flush()
        assert _copy(session, broadcast_id, people.store_staff[0]).language == "zh-Hant"


def test_one_reminder_after_the_configured_hours_to_those_who_have_not_read(
    sessions: sessionmaker[Session], people: People
) -> None:
    reader, forgetful = people.store_staff[0], people.store_staff[3]
    with transaction(sessions) as session:
        broadcast_id = _must_read(session, selectors=("unit:华东区-12号店",))
        plain = create_broadcast(session=session, text="本周之星", selectors=["unit:华东区-12号店"]).id
        enqueue_due(session=session)
        _sent(session, broadcast_id, hours_ago=25)
        _sent(session, plain, hours_ago=25)
        react_to_delivery(
            session=session,
            delivery_id=_copy(session, broadcast_id, reader).id,
            person_id=reader,
            kind="acknowledge",
        )
    with transaction(sessions) as session:
        assert send_must_read_reminders(session, utc_now(), after=None) == 0  # 0 hours = no reminders
        assert send_must_read_reminders(session, utc_now(), after=timedelta(hours=26)) == 0  # not yet
    with transaction(sessions) as session:
        assert send_must_read_reminders(session, utc_now(), after=DAY) == 5  # 6 in the store, 1 read
    with transaction(sessions) as session:  # the next tick, or another scheduler: nothing twice
        assert send_must_read_reminders(session, utc_now() + DAY, after=DAY) == 0
        reminder = session.scalars(
            select(Broadcast).where(Broadcast.kind == BroadcastKind.REMINDER.value)
        ).one()
        assert reminder.reminder_of_id == broadcast_id and reminder.must_read
        assert enqueue_due(session=session) == 5
        copies = {
            row.person_id: row
            for row in session.scalars(select(Delivery).where(Delivery.broadcast_id == reminder.id))
        }
    assert reader not in copies and forgetful in copies
    # What their copy said, again, under the note, in their language.
    assert (
        copies[forgetful].text
        == "⏰ 提醒：这条必读消息你还没有确认阅读，看完请点 ✅。\n\n周五前完成新系统培训"
    )
    traditional = copies[people.store_staff[1]].text
    assert traditional is not None and traditional.endswith("請點 ✅。\n\n週五前完成新系統培訓")

    # "I've read it" under the reminder marks the must-read read.
    with transaction(sessions) as session:
        react_to_delivery(
            session=session, delivery_id=copies[forgetful].id, person_id=forgetful, kind="acknowledge"
        )
        assert _copy(session, broadcast_id, forgetful).acknowledged_at is not None
        assert broadcast_status(session=session, broadcast_id=broadcast_id)["unread"] == 4


def test_reading_before_the_reminder_goes_out_drops_it_and_quiet_hours_hold(
    sessions: sessionmaker[Session], people: People
) -> None:
    timing = DeliveryTiming(default_timezone="Asia/Shanghai", quiet_hours=parse_quiet_hours("21:00-08:00"))
    late_evening = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    person = people.store_staff[3]
    with transaction(sessions) as session:
        broadcast_id = _must_read(session, selectors=(f"person:{person}",), send_at=late_evening - DAY * 1.5)
        enqueue_due(session=session, now=late_evening - DAY * 1.5)
        session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast_id)
            .values(state=DeliveryState.SENT.value, sent_at=late_evening - DAY - timedelta(hours=1))
        )
        assert send_must_read_reminders(session, late_evening, after=DAY) == 1
        assert enqueue_due(session=session, now=late_evening, timing=timing) == 1
        reminder = session.scalars(
            select(Delivery)
            .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
            .where(Broadcast.reminder_of_id == broadcast_id)
        ).one()
        assert reminder.next_attempt_at == datetime(2026, 12, 8, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
        # Read the original in the meantime: the reminder still waiting has nothing left to say.
        react_to_delivery(
            session=session,
            delivery_id=_copy(session, broadcast_id, person).id,
            person_id=person,
            kind="acknowledge",
        )
        session.refresh(reminder)
        assert reminder.state == DeliveryState.CANCELLED.value


def test_a_copy_is_handed_to_one_reminder_however_many_schedulers_tick_at_once(
    sessions: sessionmaker[Session], people: People
) -> None:
    with transaction(sessions) as session:
        broadcast_id = _must_read(session)
        enqueue_due(session=session)
        _sent(session, broadcast_id, hours_ago=30)
        recipients = len(
            session.scalars(select(Delivery.id).where(Delivery.broadcast_id == broadcast_id)).all()
        )
    counts: list[int] = []
    start = threading.Barrier(3)

    def scheduler() -> None:
        start.wait()
        with transaction(sessions) as session:
            counts.append(send_must_read_reminders(session, utc_now(), after=DAY))

    threads = [threading.Thread(target=scheduler) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 0, recipients]
    with transaction(sessions) as session:
        enqueue_due(session=session)
        reminded = session.scalars(
            select(Delivery.person_id)
            .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
            .where(Broadcast.reminder_of_id == broadcast_id)
        ).all()
    assert len(reminded) == len(set(reminded)) == recipients


def test_stale_must_reads_and_reminders_themselves_are_not_reminded(
    sessions: sessionmaker[Session], people: People
) -> None:
    with transaction(sessions) as session:
        old = _must_read(session, selectors=("unit:华南区",))
        enqueue_due(session=session)
        _sent(session, old, hours_ago=24 * 10)  # switched on over a must-read from ten days ago
        assert send_must_read_reminders(session, utc_now(), after=DAY) == 0
        fresh = _must_read(session, selectors=("unit:华南区",))
        enqueue_due(session=session)
        _sent(session, fresh, hours_ago=25)
        assert send_must_read_reminders(session, utc_now(), after=DAY) == 3
        enqueue_due(session=session)
        reminder = session.scalars(select(Broadcast.id).where(Broadcast.reminder_of_id == fresh)).one()
        _sent(session, reminder, hours_ago=25)
        assert send_must_read_reminders(session, utc_now(), after=DAY) == 0


def test_who_has_not_read_a_must_read_per_unit(sessions: sessionmaker[Session], people: People) -> None:
    with transaction(sessions) as session:
        broadcast_id = _must_read(session, selectors=("unit:华东区", "unit:华南区"))
        enqueue_due(session=session)
        _sent(session, broadcast_id, hours_ago=1)
        for person_id in people.store_staff[:4]:
            react_to_delivery(
                session=session, delivery_id=_copy(session, broadcast_id, person_id).id, person_id=person_id,
                kind="acknowledge",
            )  # fmt: skip
        session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast_id, Delivery.person_id == people.south_staff[0])
            .values(state=DeliveryState.BLOCKED.value)
        )
        session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast_id, Delivery.person_id == people.south_staff[1])
            .values(state=DeliveryState.CANCELLED.value)
        )
        report = unread_report(session=session, broadcast_id=broadcast_id)
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
        plain = create_broadcast(session=session, text="本周之星").id
        assert unread_report(session=session, broadcast_id=plain).must_read is False
        assert broadcast_status(session=session, broadcast_id=plain)["unread"] == 0
    # The region manager, the store's manager and its fifth staff member; two of the south's three
    # (one blocked the bot: still unread, and shown why); the cancelled copy was never meant to arrive.
    assert report.must_read and figures["unread"] == len(report.readers) == 5
    assert report.by_unit == [("华东区-12号店", 2), ("华南区", 2), ("华东区", 1)]
    by_name = {reader.name: (reader.unit, reader.state) for reader in report.readers}
    assert by_name == {
        "p100": ("华东区", "sent"),
        "p200": ("华东区-12号店", "sent"),
        "p304": ("华东区-12号店", "sent"),
        "p400": ("华南区", "blocked"),
        "p402": ("华南区", "sent"),
    }


def test_a_press_counts_only_with_a_button_the_copy_has(
    sessions: sessionmaker[Session], people: People
) -> None:
    person = people.store_manager
    with transaction(sessions) as session:
        alert = create_broadcast(
            session=session, kind=BroadcastKind.ALERT, text="⚠️ 橙灯", selectors=[f"person:{person}"]
        )
        plain = create_broadcast(session=session, text="本周之星", selectors=[f"person:{person}"])
        enqueue_due(session=session)
        with pytest.raises(InvalidInputError, match="no such button"):  # nobody claps for a warning
            react_to_delivery(
                session=session,
                delivery_id=_copy(session, alert.id, person).id,
                person_id=person,
                kind="clap",
            )
        with pytest.raises(InvalidInputError, match="no such button"):  # not a must-read
            react_to_delivery(
                session=session,
                delivery_id=_copy(session, plain.id, person).id,
                person_id=person,
                kind="acknowledge",
            )
        clapped = react_to_delivery(
            session=session, delivery_id=_copy(session, plain.id, person).id, person_id=person, kind="clap"
        )
        assert (clapped.claps, clapped.read, clapped.language, clapped.kind) == (
            1,
            False,
            "zh-Hans",
            "message",
        )


def test_a_story_goes_out_headed_with_its_author_and_unit_in_each_language(
    sessions: sessionmaker[Session], people: People
) -> None:
    with transaction(sessions) as session:
        manager = session.get(Person, people.store_manager)
        assert manager is not None
        story = start_story(session=session, author=manager, text="排班时间减半。", language="zh-Hans")
        broadcast = send_story(
            session=session, story_id=story.id, author=manager, approval_for_own_unit=False
        )
        assert broadcast.text == "🌟 成功故事\np200（华东区-12号店）\n\n排班时间减半。"
        assert broadcast.texts["en"] == "🌟 Success story\np200 (华东区-12号店)\n\n排班时间减半。"
        # A photo's caption leaves room for the header under Telegram's limit.
        with pytest.raises(InvalidInputError, match="caption"):
            start_story(
                session=session, author=manager, text="长" * 950, language="zh-Hans", photo_file_id="AgAD"
            )


def test_the_reminder_is_a_scheduler_chore(sessions: sessionmaker[Session], people: People) -> None:
    from functools import partial

    from bot.config import Settings
    from bot.scheduling.runner import Scheduler

    settings = Settings(_env_file=None)
    assert settings.must_read_reminder_hours == 24  # the default CHANGEBOT_MUST_READ_REMINDER_HOURS
    with transaction(sessions) as session:
        broadcast_id = _must_read(session, selectors=("unit:华南区",))
        enqueue_due(session=session)
        _sent(session, broadcast_id, hours_ago=25)
    # As bot/runtime.py's build_scheduler runs it, among its ticks.
    chore = partial(send_must_read_reminders, after=timedelta(hours=settings.must_read_reminder_hours))
    scheduler = Scheduler(sessions=sessions, actions={}, zones=lambda session: [], ticks=[chore])
    scheduler.run_once()
    scheduler.run_once()
    with sessions() as session:
        reminder = session.scalars(select(Broadcast).where(Broadcast.reminder_of_id == broadcast_id)).one()
        assert len(reminder.audience) == 3
