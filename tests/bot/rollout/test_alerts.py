"""Alerts: a unit turning orange or red tells its manager with suggested responses retrieved from the
playbooks (and they change when the playbook does); one alert per change; mutes; escalation after
two and three red weeks."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Broadcast
from bot.config import Settings
from bot.people.models import Membership, Person, Role, Unit
from bot.people.service import add_unit
from bot.rollout.alerts import check_alerts, mute_unit, reason_sentence
from bot.rollout.lights import LightRules, evaluate_week
from bot.rollout.models import RolloutAlert, UnitWeek
from bot.rollout.service import advice_excerpt, evaluate_and_alert, knowledge_search
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.results import Rules

WEEK = date(2026, 10, 5)
RULES = LightRules()
RESPONSES_MD = """---
title: 灯色亮了怎么办
lang: zh-Hans
---
# 灯色亮了怎么办

## 红灯
红灯说明使用率低于40%。先做深入诊断：设备网络、培训、店长态度，必要时暂停推进、重新培训。{red_extra}

## 橙灯
橙灯说明使用率在40%到60%之间。教练介入，三天内定出两周改进计划。

## 情绪层抵触
情绪层抵触是担心和不喜欢。安排一对一辅导，先做出快速见效的小成果，请同伴讲成功故事。
"""


def _write_playbook(settings: Settings, red_extra: str = "") -> None:
    folder = settings.knowledge_dir / "playbooks"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "responses.md").write_text(RESPONSES_MD.format(red_extra=red_extra), encoding="utf-8")


def _org(sessions: sessionmaker[Session]) -> dict[str, int]:
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        add_unit(session=session, name="华东区", parent="总部")
        ids = {"A店": add_unit(session=session, name="A店", parent="华东区").id}
        ids["B店"] = add_unit(session=session, name="B店", parent="华东区").id
        for key, unit, language in (
            ("store", "A店", "zh-Hans"),
            ("region", "华东区", "zh-Hans"),
            ("storeB", "B店", "en"),
        ):
            person = Person(telegram_id=len(ids) + 100, name=key, language=language)
            session.add(person)
            session.flush()
            unit_id = session.scalars(select(Unit.id).where(Unit.name == unit)).one()
            session.add(Membership(person_id=person.id, unit_id=unit_id, role=Role.MANAGER.value))
            ids[key] = person.id
        admin = Person(telegram_id=999, name="admin", is_admin=True)
        session.add(admin)
        session.flush()
        ids["admin"] = admin.id
    return ids


def _week(session: Session, unit_id: int, week: date, rate: float) -> None:
    session.add(UnitWeek(unit_id=unit_id, week=week, usage_rate=rate))
    session.flush()
    evaluate_week(session=session, week=week, rules=RULES)


def test_alerts_cite_the_playbook_once_per_change_and_escalate(
    settings: Settings, ingested: KnowledgeCore, sessions: sessionmaker[Session]
) -> None:
    _write_playbook(settings)
    ingested.ingest()
    search = knowledge_search(ingested)
    ids = _org(sessions)
    with transaction(sessions) as session:
        _week(session, ids["A店"], WEEK, 0.5)  # orange
        notices = check_alerts(session=session, week=WEEK, rules=RULES, search=search)
        assert [n.person_ids for n in notices] == [(ids["store"],)]
        text = notices[0].text
        assert (
            "A店 本周 🟠 橙灯" in text and "原因：使用率 50%，低于橙灯线 60%。" in text and "建议做法" in text
        )
        assert "usage" not in text and "…" not in text  # plain words, whole sentences
        assert "playbooks/responses.md" in text and "改进计划" in text
        assert check_alerts(session=session, week=WEEK, rules=RULES, search=search) == []  # decided already

        _week(session, ids["A店"], WEEK + timedelta(weeks=1), 0.3)  # red: a change
        red = check_alerts(session=session, week=WEEK + timedelta(weeks=1), rules=RULES, search=search)
        assert len(red) == 1 and "🔴 红灯" in red[0].text and "深入诊断" in red[0].text

        _week(session, ids["A店"], WEEK + timedelta(weeks=2), 0.3)  # red again: no new light alert,
        second = check_alerts(session=session, week=WEEK + timedelta(weeks=2), rules=RULES, search=search)
        assert [n.person_ids for n in second] == [(ids["region"],)]  # but two red weeks: the region
        assert "连续 2 周红灯" in second[0].text

        _week(session, ids["A店"], WEEK + timedelta(weeks=3), 0.2)
        third = check_alerts(session=session, week=WEEK + timedelta(weeks=3), rules=RULES, search=search)
        assert [n.person_ids for n in third] == [(ids["admin"],)] and "连续 3 周红灯" in third[0].text

        # The store manager mutes A店 for a week: the next change reaches nobody.
        a_store = session.get(Unit, ids["A店"])
        store_manager = session.get(Person, ids["store"])
        assert a_store is not None and store_manager is not None
        mute_unit(session=session, unit=a_store, person=store_manager, until=utc_now() + timedelta(days=7))
        _week(session, ids["A店"], WEEK + timedelta(weeks=4), 0.5)
        muted = check_alerts(session=session, week=WEEK + timedelta(weeks=4), rules=RULES, search=search)
        assert all(ids["store"] not in n.person_ids for n in muted)

    # The playbook changes: so does the advice.
    _write_playbook(settings, red_extra="新做法：请区域教练驻店三天，每天复盘。")
    ingested.ingest()
    with transaction(sessions) as session:
        _week(session, ids["B店"], WEEK, 0.2)
        notices = check_alerts(session=session, week=WEEK, rules=RULES, search=knowledge_search(ingested))
        assert len(notices) == 1 and notices[0].language == "en" and "is 🔴 red this week" in notices[0].text
        assert "驻店三天" in notices[0].text


def test_high_resistance_alerts_with_the_matching_advice_and_delivery(
    settings: Settings, ingested: KnowledgeCore, sessions: sessionmaker[Session]
) -> None:
    _write_playbook(settings)
    ingested.ingest()
    ids = _org(sessions)
    with transaction(sessions) as session:
        session.add(UnitWeek(unit_id=ids["A店"], week=WEEK, usage_rate=0.9))
        session.flush()
        evaluation = evaluate_and_alert(
            session=session,
            week=WEEK,
            rules=RULES,
            search=knowledge_search(ingested),
            surveys={},
            survey_rules=Rules(),
        )
        assert [light.light for light in evaluation.lights] == ["green"] and evaluation.notices == []
        notices = check_alerts(
            session=session, week=WEEK, rules=RULES, search=knowledge_search(ingested),
            resistance={ids["A店"]: {"emotional": "high", "cognitive": "low"}},
        )  # fmt: skip
        assert len(notices) == 1 and "情绪层" in notices[0].text and "一对一辅导" in notices[0].text
        kinds = set(session.scalars(select(RolloutAlert.kind)).all())
        assert kinds == {"resistance-emotional"}

        session.add(UnitWeek(unit_id=ids["B店"], week=WEEK, usage_rate=0.1))
        session.flush()
        evaluation = evaluate_and_alert(
            session=session,
            week=WEEK,
            rules=RULES,
            search=knowledge_search(ingested),
            surveys={},
            survey_rules=Rules(),
        )
        assert len(evaluation.broadcast_ids) == 1  # queued through the sender, to B店's manager
        broadcast = session.get(Broadcast, evaluation.broadcast_ids[0])
        assert broadcast is not None and broadcast.audience == [f"person:{ids['storeB']}"]


LONG_SECTION = """---
title: 橙灯改进手册
lang: zh-Hans
---
# 橙灯改进手册

## 橙灯改进计划
橙灯说明使用率在40%到60%之间，需要教练介入。第一天，教练到店观察一整天的收银和排班，记下每一个卡住的地方。第二天，和店长一起把问题排个先后，挑出最影响顾客的三件事。第三天，定出两周改进计划，写清每件事的负责人和完成日期。之后每周复盘一次，直到连续两周回到黄灯以上。复盘时看三个数字：使用率、排队时长和顾客投诉，每个数字都要和上周比。如果两周后仍是橙灯，请区域经理到店一起复盘，必要时调整计划。
"""


def test_what_changed_is_said_in_a_sentence_and_the_advice_in_whole_sentences(
    settings: Settings, ingested: KnowledgeCore, sessions: sessionmaker[Session]
) -> None:
    folder = settings.knowledge_dir / "playbooks"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orange.md").write_text(LONG_SECTION, encoding="utf-8")
    ingested.ingest()
    found = knowledge_search(ingested)("橙灯 改进计划 教练介入")
    long = next(item for item in found if item.source == "playbooks/orange.md")
    assert long.excerpt.startswith("橙灯说明使用率在40%到60%之间") and long.excerpt.endswith("。")
    assert "…" not in long.excerpt and 100 < len(long.excerpt) <= 160  # cut after a sentence, not in one
    assert "区域经理" not in long.excerpt
    # The first sentence is kept whole however long; English is cut after a sentence too.
    assert advice_excerpt("一二三四五六七八九十。下一句。", budget=5) == "一二三四五六七八九十。"
    assert advice_excerpt("Coach the store. Then review it weekly.", budget=30) == "Coach the store."

    ids = _org(sessions)
    with transaction(sessions) as session:
        session.add(UnitWeek(unit_id=ids["A店"], week=WEEK, usage_rate=0.65))
        session.add(UnitWeek(unit_id=ids["B店"], week=WEEK, usage_rate=0.3))
        session.flush()
        rows = {
            row.unit_id: row
            for row in evaluate_week(
                session=session, week=WEEK, rules=RULES, high_resistance={ids["A店"]: ["emotional"]}
            )
        }
        flagged, red = rows[ids["A店"]], rows[ids["B店"]]
        assert reason_sentence(red, RULES, "zh-Hant") == "使用率 30%，低於紅燈線 40%。"
        assert reason_sentence(red, RULES, "en") == "Usage is 30%, below the red line of 40%."
        assert reason_sentence(flagged, RULES, "zh-Hans") == (
            "使用率 65%（单看使用率是🟡 黄灯）；最近一次脉搏调查显示情绪层（不喜欢、担心）抵触偏高，灯色降一级。"
        )
        assert flagged.reasons[0] == "usage 65%"  # the history keeps its own words
