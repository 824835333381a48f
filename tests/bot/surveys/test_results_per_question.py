"""Per-question answers, comments and trends in ``wave_results``: only shown groups have them, under the
same threshold and differencing as the dimensions; comments are differenced at their own threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.people.models import Membership, Person, Role, Unit
from bot.people.service import add_unit
from bot.storage.database import transaction
from bot.surveys.answers import record_answer
from bot.surveys.definitions import Survey, load_surveys
from bot.surveys.models import SurveyWave
from bot.surveys.pairing import PairingKey
from bot.surveys.results import ROOT, GroupResult, Hidden, Rules, results_as_dict, trends, wave_results
from bot.surveys.scoring import barrier_point
from bot.surveys.waves import close_due_waves, launch_wave

SURVEYS = load_surveys(Path(__file__).resolve().parents[3] / "knowledge" / "surveys")
PULSE, ADKAR = SURVEYS["resistance-pulse"], SURVEYS["adkar-check"]
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def staff(sessions: sessionmaker[Session]) -> dict[str, list[int]]:
    """总部 > 东区 > 东区-A店 (12), 东区-B店 (3), 东区-C店 (6); 总部 > 南区 (6)."""
    found: dict[str, list[int]] = {}
    telegram_ids = iter(range(3000, 4000))
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        add_unit(session=session, name="东区", parent="总部")
        for store in ("东区-A店", "东区-B店", "东区-C店"):
            add_unit(session=session, name=store, parent="东区")
        add_unit(session=session, name="南区", parent="总部")
        for name, size in (("东区-A店", 12), ("东区-B店", 3), ("东区-C店", 6), ("南区", 6)):
            unit = session.scalars(select(Unit).where(Unit.name == name)).one()
            found[name] = []
            for _ in range(size):
                person = Person(telegram_id=next(telegram_ids), name="p")
                session.add(person)
                session.flush()
                session.add(Membership(person_id=person.id, unit_id=unit.id, role=Role.STAFF.value))
                found[name].append(person.id)
    return found


def _answer(
    session: Session,
    key: PairingKey,
    survey: Survey,
    wave_id: int,
    person_id: int,
    rating: int,
    comment: str | None,
) -> None:
    person = session.get(Person, person_id)
    assert person is not None
    for question in survey.questions:
        value: object = rating if question.type == "likert" else None
        if question.type == "text":
            value = comment
        if question.type == "choice":
            value = question.options[rating % len(question.options)].id
        record_answer(session=session, key=key, survey=survey, wave_id=wave_id, person=person,
                      question_id=question.id, value=value, now=NOW)  # fmt: skip


def _closed(
    sessions: sessionmaker[Session], key: PairingKey, answers: dict[int, int], *, survey: Survey = PULSE,
    opens: datetime = NOW, audience: str = "unit:总部",
) -> dict[str, GroupResult]:  # fmt: skip
    with transaction(sessions) as session:
        wave = launch_wave(session=session, survey=survey, closes_at=opens + timedelta(days=3),
                           selectors=[audience], now=opens)  # fmt: skip
        for person_id, rating in answers.items():
            _answer(session, key, survey, wave.id, person_id, rating, f"留言{person_id}")
        close_due_waves(session, opens + timedelta(days=4))
        return {g.unit: g for g in wave_results(session=session, wave=wave, survey=survey, rules=Rules())}


def test_each_question_is_spread_for_shown_groups_only(
    sessions: sessionmaker[Session], staff: dict[str, list[int]], survey_key: PairingKey
) -> None:
    # A店 10 (ratings 1..5 twice over), B店 2, 南区 5: 东区 and the whole wave are hidden because
    # subtracting A店 (and 南区) from them would leave B店's two.
    answers = {p: n % 5 + 1 for n, p in enumerate(staff["东区-A店"][:10])}
    answers |= {p: 1 for p in staff["东区-B店"][:2]} | {p: 4 for p in staff["南区"][:5]}
    results = _closed(sessions, survey_key, answers, survey=ADKAR)
    store_a, store_b, east, south, everyone = (
        results["东区-A店"], results["东区-B店"], results["东区"], results["南区"], results[ROOT]
    )  # fmt: skip
    assert store_a.ratings["awareness-why"] == {1: 2, 2: 2, 3: 2, 4: 2, 5: 2}
    assert set(store_a.ratings) == {q.id for q in ADKAR.scored}
    assert sum(store_a.choices["help-most"].values()) == 10
    assert south.ratings["desire-want"] == {1: 0, 2: 0, 3: 0, 4: 5, 5: 0}
    for hidden, why in ((store_b, Hidden.FEW), (east, Hidden.DIFFERENCING), (everyone, Hidden.DIFFERENCING)):
        assert hidden.hidden_because == why
        assert (
            hidden.ratings == {}
            and hidden.choices == {}
            and hidden.comments == []
            and hidden.comments_written == 0
        )
    rows = {row["unit"]: row for row in results_as_dict(list(results.values()))}
    assert rows["东区-A店"]["questions"]["awareness-why"] == {"1": 2, "2": 2, "3": 2, "4": 2, "5": 2}  # type: ignore[index]
    assert "questions" not in rows["东区"] and "choices" not in rows["东区-B店"]


def test_comments_need_their_own_threshold_and_are_differenced_at_it(
    sessions: sessionmaker[Session], staff: dict[str, list[int]], survey_key: PairingKey
) -> None:
    # A店 10 and C店 6 answer: 东区 (16) is shown, as nothing is left beyond its shown stores. Its
    # comments, though, minus A店's (shown) would be C店's six, fewer than the 10 comments need.
    answers = {p: 3 for p in staff["东区-A店"][:10]} | {p: 3 for p in staff["东区-C店"]}
    results = _closed(sessions, survey_key, answers)
    store_a, store_c, east, everyone = (
        results["东区-A店"],
        results["东区-C店"],
        results["东区"],
        results[ROOT],
    )
    assert store_a.comments_hidden_because is None and len(store_a.comments) == 10
    assert store_a.comments == sorted(store_a.comments)
    assert store_c.suppressed is None and store_c.comments == []
    assert store_c.comments_hidden_because == Hidden.COMMENTS_FEW and store_c.comments_written == 6
    assert east.suppressed is None and east.dimensions and east.ratings
    assert east.comments == [] and east.comments_hidden_because == Hidden.COMMENTS_DIFFERENCING
    assert east.comments_written == 16
    # The whole wave looks through 东区's withheld comments to A店's shown ones: 16 - 10 leaves six.
    assert everyone.comments == [] and everyone.comments_hidden_because == Hidden.COMMENTS_DIFFERENCING


def test_trends_of_several_units_up_to_a_wave(
    sessions: sessionmaker[Session], staff: dict[str, list[int]], survey_key: PairingKey
) -> None:
    for month, rating in enumerate((5, 4, 2)):
        _closed(sessions, survey_key, {p: rating for p in staff["南区"]}, opens=NOW + timedelta(days=30 * month),
                audience="unit:南区")  # fmt: skip
    with transaction(sessions) as session:
        second = session.scalars(select(SurveyWave).order_by(SurveyWave.closes_at)).all()[1]
        rows = trends(session=session, survey=PULSE, rules=Rules(), units=["南区", "东区-A店"], until=second)
        assert [wave.closes_at for wave, _ in rows["南区"]] == [NOW + timedelta(days=3), second.closes_at]
        # Emotional: two items rated as given and one reversed: (5 + 5 + 1) / 3, then (4 + 4 + 2) / 3.
        assert [group.dimensions["emotional"].mean for _, group in rows["南区"]] == [3.67, 3.33]
        assert all(
            group.suppressed for _, group in rows["东区-A店"]
        )  # not in those waves: hidden, never zero


def test_a_groups_barrier_point_is_its_first_element_at_3_or_below() -> None:
    order = ADKAR.dimensions
    assert (
        barrier_point(order, {"awareness": 4.2, "desire": 3.5, "knowledge": 3.0, "ability": 2.0})
        == "knowledge"
    )
    assert barrier_point(order, {"awareness": 4.0, "desire": 3.1}) is None
