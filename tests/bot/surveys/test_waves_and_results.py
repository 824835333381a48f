"""Waves: invitations, answers one at a time, a reminder once, closing erases the key. Results: the
anonymity threshold, differencing, comments, bands, the ADKAR barrier, and storage without names."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Broadcast, BroadcastKind, Delivery
from bot.broadcasts.service import enqueue_due
from bot.errors import InvalidInputError
from bot.people.models import Membership, Person, Role, Unit
from bot.people.service import add_unit
from bot.storage.database import transaction
from bot.surveys.answers import next_question, record_answer, send_due_reminders
from bot.surveys.definitions import Survey, load_surveys
from bot.surveys.models import SurveyResponse, SurveyWave
from bot.surveys.pairing import PairingKey
from bot.surveys.results import Band, Rules, wave_results
from bot.surveys.waves import SurveyClosedError, close_due_waves, is_invited, launch_wave

SURVEYS = load_surveys(Path(__file__).resolve().parents[3] / "knowledge" / "surveys")
PULSE, ADKAR = SURVEYS["resistance-pulse"], SURVEYS["adkar-check"]
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CLOSES = NOW + timedelta(days=3)


@pytest.fixture
def org(sessions: sessionmaker[Session]) -> dict[str, list[int]]:
    """东区 has store A (7 staff) and store B (3 staff); 南区 has 6 staff; one outsider with no unit."""
    found: dict[str, list[int]] = {}
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        add_unit(session=session, name="东区", parent="总部")
        add_unit(session=session, name="东区-A店", parent="东区")
        add_unit(session=session, name="东区-B店", parent="东区")
        add_unit(session=session, name="南区", parent="总部")
        next_id = iter(range(1000, 2000))
        for unit_name, size in (("东区-A店", 7), ("东区-B店", 3), ("南区", 6)):
            unit = session.scalars(select(Unit).where(Unit.name == unit_name)).one()
            ids = []
            for _ in range(size):
                person = Person(telegram_id=next(next_id), name="p", language="zh-Hans")
                session.add(person)
                session.flush()
                session.add(Membership(person_id=person.id, unit_id=unit.id, role=Role.STAFF.value))
                ids.append(person.id)
            found[unit_name] = ids
        outsider = Person(telegram_id=5, name="outsider")
        session.add(outsider)
        session.flush()
        found["outsider"] = [outsider.id]
    return found


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    assert person is not None
    return person


def _answer_all(
    session: Session,
    survey: Survey,
    wave_id: int,
    person_id: int,
    rating: int,
    *,
    key: PairingKey,
    **extra: object,
) -> None:
    person = _person(session, person_id)
    for question in survey.questions:
        value: object = rating if question.type == "likert" else extra.get(question.id)
        if value is None and not question.optional:
            value = question.options[0].id
        record_answer(
            session=session,
            key=key,
            survey=survey,
            wave_id=wave_id,
            person=person,
            question_id=question.id,
            value=value,
            now=NOW,
        )


def _launch(
    session: Session, survey: Survey = PULSE, selectors: tuple[str, ...] = ("unit:总部",)
) -> SurveyWave:
    return launch_wave(session=session, survey=survey, closes_at=CLOSES, selectors=selectors, now=NOW)


def test_launch_invites_the_audience_with_a_start_button(
    sessions: sessionmaker[Session], org: dict[str, list[int]]
) -> None:
    with transaction(sessions) as session:
        wave = _launch(session)
        assert wave.invited == 16 and wave.salt and wave.remind_at == CLOSES - timedelta(hours=24)
        broadcast = session.get(Broadcast, wave.broadcast_id)
        assert broadcast is not None and broadcast.kind == BroadcastKind.SURVEY.value
        assert broadcast.button == f"survey:{wave.id}" and "匿名" in broadcast.texts["zh-Hans"]
        enqueue_due(session=session, now=NOW)
        assert session.scalar(select(Delivery.id).where(Delivery.person_id == org["outsider"][0])) is None
        with pytest.raises(InvalidInputError, match="nobody"):
            launch_wave(session=session, survey=PULSE, closes_at=CLOSES, selectors=["lang:en"], now=NOW)
        with pytest.raises(InvalidInputError, match="10 minutes"):
            launch_wave(session=session, survey=PULSE, closes_at=NOW + timedelta(minutes=5), now=NOW)


def test_people_who_paused_pushes_are_invited_and_reached_too(
    sessions: sessionmaker[Session], org: dict[str, list[int]]
) -> None:
    # A resistance measure taken only from those willing to hear more would flatter the rollout.
    paused_id = org["东区-B店"][0]
    with transaction(sessions) as session:
        _person(session, paused_id).pushes_enabled = False
        wave = _launch(session)
        assert wave.invited == 16 and is_invited(session=session, wave_id=wave.id, person_id=paused_id)
        enqueue_due(session=session, now=NOW)
        assert session.scalar(select(Delivery.id).where(Delivery.person_id == paused_id)) is not None


def test_answers_one_at_a_time_changed_skipped_and_validated(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    with transaction(sessions) as session:
        wave = _launch(session)
        person = _person(session, org["东区-A店"][0])
        first = PULSE.questions[0]
        record_answer(
            session=session,
            key=survey_key,
            survey=PULSE,
            wave_id=wave.id,
            person=person,
            question_id=first.id,
            value=2,
            now=NOW,
        )
        record_answer(
            session=session,
            key=survey_key,
            survey=PULSE,
            wave_id=wave.id,
            person=person,
            question_id=first.id,
            value=4,
            now=NOW,
        )
        responses = session.scalars(select(SurveyResponse)).all()
        assert len(responses) == 1 and responses[0].answers == {first.id: 4}  # changed, not duplicated
        assert next_question(PULSE, responses[0]) == 1 and not responses[0].completed
        for bad in (0, 6, "4", True, None):
            with pytest.raises(InvalidInputError):
                record_answer(
                    session=session,
                    key=survey_key,
                    survey=PULSE,
                    wave_id=wave.id,
                    person=person,
                    question_id=first.id,
                    value=bad,
                    now=NOW,
                )
        with pytest.raises(InvalidInputError, match="no question"):
            record_answer(
                session=session,
                key=survey_key,
                survey=PULSE,
                wave_id=wave.id,
                person=person,
                question_id="forged",
                value=3,
                now=NOW,
            )
        with pytest.raises(InvalidInputError, match="not sent to you"):
            record_answer(
                session=session, survey=PULSE, wave_id=wave.id, person=_person(session, org["outsider"][0]),
                question_id=first.id, value=3, now=NOW, key=survey_key,
            )  # fmt: skip
        _answer_all(session, PULSE, wave.id, person.id, 3, key=survey_key)  # the comment is optional: skipped
        response = session.scalars(select(SurveyResponse)).one()
        assert (
            response.completed
            and response.answers["comment"] is None
            and next_question(PULSE, response) is None
        )
        assert set(response.scores) == {"cognitive", "emotional", "behavioural"}


def test_closing_erases_the_key_and_no_row_names_anyone(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    with transaction(sessions) as session:
        wave = _launch(session)
        for person_id in org["东区-A店"][:5]:
            _answer_all(session, PULSE, wave.id, person_id, 4, key=survey_key)
        record_answer(
            session=session,
            key=survey_key,
            survey=PULSE,
            wave_id=wave.id,
            person=_person(session, org["南区"][0]),
            question_id=PULSE.questions[0].id,
            value=5,
            now=NOW,
        )  # fmt: skip  (half-finished)
        assert close_due_waves(session, CLOSES + timedelta(seconds=1)) == 1
        assert wave.salt is None and wave.status == "closed"
        with pytest.raises(SurveyClosedError):
            _answer_all(session, PULSE, wave.id, org["东区-A店"][5], 4, key=survey_key)
    # Straight from the database: responses carry no person, no time, and a random id.
    with sessions() as session:
        columns = {c["name"] for c in inspect(session.get_bind()).get_columns("survey_responses")}
        assert not {"created_at", "updated_at", "telegram_id"} & columns
        rows = session.execute(
            text("SELECT id, person_id, respondent_key, unit_id, completed FROM survey_responses")
        ).all()
        assert len(rows) == 5  # the half-finished one is gone
        assert all(row.person_id is None and len(row.id) == 32 and row.completed for row in rows)
        assert session.execute(text("SELECT salt FROM survey_waves")).scalar() is None
        # Without the erased salt, guessing keys from ids gets nowhere.
        keys = {row.respondent_key for row in rows}
        guesses = {
            guess
            for person_id in org["东区-A店"]
            for guess in (
                hashlib.sha256(f"{wave.id}:{person_id}".encode()).hexdigest(),
                hmac.new(b"", f"{wave.id}:{person_id}".encode(), hashlib.sha256).hexdigest(),
            )
        }
        assert not keys & guesses


def test_one_reminder_to_those_who_have_not_finished(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    with transaction(sessions) as session:
        wave = _launch(session, selectors=("unit:东区-B店",))
        _answer_all(session, PULSE, wave.id, org["东区-B店"][0], 2, key=survey_key)
        not_yet, remind_time = NOW + timedelta(hours=1), CLOSES - timedelta(hours=23)
        assert send_due_reminders(session, not_yet, surveys=SURVEYS, key=survey_key) == 0  # not yet
        assert send_due_reminders(session, remind_time, surveys=SURVEYS, key=survey_key) == 2
        later = remind_time + timedelta(hours=1)
        assert send_due_reminders(session, later, surveys=SURVEYS, key=survey_key) == 0  # once
        reminder = session.scalars(select(Broadcast).order_by(Broadcast.id.desc())).first()
        assert reminder is not None and reminder.button == f"survey:{wave.id}"
        enqueue_due(session=session, now=remind_time)
        reminded = set(
            session.scalars(select(Delivery.person_id).where(Delivery.broadcast_id == reminder.id)).all()
        )
        assert reminded == set(org["东区-B店"][1:])


def test_threshold_differencing_comments_and_bands(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    with transaction(sessions) as session:
        wave = _launch(session)
        for person_id in org["东区-A店"][:6]:
            _answer_all(session, PULSE, wave.id, person_id, 5, comment="培训太赶了", key=survey_key)
        for person_id in org["东区-B店"][:2]:
            _answer_all(session, PULSE, wave.id, person_id, 1, key=survey_key)
        for person_id in org["南区"][:5]:
            _answer_all(session, PULSE, wave.id, person_id, 3, comment="还行", key=survey_key)
        close_due_waves(session, CLOSES)
        results = {g.unit: g for g in wave_results(session=session, wave=wave, survey=PULSE, rules=Rules())}
    store_a, store_b, east, south, everyone = (
        results["东区-A店"], results["东区-B店"], results["东区"], results["南区"], results["*"],
    )  # fmt: skip
    assert (
        store_a.suppressed is None
        and store_a.respondents == 6
        and store_a.response_rate == pytest.approx(6 / 7)
    )
    assert store_b.suppressed == "fewer than 5 respondents" and not store_b.dimensions
    # 东区 (8) minus the shown A店 (6) would reveal B店's 2 people: hidden as well.
    assert east.suppressed is not None and "subtracting" in east.suppressed and not east.dimensions
    # The whole wave (13) minus the shown 南区 (5) and, through the hidden 东区, the shown A店 (6)
    # would leave B店's 2: hidden too. (Looking only at its direct children, 13 - 5 = 8 passed.)
    assert (
        everyone.suppressed is not None
        and "subtracting" in everyone.suppressed
        and everyone.respondents == 13
    )
    assert not everyone.dimensions and everyone.comments == []
    assert south.suppressed is None and south.comments == []  # 5 respondents: comments need 10
    cognitive = store_a.dimensions["cognitive"]
    # Everyone in A店 answered 5 to everything: two of the three cognitive items are reverse-scored.
    assert cognitive.n == 6 and cognitive.mean == pytest.approx(2.33) and cognitive.band == Band.LOW
    emotional = store_a.dimensions["emotional"]  # two worries agreed with, "at ease" reversed
    assert emotional.mean == pytest.approx(3.67) and emotional.band == Band.HIGH
    assert sum(cognitive.distribution.values()) == 6
    assert Rules(band_medium=2.6, band_high=3.4)
    with pytest.raises(ValueError, match="never below 3"):
        Rules(min_respondents=2)


def test_adkar_barriers_and_readiness_bands(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    ids = [q.id for q in ADKAR.scored]
    with transaction(sessions) as session:
        wave = _launch(session, survey=ADKAR, selectors=("unit:南区",))
        for n, person_id in enumerate(org["南区"]):
            person = _person(session, person_id)
            ratings = [5, 4, 2, 2, 4] if n < 4 else [5, 5, 5, 5, 5]
            for question_id, rating in zip(ids, ratings, strict=True):
                record_answer(
                    session=session,
                    key=survey_key,
                    survey=ADKAR,
                    wave_id=wave.id,
                    person=person,
                    question_id=question_id,
                    value=rating,
                    now=NOW,
                )
            record_answer(
                session=session,
                key=survey_key,
                survey=ADKAR,
                wave_id=wave.id,
                person=person,
                question_id="help-most",
                value="training",
                now=NOW,
            )
        results = {g.unit: g for g in wave_results(session=session, wave=wave, survey=ADKAR, rules=Rules())}
    south = results["南区"]
    assert south.barriers == {"knowledge": 4, "none": 2}
    assert south.dimensions["awareness"].band == Band.LOW  # ready: low concern
    assert south.dimensions["knowledge"].band == Band.MEDIUM  # mean 3.0 -> concern 3.0


def test_two_waves_whose_audiences_differ_by_a_few_people_stay_hidden(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    with transaction(sessions) as session:
        everyone = _launch(session)  # 16 people
        east = _launch(session, selectors=("unit:东区",))  # 10 people: differs by 6, fine
        south_and_b = _launch(session, selectors=("unit:南区", "unit:东区-B店"))  # 9 people
        south = _launch(session, selectors=("unit:南区",))  # 6 people: differs from the last by 3
        answering = {
            everyone.id: org["南区"] + org["东区-A店"],
            east.id: org["东区-A店"],
            south_and_b.id: org["南区"],
            south.id: org["南区"],
        }
        for wave_id, people in answering.items():
            for person_id in people:
                _answer_all(session, PULSE, wave_id, person_id, 3, key=survey_key)
        close_due_waves(session, CLOSES)
        rules = Rules()

        def shown(wave: SurveyWave) -> bool:
            return wave_results(session=session, wave=wave, survey=PULSE, rules=rules)[0].suppressed is None

        assert shown(everyone) and shown(east)
        assert not shown(south_and_b) and not shown(south)
        reason = wave_results(session=session, wave=south, survey=PULSE, rules=rules)[0].suppressed
        assert reason is not None and f"wave {south_and_b.id}" in reason


def test_trend_across_waves(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    from bot.surveys.results import trend

    with transaction(sessions) as session:
        for week, rating in enumerate((5, 4, 2)):
            opens = NOW + timedelta(days=30 * week)  # far enough apart not to count as overlapping
            wave = launch_wave(
                session=session,
                survey=PULSE,
                closes_at=opens + timedelta(days=3),
                selectors=["unit:南区"],
                now=opens,
            )
            for person_id in org["南区"]:
                person = _person(session, person_id)
                for question in PULSE.questions:
                    record_answer(
                        session=session, survey=PULSE, wave_id=wave.id, person=person, question_id=question.id,
                        value=rating if question.type == "likert" else None, now=opens, key=survey_key,
                    )  # fmt: skip
            close_due_waves(session, opens + timedelta(days=4))
        rows = trend(session=session, survey=PULSE, rules=Rules(), unit="南区")
    assert [group.respondents for _, group in rows] == [6, 6, 6]
    # Everyone rated every item alike each time; emotional has two direct items and one reverse one,
    # so its mean falls as the ratings fall.
    means = [group.dimensions["emotional"].mean for _, group in rows]
    assert means == sorted(means, reverse=True)


def test_recurring_waves_open_and_close_from_the_scheduler(
    sessions: sessionmaker[Session], org: dict[str, list[int]]
) -> None:

    from bot.scheduling.runner import Scheduler
    from bot.surveys.waves import SURVEY, schedule_survey, survey_action

    shanghai = ZoneInfo("Asia/Shanghai")
    with transaction(sessions) as session:
        schedule_survey(
            session=session, survey=PULSE, cron="0 10 * * mon", open_hours=48, zones=[shanghai],
            selectors=["unit:南区"], now=NOW - timedelta(days=1),
        )  # fmt: skip
        with pytest.raises(InvalidInputError, match="open between"):
            schedule_survey(
                session=session, survey=PULSE, cron="0 10 * * mon", open_hours=0.1, zones=[shanghai]
            )
    scheduler = Scheduler(
        sessions=sessions,
        actions={SURVEY: survey_action(surveys=SURVEYS, reminder_before_close=timedelta(hours=24))},
        zones=lambda _: [ZoneInfo("Asia/Shanghai")],
        ticks=[close_due_waves],
    )
    monday_ten = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert scheduler.run_once(now=monday_ten) == 1
    assert scheduler.run_once(now=monday_ten + timedelta(minutes=5)) == 0
    with sessions() as session:
        wave = session.scalars(select(SurveyWave)).one()
        assert (
            wave.invited == 6 and wave.status == "open" and wave.closes_at == monday_ten + timedelta(hours=48)
        )
        assert wave.remind_at == monday_ten + timedelta(hours=24)
    scheduler.run_once(now=monday_ten + timedelta(hours=49))  # the chore closes it
    with sessions() as session:
        assert session.scalars(select(SurveyWave.status)).one() == "closed"


def test_a_store_whose_invitees_differ_by_one_between_two_waves_is_hidden_in_both(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    # A店's manager is invited to the first wave (all of 总部) but not to the second (A店's staff):
    # 17 against 7 invitees is no small difference, but at A店 it is one person, and comparing the
    # two waves' A店 figures would read that manager's answers.
    with transaction(sessions) as session:
        store_a = session.scalars(select(Unit).where(Unit.name == "东区-A店")).one()
        manager = Person(telegram_id=4000, name="店长", language="zh-Hans")
        session.add(manager)
        session.flush()
        session.add(Membership(person_id=manager.id, unit_id=store_a.id, role=Role.MANAGER.value))
        everyone = _launch(session)
        staff_of_a = _launch(session, selectors=("unit:东区-A店", "role:staff"))
        for person_id in [*org["东区-A店"], manager.id, *org["南区"]]:
            _answer_all(
                session, PULSE, everyone.id, person_id, 4 if person_id == manager.id else 2, key=survey_key
            )
        for person_id in org["东区-A店"]:
            _answer_all(session, PULSE, staff_of_a.id, person_id, 2, key=survey_key)
        close_due_waves(session, CLOSES)
        first = {g.unit: g for g in wave_results(session=session, wave=everyone, survey=PULSE, rules=Rules())}
        second = {
            g.unit: g for g in wave_results(session=session, wave=staff_of_a, survey=PULSE, rules=Rules())
        }
    assert first["东区-A店"].respondents == 8 and second["东区-A店"].respondents == 7
    for results, other in ((first, staff_of_a.id), (second, everyone.id)):
        reason = results["东区-A店"].suppressed
        assert reason is not None and f"wave {other}" in reason and not results["东区-A店"].dimensions
        # 东区 is A店 plus B店's 3, none of whom answered: 11 invitees against 7, hidden as well.
        assert results["东区"].suppressed is not None and not results["东区"].dimensions
    assert first["南区"].suppressed is None  # nobody in 南区 was invited to the second wave
