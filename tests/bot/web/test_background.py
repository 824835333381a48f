"""`serve` runs the scheduler even without Telegram: survey waves close, and forget who answered, on time."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi.testclient import TestClient

from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.people.models import Membership, Person
from bot.people.service import add_unit
from bot.storage.base import utc_now
from bot.storage.database import make_engine, make_session_factory, transaction, upgrade_database
from bot.surveys.models import SurveyWave
from bot.surveys.waves import launch_wave
from bot.web.app import create_app
from tests.bot.surveys.test_waves_and_results import PULSE
from tests.utils.patience import EVENTUALLY


def test_serve_closes_due_waves_without_telegram(settings: Settings, ingested: KnowledgeCore) -> None:
    engine = make_engine(settings.database)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    now = utc_now()
    with transaction(sessions) as session:
        unit = add_unit(session=session, name="A店")
        person = Person(telegram_id=1, name="p")
        session.add(person)
        session.flush()
        session.add(Membership(person_id=person.id, unit_id=unit.id, role="staff"))
        session.flush()
        wave_id = launch_wave(
            session=session,
            survey=PULSE,
            closes_at=now - timedelta(minutes=1),
            selectors=["unit:A店"],
            now=now - timedelta(hours=2),
        ).id
    engine.dispose()
    assert settings.telegram_token is None
    with TestClient(create_app(settings, core=ingested)) as client:
        deadline = time.monotonic() + EVENTUALLY
        while time.monotonic() < deadline:
            with client.app.state.sessions() as session:  # type: ignore[attr-defined]
                wave = session.get(SurveyWave, wave_id)
                assert wave is not None
                if wave.status == "closed":
                    break
            time.sleep(0.05)
    assert wave.status == "closed" and wave.salt is None
