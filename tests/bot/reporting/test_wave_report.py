"""A closed wave's results page for one reader (``reporting.wave_report``): only their shown groups'
answers per question, comments and trends; hidden groups with the reason; the ADKAR barrier point;
advice from the library for medium and high bands; waves that have not closed refused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access.service import Principal, principal_for
from bot.errors import NotFoundError
from bot.people.models import Membership, Person, Role, Unit
from bot.people.service import add_unit
from bot.reporting.wave_report import ResultsNotReadyError, SurveyMissingError, WaveReport, wave_report
from bot.rollout.alerts import SITUATIONS, Suggestion
from bot.storage.database import transaction
from bot.surveys.answers import record_answer
from bot.surveys.definitions import Survey, load_surveys
from bot.surveys.models import WaveStatus
from bot.surveys.pairing import PairingKey
from bot.surveys.results import ROOT, Band, Hidden, Rules
from bot.surveys.waves import close_due_waves, launch_wave

SURVEYS = load_surveys(Path(__file__).resolve().parents[3] / "knowledge" / "surveys")
PULSE, ADKAR = SURVEYS["resistance-pulse"], SURVEYS["adkar-check"]
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class FakeLibrary:
    """A ``Search`` that answers every situation with the same two passages and notes what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, query: str) -> Sequence[Suggestion]:
        self.asked.append(query)
        return [
            Suggestion(title="应对抵触", source="playbooks/resistance.md",
                       excerpt="先接住情绪。再安排一对一辅导。最后讲一个同伴的故事。"),
            Suggestion(title="分级辅导", source="playbooks/coaching.md", excerpt="关键用户每天巡店一次。"),
        ]  # fmt: skip


@pytest.fixture
def org(sessions: sessionmaker[Session]) -> dict[str, int]:
    """总部 > 东区 > 东区-A店 (12 staff), 东区-B店 (3 staff); 总部 > 南区 (6 staff); 西区 (no staff).
    A manager of each unit, and an admin."""
    ids: dict[str, int] = {}
    telegram_ids = iter(range(5000, 6000))
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        for name, parent in (("东区", "总部"), ("东区-A店", "东区"), ("东区-B店", "东区"), ("南区", "总部"),
                             ("西区", "总部")):  # fmt: skip
            add_unit(session=session, name=name, parent=parent)

        def person(unit: str | None, role: Role) -> int:
            someone = Person(telegram_id=next(telegram_ids), name="p", is_admin=unit is None)
            session.add(someone)
            session.flush()
            if unit is not None:
                unit_id = session.scalars(select(Unit.id).where(Unit.name == unit)).one()
                session.add(Membership(person_id=someone.id, unit_id=unit_id, role=role.value))
            return someone.id

        for unit, size in (("东区-A店", 12), ("东区-B店", 3), ("南区", 6)):
            for n in range(size):
                ids[f"{unit} {n}"] = person(unit, Role.STAFF)
        for unit in ("东区", "东区-A店", "东区-B店", "南区", "西区"):
            ids[f"{unit} manager"] = person(unit, Role.MANAGER)
        ids["admin"] = person(None, Role.STAFF)
    return ids


def _wave(
    sessions: sessionmaker[Session], key: PairingKey, org: dict[str, int], answers: dict[str, int], *,
    survey: Survey = PULSE, opens: datetime = NOW, audience: str = "unit:总部", close: bool = True,
) -> int:  # fmt: skip
    """A wave with ``answers`` ({"东区-A店": rating, ...}: everyone there answers so many), closed."""
    with transaction(sessions) as session:
        wave = launch_wave(session=session, survey=survey, closes_at=opens + timedelta(days=3),
                           selectors=[audience], now=opens)  # fmt: skip
        for name, person_id in org.items():
            unit, _, n = name.rpartition(" ")
            if unit not in answers or not n.isdigit() or int(n) >= answers[unit] // 10:
                continue
            rating = answers[unit] % 10
            person = session.get(Person, person_id)
            assert person is not None
            for question in survey.questions:
                value: object = {"likert": rating, "text": f"{unit} 留言 {n}", "choice": None}[question.type]
                if question.type == "choice":
                    value = question.options[0].id
                record_answer(session=session, key=key, survey=survey, wave_id=wave.id, person=person,
                              question_id=question.id, value=value, now=opens)  # fmt: skip
        if close:
            close_due_waves(session, opens + timedelta(days=4))
        return wave.id


def _report(
    sessions: sessionmaker[Session],
    org: dict[str, int],
    wave_id: int,
    who: str,
    library: FakeLibrary | None = None,
) -> WaveReport:
    with transaction(sessions) as session:
        person = session.get(Person, org[who])
        assert person is not None
        principal: Principal = principal_for(session, person)
        return wave_report(session=session, principal=principal, wave_id=wave_id, surveys=SURVEYS, rules=Rules(),
                           search=library or FakeLibrary())  # fmt: skip


# answers: {unit: people * 10 + rating}: A店 10 answer 5 to everything, B店 2 answer 1, 南区 5 answer 3.
COMPANY = {"东区-A店": 105, "东区-B店": 21, "南区": 53}


def test_a_region_manager_sees_their_shown_stores_and_why_the_others_are_hidden(
    sessions: sessionmaker[Session], org: dict[str, int], survey_key: PairingKey
) -> None:
    wave_id = _wave(sessions, survey_key, org, COMPANY)
    report = _report(sessions, org, wave_id, "东区 manager")
    assert [g.unit for g in report.groups] == ["东区-A店"]
    assert {g.unit: g.hidden_because for g in report.hidden} == {
        "东区": Hidden.DIFFERENCING,
        "东区-B店": Hidden.FEW,
    }
    # Not the company-wide count (the wave is not theirs alone): their topmost shown unit's, A店's 12 and its manager.
    assert report.headline is not None and report.headline.respondents == 10 and report.headline.invited == 13
    # Per question: A店 only, never the hidden B店 nor 东区 (which would give B店 away by subtraction).
    for question in report.questions:
        assert [row.unit for row in question.rows] == ["东区-A店"], question.question.id
    why = next(q for q in report.questions if q.question.id == "cognitive-why")
    assert why.rows[0].counts == (0, 0, 0, 0, 10) and why.rows[0].mean == 5.0 and why.question.reverse
    # Comments: A店's ten, shuffled (the same each time), no unit below it, nothing of B店's.
    (comments,) = report.comments
    assert comments.unit == "东区-A店" and comments.left_out == 0
    assert sorted(comments.texts) == sorted(f"东区-A店 留言 {n}" for n in range(10))
    assert list(comments.texts) != sorted(comments.texts)
    assert _report(sessions, org, wave_id, "东区 manager").comments[0].texts == comments.texts


def test_advice_for_the_high_and_medium_bands_in_whole_sentences(
    sessions: sessionmaker[Session], org: dict[str, int], survey_key: PairingKey
) -> None:
    wave_id = _wave(sessions, survey_key, org, COMPANY)
    library = FakeLibrary()
    report = _report(sessions, org, wave_id, "东区-A店 manager", library)
    # Everyone rated 5: cognitive (two of three items reversed) is low, emotional high, behavioural medium.
    bands = {d: r.band for d, r in report.groups[0].dimensions.items()}
    assert bands == {"cognitive": Band.LOW, "emotional": Band.HIGH, "behavioural": Band.MEDIUM}
    assert [(a.dimension, a.band, a.units) for a in report.advice] == [
        ("emotional", Band.HIGH, (("东区-A店", Band.HIGH),)), ("behavioural", Band.MEDIUM, (("东区-A店", Band.MEDIUM),)),
    ]  # fmt: skip
    assert library.asked == [SITUATIONS["emotional"], SITUATIONS["behavioural"]]  # the alerts' queries
    emotional = report.advice[0]
    assert [s.excerpt for s in emotional.suggestions] == [
        "先接住情绪。再安排一对一辅导。最后讲一个同伴的故事。"
    ]
    assert (
        emotional.suggestions[0].source == "playbooks/resistance.md"
    )  # three sentences in all, with the source


def test_store_and_south_managers_see_only_their_own_and_nobody_else_sees_anything(
    sessions: sessionmaker[Session], org: dict[str, int], survey_key: PairingKey
) -> None:
    wave_id = _wave(sessions, survey_key, org, COMPANY)
    south = _report(sessions, org, wave_id, "南区 manager")
    assert [g.unit for g in south.groups] == ["南区"] and south.hidden == ()
    assert south.comments[0].texts == () and south.comments[0].left_out == 5  # 5 answered: comments need 10
    assert south.comments[0].because == Hidden.COMMENTS_FEW
    # B店's manager: only a hidden store: why, but no figures at all, nor how many answered.
    store_b = _report(sessions, org, wave_id, "东区-B店 manager")
    assert store_b.headline is None and store_b.groups == () and all(not q.rows for q in store_b.questions)
    assert [(g.unit, g.hidden_because) for g in store_b.hidden] == [("东区-B店", Hidden.FEW)]
    assert store_b.comments == () and store_b.advice == () and store_b.trends == () and store_b.visible
    # 西区's manager, invited alone and silent: hidden, and why.
    west = _report(sessions, org, wave_id, "西区 manager")
    assert [(g.unit, g.hidden_because) for g in west.hidden] == [
        ("西区", Hidden.FEW)
    ] and west.headline is None
    # A wave for 南区 alone: no unit of 西区's manager's took part, and their report says nothing.
    south_only = _wave(
        sessions, survey_key, org, {"南区": 53}, audience="unit:南区", opens=NOW + timedelta(days=30)
    )
    west = _report(sessions, org, south_only, "西区 manager")
    assert (
        not west.visible
        and west.headline is None
        and west.groups == west.hidden == west.questions[0].rows == ()
    )
    # The admin: every shown group, and 总部 hidden (subtracting would leave B店's two); the whole
    # wave, the same people as 总部, is not said twice.
    admin = _report(sessions, org, wave_id, "admin")
    assert [g.unit for g in admin.groups] == ["东区-A店", "南区"]
    assert admin.hidden[0].unit == "总部" and admin.hidden[0].hidden_because == Hidden.DIFFERENCING
    assert ROOT not in {g.unit for g in admin.hidden}


def test_the_trend_runs_over_this_and_earlier_closed_waves(
    sessions: sessionmaker[Session], org: dict[str, int], survey_key: PairingKey
) -> None:
    waves = [
        _wave(sessions, survey_key, org, {"南区": 60 + rating}, opens=NOW + timedelta(days=30 * month),
              audience="unit:南区")
        for month, rating in enumerate((5, 4, 2, 1))
    ]  # fmt: skip
    report = _report(sessions, org, waves[2], "南区 manager")
    (trend,) = report.trends
    assert [p.wave_id for p in trend.points] == waves[:3] and report.earlier_waves == 2  # not the later one
    # Emotional: two items as rated, one reversed.
    assert [p.group.dimensions["emotional"].mean for p in trend.points] == [3.67, 3.33, 2.67]
    assert _report(sessions, org, waves[0], "南区 manager").earlier_waves == 0


def test_the_adkar_barrier_point_of_each_shown_unit(
    sessions: sessionmaker[Session], org: dict[str, int], survey_key: PairingKey
) -> None:
    wave_id = _wave(sessions, survey_key, org, {"南区": 64}, survey=ADKAR, audience="unit:南区")
    report = _report(sessions, org, wave_id, "南区 manager")
    (barrier,) = report.barriers
    assert barrier.unit == "南区" and barrier.element is None and barrier.people == {"none": 6}
    low = _wave(sessions, survey_key, org, {"南区": 63}, survey=ADKAR, audience="unit:南区",
                opens=NOW + timedelta(days=40))  # fmt: skip
    (barrier,) = _report(sessions, org, low, "南区 manager").barriers
    assert barrier.element == "awareness" and barrier.mean == 3.0 and barrier.people == {"awareness": 6}
    assert _report(sessions, org, low, "南区 manager").advice[0].dimension == "awareness"


def test_waves_that_have_not_closed_or_do_not_exist_are_refused(
    sessions: sessionmaker[Session], org: dict[str, int], survey_key: PairingKey
) -> None:
    open_wave = _wave(sessions, survey_key, org, {"南区": 53}, close=False)
    with pytest.raises(ResultsNotReadyError) as refused:
        _report(sessions, org, open_wave, "admin")
    assert refused.value.status == WaveStatus.OPEN and refused.value.closes_at == NOW + timedelta(days=3)
    with pytest.raises(NotFoundError):
        _report(sessions, org, 9999, "admin")
    closed = _wave(sessions, survey_key, org, COMPANY, opens=NOW + timedelta(days=60))
    with transaction(sessions) as session:
        person = session.get(Person, org["admin"])
        assert person is not None
        with pytest.raises(SurveyMissingError):
            wave_report(session=session, principal=principal_for(session, person), wave_id=closed, surveys={},
                        rules=Rules(), search=FakeLibrary())  # fmt: skip
