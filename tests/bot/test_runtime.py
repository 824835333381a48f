"""The per-process objects of ``bot.runtime``: one survey key per process, the same object in the
scheduler, the bot and the web app, read when they start (a damaged key file stops the start)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Broadcast, Delivery
from bot.broadcasts.service import enqueue_due
from bot.config import Settings
from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit
from bot.runtime import build_scheduler, survey_pairing_key
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.answers import record_answer
from bot.surveys.definitions import load_surveys
from bot.surveys.pairing import SurveyKeyError
from bot.surveys.waves import launch_wave
from bot.telegram.app import build_application
from bot.telegram.context import SERVICES_KEY
from bot.web.app import create_app
from tests.conftest import make_settings

SURVEYS = Path(__file__).resolve().parents[2] / "knowledge" / "surveys"
DAMAGED = "not a key at all\n"


def _with_token(settings: Settings) -> Settings:
    return settings.model_copy(update={"telegram_token": SecretStr("123456:not-a-real-token")})


def test_every_part_of_a_process_uses_the_one_survey_key_of_its_settings(
    settings: Settings,
    tmp_path: Path,
    database_url: str,
    ingested: KnowledgeCore,
    sessions: sessionmaker[Session],
) -> None:
    key = survey_pairing_key(settings)
    assert settings.survey_key_file == tmp_path / "data" / "survey.key" and settings.survey_key_file.exists()
    # Settings built again from the same values (the next command, another entry point): same object.
    assert survey_pairing_key(make_settings(tmp_path, database_url=database_url)) is key
    application = build_application(settings=_with_token(settings), core=ingested, sessions=sessions)
    assert application.bot_data[SERVICES_KEY].survey_key is key
    app = create_app(settings, core=ingested, run_scheduler=False, run_telegram=False)
    with TestClient(app):
        assert app.state.survey_key is key
    # Other settings, another key: nothing falls back to the environment's.
    elsewhere = make_settings(tmp_path / "elsewhere")
    assert survey_pairing_key(elsewhere) is not key and elsewhere.survey_key_file.exists()

    # The scheduler's reminder finds the rows the edges wrote with that key: only the one who has not
    # finished is reminded.
    shutil.copytree(SURVEYS, settings.knowledge_dir / settings.surveys_dir_name)
    pulse = load_surveys(SURVEYS)["resistance-pulse"]
    now = utc_now()
    with transaction(sessions) as session:
        store = add_unit(session=session, name="门店")
        people = [Person(telegram_id=9100 + n, name=f"p{n}") for n in range(2)]
        session.add_all(people)
        session.flush()
        session.add_all(Membership(person_id=p.id, unit_id=store.id, role=Role.STAFF.value) for p in people)
        # Opened 30 hours ago, closes in 2: its reminder (24 hours before close) is due.
        wave = launch_wave(
            session=session, survey=pulse, closes_at=now + timedelta(hours=2), selectors=["unit:门店"],
            now=now - timedelta(hours=30),
        )  # fmt: skip
        for question in pulse.questions:
            record_answer(
                session=session, survey=pulse, wave_id=wave.id, person=people[0], question_id=question.id,
                value=3 if question.type == "likert" else None, now=now, key=key,
            )  # fmt: skip
        waiting = people[1].id
    build_scheduler(sessions=sessions, settings=settings, core=lambda: ingested).run_once(now=now)
    with transaction(sessions) as session:
        enqueue_due(session=session, now=now)
        reminder = session.scalars(select(Broadcast).order_by(Broadcast.id.desc())).first()
        assert reminder is not None and reminder.button == f"survey:{wave.id}"
        reminded = session.scalars(
            select(Delivery.person_id).where(Delivery.broadcast_id == reminder.id)
        ).all()
    assert reminded == [waiting]


def test_a_damaged_survey_key_file_stops_each_process_at_start(
    settings: Settings, ingested: KnowledgeCore, sessions: sessionmaker[Session]
) -> None:
    settings.survey_key_file.parent.mkdir(parents=True, exist_ok=True)
    settings.survey_key_file.write_text(DAMAGED)
    damaged = f"the survey key {settings.survey_key_file.resolve()} is damaged"
    with pytest.raises(SurveyKeyError, match="is damaged") as refused:
        build_scheduler(sessions=sessions, settings=settings, core=lambda: ingested)
    message = str(refused.value)
    assert message.startswith(damaged) and "restore it from where it was kept" in message
    with pytest.raises(SurveyKeyError, match="is damaged"):
        build_application(settings=_with_token(settings), core=ingested, sessions=sessions)
    app = create_app(settings, core=ingested, run_scheduler=False, run_telegram=False)
    with pytest.raises(SurveyKeyError, match="is damaged"), TestClient(app):
        pass
    assert settings.survey_key_file.read_text() == DAMAGED  # never replaced by a new key
