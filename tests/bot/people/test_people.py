from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import InvalidInputError, NotFoundError
from bot.people.models import InviteCode, Person, Role
from bot.people.service import (
    add_unit,
    can_manage,
    create_invite,
    ensure_admins,
    get_unit,
    invite_link,
    managed_units,
    managers_of,
    normalise_code,
    redeem_invite,
    unit_tree,
)
from bot.storage.base import utc_now
from bot.storage.database import transaction


@pytest.fixture
def org(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(sessions) as session:
        add_unit(session=session, name="港湾零售")
        add_unit(session=session, name="华东区", parent="港湾零售")
        add_unit(session=session, name="华东区-12号店", parent="华东区")
        add_unit(session=session, name="华南区", parent="港湾零售")
    return sessions


def _join(session: Session, code: str, telegram_id: int) -> Person:
    return redeem_invite(
        session=session, code=code, telegram_id=telegram_id, name=f"u{telegram_id}", language="zh-Hans"
    ).person


def test_unit_tree_and_errors(org: sessionmaker[Session]) -> None:
    with transaction(org) as session:
        assert [(d, u.name) for d, u in unit_tree(session=session)] == [
            (0, "港湾零售"),
            (1, "华东区"),
            (2, "华东区-12号店"),
            (1, "华南区"),
        ]
        with pytest.raises(InvalidInputError, match="already exists"):
            add_unit(session=session, name="华东区")
        with pytest.raises(NotFoundError, match="no unit named '火星区'"):
            add_unit(session=session, name="火星区-1号店", parent="火星区")
        with pytest.raises(InvalidInputError, match="needs a name"):
            add_unit(session=session, name="   ")


def test_invite_redeem_and_uses(org: sessionmaker[Session]) -> None:
    with transaction(org) as session:
        invite = create_invite(session=session, unit_name="华东区-12号店", role=Role.STAFF, uses=2)
        code = invite.code
        assert len(code) == 10 and code.isalnum() and code.isupper()
    with transaction(org) as session:
        joined = redeem_invite(
            session=session, code=code.lower(), telegram_id=1, name="小王", language="zh-Hans"
        )
        assert joined.unit.name == "华东区-12号店" and joined.role is Role.STAFF and not joined.already_member
        again = redeem_invite(session=session, code=code, telegram_id=1, name="小王", language="zh-Hans")
        assert again.already_member  # a second tap does not use the code up
        _join(session, f"{code[:5]}-{code[5:]}", 2)
        with pytest.raises(InvalidInputError, match="used up"):
            _join(session, code, 3)
        with pytest.raises(InvalidInputError, match="unknown invite code"):
            _join(session, "NOTACODE99", 4)


def test_expired_code_is_refused(org: sessionmaker[Session]) -> None:
    with transaction(org) as session:
        invite = create_invite(session=session, unit_name="华南区", role=Role.STAFF)
        invite.expires_at = utc_now() - timedelta(minutes=1)
        code = invite.code
    with transaction(org) as session, pytest.raises(InvalidInputError, match="expired"):
        _join(session, code, 5)
    with org() as session:
        assert session.query(InviteCode).filter_by(code=code).one().uses_left == 1


def test_managers_manage_their_subtree_and_escalation_walks_up(org: sessionmaker[Session]) -> None:
    with transaction(org) as session:
        region_code = create_invite(session=session, unit_name="华东区", role=Role.MANAGER).code
        store_code = create_invite(session=session, unit_name="华东区-12号店", role=Role.STAFF).code
        regional = _join(session, region_code, 10)
        staff = _join(session, store_code, 11)
        store = get_unit(session=session, name="华东区-12号店")
        south = get_unit(session=session, name="华南区")
        assert {u.name for u in managed_units(session=session, person=regional)} == {
            "华东区",
            "华东区-12号店",
        }
        assert can_manage(session=session, person=regional, unit=store)
        assert not can_manage(session=session, person=regional, unit=south)
        assert not can_manage(session=session, person=staff, unit=store)
        # The store has no manager of its own: its question goes to the region's.
        assert [p.telegram_id for p in managers_of(session=session, unit=store)] == [10]
        assert managers_of(session=session, unit=south) == []
        with pytest.raises(InvalidInputError, match="you do not manage"):
            create_invite(session=session, unit_name="华南区", role=Role.STAFF, created_by=regional)
        with pytest.raises(InvalidInputError, match="uses must be"):
            create_invite(session=session, unit_name="华东区", role=Role.STAFF, uses=0)


def test_configured_admins(org: sessionmaker[Session]) -> None:
    with transaction(org) as session:
        ensure_admins(session=session, telegram_ids=[42, 42])
        admin = session.query(Person).filter_by(telegram_id=42).one()
        assert admin.is_admin
        assert len(managed_units(session=session, person=admin)) == 4


def test_codes_and_links() -> None:
    assert normalise_code(" abcd-efgh 23 ") == "ABCDEFGH23"
    assert invite_link(code="ABC", bot_username="@changebot") == "https://t.me/changebot?start=ABC"
    assert invite_link(code="ABC", bot_username=None) is None
