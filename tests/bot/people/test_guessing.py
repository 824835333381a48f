"""Guessing invite codes: five wrong codes a minute from one place, then nothing is even looked at."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.people.guessing import (
    WRONG_CODES_PER_MINUTE,
    count_wrong_code,
    forget_old_wrong_codes,
    too_many_wrong_codes,
)
from bot.people.models import Role, WrongCodeWindow
from bot.people.service import InviteRejectedError, add_unit, create_invite, redeem_invite_from
from bot.storage.database import transaction

T0 = 1_800_000_000.0  # a minute boundary: 30,000,000 minutes since the epoch


def test_the_window_slides_over_the_last_minute(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for second in range(WRONG_CODES_PER_MINUTE):
            assert not too_many_wrong_codes(session=session, key="web:1.2.3.4", now=T0 + 50 + second)
            count_wrong_code(session=session, key="web:1.2.3.4", now=T0 + 50 + second)
        assert too_many_wrong_codes(session=session, key="web:1.2.3.4", now=T0 + 55)
        assert not too_many_wrong_codes(session=session, key="web:5.6.7.8", now=T0 + 55)  # another place
        assert too_many_wrong_codes(session=session, key="web:1.2.3.4", now=T0 + 59)
        # Half a minute into the next minute half of that one still counts: 5 x 0.5 = 2.5, below the limit.
        assert not too_many_wrong_codes(session=session, key="web:1.2.3.4", now=T0 + 90)
    with transaction(sessions) as session:
        assert forget_old_wrong_codes(session, datetime.fromtimestamp(T0 + 300, tz=UTC)) == 1
        assert session.scalars(select(WrongCodeWindow)).all() == []


def test_only_wrong_codes_count_and_a_right_one_is_refused_once_over(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        add_unit(session=session, name="A店")
        code = create_invite(session=session, unit_name="A店", role=Role.STAFF, uses=1).code

    def join(session: Session, typed: str, telegram_id: int) -> str:
        try:
            redeem_invite_from(
                session=session, tried_from="telegram:42", code=typed, telegram_id=telegram_id, name="x",
                language="zh-Hans",
            )  # fmt: skip
        except InviteRejectedError as exc:
            return exc.reason
        return "joined"

    with transaction(sessions) as session:
        assert join(session, code, 1) == "joined"  # right the first time: nothing counted
        assert join(session, code, 2) == "used_up"  # a real code: not counted either
        assert session.scalars(select(WrongCodeWindow)).all() == []
    for _ in range(WRONG_CODES_PER_MINUTE):
        with transaction(sessions) as session:  # each try its own request, as from the edges
            assert join(session, "WRONG12345", 3) == "unknown"
    with transaction(sessions) as session:
        assert join(session, code, 3) == "too_many"  # not even looked at
        assert session.get(WrongCodeWindow, "telegram:42") is not None


@pytest.mark.parametrize("late", [0.0, 30.0, 59.0])
def test_a_burst_is_stopped_wherever_it_falls_in_the_minute(
    sessions: sessionmaker[Session], late: float
) -> None:
    with transaction(sessions) as session:
        tries = 0
        while not too_many_wrong_codes(session=session, key="k", now=T0 + late + tries * 0.1):
            count_wrong_code(session=session, key="k", now=T0 + late + tries * 0.1)
            tries += 1
        assert WRONG_CODES_PER_MINUTE <= tries <= WRONG_CODES_PER_MINUTE + 1
