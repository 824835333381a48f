"""The console's page for one broadcast: its figures and, for a must-read, who has not read it yet,
per unit, in the console's three languages; only for those who may see the broadcast."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.broadcasts.models import Delivery, DeliveryState
from bot.broadcasts.service import create_broadcast, enqueue_due, react_to_delivery
from bot.people.models import Membership, Person, Role
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.bot.web.conftest import World, sign_in


def _signed_in(world: World, who: str) -> None:
    headers = sign_in(world, who)
    world.client.cookies.clear()
    world.client.cookies.set("changebot_session", headers["Cookie"].split("=", 1)[1])


def _must_read_for_a_store(world: World) -> int:
    """A must-read to A店 (its manager and two staff); the manager has read it."""
    with transaction(world.sessions) as session:
        second = Person(telegram_id=77, name="小李")
        session.add(second)
        session.flush()
        session.add(Membership(person_id=second.id, unit_id=world.ids["A店"], role=Role.STAFF.value))
        broadcast = create_broadcast(
            session=session, text="周五前完成培训", selectors=["unit:A店"], must_read=True,
            created_by=session.get(Person, world.ids["store"]),
        )  # fmt: skip
        enqueue_due(session=session)
        session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast.id)
            .values(state=DeliveryState.SENT.value, sent_at=utc_now())
        )
        session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast.id, Delivery.person_id == second.id)
            .values(state=DeliveryState.BLOCKED.value)
        )
        read = session.scalars(
            select(Delivery.id).where(
                Delivery.broadcast_id == broadcast.id, Delivery.person_id == world.ids["store"]
            )
        ).one()
        react_to_delivery(session=session, delivery_id=read, person_id=world.ids["store"], kind="acknowledge")
        return broadcast.id


def test_a_must_reads_page_lists_who_has_not_read_it_per_unit(world: World) -> None:
    broadcast_id = _must_read_for_a_store(world)
    _signed_in(world, "region")
    listing = world.client.get("/console/broadcasts").text
    assert f'href="/console/broadcasts/{broadcast_id}"' in listing and ">1/3</a>" in listing
    page = world.client.get(f"/console/broadcasts/{broadcast_id}")
    assert page.status_code == 200
    unread = page.text.split('id="unread"', 1)[1]
    assert "各单位未读人数" in unread and "还没确认阅读的人" in unread
    assert "<td>A店</td><td>2</td>" in unread
    assert "<td>staff</td><td>A店</td><td>已送达</td>" in unread
    assert "<td>小李</td><td>A店</td><td>已屏蔽机器人</td>" in unread  # why it has not reached them
    assert "<td>store</td>" not in unread  # read
    traditional = world.client.get(f"/console/broadcasts/{broadcast_id}?lang=zh-Hant").text
    assert "各單位未讀人數" in traditional and "還沒確認閱讀的人" in traditional
    english = world.client.get(f"/console/broadcasts/{broadcast_id}?lang=en").text
    assert (
        "Not read yet, per unit" in english
        and "Who has not read it yet" in english
        and "blocked the bot" in english
    )


def test_a_broadcast_page_is_for_those_who_may_see_the_broadcast(world: World) -> None:
    broadcast_id = _must_read_for_a_store(world)
    _signed_in(world, "south")  # another region's manager
    refused = world.client.get(f"/console/broadcasts/{broadcast_id}", follow_redirects=False)
    assert refused.status_code == 303 and "no%20broadcast" in refused.headers["location"]
    world.client.cookies.clear()
    assert world.client.get(f"/console/broadcasts/{broadcast_id}").status_code == 401
    _signed_in(world, "store")
    with transaction(world.sessions) as session:
        plain = create_broadcast(session=session, text="A店本周之星", selectors=["unit:A店"]).id
    page = world.client.get(f"/console/broadcasts/{plain}").text
    assert "A店本周之星" in page and 'id="unread"' not in page  # not a must-read: nobody owes a read


def test_a_must_read_nobody_has_received_yet_does_not_say_everyone_read_it(world: World) -> None:
    with transaction(world.sessions) as session:
        broadcast_id = create_broadcast(
            session=session, text="周五前完成培训", selectors=["unit:A店"], must_read=True,
            created_by=session.get(Person, world.ids["store"]),
        ).id  # fmt: skip
    _signed_in(world, "region")
    unread = world.client.get(f"/console/broadcasts/{broadcast_id}").text.split('id="unread"', 1)[1]
    assert "还没有送到任何人" in unread and "收到的人都已确认阅读" not in unread
    english = world.client.get(f"/console/broadcasts/{broadcast_id}?lang=en").text
    assert "Not delivered to anyone yet" in english and "Everyone it reached" not in english
