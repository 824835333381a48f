"""Rollout: light thresholds at the boundaries, the resistance and unanswered flags, escalation after
red weeks, the pause recommendation, the batch plan, and imports that refuse bad rows as a whole."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit
from bot.questions.models import AskedQuestion
from bot.rollout.figures import FiguresImportError, import_figures, parse_rate, report_usage, week_of
from bot.rollout.lights import LightRules, evaluate_week, red_streak, usage_light
from bot.rollout.models import Light, UnitLight, UnitWeek
from bot.rollout.waves import add_wave, assign_units, suggest_plan, wave_progress
from bot.storage.database import transaction

WEEK = date(2026, 11, 16)  # a Monday in the past
RULES = LightRules()


@pytest.mark.parametrize(
    ("rate", "light"),
    [
        (0.801, Light.GREEN), (0.80, Light.YELLOW), (0.60, Light.YELLOW), (0.599, Light.ORANGE),
        (0.40, Light.ORANGE), (0.399, Light.RED), (0.0, Light.RED), (1.0, Light.GREEN),
    ],
)  # fmt: skip
def test_light_thresholds_at_the_boundaries(rate: float, light: Light) -> None:
    assert usage_light(rate, RULES) == light


def test_rules_must_rise() -> None:
    with pytest.raises(ValueError, match="rise"):
        LightRules(green_above=0.5, yellow_from=0.6)


@pytest.mark.parametrize(
    ("raw", "share"), [("72", 0.72), ("72%", 0.72), (0.72, 0.72), ("0.5", 0.5), ("100", 1.0)]
)
def test_rates_in_any_usual_form(raw: object, share: float) -> None:
    assert parse_rate(raw) == share


@pytest.fixture
def stores(sessions: sessionmaker[Session]) -> dict[str, int]:
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        add_unit(session=session, name="华东区", parent="总部")
        ids = {
            name: add_unit(session=session, name=name, parent="华东区").id
            for name in ("A店", "B店", "C店", "D店")
        }
    return ids


def _csv(*rows: str) -> str:
    return "unit,week,usage_rate,efficiency_change,complaints\n" + "\n".join(rows) + "\n"


def test_an_import_with_bad_rows_changes_nothing_and_names_every_line(
    sessions: sessionmaker[Session], stores: dict[str, int]
) -> None:
    text = _csv(
        "A店,2026-11-16,72,,",
        "火星店,2026-11-16,50,,",  # unknown unit
        "B店,2026-11-16,140%,,",  # impossible rate
        "C店,,65,,",  # missing week
        "D店,2026-11-18,0.55,12%,3",
        "A店,2026-11-17,70,,",  # the same unit and week again (the 17th is in the week of the 16th)
    )
    with transaction(sessions) as session, pytest.raises(FiguresImportError) as error:
        import_figures(session=session, text=text, fmt="csv")
    message = str(error.value)
    assert "line 3: unknown unit '火星店'" in message
    assert "line 4: usage_rate '140%' is outside 0-100%" in message
    assert "line 5: week is missing" in message
    assert "line 7: A店 week 2026-11-16 already given on line 2" in message
    with sessions() as session:
        assert session.scalars(select(UnitWeek)).all() == []  # nothing half-imported


def test_a_good_import_and_a_chat_report(sessions: sessionmaker[Session], stores: dict[str, int]) -> None:
    with transaction(sessions) as session:
        assert (
            import_figures(
                session=session, text=_csv("A店,2026-11-16,72,,", "D店,2026-W47,0.55,12%,3"), fmt="csv"
            )
            == 2
        )
        payload = json.dumps([{"unit": "B店", "week": "2026-11-16", "usage_rate": 45}])
        assert import_figures(session=session, text=payload, fmt="json", source="api") == 1
        with pytest.raises(FiguresImportError, match="line 1: missing column"):
            import_figures(session=session, text="store,usage\nA店,5\n", fmt="csv")
        with pytest.raises(FiguresImportError, match="not valid JSON"):
            import_figures(session=session, text="[{", fmt="json")
        rows = {row.unit_id: row for row in session.scalars(select(UnitWeek)).all()}
        assert rows[stores["A店"]].usage_rate == 0.72 and rows[stores["D店"]].efficiency_change == 0.12
        assert rows[stores["D店"]].complaints == 3 and rows[stores["B店"]].source == "api"
        manager = Person(telegram_id=1, name="店长")
        session.add(manager)
        session.flush()
        from bot.people.models import Unit

        unit = session.get(Unit, stores["C店"])
        assert unit is not None
        reported = report_usage(session=session, unit=unit, reporter=manager, rate="68")
        assert (
            reported.week == week_of(datetime.now(UTC).date()) - timedelta(days=7)
            and reported.usage_rate == 0.68
        )
        with pytest.raises(ValueError, match="outside"):
            report_usage(session=session, unit=unit, reporter=manager, rate="140")


def _figures(session: Session, unit_id: int, week: date, rate: float) -> None:
    session.add(UnitWeek(unit_id=unit_id, week=week, usage_rate=rate))
    session.flush()


def test_flags_make_a_light_one_level_worse_with_the_reason(
    sessions: sessionmaker[Session], stores: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        _figures(session, stores["A店"], WEEK, 0.85)
        _figures(session, stores["B店"], WEEK, 0.85)
        _figures(session, stores["C店"], WEEK, 0.30)
        # B店 staff left many questions unanswered this week, fewer last week.
        person = Person(telegram_id=77, name="店员")
        session.add(person)
        session.flush()
        session.add(Membership(person_id=person.id, unit_id=stores["B店"], role=Role.STAFF.value))
        for n in range(6):
            session.add(
                AskedQuestion(
                    asked_at=datetime(2026, 11, 17, 3, n, tzinfo=UTC), channel="telegram", person_id=person.id,
                    language="zh-Hans", text="?", answer="", answered=n < 2, confidence=0.1,
                )
            )  # fmt: skip
        lights = {
            row.unit_id: row
            for row in evaluate_week(
                session=session, week=WEEK, rules=RULES, high_resistance={stores["A店"]: ["emotional"]}
            )
        }
    a, b, c = lights[stores["A店"]], lights[stores["B店"]], lights[stores["C店"]]
    assert (a.usage_light, a.light) == ("green", "yellow") and "high resistance" in " ".join(a.reasons)
    assert "emotional" in " ".join(a.reasons)
    assert (b.usage_light, b.light) == (
        "green",
        "yellow",
    ) and "unanswered questions rising to 67%" in b.reasons
    assert b.questions == 6 and b.active_share == 1.0
    assert (c.usage_light, c.light) == ("red", "red")  # red stays red
    assert stores["D店"] not in lights  # no figures, no light


def test_red_streaks_and_wave_gate(sessions: sessionmaker[Session], stores: dict[str, int]) -> None:
    with transaction(sessions) as session:
        for weeks_ago, rate in ((2, 0.3), (1, 0.35), (0, 0.2)):
            week = WEEK - timedelta(weeks=weeks_ago)
            _figures(session, stores["A店"], week, rate)
            _figures(session, stores["B店"], week, 0.9 if weeks_ago != 1 else 0.3)
            _figures(session, stores["C店"], week, 0.7)
            _figures(session, stores["D店"], week, 0.5)
            evaluate_week(session=session, week=week, rules=RULES)
        assert red_streak(session=session, unit_id=stores["A店"], week=WEEK) == 3
        assert red_streak(session=session, unit_id=stores["A店"], week=WEEK - timedelta(weeks=1)) == 2
        assert red_streak(session=session, unit_id=stores["B店"], week=WEEK) == 0
        wave = add_wave(
            session=session, number=2, starts_on=WEEK - timedelta(weeks=4), target_success_rate=0.8
        )
        assert assign_units(session=session, number=2, unit_names=["A店", "B店", "C店", "D店"]) == 4
        with pytest.raises(Exception, match="火星店"):
            assign_units(session=session, number=2, unit_names=["A店", "火星店"])
        progress = wave_progress(session=session, week=WEEK)[0]
        assert progress.wave.id == wave.id and progress.successes == 2 and progress.success_rate == 0.5
        assert progress.judged and progress.pause_next and "pause the next wave" in progress.advice
        early = wave_progress(session=session, week=WEEK - timedelta(weeks=1))[0]
        assert not early.judged and not early.pause_next
        assert (
            session.scalar(
                select(UnitLight.light).where(UnitLight.unit_id == stores["D店"], UnitLight.week == WEEK)
            )
            == "orange"
        )


def test_the_batch_plan_follows_1_3_9_27_within_coach_capacity() -> None:
    plan = suggest_plan(units=200, coaches=50)
    assert [w.units for w in plan] == [5, 15, 45, 135]
    assert [w.starts_after_weeks for w in plan] == [0, 8, 12, 16]
    capped = suggest_plan(units=200, coaches=12)  # 36 units at a time
    assert sum(w.units for w in capped) == 200 and max(w.units for w in capped) <= 36
    assert [w.units for w in capped][:2] == [5, 15]
    assert [w.units for w in suggest_plan(units=3, coaches=1)] == [1, 1, 1]
