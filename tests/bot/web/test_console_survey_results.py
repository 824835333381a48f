"""A closed company-wide wave's results in the console: a store manager following the headline's
link sees their own store's groups, and nothing of other regions."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from bot.people.models import Membership, Person, Role
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.answers import record_answer
from bot.surveys.definitions import load_surveys
from bot.surveys.waves import close_wave, launch_wave
from tests.bot.web.conftest import World, sign_in

SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"


def test_a_store_manager_sees_their_stores_results_of_a_company_wide_wave(world: World) -> None:
    app = world.client.app
    shutil.copytree(SURVEYS, app.state.settings.knowledge_dir / "surveys", dirs_exist_ok=True)  # type: ignore[attr-defined]
    pulse = load_surveys(SURVEYS)["resistance-pulse"]
    now = utc_now()
    with transaction(world.sessions) as session:
        staff = []
        for n in range(6):  # enough in A店 to be shown; 华南区 has its manager only
            person = Person(telegram_id=900 + n, name=f"店员{n}")
            session.add(person)
            session.flush()
            session.add(Membership(person_id=person.id, unit_id=world.ids["A店"], role=Role.STAFF.value))
            staff.append(person)
        wave = launch_wave(
            session=session, survey=pulse, closes_at=now + timedelta(days=1), selectors=["unit:总部"], now=now
        )
        for person in staff:
            for question in pulse.questions:
                value = (
                    4
                    if question.type == "likert"
                    else (None if question.optional else question.options[0].id)
                )
                record_answer(session=session, key=app.state.survey_key, survey=pulse, wave_id=wave.id,  # type: ignore[attr-defined]
                              person=person, question_id=question.id, value=value, now=now)  # fmt: skip
        close_wave(session=session, wave=wave)
        wave_id = wave.id
    world.client.cookies.set("changebot_session", sign_in(world, "store")["Cookie"].split("=", 1)[1])
    page = world.client.get(f"/console/surveys?wave={wave_id}").text
    assert 'id="results"' in page and "A店" in page and "认知" in page
    assert "华南区" not in page  # another region's group, not theirs
    world.client.cookies.clear()
    world.client.cookies.set("changebot_session", sign_in(world, "south")["Cookie"].split("=", 1)[1])
    south = world.client.get(f"/console/surveys?wave={wave_id}").text
    assert "A店" not in south  # their own groups only (none of A店's)
