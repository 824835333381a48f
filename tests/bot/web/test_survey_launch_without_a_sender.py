"""Opening a survey wave from the console or the API while no sender worker runs says the invitations
reach nobody yet, as a broadcast's send does (``bot.broadcasts.senders.delivery_warning``); with a
live worker the confirmation is as before."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.bot.web.conftest import World, sign_in
from tests.bot.web.test_no_silent_sending import NOW_EN, NOW_HANS, _a_sender_runs, _message, _signed_in

SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"


def _library(world: World) -> None:
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    shutil.copytree(SURVEYS, settings.knowledge_dir / "surveys", dirs_exist_ok=True)


def _launch(world: World, csrf: str, *, language: str = "zh-Hans") -> str:
    opened = world.client.post(
        "/console/surveys",
        data={"csrf_token": csrf, "survey": "resistance-pulse", "audience": "unit:A店", "hours": "24"},
        headers={"Accept-Language": language},
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    return _message(opened.headers["location"])


def test_the_console_says_the_invitations_wait_for_a_sender(world: World) -> None:
    _library(world)
    csrf = _signed_in(world, "store")
    done = _launch(world, csrf)
    assert done.startswith("#") and NOW_HANS in done
    assert NOW_EN in _launch(world, csrf, language="en")
    _a_sender_runs(world)
    done = _launch(world, csrf)
    assert done.startswith("#") and "·" not in done  # "#3: 2", as before


def test_the_api_answers_whether_a_sender_delivers_the_invitations(world: World) -> None:
    _library(world)
    store = sign_in(world, "store")
    world.client.cookies.clear()
    body = {"survey": "resistance-pulse", "audience": ["unit:A店"]}
    opened = world.client.post("/api/surveys/waves", json=body, headers=store | {"Accept-Language": "en"})
    assert opened.status_code == 201, opened.text
    assert opened.json()["delivery_running"] is False and opened.json()["warning"] == NOW_EN
    assert opened.json()["invited"] == 2
    _a_sender_runs(world)
    opened = world.client.post("/api/surveys/waves", json=body, headers=store)
    assert opened.json()["delivery_running"] is True and opened.json()["warning"] is None
    shown = world.client.get(f"/api/surveys/waves/{opened.json()['wave']}", headers=store).json()
    assert "delivery_running" not in shown  # only the answer to opening a wave carries it
