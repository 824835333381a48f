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


def test_every_page_speaks_traditional_chinese_to_a_traditional_reader(world: World) -> None:
    _browser_cookie(world, "region")
    for path, words in (
        ("/console?lang=zh-Hant", ("總覽", "知識庫", "脈搏調查")),
        ("/console/knowledge", ("試問一個問題", "待解答的問題")),  # the cookie keeps the language
        ("/console/broadcasts", ("新建推送", "需要確認已讀")),
        ("/console/surveys", ("發起調查",)),
        ("/console/people", ("人員與單位",)),
    ):
        page = world.client.get(path).text
        assert [word for word in words if word not in page] == [], path
        assert "总览" not in page and "知识库" not in page and "稽核" not in page, path


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


def test_a_story_from_preview_to_review_and_a_vision_series(world: World) -> None:
    from bot.broadcasts.models import Story, VisionSeries

    csrf = _browser_cookie(world, "store")
    client = world.client
    written = client.post(
        "/console/stories", data={"csrf_token": csrf, "text": "A店排班省时两小时"}, follow_redirects=False
    )
    preview_path = written.headers["location"]
    preview = client.get(preview_path)
    assert (
        preview.status_code == 200 and "A店排班省时两小时" in preview.text and 'value="send"' in preview.text
    )
    submitted = client.post(
        preview_path, data={"csrf_token": csrf, "action": "submit"}, follow_redirects=False
    )
    assert "submit" in submitted.headers["location"]
    no_day = client.post(
        "/console/vision", data={"csrf_token": csrf, "variants": "让顾客少等\n\n让门店更轻松", "at": "09:00", "audience": "unit:A店"},
        follow_redirects=False,
    )  # fmt: skip
    assert "one%20day%20of%20the%20week" in no_day.headers["location"]
    made = client.post(
        "/console/vision", data={"csrf_token": csrf, "variants": "让顾客少等\n\n让门店更轻松", "weekday": "0", "at": "09:00", "audience": "unit:A店"},
        follow_redirects=False,
    )  # fmt: skip
    assert "%23" in made.headers["location"]

    csrf = _browser_cookie(world, "region")  # the manager above reviews it
    page = client.get("/console/broadcasts").text
    assert 'id="pending"' in page and "A店排班省时两小时" in page
    story_id = int(preview_path.rsplit("/", 1)[1])
    approved = client.post(
        f"/console/stories/{story_id}/review",
        data={"csrf_token": csrf, "approve": "yes"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    with world.sessions() as session:
        story = session.get(Story, story_id)
        assert story is not None and story.status == "approved" and story.case_file
        series = session.scalars(select(VisionSeries)).one()
        assert series.variants == ["让顾客少等", "让门店更轻松"]


def test_chunks_and_roles_are_shown(world: World) -> None:
    _browser_cookie(world, "admin")
    page = world.client.get("/console/knowledge", params={"source": "faqs/basics.yaml"}).text
    assert 'id="chunks"' in page and "faqs/basics.yaml" in page
    people = world.client.get("/console/people").text
    assert "主管：store" in people and "员工 1 人" in people  # in the page's language, not English
    english = world.client.get("/console/people", params={"lang": "en"}).text
    assert "managers: store" in english and "1 staff" in english
    assert '<option value="staff">员工</option>' in people
    assert '<option value="manager">manager</option>' in english


def test_ids_too_big_for_the_database_are_refused_not_crashed(world: World) -> None:
    csrf = _browser_cookie(world, "admin")
    huge = 2**63
    for method, path in (
        ("post", f"/console/gaps/{huge}"), ("post", f"/console/knowledge/phrasings/{huge}"),
        ("get", f"/console/stories/{huge}"), ("post", f"/console/broadcasts/{huge}/cancel"),
        ("post", f"/console/vision/{huge}/stop"), ("post", "/console/gaps/0"),
        ("get", f"/console/surveys?wave={huge}"),
    ):  # fmt: skip
        form = {"csrf_token": csrf, "action": "retire"}
        response = world.client.get(path) if method == "get" else world.client.post(path, data=form)
        assert response.status_code in (404, 422), (path, response.status_code)
    assert world.client.get("/console/knowledge").status_code == 200  # and the next request works


def test_the_trend_counts_in_whole_numbers_and_dates_as_the_reader_writes_them(world: World) -> None:
    from bot.web.routes.console_overview import _whole_ticks

    assert _whole_ticks(0) == {"dtick": 1, "tickformat": "d", "range": [0, 1.1]}
    assert _whole_ticks(1)["dtick"] == 1 and _whole_ticks(23)["dtick"] == 5  # about five ticks
    _browser_cookie(world, "region")
    chinese = world.client.get("/console?lang=zh-Hans").text
    english = world.client.get("/console?lang=en").text
    assert "%-m月%-d日" in chinese and "%b %-d" not in chinese
    assert "%b %-d" in english
