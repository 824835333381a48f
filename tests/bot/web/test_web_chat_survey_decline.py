""" "Not this time" in the web chat, on the same path as Telegram: offered on a fresh first question,
kept on reload, taken back by Start; and the console's wave list shows the count only where the
threshold allows."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.people.models import Membership, Person, Role
from bot.people.service import create_invite
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.definitions import load_surveys
from bot.surveys.dialogue import decline
from bot.surveys.models import SurveyResponse
from bot.surveys.waves import close_wave, get_wave, has_declined, launch_wave
from bot.surveys.wording import DECLINE
from bot.web.security import CSRF_HEADER
from tests.bot.web.conftest import World, join_with_code, sign_in

SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"
PULSE = load_surveys(SURVEYS)["resistance-pulse"]


def _library(world: World) -> None:
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    shutil.copytree(SURVEYS, settings.knowledge_dir / "surveys", dirs_exist_ok=True)


def test_not_this_time_in_the_web_chat(world: World) -> None:
    _library(world)
    client = world.client
    client.cookies.clear()
    with transaction(world.sessions) as session:
        code = create_invite(session=session, unit_name="A店", role=Role.STAFF).code
    join_with_code(client, code, "小周")
    page = client.get("/").text
    csrf = page.split('data-csrf="', 1)[1].split('"', 1)[0]
    assert f'data-decline="{DECLINE["zh-Hans"]["button"]}"' in page
    assert f'data-survey-declined="{DECLINE["zh-Hans"]["declined"]}"' in page
    with transaction(world.sessions) as session:
        person_id = session.scalars(select(Person.id).where(Person.name == "小周")).one()
        wave_id = launch_wave(
            session=session, survey=PULSE, closes_at=utc_now() + timedelta(days=1), selectors=["unit:A店"]
        ).id
    headers = {CSRF_HEADER: csrf}
    (fresh,) = client.get("/api/chat/surveys").json()
    assert fresh["step"]["index"] == 0 and fresh["step"]["started"] is False and fresh["declined"] is False

    assert client.post(f"/api/chat/surveys/{wave_id}", json={"decline": True}).status_code == 403  # CSRF
    declined = client.post(f"/api/chat/surveys/{wave_id}", json={"decline": True}, headers=headers).json()
    assert declined["declined"] is True and declined["done"] is True and "step" not in declined
    (listed,) = client.get("/api/chat/surveys").json()  # a reload: still declined, looking changes nothing
    assert listed["declined"] is True
    with world.sessions() as session:
        assert has_declined(session=session, wave_id=wave_id, person_id=person_id)

    started = client.post(f"/api/chat/surveys/{wave_id}", json={}, headers=headers).json()  # Start
    assert started["declined"] is False and started["step"]["index"] == 0
    answered = client.post(
        f"/api/chat/surveys/{wave_id}", json={"index": 0, "value": 4}, headers=headers
    ).json()
    assert answered["step"]["index"] == 1 and answered["step"]["started"] is True
    with world.sessions() as session:
        assert not has_declined(session=session, wave_id=wave_id, person_id=person_id)
        assert session.scalars(select(SurveyResponse)).one().answers == {PULSE.questions[0].id: 4}

    # Declining now drops the half-finished answer.
    client.post(f"/api/chat/surveys/{wave_id}", json={"decline": True}, headers=headers)
    with world.sessions() as session:
        assert session.scalars(select(SurveyResponse)).all() == []


def test_the_console_shows_the_declined_count_only_where_the_threshold_allows(world: World) -> None:
    _library(world)
    app = world.client.app
    key = app.state.survey_key  # type: ignore[attr-defined]
    now = utc_now()
    with transaction(world.sessions) as session:
        staff = []
        for n in range(12):
            person = Person(telegram_id=700 + n, name=f"店员{n}")
            session.add(person)
            session.flush()
            session.add(Membership(person_id=person.id, unit_id=world.ids["A店"], role=Role.STAFF.value))
            staff.append(person)
        # 14 invited: these 12, and the world's A店 manager and staff member.
        few = launch_wave(
            session=session, survey=PULSE, closes_at=now + timedelta(days=1), selectors=["unit:A店"]
        )
        for person in staff[:3]:
            decline(session=session, surveys={PULSE.id: PULSE}, wave_id=few.id, person=person, key=key)
        close_wave(session=session, wave=few)
        many = launch_wave(
            session=session, survey=PULSE, closes_at=now + timedelta(days=30), selectors=["unit:A店"],
            now=now + timedelta(days=20),
        )  # fmt: skip
        for person in staff[:6]:
            decline(session=session, surveys={PULSE.id: PULSE}, wave_id=many.id, person=person, key=key)
        assert (few.invited, few.declined, many.declined) == (14, 3, 0)  # counted at close
        ids = few.id, many.id
    world.client.cookies.set("changebot_session", sign_in(world, "store")["Cookie"].split("=", 1)[1])
    rows = _wave_rows(world.client.get("/console/surveys", headers={"Accept-Language": "en"}).text)
    assert rows[ids[0]]["Not this time"] == "–"  # 3 declined: too few to show
    assert rows[ids[1]]["Not this time"] == "–"  # 6 declined, but still open
    with transaction(world.sessions) as session:
        close_wave(
            session=session, wave=get_wave(session=session, wave_id=ids[1]), now=now + timedelta(days=31)
        )
    rows = _wave_rows(world.client.get("/console/surveys", headers={"Accept-Language": "en"}).text)
    assert rows[ids[1]]["Not this time"] == "6"


def _wave_rows(page: str) -> dict[int, dict[str, str]]:
    """The console's wave table as {wave: {column header: cell text}}."""
    table = page.split('<table id="waves">', 1)[1].split("</table>", 1)[0]
    header = [_text(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", table, flags=re.S)]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
        cells = dict(
            zip(header, map(_text, re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)), strict=True)
        )
        rows[int(cells["#"])] = cells
    return rows


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()
