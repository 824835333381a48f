"""Every JSON API route against every kind of caller. Resources belong to A店 (its manager "store",
under the region manager "region"); "south" manages another region; tokens are admin-wide or A店's."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from bot.broadcasts.models import Broadcast
from bot.broadcasts.recurring import create_vision_series
from bot.broadcasts.stories import start_story, submit_story
from bot.people.models import Person
from bot.questions.models import AskedQuestion
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.definitions import load_surveys
from bot.surveys.waves import close_wave, launch_wave
from tests.bot.web.conftest import World, api_token, sign_in

SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"
CALLERS = ("anonymous", "store", "region", "south", "admin", "token:A店", "token:admin")
OK = {"store", "region", "admin", "token:A店", "token:admin"}  # who may act on A店's things
ADMINS = {"admin", "token:admin"}


def _ids(world: World) -> dict[str, int]:
    """A broadcast, a submitted story, a closed wave and an open question, all of A店."""
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    shutil.copytree(SURVEYS, settings.knowledge_dir / "surveys", dirs_exist_ok=True)
    pulse = load_surveys(SURVEYS)["resistance-pulse"]
    with transaction(world.sessions) as session:
        store = session.get(Person, world.ids["store"])
        staff = session.get(Person, world.ids["staff"])
        assert store is not None and staff is not None
        staff.telegram_id = 555
        broadcast = Broadcast(
            text="A店通知",
            audience=["unit:A店"],
            created_by_id=store.id,
            send_at=utc_now() + timedelta(days=9),
        )
        session.add(broadcast)
        story = start_story(session=session, author=store, text="A店排班省时两小时", language="zh-Hans")
        submit_story(session=session, story_id=story.id, author=store)
        now = utc_now()
        wave = launch_wave(
            session=session, survey=pulse, closes_at=now + timedelta(days=1), selectors=["unit:A店"], now=now
        )
        close_wave(session=session, wave=wave)
        question = AskedQuestion(
            asked_at=now, channel="telegram", person_id=staff.id, language="zh-Hans", text="钥匙丢了找谁？",
            answer="", answered=False, confidence=0.0, status="open",
        )  # fmt: skip
        session.add(question)
        draft = start_story(session=session, author=store, text="草稿", language="zh-Hans")
        series, _ = create_vision_series(
            session=session, title="愿景", variants=["让顾客少等"], cron="0 9 * * mon", zones=[ZoneInfo("Asia/Shanghai")],
            selectors=["unit:A店"], created_by=store,
        )  # fmt: skip
        session.flush()
        return {
            "broadcast": broadcast.id, "story": story.id, "wave": wave.id, "question": question.id,
            "draft": draft.id, "series": series.id,
        }  # fmt: skip


def routes(ids: dict[str, int]) -> list[tuple[str, str, Any, dict[str, int], int]]:
    """(method, path, body, {caller: status}, status for everyone else signed in)."""
    b, s, w, q, d, v = (
        ids["broadcast"],
        ids["story"],
        ids["wave"],
        ids["question"],
        ids["draft"],
        ids["series"],
    )
    admin_only = {c: 200 for c in ADMINS}
    return [
        ("GET", "/api/me", None, {}, 200),
        ("GET", "/api/units", None, {}, 200),
        ("POST", "/api/units", {"name": "新部门"}, {c: 201 for c in ADMINS}, 403),
        ("POST", "/api/units", {"name": "A店-仓库", "parent": "A店"}, {c: 201 for c in OK}, 403),
        ("POST", "/api/invites", {"unit": "A店", "uses": 3}, {c: 201 for c in OK}, 403),
        ("GET", "/api/broadcasts", None, {}, 200),
        ("GET", f"/api/broadcasts/{b}", None, {c: 200 for c in OK}, 404),
        ("POST", "/api/broadcasts", {"text": "A店的好消息", "audience": ["unit:A店"]}, {c: 201 for c in OK}, 403),
        ("POST", "/api/broadcasts", {"text": "全公司", "audience": ["all"]}, {c: 201 for c in ADMINS}, 403),
        ("POST", f"/api/broadcasts/{b}/cancel", None, {c: 200 for c in OK}, 404),
        ("GET", "/api/stories", None, {}, 200),
        ("GET", f"/api/stories/{s}", None, {c: 200 for c in OK}, 404),
        ("POST", f"/api/stories/{d}/act", {"action": "send"}, {"store": 200, "token:A店": 403}, 404),
        ("POST", f"/api/stories/{s}/review", {"approve": True}, {"region": 200, "admin": 200, "token:admin": 200, "token:A店": 403}, 422),
        ("POST", "/api/stories", {"text": "又一个好消息", "action": "submit"}, {"token:A店": 403}, 201),
        ("POST", f"/api/stories/{s}/cancel", None, {"store": 200, "admin": 200, "token:admin": 200, "token:A店": 403}, 422),
        ("GET", "/api/vision", None, {}, 200),
        ("POST", "/api/vision", {"variants": ["愿景"], "cron": "0 9 * * mon", "audience": ["unit:A店"]}, {c: 201 for c in OK}, 403),
        ("POST", "/api/vision", {"variants": ["愿景"], "cron": "sometimes", "audience": ["unit:A店"]}, {c: 422 for c in OK}, 403),
        ("POST", f"/api/vision/{v}/stop", None, {"store": 200, "admin": 200, "token:admin": 200, "token:A店": 403}, 422),
        ("GET", "/api/surveys", None, {}, 200),
        ("GET", "/api/surveys/waves", None, {}, 200),
        ("GET", f"/api/surveys/waves/{w}", None, {c: 200 for c in OK}, 404),
        ("GET", f"/api/surveys/waves/{w}/results", None, {c: 200 for c in OK}, 404),
        ("POST", "/api/surveys/waves", {"survey": "resistance-pulse", "audience": ["unit:A店"]}, {c: 201 for c in OK}, 403),
        ("GET", "/api/gaps", None, {}, 200),
        ("POST", f"/api/gaps/{q}/answer", {"answer": "找店长"}, {"store": 200, "region": 200, "admin": 200, "token:admin": 200, "token:A店": 403}, 422),
        ("GET", "/api/rollout/lights", None, {}, 200),
        ("POST", "/api/rollout/figures", [{"unit": "A店", "week": "2026-11-16", "usage_rate": 72}], {c: 200 for c in OK}, 403),
        ("GET", "/api/knowledge/documents", None, {}, 200),
        ("GET", "/api/knowledge/chunks?source=faqs/basics.yaml", None, {}, 200),
        ("POST", "/api/knowledge/try", {"question": "培训要多久？"}, {}, 200),
        ("POST", "/api/knowledge/files", FILES, {c: 201 for c in ADMINS}, 403),
        ("POST", "/api/knowledge/reindex", None, {c: 202 for c in ADMINS}, 403),
        ("GET", "/api/knowledge/jobs/nope", None, {}, 404),
        ("GET", "/api/tokens", None, admin_only, 403),
        ("POST", "/api/tokens", {"name": "x"}, {c: 201 for c in ADMINS}, 403),
        ("DELETE", "/api/tokens/99999", None, {c: 404 for c in ADMINS}, 403),
    ]  # fmt: skip


FILES = {"__files__": True}


def _call(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> int:
    if body is FILES:
        files = {"file": ("matrix.csv", b"question,answer\nq?,a.\n", "text/csv")}
        return client.request(method, path, data={"folder": "faqs"}, files=files, headers=headers).status_code
    return client.request(method, path, json=body, headers=headers).status_code


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_for_every_caller(world: World, caller: str) -> None:
    ids = _ids(world)
    client = world.client
    if caller == "anonymous":
        client.cookies.clear()
        headers: dict[str, str] = {}
    elif caller.startswith("token:"):
        scope = caller.split(":", 1)[1]
        headers = api_token(world, None if scope == "admin" else scope)
    else:
        headers = sign_in(world, caller)
    wrong = []
    for method, path, body, expected, otherwise in routes(ids):
        want = 401 if caller == "anonymous" else expected.get(caller, otherwise)
        got = _call(client, method, path, body, headers)
        assert got < 500, (method, path, got)
        if got != want:
            wrong.append(f"{method} {path}: got {got}, want {want}")
    assert not wrong, wrong


def test_the_matrix_covers_every_api_route(world: World) -> None:
    """A new route must join the matrix above."""
    covered = {(method, path.split("?")[0]) for method, path, *_ in routes(_ids(world))}
    covered_shapes = {(m, p.rsplit("/", 2)[0] if p.split("/")[-1].isdigit() else p) for m, p in covered}
    schema = world.client.get("/openapi.json").json()
    missing = []
    for path, operations in schema["paths"].items():
        if (
            not path.startswith("/api/")
            or path == "/api/ask"
            or path.startswith(("/api/questions/", "/api/chat/"))
        ):
            continue  # the web chat's routes: see test_web_chat.py
        for method in operations:
            concrete = any(m == method.upper() and (p == path or _matches(path, p)) for m, p in covered)
            if not concrete:
                missing.append(f"{method.upper()} {path}")
    assert not missing, missing
    assert covered_shapes


def _matches(template: str, concrete: str) -> bool:
    parts, actual = template.strip("/").split("/"), concrete.strip("/").split("/")
    return len(parts) == len(actual) and all(
        p.startswith("{") or p == a for p, a in zip(parts, actual, strict=True)
    )


def _store_and_region_notices(world: World) -> dict[str, int]:
    """A notice A店's manager wrote for A店, and one the region manager wrote for all of 华东区."""
    with transaction(world.sessions) as session:
        ids = {}
        for key, author, audience in (("store", "store", "unit:A店"), ("region", "region", "unit:华东区")):
            broadcast = Broadcast(
                text=f"{key} 通知", audience=[audience], created_by_id=world.ids[author],
                send_at=utc_now() + timedelta(days=9),
            )  # fmt: skip
            session.add(broadcast)
            session.flush()
            ids[key] = broadcast.id
    return ids


@pytest.mark.parametrize("caller", ["store", "region", "south", "admin"])
def test_cancelling_a_broadcast_is_one_rule_in_the_api_and_the_console(world: World, caller: str) -> None:
    # Its author, an admin, or a manager of every unit it went to: the region manager may stop A店's
    # notice, A店's manager may not stop the region's, the other region's manager neither.
    may = {"store": {"store"}, "region": {"store", "region"}, "south": set(), "admin": {"store", "region"}}[
        caller
    ]
    for edge in ("api", "console"):
        notices = _store_and_region_notices(world)
        for which, broadcast_id in notices.items():
            if edge == "api":
                response = world.client.post(
                    f"/api/broadcasts/{broadcast_id}/cancel", headers=sign_in(world, caller)
                )
                assert response.status_code == (200 if which in may else 404), (edge, which)
            else:
                world.client.cookies.clear()
                headers = sign_in(world, caller)
                world.client.cookies.set("changebot_session", headers["Cookie"].split("=", 1)[1])
                world.client.post(
                    f"/console/broadcasts/{broadcast_id}/cancel",
                    data={"csrf_token": headers["X-CSRF-Token"]}, follow_redirects=False,
                )  # fmt: skip
            with world.sessions() as session:
                status = session.get(Broadcast, broadcast_id).status  # type: ignore[union-attr]
            assert (status == "cancelled") == (which in may), (edge, caller, which)
        world.client.cookies.clear()
