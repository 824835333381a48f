"""The survey side of a closed wave's headline (issue 15): the 0021 upgrade counts waves already
closed as told, so nobody gets a burst of old results, and the chat's names for dimensions and bands
are the console's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit
from bot.storage.database import MIGRATIONS, transaction
from bot.surveys.answers import record_answer
from bot.surveys.definitions import load_surveys
from bot.surveys.models import SurveyInvitation, SurveyResponse
from bot.surveys.pairing import PairingKey
from bot.surveys.waves import close_wave, get_wave, launch_wave, waves_to_announce
from bot.surveys.wording import BAND_NAMES, DIMENSION_NAMES

SURVEYS = load_surveys(Path(__file__).resolve().parents[3] / "knowledge" / "surveys")
PULSE = SURVEYS["resistance-pulse"]
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CLOSES = NOW + timedelta(days=3)


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_upgrade_counts_waves_closed_before_it_as_told_and_keeps_their_answers(
    sessions: sessionmaker[Session], survey_key: PairingKey
) -> None:
    with transaction(sessions) as session:
        add_unit(session=session, name="门店")
        people = [Person(telegram_id=7000 + n, name=f"p{n}") for n in range(5)]
        session.add_all(people)
        session.flush()
        store = add_unit(session=session, name="门店-1", parent="门店")
        session.add_all(Membership(person_id=p.id, unit_id=store.id, role=Role.STAFF.value) for p in people)
        closed = launch_wave(
            session=session, survey=PULSE, closes_at=CLOSES, selectors=["unit:门店"], now=NOW
        )
        for person in people:
            for question in PULSE.questions:
                record_answer(
                    session=session, key=survey_key, survey=PULSE, wave_id=closed.id, person=person,
                    question_id=question.id, value=3 if question.type == "likert" else None, now=NOW,
                )  # fmt: skip
        close_wave(session=session, wave=closed, now=CLOSES)
        still_open = launch_wave(
            session=session,
            survey=PULSE,
            closes_at=CLOSES + timedelta(days=1),
            selectors=["unit:门店"],
            now=NOW,
        )
        ids = closed.id, still_open.id

    engine = sessions.kw["bind"]
    _migrate(engine, "0020", down=True)
    assert "announced_at" not in {c["name"] for c in inspect(engine).get_columns("survey_waves")}
    _migrate(engine, "head")

    with transaction(sessions) as session:
        assert get_wave(session=session, wave_id=ids[0]).announced_at == CLOSES
        assert get_wave(session=session, wave_id=ids[1]).announced_at is None
        assert waves_to_announce(session=session, now=CLOSES + timedelta(minutes=1)) == []
        # Added in place: rebuilding survey_waves would have cascade-deleted these.
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 5
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 10
        # The wave still open is told when it closes, like any wave closed from now on.
        close_wave(session=session, wave=get_wave(session=session, wave_id=ids[1]), now=CLOSES)
        assert [w.id for w in waves_to_announce(session=session, now=CLOSES)] == [ids[1]]


def test_the_chat_names_dimensions_and_bands_as_the_console_does() -> None:
    from bot.web.console_text import console_text, value_label

    for language, names in DIMENSION_NAMES.items():
        words = console_text(language)
        assert {value: value_label(words, value) for value in names} == names
        assert {value: value_label(words, value) for value in BAND_NAMES[language]} == BAND_NAMES[language]
    every_dimension = {dimension for survey in SURVEYS.values() for dimension in survey.dimensions}
    assert every_dimension <= set(DIMENSION_NAMES["zh-Hans"])  # the library's surveys are all named
