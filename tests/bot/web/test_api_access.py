"""Sign-in links, sessions with CSRF, API tokens, and every JSON API route checked against every kind
of caller (the permission matrix); bad input gets a 4xx with a message, never a 500."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.access.service import create_sign_in_link
from bot.people.models import Person
from bot.rollout.models import UnitWeek
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.web.security import CSRF_HEADER, SESSION_COOKIE
from tests.bot.web.conftest import World, api_token, follow_link, sign_in


def test_sign_in_links_are_single_use_expiring_and_for_managers(world: World) -> None:
    client = world.client
    with transaction(world.sessions) as session:
        staff = session.get(Person, world.ids["staff"])
        region = session.get(Person, world.ids["region"])
        assert staff is not None and region is not None
        staff_secret = create_sign_in_link(
            session=session, person=staff
        )  # staff: the web chat, not the console
        secret = create_sign_in_link(session=session, person=region)
        stale = create_sign_in_link(session=session, person=region, now=utc_now() - timedelta(hours=1))
    staff_landing = follow_link(client, staff_secret)
    assert staff_landing.status_code == 303 and staff_landing.headers["location"] == "/"
    # A staff session opens no console API, and says so: signing in again would not help.
    refused = client.get("/api/me")
    assert refused.status_code == 403 and "web chat" in refused.json()["detail"]
    client.cookies.clear()
    landing = follow_link(client, secret)
    assert landing.status_code == 303 and landing.headers["location"] == "/console"
    client.cookies.clear()
    assert follow_link(client, secret).status_code == 403  # used
    assert follow_link(client, stale).status_code == 403  # expired
    assert follow_link(client, "forged").status_code == 403
    assert client.get("/api/me").status_code == 401
    # Opening a link signs nobody in and uses nothing up (a link preview, a scanner); pressing its
    # button from another page (no form cookie of ours) does neither.
    with transaction(world.sessions) as session:
        fresh = create_sign_in_link(session=session, person=session.get(Person, world.ids["region"]))  # type: ignore[arg-type]
    client.cookies.clear()
    assert client.get(f"/auth/link?token={fresh}").status_code == 200 and SESSION_COOKIE not in client.cookies
    forged = client.post("/auth/link", data={"token": fresh, "form_token": "guess"}, follow_redirects=False)
    assert forged.status_code == 403 and SESSION_COOKIE not in forged.cookies
    client.cookies.clear()
    assert follow_link(client, fresh).status_code == 303  # still good for the person it was sent to
    assert client.get("/api/me").status_code == 200

    headers = sign_in(world, "region")
    me = client.get("/api/me", headers=headers).json()
    assert (
        me["name"] == "region"
        and not me["is_admin"]
        and set(me["unit_ids"]) == {world.ids["华东区"], world.ids["A店"]}
    )
    no_csrf = {key: value for key, value in headers.items() if key != CSRF_HEADER}
    body = {"text": "本周成功故事", "audience": ["unit:A店"]}
    assert client.post("/api/broadcasts", json=body, headers=no_csrf).status_code == 403  # CSRF
    assert (
        client.post("/api/broadcasts", json=body, headers={**no_csrf, CSRF_HEADER: "guess"}).status_code
        == 403
    )
    assert client.post("/api/broadcasts", json=body, headers=headers).status_code == 201
    assert client.post("/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/me", headers=no_csrf).status_code == 401  # the cookie stopped working


def test_api_tokens_are_hashed_scoped_and_revocable(world: World) -> None:
    client = world.client
    admin = sign_in(world, "admin")
    created = client.post("/api/tokens", json={"name": "BI import", "unit": "A店"}, headers=admin)
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("cbt_")
    with world.sessions() as session:
        from bot.access.models import ApiToken

        stored = session.scalars(select(ApiToken.token_hash)).all()
        assert secret not in stored and all(len(h) == 64 for h in stored)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/me", headers=bearer).json()["unit_ids"] == [world.ids["A店"]]
    assert all(t["token"] is None for t in client.get("/api/tokens", headers=admin).json()["items"])
    assert client.get("/api/tokens", headers=bearer).status_code == 403
    assert client.delete(f"/api/tokens/{created.json()['id']}", headers=admin).status_code == 204
    assert client.get("/api/me", headers=bearer).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer cbt_nonsense"}).status_code == 401


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/me", None),
    ("GET", "/api/units", None),
    ("POST", "/api/units", {"name": "总部-新部门"}),
    ("POST", "/api/units", {"name": "A店-仓库", "parent": "A店"}),
    ("GET", "/api/broadcasts", None),
    ("POST", "/api/broadcasts", {"text": "A店的好消息", "audience": ["unit:A店"]}),
    ("POST", "/api/broadcasts", {"text": "全公司通知", "audience": ["all"]}),
    ("GET", "/api/surveys", None),
    ("GET", "/api/surveys/waves", None),
    ("GET", "/api/gaps", None),
    ("GET", "/api/rollout/lights", None),
    ("POST", "/api/rollout/figures", [{"unit": "A店", "week": "2026-11-16", "usage_rate": 72}]),
    ("GET", "/api/tokens", None),
]
# Expected status per caller, in ROUTES order.
MATRIX: dict[str, list[int]] = {
    "anonymous": [401] * len(ROUTES),
    "staff-token": [],  # staff cannot sign in at all (see the sign-in test)
    "store": [200, 200, 403, 201, 200, 201, 403, 200, 200, 200, 200, 200, 403],
    "south": [200, 200, 403, 403, 200, 403, 403, 200, 200, 200, 200, 403, 403],
    "region": [200, 200, 403, 201, 200, 201, 403, 200, 200, 200, 200, 200, 403],
    "admin": [200, 200, 201, 201, 200, 201, 201, 200, 200, 200, 200, 200, 200],
    "token:A店": [200, 200, 403, 201, 200, 201, 403, 200, 200, 200, 200, 200, 403],
    "token:admin": [200, 200, 201, 201, 200, 201, 201, 200, 200, 200, 200, 200, 200],
}


@pytest.mark.parametrize("caller", [c for c in MATRIX if MATRIX[c]])
def test_permission_matrix(world: World, caller: str) -> None:
    client = world.client
    if caller == "anonymous":
        headers: dict[str, str] = {}
    elif caller.startswith("token:"):
        scope = caller.split(":", 1)[1]
        headers = api_token(world, None if scope == "admin" else scope)
    else:
        headers = sign_in(world, caller)
    got = []
    for index, (method, path, body) in enumerate(ROUTES):
        if isinstance(body, dict) and "name" in body:
            body = {**body, "name": f"{body['name']}-{caller}-{index}"}  # unit names are unique
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code < 500, (method, path, response.text)
        got.append(response.status_code)
    assert got == MATRIX[caller], list(
        zip([f"{m} {p}" for m, p, _ in ROUTES], got, MATRIX[caller], strict=True)
    )


def test_bad_input_gets_a_clear_4xx_and_changes_nothing(world: World) -> None:
    client = world.client
    admin = sign_in(world, "admin")
    bad_rows = "unit,week,usage_rate\nA店,2026-11-16,72\n火星店,2026-11-16,50\nA店,,60\n"
    response = client.post(
        "/api/rollout/figures", content=bad_rows.encode(), headers={**admin, "Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    assert response.json()["problems"] == ["line 3: unknown unit '火星店'", "line 4: week is missing"]
    with world.sessions() as session:
        assert session.scalars(select(UnitWeek)).all() == []
    store = sign_in(world, "store")
    foreign = json.dumps([{"unit": "华南区", "week": "2026-11-16", "usage_rate": 0.5}])
    response = client.post(
        "/api/rollout/figures",
        content=foreign.encode(),
        headers={**store, "Content-Type": "application/json"},
    )
    assert response.status_code == 403 and "华南区" in response.json()["detail"]
    cases = [
        ("POST", "/api/broadcasts", {"text": "", "audience": ["all"]}, 422),
        ("POST", "/api/broadcasts", {"text": "x", "audience": ["unit:火星店"]}, 404),
        ("POST", "/api/broadcasts", {"text": "x", "audience": ["team:1"]}, 422),
        ("POST", "/api/broadcasts", {"text": "x", "send_at": "2026-12-01T09:00"}, 422),
        ("POST", "/api/broadcasts", {"text": "x" * 5000}, 422),
        ("GET", "/api/broadcasts/999999", None, 404),
        ("POST", "/api/broadcasts/999999/cancel", None, 404),
        ("POST", "/api/surveys/waves", {"survey": "nope"}, 404),
        ("GET", "/api/surveys/waves/424242", None, 404),
        ("POST", "/api/units", {"name": "A店"}, 409),  # exists: a conflict, not bad input
        ("POST", "/api/units", {"name": "x", "parent": "火星"}, 404),
        ("GET", "/api/units?limit=0", None, 422),
        ("GET", "/api/rollout/lights?week=someday", None, 422),
    ]
    for method, path, body, expected in cases:
        response = client.request(method, path, json=body, headers=admin)
        assert response.status_code == expected, (method, path, body, response.text)
        assert response.json()["detail"]
    response = client.post(
        "/api/rollout/figures", content=b"\xff\xfe", headers={**admin, "Content-Type": "text/csv"}
    )
    assert response.status_code == 422 and "UTF-8" in response.json()["detail"]


def test_nul_characters_are_refused_before_they_reach_the_database(world: World) -> None:
    admin = sign_in(world, "admin")
    response = world.client.post("/api/units", json={"name": "仓库\u0000"}, headers=admin)
    assert response.status_code == 422 and "NUL" in response.json()["detail"]
    assert world.client.get("/api/rollout/lights?week=2026-11-16%00", headers=admin).status_code == 422
    # "%00" is only an encoding in forms and URLs; in JSON it is just text.
    assert world.client.post("/api/units", json={"name": "目标100%00"}, headers=admin).status_code == 201


def test_a_unit_token_made_by_an_admin_stays_in_its_unit(world: World) -> None:
    client = world.client
    admin = sign_in(world, "admin")
    everyone = client.post(
        "/api/broadcasts",
        json={"text": "全公司通知", "audience": ["all"], "send_at": "2099-01-01T09:00:00+00:00"},
        headers=admin,
    )
    south = client.post(
        "/api/broadcasts",
        json={"text": "华南区通知", "audience": ["unit:华南区"], "send_at": "2099-01-01T09:00:00+00:00"},
        headers=admin,
    )
    store = client.post(
        "/api/broadcasts",
        json={"text": "A店通知", "audience": ["unit:A店"], "send_at": "2099-01-01T09:00:00+00:00"},
        headers=admin,
    )
    series = client.post(
        "/api/vision",
        json={
            "title": "华南愿景",
            "variants": ["让顾客少等"],
            "cron": "0 9 * * mon",
            "audience": ["unit:华南区"],
        },
        headers=admin,
    )
    assert {r.status_code for r in (everyone, south, store, series)} == {201}, [
        r.text for r in (everyone, south, store, series)
    ]

    token = api_token(world, "A店")  # created by the admin, for one store
    listed = {b["text"] for b in client.get("/api/broadcasts", headers=token).json()["items"]}
    assert listed == {"A店通知"}
    for other in (everyone, south):
        broadcast_id = other.json()["id"]
        assert client.get(f"/api/broadcasts/{broadcast_id}", headers=token).status_code == 404
        assert client.post(f"/api/broadcasts/{broadcast_id}/cancel", headers=token).status_code == 404
        assert client.get(f"/api/broadcasts/{broadcast_id}", headers=admin).json()["status"] == "scheduled"
    assert client.post(f"/api/broadcasts/{store.json()['id']}/cancel", headers=token).status_code == 200
    assert client.get("/api/vision", headers=token).json() == []  # the admin's 华南区 series is not its
    assert client.post(f"/api/vision/{series.json()['id']}/stop", headers=token).status_code == 403
    assert [s["title"] for s in client.get("/api/vision", headers=admin).json()] == ["华南愿景"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/broadcasts", b'{"text": "\\ud800", "audience": ["all"]}'),
        ("/api/units", b'{"name": "\\udfff\\u5e97"}'),
        ("/api/knowledge/try", b'{"question": "\\ud83d"}'),
    ],
)
def test_lone_surrogates_get_a_422_and_the_next_request_works(world: World, path: str, body: bytes) -> None:
    admin = sign_in(world, "admin")
    response = world.client.post(path, content=body, headers={**admin, "content-type": "application/json"})
    assert response.status_code == 422 and "unicode" in response.text
    assert world.client.get("/api/me", headers=admin).status_code == 200


def test_a_database_outage_is_a_503_with_retry_after(world: World, tmp_path: Path) -> None:
    from bot.storage.database import make_engine, make_session_factory

    admin = sign_in(world, "admin")
    app = world.client.app
    working = app.state.sessions  # type: ignore[attr-defined]
    gone = make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")  # cannot be opened
    app.state.sessions = make_session_factory(gone)  # type: ignore[attr-defined]
    try:
        for method, path, body in (("get", "/api/me", None), ("get", "/api/broadcasts", None),
                                   ("post", "/api/knowledge/try", {"question": "培训要多久？"})):  # fmt: skip
            response = world.client.request(method, path, json=body, headers=admin)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["Retry-After"] == "5" and "try again" in response.json()["detail"]
    finally:
        app.state.sessions = working  # type: ignore[attr-defined]
        gone.dispose()
    assert world.client.get("/api/me", headers=admin).status_code == 200
