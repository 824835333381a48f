"""A send or a schedule from the console or the API while no sender worker runs says that nothing is
being delivered yet and how to start one, in the reader's language; with a live worker it says
nothing more than before."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from sqlalchemy import insert

from bot.broadcasts.models import SenderWorker
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.bot.web.conftest import World, sign_in

NOW_EN = "Nothing is being delivered yet: no sender is running. Start `changebot worker`, or `changebot serve` with a Telegram token."
LATER_EN = "No sender is running: it will go out only once one runs."
NOW_HANS = "现在没有发送进程在运行，推送还不会送出。请启动 `changebot worker`"
LATER_HANT = "到時間後也要等傳送程序啟動才會送出"


def _signed_in(world: World, who: str) -> str:
    """Sign ``who`` in as a browser does; returns the form's CSRF token."""
    headers = sign_in(world, who)
    world.client.cookies.clear()
    world.client.cookies.set("changebot_session", headers["Cookie"].split("=", 1)[1])
    return headers["X-CSRF-Token"]


def _message(response_location: str) -> str:
    """The message a console form redirects back with."""
    return parse_qs(urlparse(response_location).query)["msg"][0]


def _a_sender_runs(world: World) -> None:
    """A delivery worker's row, as it rewrites it every second (`changebot worker` on another host)."""
    with transaction(world.sessions) as session:
        now = utc_now()
        session.execute(
            insert(SenderWorker).values(worker_id="worker-1", busy=False, seen_at=now, started_at=now)
        )


def _compose(world: World, csrf: str, *, send_at: str = "", language: str = "zh-Hans") -> str:
    sent = world.client.post(
        "/console/broadcasts",
        data={"csrf_token": csrf, "text": "A店本周之星", "audience": "unit:A店", "send_at": send_at},
        headers={"Accept-Language": language},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    return _message(sent.headers["location"])


def test_the_console_says_nothing_is_delivered_while_no_sender_runs(world: World) -> None:
    csrf = _signed_in(world, "store")
    now = _compose(world, csrf)
    assert now.startswith("#") and NOW_HANS in now
    assert LATER_HANT in _compose(world, csrf, send_at="2099-01-05T09:00", language="zh-Hant")
    assert NOW_EN in _compose(world, csrf, language="en")
    page = world.client.get("/console/broadcasts", params={"msg": now}).text
    assert NOW_HANS in page  # the banner shows it

    # A story sent now from its preview, and a vision series (its first message is still to come).
    written = world.client.post(
        "/console/stories", data={"csrf_token": csrf, "text": "A店排班省时两小时"}, follow_redirects=False
    )
    sent = world.client.post(
        written.headers["location"], data={"csrf_token": csrf, "action": "send"},
        headers={"Accept-Language": "en"}, follow_redirects=False,
    )  # fmt: skip
    assert NOW_EN in _message(sent.headers["location"])
    series = world.client.post(
        "/console/vision",
        data={"csrf_token": csrf, "variants": "让顾客少等", "weekday": "0", "at": "09:00", "audience": "unit:A店"},
        headers={"Accept-Language": "en"}, follow_redirects=False,
    )  # fmt: skip
    assert LATER_EN in _message(series.headers["location"])


def test_the_console_confirms_as_before_while_a_sender_runs(world: World) -> None:
    _a_sender_runs(world)
    csrf = _signed_in(world, "store")
    for done in (_compose(world, csrf), _compose(world, csrf, send_at="2099-01-05T09:00", language="en")):
        assert done.startswith("#") and done[1:].isdigit(), done  # "#12", as before


def test_the_api_answers_whether_a_sender_delivers_what_it_queued(world: World) -> None:
    store = sign_in(world, "store")
    world.client.cookies.clear()
    body = {"text": "A店的好消息", "audience": ["unit:A店"]}
    queued = world.client.post("/api/broadcasts", json=body, headers=store | {"Accept-Language": "en"})
    assert queued.status_code == 201, queued.text
    assert queued.json()["delivery_running"] is False and queued.json()["warning"] == NOW_EN
    later = world.client.post(
        "/api/broadcasts", json=body | {"send_at": "2099-01-05T09:00:00+08:00"}, headers=store
    ).json()
    assert later["delivery_running"] is False and "到时间后也要等发送进程启动才会送出" in later["warning"]
    story = world.client.post(
        "/api/stories",
        json={"text": "A店排班省时两小时", "action": "send"},
        headers=store | {"Accept-Language": "en"},
    ).json()
    assert story["broadcast_id"] is not None
    assert story["delivery_running"] is False and story["warning"] == NOW_EN

    _a_sender_runs(world)
    queued = world.client.post("/api/broadcasts", json=body, headers=store)
    assert queued.status_code == 201
    assert queued.json()["delivery_running"] is True and queued.json()["warning"] is None
    shown = world.client.get(f"/api/broadcasts/{queued.json()['id']}", headers=store).json()
    assert "delivery_running" not in shown  # only the answer to a send or a schedule carries it
