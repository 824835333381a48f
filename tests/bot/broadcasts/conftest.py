"""A small organisation for the broadcast tests: a region, two stores, managers, staff and an admin."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.people.models import Person, Role
from bot.people.service import add_unit, create_invite, redeem_invite
from bot.storage.database import transaction


@dataclass
class People:
    """Person ids by role."""

    admin: int = 0
    region_manager: int = 0
    store_manager: int = 0
    store_staff: list[int] = field(default_factory=list)
    south_staff: list[int] = field(default_factory=list)


@pytest.fixture
def people(sessions: sessionmaker[Session]) -> People:
    found = People()
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        add_unit(session=session, name="华东区", parent="总部")
        add_unit(session=session, name="华东区-12号店", parent="华东区")
        add_unit(session=session, name="华南区", parent="总部")

        def join(unit: str, role: Role, telegram_id: int, language: str = "zh-Hans") -> int:
            code = create_invite(session=session, unit_name=unit, role=role).code
            return redeem_invite(
                session=session, code=code, telegram_id=telegram_id, name=f"p{telegram_id}", language=language
            ).person.id

        found.region_manager = join("华东区", Role.MANAGER, 100)
        found.store_manager = join("华东区-12号店", Role.MANAGER, 200)
        found.store_staff = [
            join("华东区-12号店", Role.STAFF, 300 + n, "zh-Hant" if n < 2 else "zh-Hans") for n in range(5)
        ]
        found.south_staff = [
            join("华南区", Role.STAFF, 400 + n, "en" if n == 0 else "zh-Hans") for n in range(3)
        ]
        admin = Person(telegram_id=900, name="admin", is_admin=True, language="zh-Hans")
        session.add(admin)
        session.flush()
        found.admin = admin.id
    return found
