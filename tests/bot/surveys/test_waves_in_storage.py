"""What a copy of the database shows of a wave's answers. Open: no respondent key that anyone
holding only the database can match to an invitee, while the server still finds, changes and
reminds. Closed: new keys and a storage order that is not the answer order. Never: the language
(or any column beyond the unit) beside the answers. And the waves open at the 0017 upgrade."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, literal_column, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Broadcast, Delivery
from bot.broadcasts.service import enqueue_due
from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit
from bot.storage.database import MIGRATIONS, transaction
from bot.surveys.answers import current_response, next_question, record_answer, send_due_reminders
from bot.surveys.definitions import load_surveys
from bot.surveys.models import SurveyResponse, SurveyWave
from bot.surveys.pairing import PairingKey
from bot.surveys.waves import close_wave, get_wave, launch_wave

SURVEYS = load_surveys(Path(__file__).resolve().parents[3] / "knowledge" / "surveys")
PULSE = SURVEYS["resistance-pulse"]
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CLOSES = NOW + timedelta(days=3)
KEY = PairingKey(b"the server key of these tests, not in any database")
OTHER_KEY = PairingKey(b"another server's key, 32 bytes or more of it")


@pytest.fixture
def staff(sessions: sessionmaker[Session]) -> list[int]:
    """One store of six staff."""
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        store = add_unit(session=session, name="门店", parent="总部")
        people = [
            Person(telegram_id=7000 + n, name=f"p{n}", language="en" if n == 0 else "zh-Hans")
            for n in range(6)
        ]
        session.add_all(people)
        session.flush()
        session.add_all(Membership(person_id=p.id, unit_id=store.id, role=Role.STAFF.value) for p in people)
        return [p.id for p in people]


def _launch(session: Session) -> SurveyWave:
    return launch_wave(session=session, survey=PULSE, closes_at=CLOSES, selectors=["unit:门店"], now=NOW)


def _answer(
    session: Session, wave_id: int, person_id: int, *, upto: int | None = None, comment: str | None = None
) -> None:
    person = session.get(Person, person_id)
    assert person is not None
    for question in PULSE.questions[:upto]:
        record_answer(
            session=session, survey=PULSE, wave_id=wave_id, person=person, question_id=question.id,
            value=comment if question.type == "text" else 3, now=NOW, key=KEY,
        )  # fmt: skip


def _old_key(salt: str, wave_id: int, person_id: int) -> str:
    """The key the code before 0017 stored: the wave's salt alone, which is in the database."""
    return hmac.new(salt.encode(), f"{wave_id}:{person_id}".encode(), hashlib.sha256).hexdigest()


def _in_storage_order(session: Session) -> list[tuple[str, str, object]]:
    """(id, respondent key, comment) of every response, in the order the database stores them."""
    physical = "rowid" if session.get_bind().dialect.name == "sqlite" else "ctid"
    rows = session.execute(
        select(SurveyResponse.id, SurveyResponse.respondent_key, SurveyResponse.answers).order_by(
            literal_column(physical)
        )
    ).all()
    return [(row.id, row.respondent_key, row.answers.get("comment")) for row in rows]


def test_an_open_wave_in_a_copy_of_the_database_links_no_answer_to_anyone(
    sessions: sessionmaker[Session], staff: list[int]
) -> None:
    with transaction(sessions) as session:
        wave_id = _launch(session).id
        for n, person_id in enumerate(staff[:3]):
            _answer(session, wave_id, person_id, comment=f"comment {n}")
        _answer(session, wave_id, staff[3], upto=1)  # half-finished
    # Everything the database holds, and no server key: every guess the old code made possible fails.
    with sessions() as session:
        salt = session.execute(text("SELECT salt FROM survey_waves")).scalar_one()
        keys = set(session.execute(text("SELECT respondent_key FROM survey_responses")).scalars())
        invitees = session.execute(text("SELECT person_id FROM survey_invitations")).scalars().all()
    assert salt and len(keys) == 4 and sorted(invitees) == sorted(staff)
    guesses = {
        guess
        for person_id in invitees
        for guess in (
            _old_key(salt, wave_id, person_id),
            hmac.new(salt.encode(), f"{salt}:{wave_id}:{person_id}".encode(), hashlib.sha256).hexdigest(),
            hashlib.sha256(f"{salt}:{wave_id}:{person_id}".encode()).hexdigest(),
        )
    }
    assert not keys & guesses

    # The server, with its key, still finds each person's row: progress resumes, answers change in
    # place, and the reminder goes to exactly those who have not finished.
    with transaction(sessions) as session:
        half = session.get(Person, staff[3])
        assert half is not None
        resumed = current_response(session=session, wave_id=wave_id, person=half, now=NOW, key=KEY)
        assert resumed is not None and next_question(PULSE, resumed) == 1
        assert current_response(session=session, wave_id=wave_id, person=half, now=NOW, key=OTHER_KEY) is None
        first = PULSE.questions[0].id
        record_answer(
            session=session, survey=PULSE, wave_id=wave_id, person=half, question_id=first, value=5, now=NOW,
            key=KEY,
        )  # fmt: skip
        assert session.scalar(select(SurveyResponse.answers).where(SurveyResponse.id == resumed.id)) == {
            first: 5
        }
        assert len(session.scalars(select(SurveyResponse.id)).all()) == 4
        remind_time = CLOSES - timedelta(hours=23)
        assert send_due_reminders(session, remind_time, surveys=SURVEYS, key=KEY) == 3
        enqueue_due(session=session, now=remind_time)
        reminder = session.scalars(select(Broadcast).order_by(Broadcast.id.desc())).first()
        assert reminder is not None
        reminded = set(
            session.scalars(select(Delivery.person_id).where(Delivery.broadcast_id == reminder.id)).all()
        )
    assert reminded == set(staff[3:])


def test_closing_writes_the_answers_again_with_new_keys_in_a_shuffled_order(
    sessions: sessionmaker[Session], staff: list[int]
) -> None:
    with transaction(sessions) as session:
        wave_id = _launch(session).id
        for n, person_id in enumerate(staff[:5]):
            _answer(session, wave_id, person_id, comment=f"answer {n}")
        _answer(session, wave_id, staff[5], upto=2)  # half-finished: dropped at close
    answer_order = [f"answer {n}" for n in range(5)]
    with sessions() as session:
        before = _in_storage_order(session)
    # What the issue found: while open, the storage order is the answer order.
    assert [comment for _, _, comment in before] == [*answer_order, None]

    # close_wave starts from the completed rows in id order; a seed whose shuffle moves them is
    # picked here, so the test knows the exact order to expect and that it is not the answer order.
    start = [comment for _, _, comment in sorted(before[:5])]
    seed, expected = next(
        (seed, order)
        for seed in range(100)
        if (order := _shuffled(start, random.Random(seed))) != answer_order
    )
    with transaction(sessions) as session:
        close_wave(session=session, wave=get_wave(session=session, wave_id=wave_id), rng=random.Random(seed))
    with sessions() as session:
        after = _in_storage_order(session)
    assert [comment for _, _, comment in after] == expected != answer_order
    assert not {key for _, key, _ in after} & {key for _, key, _ in before}  # no open-period key left
    assert not {row_id for row_id, _, _ in after} & {row_id for row_id, _, _ in before}
    assert len({key for _, key, _ in after}) == 5 and all(len(key) == 64 for _, key, _ in after)


def _shuffled(items: list[object], rng: random.Random) -> list[object]:
    copy = list(items)
    rng.shuffle(copy)
    return copy


def test_a_response_row_holds_the_unit_and_the_answers_and_nothing_else_about_the_person(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        columns = {column["name"] for column in inspect(session.get_bind()).get_columns("survey_responses")}
    # No language (beside the unit it singled out a store's only English speaker), no time, no
    # name: a column added here must be argued for against the anonymity threshold first.
    assert columns == {
        "id", "wave_id", "respondent_key", "person_id", "unit_id", "answers", "scores", "barrier",
        "completed", "score_total",
    }  # fmt: skip


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_waves_open_at_the_upgrade_keep_their_keys_until_they_close_and_closed_ones_are_rewritten(
    sessions: sessionmaker[Session], staff: list[int]
) -> None:
    with transaction(sessions) as session:
        closed_id = _launch(session).id
        for n, person_id in enumerate(staff[:5]):
            _answer(session, closed_id, person_id, comment=f"closed {n}")
        close_wave(session=session, wave=get_wave(session=session, wave_id=closed_id), now=CLOSES)
        open_id = launch_wave(
            session=session,
            survey=PULSE,
            closes_at=CLOSES + timedelta(days=1),
            selectors=["unit:门店"],
            now=NOW,
        ).id
        _answer(session, open_id, staff[0], comment="before the upgrade")
        _answer(session, open_id, staff[1], upto=1)
        salt = get_wave(session=session, wave_id=open_id).salt
        assert salt is not None

    # The database as the code before 0017 left it: the open wave keyed by its salt alone, a language
    # on every answer, the closed wave's rows in the order they were written.
    engine = sessions.kw["bind"]
    _migrate(engine, "0016", down=True)
    with engine.begin() as connection:
        for person_id in staff[:2]:
            connection.execute(
                text("UPDATE survey_responses SET respondent_key = :old WHERE respondent_key = :new"),
                {
                    "old": _old_key(salt, open_id, person_id),
                    "new": KEY.respondent_key(salt=salt, wave_id=open_id, person_id=person_id),
                },
            )
        connection.execute(text("UPDATE survey_responses SET language = 'en'"))
        closed_before = connection.execute(
            text("SELECT id, respondent_key, answers FROM survey_responses WHERE wave_id = :w"),
            {"w": closed_id},
        ).all()
    _migrate(engine, "head")

    with transaction(sessions) as session:
        assert "language" not in {
            c["name"] for c in inspect(session.get_bind()).get_columns("survey_responses")
        }
        open_wave, closed_wave = (
            get_wave(session=session, wave_id=open_id),
            get_wave(session=session, wave_id=closed_id),
        )
        assert open_wave.salt_only_keys and not closed_wave.salt_only_keys
        # The open wave goes on as it was: progress found by the old keys, answers changed in place.
        finished = session.get(Person, staff[0])
        assert finished is not None
        found = current_response(session=session, wave_id=open_id, person=finished, now=NOW, key=KEY)
        assert found is not None and found.completed and found.answers["comment"] == "before the upgrade"
        _answer(session, open_id, staff[1], upto=2)
        assert (
            len(session.scalars(select(SurveyResponse).where(SurveyResponse.wave_id == open_id)).all()) == 2
        )
        assert send_due_reminders(session, CLOSES, surveys=SURVEYS, key=KEY) == 5  # all but staff[0]
        # The closed wave: the same answers under new ids and keys.
        closed_after = session.execute(
            select(SurveyResponse.id, SurveyResponse.respondent_key, SurveyResponse.answers).where(
                SurveyResponse.wave_id == closed_id
            )
        ).all()
        assert not {r.id for r in closed_after} & {r.id for r in closed_before}
        assert not {r.respondent_key for r in closed_after} & {r.respondent_key for r in closed_before}
        assert Counter(r.answers["comment"] for r in closed_after) == Counter(
            (json.loads(r.answers) if isinstance(r.answers, str) else r.answers)["comment"]
            for r in closed_before
        )
        # Closing the old wave rewrites it like any other, and it leaves the old keys behind.
        close_wave(session=session, wave=open_wave, now=CLOSES + timedelta(days=1))
        assert not open_wave.salt_only_keys
        keys = set(
            session.scalars(select(SurveyResponse.respondent_key).where(SurveyResponse.wave_id == open_id))
        )
    assert len(keys) == 1 and _old_key(salt, open_id, staff[0]) not in keys
