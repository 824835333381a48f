""" "Not this time" (issue 15): a decline is a flag on the invitation, never near the answers; it stops
the reminder, drops what was half-answered, is taken back by starting after all, and is counted and
erased at close. The console's per-wave count shows only where the threshold allows; migration 0023
adds the two columns in place."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Broadcast
from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit
from bot.storage.base import utc_now
from bot.storage.database import MIGRATIONS, transaction
from bot.surveys.answers import record_answer, send_due_reminders
from bot.surveys.definitions import load_surveys
from bot.surveys.dialogue import NotInvitedError, advance, current_step, decline
from bot.surveys.models import SurveyInvitation, SurveyResponse, SurveyWave
from bot.surveys.pairing import PairingKey
from bot.surveys.results import Rules, declined_figure, wave_results
from bot.surveys.waves import SurveyClosedError, close_wave, get_wave, has_declined, launch_wave

SURVEYS = load_surveys(Path(__file__).resolve().parents[3] / "knowledge" / "surveys")
PULSE = SURVEYS["resistance-pulse"]
LIBRARY = {PULSE.id: PULSE}
# The dialogue reads the clock (as the chat does): waves open now, for days, whenever the tests run.
NOW = utc_now()
CLOSES = NOW + timedelta(days=3)
RULES = Rules(min_respondents=5)


@pytest.fixture
def staff(sessions: sessionmaker[Session]) -> dict[str, list[int]]:
    """门店A has 12 staff, 门店B 2, both under 总部; one outsider belongs nowhere."""
    found: dict[str, list[int]] = {}
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        telegram_ids = iter(range(3000, 4000))
        for name, size in (("门店A", 12), ("门店B", 2)):
            unit = add_unit(session=session, name=name, parent="总部")
            people = [
                Person(telegram_id=next(telegram_ids), name="p", language="zh-Hans") for _ in range(size)
            ]
            session.add_all(people)
            session.flush()
            session.add_all(
                Membership(person_id=p.id, unit_id=unit.id, role=Role.STAFF.value) for p in people
            )
            found[name] = [p.id for p in people]
        outsider = Person(telegram_id=next(telegram_ids), name="outsider")
        session.add(outsider)
        session.flush()
        found["outsider"] = [outsider.id]
    return found


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    assert person is not None
    return person


def _launch(
    session: Session, selectors: tuple[str, ...] = ("unit:门店A",), *, at: datetime = NOW
) -> SurveyWave:
    return launch_wave(
        session=session, survey=PULSE, closes_at=at + timedelta(days=3), selectors=selectors, now=at
    )


def _answer(session: Session, wave: SurveyWave, person_id: int, key: PairingKey, *, questions: int) -> None:
    for question in PULSE.questions[:questions]:
        value = 3 if question.type == "likert" else None
        record_answer(
            session=session, key=key, survey=PULSE, wave_id=wave.id, person=_person(session, person_id),
            question_id=question.id, value=value, now=NOW,
        )  # fmt: skip


def _decline(session: Session, wave: SurveyWave, person_id: int, key: PairingKey) -> None:
    decline(session=session, surveys=LIBRARY, wave_id=wave.id, person=_person(session, person_id), key=key)


def _declined_flags(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(SurveyInvitation).where(SurveyInvitation.declined))
        or 0
    )


def test_a_decline_is_a_flag_on_the_invitation_and_stops_the_reminder(
    sessions: sessionmaker[Session], staff: dict[str, list[int]], survey_key: PairingKey
) -> None:
    alice, bob, carol = staff["门店A"][:3]
    with transaction(sessions) as session:
        wave = _launch(session)
        _, step = decline(
            session=session, surveys=LIBRARY, wave_id=wave.id, person=_person(session, alice), key=survey_key
        )
        assert step.declined and step.index is None
        # Nothing of hers beside the answers: no response row, the flag on her invitation only.
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
        assert has_declined(session=session, wave_id=wave.id, person_id=alice)
        assert _declined_flags(session) == 1

        # Bob had begun: what he answered goes with his decline, he is nobody's "in progress".
        _answer(session, wave, bob, survey_key, questions=3)
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
        _decline(session, wave, bob, survey_key)
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 0

        # Carol had finished: her answers stand and she is offered to change them instead.
        _answer(session, wave, carol, survey_key, questions=len(PULSE.questions))
        _, step = decline(
            session=session, surveys=LIBRARY, wave_id=wave.id, person=_person(session, carol), key=survey_key
        )
        assert step.already_done and not step.declined
        assert not has_declined(session=session, wave_id=wave.id, person_id=carol)
        assert session.scalars(select(SurveyResponse)).one().completed

        assert send_due_reminders(session, wave.remind_at or NOW, surveys=LIBRARY, key=survey_key) == 9
        reminder = session.scalars(select(Broadcast).where(Broadcast.id != wave.broadcast_id)).one()
        reminded = {int(selector.removeprefix("person:")) for selector in reminder.audience}
        assert reminded == set(staff["门店A"]) - {alice, bob, carol}


def test_starting_after_all_takes_the_decline_back_and_looking_does_not(
    sessions: sessionmaker[Session], staff: dict[str, list[int]], survey_key: PairingKey
) -> None:
    alice = staff["门店A"][0]
    with transaction(sessions) as session:
        wave = _launch(session)
        _decline(session, wave, alice, survey_key)
        person = _person(session, alice)
        # The web chat's list looks without taking part: still declined.
        _, step = current_step(
            session=session, surveys=LIBRARY, wave_id=wave.id, person=person, key=survey_key
        )
        assert step.declined and has_declined(session=session, wave_id=wave.id, person_id=alice)
        # Start: the first question, fresh, and the decline is gone (she will be reminded again).
        _, step = advance(session=session, surveys=LIBRARY, wave_id=wave.id, person=person, key=survey_key)
        assert step.index == 0 and not step.started and not step.declined
        assert not has_declined(session=session, wave_id=wave.id, person_id=alice)
        _, step = advance(
            session=session, surveys=LIBRARY, wave_id=wave.id, person=person, key=survey_key, answer=(0, 4)
        )
        assert step.index == 1 and step.started  # question 2 is unanswered...
        _, step = current_step(
            session=session, surveys=LIBRARY, wave_id=wave.id, person=person, key=survey_key
        )
        assert step.index == 1
        _, step = advance(session=session, surveys=LIBRARY, wave_id=wave.id, person=person, key=survey_key)
        assert step.index == 1  # ...and resuming lands on it
        _, step = advance(
            session=session, surveys=LIBRARY, wave_id=wave.id, person=person, key=survey_key, restart=True
        )
        assert step.index == 0 and step.started and step.current == 4  # begun: no decline offered


def test_only_invitees_of_an_open_wave_can_decline(
    sessions: sessionmaker[Session], staff: dict[str, list[int]], survey_key: PairingKey
) -> None:
    with transaction(sessions) as session:
        wave = _launch(session)
        with pytest.raises(NotInvitedError):
            _decline(session, wave, staff["outsider"][0], survey_key)
        with pytest.raises(NotInvitedError):
            _decline(session, wave, staff["门店B"][0], survey_key)
        close_wave(session=session, wave=wave, now=NOW + timedelta(hours=1))
        with pytest.raises(SurveyClosedError):
            _decline(session, wave, staff["门店A"][0], survey_key)
        assert _declined_flags(session) == 0


def test_close_keeps_how_many_declined_and_erases_who(
    sessions: sessionmaker[Session], staff: dict[str, list[int]], survey_key: PairingKey
) -> None:
    decliners, answering = staff["门店A"][:6], staff["门店A"][6:]
    with transaction(sessions) as session:
        wave = _launch(session)
        for person_id in decliners:
            _decline(session, wave, person_id, survey_key)
        for person_id in answering:
            _answer(session, wave, person_id, survey_key, questions=len(PULSE.questions))
        assert declined_figure(session=session, wave=wave, rules=RULES) is None  # not while open
        close_wave(session=session, wave=wave, now=CLOSES)
        assert wave.declined == 6 and _declined_flags(session) == 0
        assert declined_figure(session=session, wave=wave, rules=RULES) == 6
        # The results know nothing of declines: the six who answered, as without them.
        whole = wave_results(session=session, wave=wave, survey=PULSE, rules=RULES)[0]
        assert whole.invited == 12 and whole.respondents == 6 and not whole.suppressed


@pytest.mark.parametrize(
    ("declining", "shown"),
    [(0, None), (4, None), (5, 5), (7, 7), (8, None), (12, None)],
    ids=["none", "too-few-declined", "enough", "enough-both-ways", "too-few-did-not", "everyone"],
)
def test_the_count_shows_only_with_enough_people_on_both_sides(
    sessions: sessionmaker[Session],
    staff: dict[str, list[int]],
    survey_key: PairingKey,
    declining: int,
    shown: int | None,
) -> None:
    with transaction(sessions) as session:
        wave = _launch(session)
        for person_id in staff["门店A"][:declining]:
            _decline(session, wave, person_id, survey_key)
        close_wave(session=session, wave=wave, now=CLOSES)
        assert wave.declined == declining
        assert declined_figure(session=session, wave=wave, rules=RULES) == shown


def test_the_count_hides_where_an_overlapping_wave_would_tell_about_a_few(
    sessions: sessionmaker[Session], staff: dict[str, list[int]], survey_key: PairingKey
) -> None:
    with transaction(sessions) as session:
        store = _launch(session, ("unit:门店A",))
        company = _launch(session, ("unit:总部",), at=NOW + timedelta(days=1))  # two more people
        for wave in (store, company):
            for person_id in staff["门店A"][:6]:
                _decline(session, wave, person_id, survey_key)
            close_wave(session=session, wave=wave, now=NOW + timedelta(days=4))
        # 6 of 12 and 6 of 14: comparing them would tell about the two of 门店B.
        assert (store.declined, company.declined) == (6, 6)
        assert declined_figure(session=session, wave=store, rules=RULES) is None
        assert declined_figure(session=session, wave=company, rules=RULES) is None


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_0023_migration_adds_the_columns_in_place(
    sessions: sessionmaker[Session], staff: dict[str, list[int]], survey_key: PairingKey
) -> None:
    with transaction(sessions) as session:
        wave = _launch(session)
        _answer(session, wave, staff["门店A"][0], survey_key, questions=2)
        wave_id = wave.id
    engine = sessions.kw["bind"]
    _migrate(engine, "0022", down=True)
    columns = {
        table: {c["name"] for c in inspect(engine).get_columns(table)}
        for table in ("survey_invitations", "survey_waves")
    }
    assert "declined" not in columns["survey_invitations"] and "declined" not in columns["survey_waves"]
    _migrate(engine, "head")
    with transaction(sessions) as session:
        # Added in place: rebuilding a table would have cascade-deleted the invitations and answers.
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 12
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
        assert get_wave(session=session, wave_id=wave_id).declined == 0 and _declined_flags(session) == 0
        _decline(session, get_wave(session=session, wave_id=wave_id), staff["门店A"][1], survey_key)
        assert _declined_flags(session) == 1
    # The answers table never gets a column for it.
    assert "declined" not in {c["name"] for c in inspect(engine).get_columns("survey_responses")}
