"""Console pages render for a signed-in manager, refuse strangers, and their forms act with the CSRF token."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.broadcasts.models import Broadcast
from bot.people.models import InviteCode
from tests.bot.web.conftest import World, sign_in


def _browser_cookie(world: World, who: str) -> str:
    headers = sign_in(world, who)
    world.client.cookies.clear()
    cookie = headers["Cookie"].split("=", 1)[1]
    world.client.cookies.set("changebot_session", cookie)
    return headers["X-CSRF-Token"]


def test_pages_need_a_session(world: World) -> None:
    world.client.cookies.clear()
    for path in (
        "/console",
        "/console/knowledge",
        "/console/broadcasts",
        "/console/surveys",
        "/console/people",
    ):
        response = world.client.get(path)
        assert response.status_code == 401 and "/web" in response.text


def test_every_page_renders_for_a_manager(world: World) -> None:
    _browser_cookie(world, "region")
    for path, marker in (
        ("/console", 'id="trend"'),
        ("/console/knowledge", 'id="try"'),
        ("/console/broadcasts", 'id="compose"'),
        ("/console/surveys", 'id="launch"'),
        ("/console/people", "A店"),
    ):
        response = world.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert marker in response.text
    people = world.client.get("/console/people").text
    assert "华南区" not in people  # not theirs
    assert world.client.get("/console/vendor/plotly.min.js").status_code == 200
    assert "Change console" in world.client.get("/console?lang=en").text


def test_forms_act_only_with_the_csrf_token(world: World) -> None:
    csrf = _browser_cookie(world, "store")
    client = world.client
    forged = client.post(
        "/console/broadcasts",
        data={"csrf_token": "guess", "text": "x", "audience": "unit:A店"},
        follow_redirects=False,
    )
    assert forged.status_code == 303 and "form%20expired" in forged.headers["location"]
    foreign = client.post(
        "/console/broadcasts",
        data={"csrf_token": csrf, "text": "x", "audience": "unit:华南区"},
        follow_redirects=False,
    )
    assert "not%20one%20of%20yours" in foreign.headers["location"]
    sent = client.post(
        "/console/broadcasts",
        data={"csrf_token": csrf, "text": "A店本周之星", "audience": "unit:A店"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and re.search(r"msg=%23\d+", sent.headers["location"])
    invite = client.post(
        "/console/people/invite",
        data={"csrf_token": csrf, "unit": "A店", "role": "staff", "uses": "5"},
        follow_redirects=False,
    )
    assert invite.status_code == 303
    with world.sessions() as session:
        assert session.scalars(select(Broadcast.text)).all() == ["A店本周之星"]
        assert session.scalars(select(InviteCode.uses_left)).all() == [5]
    upload = client.post(
        "/console/knowledge/upload", data={"csrf_token": csrf, "folder": "faqs"},
        files={"file": ("a.csv", b"question,answer\nq,a\n", "text/csv")}, follow_redirects=False,
    )  # fmt: skip
    assert "only%20admins" in upload.headers["location"]
