"""The weekly review pack: lights and their movement, wave progress, resistance, unanswered questions,
reach, and last week's actions (done or not)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import InvalidInputError
from bot.people.models import Membership, Person, Role, Unit
from bot.people.service import add_unit
from bot.questions.models import AskedQuestion
from bot.rollout.lights import LightRules, evaluate_week
from bot.rollout.models import UnitWeek
from bot.rollout.review import add_action, complete_action, managers, review_pack
from bot.rollout.waves import add_wave, assign_units
from bot.storage.database import transaction

WEEK = date(2026, 11, 16)


def test_the_pack_for_a_region_manager(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        region = add_unit(session=session, name="华东区", parent="总部")
        a = add_unit(session=session, name="A店", parent="华东区")
        b = add_unit(session=session, name="B店", parent="华东区")
        other = add_unit(session=session, name="华南区", parent="总部")
        manager = Person(telegram_id=1, name="区经理", language="zh-Hans")
        staff = Person(telegram_id=2, name="店员")
        session.add_all([manager, staff])
        session.flush()
        session.add(Membership(person_id=manager.id, unit_id=region.id, role=Role.MANAGER.value))
        session.add(Membership(person_id=staff.id, unit_id=a.id, role=Role.STAFF.value))
        for week, rates in ((WEEK - timedelta(days=7), (0.5, 0.9, 0.2)), (WEEK, (0.7, 0.9, 0.3))):
            for unit, rate in zip((a, b, other), rates, strict=True):
                session.add(UnitWeek(unit_id=unit.id, week=week, usage_rate=rate))
            session.flush()
            evaluate_week(session=session, week=week, rules=LightRules())
        add_wave(session=session, number=1, starts_on=WEEK - timedelta(weeks=6))
        assign_units(session=session, number=1, unit_names=["A店", "B店"])
        for text in ("仓库消防演练多久一次", "仓库消防演练谁负责"):
            session.add(
                AskedQuestion(
                    asked_at=datetime(2026, 11, 17, tzinfo=UTC), channel="telegram", person_id=staff.id,
                    language="zh-Hans", text=text, answer="", answered=False, confidence=0.0, status="open",
                )
            )  # fmt: skip
        done = add_action(
            session=session, manager=manager, what="A店加一次到店辅导", owner="王教练", due_on=WEEK
        )
        add_action(
            session=session,
            manager=manager,
            what="整理排班问题清单",
            owner="李店长",
            due_on=WEEK + timedelta(days=3),
        )
        complete_action(session=session, action_id=done.id, person=manager)
        with pytest.raises(InvalidInputError, match="own units"):
            add_action(
                session=session,
                manager=manager,
                what="x",
                owner="y",
                due_on=WEEK,
                unit=session.get(Unit, other.id),
            )
        with pytest.raises(InvalidInputError, match="what and who"):
            add_action(session=session, manager=manager, what=" ", owner="y", due_on=WEEK)
        with pytest.raises(InvalidInputError, match="only the manager"):
            complete_action(session=session, action_id=done.id, person=staff)
        assert [m.id for m in managers(session=session)] == [manager.id]

        pack = review_pack(
            session=session, manager=manager, week=WEEK, resistance={a.id: {"emotional": "high", "cognitive": "low"}},
            vision_target=10, light_rules=LightRules(), console_url="https://changebot.example.com/console",
        )  # fmt: skip
    text = pack.text
    assert text.startswith("📋 每周变革复盘 · 2026-11-16")
    assert "🟡 黄灯 A店 70%（上周 🟠 橙灯）" in text and "🟢 绿灯 B店 90%" in text
    assert "华南区" not in text  # not theirs
    assert "第1批：2/2 家绿灯或黄灯" in text and "on target" in text
    assert "情绪层（不喜欢、担心）：1 个单位偏高" in text
    assert "仓库消防演练" in text and "（2 次）" in text
    assert "✅ A店加一次到店辅导（王教练）" in text and "⬜ 整理排班问题清单（李店长，2026-11-19 前）" in text
    assert pack.open_actions and pack.open_actions[0][1] == "整理排班问题清单"
    assert "https://changebot.example.com/console" in text
