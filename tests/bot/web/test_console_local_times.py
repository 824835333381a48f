"""Times in the console are on the reader's clock and in the page's language (issue 15): the
``localtime`` filter in three languages, times typed into the console read in the reader's zone,
and the vision cadence picker, which shows the next five sends before saving and saves what it
showed. The console's clock is the ``get_now`` dependency, fixed here."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.broadcasts.models import Broadcast, VisionSeries
from bot.broadcasts.recurring import create_vision_series
from bot.broadcasts.service import create_broadcast
from bot.people.models import Person
from bot.scheduling.models import Schedule
from bot.storage.database import transaction
from bot.surveys.models import SurveyWave
from bot.web.deps import get_now
from bot.web.routes.console_common import templates
from tests.bot.web.conftest import World, sign_in

SHANGHAI, BERLIN = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 3, 22, 12, 0, tzinfo=UTC)  # a Monday: 20:00 in Shanghai, 13:00 in Berlin
SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"


@pytest.fixture
def monday_noon(world: World) -> Iterator[World]:
    """The world, with the console's clock at ``NOW``."""
    app = world.client.app
    app.dependency_overrides[get_now] = lambda: NOW  # type: ignore[attr-defined]
    yield world
    app.dependency_overrides.clear()  # type: ignore[attr-defined]


def _signed_in(world: World, who: str, *, timezone: str | None) -> str:
    """Sign ``who`` in as a browser (their zone set as /tz would); returns the form's CSRF token."""
    with transaction(world.sessions) as session:
        person = session.get(Person, world.ids[who])
        assert person is not None
        person.timezone = timezone
    headers = sign_in(world, who)
    world.client.cookies.clear()
    world.client.cookies.set("changebot_session", headers["Cookie"].split("=", 1)[1])
    return headers["X-CSRF-Token"]


def _render(source: str, *, language: str, zone: ZoneInfo, **values: object) -> str:
    return templates.env.from_string(source).render(reader_zone=zone, lang=language, **values)


@pytest.mark.parametrize(
    ("language", "zone", "shown", "with_zone"),
    [
        ("zh-Hans", SHANGHAI, "2027年3月1日 周一 09:00", "2027年3月1日 周一 09:00 UTC+8"),
        ("zh-Hant", SHANGHAI, "2027年3月1日 週一 09:00", "2027年3月1日 週一 09:00 UTC+8"),
        ("en", SHANGHAI, "Mon 1 Mar 2027, 09:00", "Mon 1 Mar 2027, 09:00 UTC+8"),
        ("en", BERLIN, "Mon 1 Mar 2027, 02:00", "Mon 1 Mar 2027, 02:00 UTC+1"),
    ],
)
def test_the_localtime_filter_shows_a_moment_on_the_readers_clock_in_their_language(
    language: str, zone: ZoneInfo, shown: str, with_zone: str
) -> None:
    moment = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
    assert _render("{{ m | localtime }}", language=language, zone=zone, m=moment) == shown
    assert _render("{{ m | localtime(show_zone=true) }}", language=language, zone=zone, m=moment) == with_zone
    # As the survey service writes it, in ISO text: the same moment, the same words.
    assert _render("{{ m | localtime }}", language=language, zone=zone, m=moment.isoformat()) == shown


def test_wall_clock_times_and_dates_read_as_themselves() -> None:
    # A schedule's next occurrence is 09:00 on every clock: the reader's too, whatever their zone.
    wall = datetime.combine(date(2027, 7, 5), datetime.min.time()).replace(hour=9)
    assert _render("{{ w | localtime(show_zone=true) }}", language="en", zone=BERLIN, w=wall) == (
        "Mon 5 Jul 2027, 09:00 UTC+2"  # summer time
    )
    for language, day in (("zh-Hans", "2027年3月22日"), ("zh-Hant", "2027年3月22日"), ("en", "22 Mar 2027")):
        assert _render("{{ d | localdate }}", language=language, zone=SHANGHAI, d=date(2027, 3, 22)) == day
        assert _render("{{ d | localdate }}", language=language, zone=SHANGHAI, d="2027-03-22") == day
    # Late on 21 March in UTC is already the 22nd in Shanghai.
    late = datetime(2027, 3, 21, 20, 0, tzinfo=UTC)
    assert _render("{{ d | localdate }}", language="en", zone=SHANGHAI, d=late) == "22 Mar 2027"
    assert _render("{{ d | localtime }}", language="en", zone=SHANGHAI, d=None) == ""


def test_the_broadcasts_pages_show_send_times_on_the_readers_clock(world: World) -> None:
    with transaction(world.sessions) as session:
        broadcast = create_broadcast(
            session=session, text="周一早会", selectors=["unit:A店"],
            send_at=datetime(2099, 3, 2, 1, 0, tzinfo=UTC), created_by=session.get(Person, world.ids["store"]),
        )  # fmt: skip
        broadcast_id = broadcast.id
    _signed_in(world, "store", timezone="Asia/Shanghai")
    listing = world.client.get("/console/broadcasts?lang=en").text
    row = listing.split(f'href="/console/broadcasts/{broadcast_id}"', 1)[1].split("</tr>", 1)[0]
    assert "Mon 2 Mar 2099, 09:00" in row and " UTC" not in row  # the zone is said once, at the top
    assert "Times in Asia/Shanghai (UTC+8)" in listing
    detail = world.client.get(f"/console/broadcasts/{broadcast_id}").text
    assert "Mon 2 Mar 2099, 09:00 UTC+8" in detail

    _signed_in(world, "region", timezone="Europe/Berlin")  # the same broadcast, read in Berlin
    row = world.client.get("/console/broadcasts?lang=zh-Hans").text.split(
        f"/console/broadcasts/{broadcast_id}", 1
    )[1]
    assert "2099年3月2日 周一 02:00" in row.split("</tr>", 1)[0]


def test_a_time_typed_into_the_console_is_on_the_readers_clock(world: World) -> None:
    csrf = _signed_in(world, "store", timezone="Asia/Shanghai")
    sent = world.client.post(
        "/console/broadcasts",
        data={
            "csrf_token": csrf,
            "text": "上海的早上九点",
            "audience": "unit:A店",
            "send_at": "2099-03-02T09:00",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303 and re.search(r"msg=%23\d+", sent.headers["location"])
    written = world.client.post(
        "/console/stories", data={"csrf_token": csrf, "text": "A店排班省时两小时"}, follow_redirects=False
    )
    scheduled = world.client.post(
        written.headers["location"],
        data={"csrf_token": csrf, "action": "schedule", "send_at": "2099-03-02T09:30"},
        follow_redirects=False,
    )
    assert "schedule" in scheduled.headers["location"]

    csrf = _signed_in(world, "region", timezone="Europe/Berlin")
    world.client.post(
        "/console/broadcasts",
        data={
            "csrf_token": csrf,
            "text": "柏林的早上九点",
            "audience": "unit:华东区",
            "send_at": "2099-03-02T09:00",
        },
        follow_redirects=False,
    )
    with world.sessions() as session:
        send_at = {text: when for text, when in session.execute(select(Broadcast.text, Broadcast.send_at))}
    assert send_at["上海的早上九点"] == datetime(2099, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert send_at["柏林的早上九点"] == datetime(2099, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    (story_copy,) = [when for text, when in send_at.items() if "A店排班省时两小时" in text]
    assert story_copy == datetime(2099, 3, 2, 1, 30, tzinfo=UTC)

    bad = world.client.post(
        "/console/broadcasts",
        data={"csrf_token": csrf, "text": "x", "audience": "unit:华东区", "send_at": "next monday"},
        follow_redirects=False,
    )
    assert "not%20a%20date%20and%20time" in bad.headers["location"]


def test_a_waves_closing_time_is_typed_on_the_readers_clock(world: World) -> None:
    shutil.copytree(SURVEYS, world.client.app.state.settings.knowledge_dir / "surveys", dirs_exist_ok=True)  # type: ignore[attr-defined]
    csrf = _signed_in(world, "store", timezone="Asia/Shanghai")
    launched = world.client.post(
        "/console/surveys",
        data={"csrf_token": csrf, "survey": "resistance-pulse", "audience": "unit:A店", "closes_at": "2099-03-06T18:00"},
        follow_redirects=False,
    )  # fmt: skip
    assert launched.status_code == 303 and re.search(r"msg=%23\d+", launched.headers["location"])
    with world.sessions() as session:
        assert session.scalars(select(SurveyWave.closes_at)).one() == datetime(2099, 3, 6, 10, 0, tzinfo=UTC)
    assert "2099年3月6日 周五 18:00" in world.client.get("/console/surveys").text


def test_the_cadence_picker_shows_the_next_five_and_saves_what_it_showed(monday_noon: World) -> None:
    world = monday_noon
    csrf = _signed_in(world, "store", timezone="Asia/Shanghai")
    page = world.client.get("/console/broadcasts").text
    picker = page.split('id="cadence"', 1)[1].split("</fieldset>", 1)[0]
    assert picker.count('type="checkbox" name="weekday"') == 7 and 'value="0" checked' in picker
    assert "0 9 * * mon" not in page and "cron" not in picker
    # The default, Mondays at 09:00: this Monday's has passed in Shanghai, so next Monday first.
    assert re.findall(r"<li>(.*?)</li>", picker)[0] == "2027年3月29日 周一 09:00 UTC+8"

    form = {
        "csrf_token": csrf, "title": "愿景", "variants": "让顾客少等\n\n让门店更轻松", "audience": "unit:A店",
        "weekday": ["0", "3"], "at": "09:00", "every_weeks": "2",
    }  # fmt: skip
    previewed = world.client.post("/console/vision", data={**form, "action": "preview"})
    assert previewed.status_code == 200
    picker = previewed.text.split('id="cadence"', 1)[1].split("</fieldset>", 1)[0]
    assert "每 2 周的周一、周四 09:00（每个人的当地时间）" in picker
    assert re.findall(r"<li>(.*?)</li>", picker) == [
        "2027年3月25日 周四 09:00 UTC+8",
        "2027年4月5日 周一 09:00 UTC+8",
        "2027年4月8日 周四 09:00 UTC+8",
        "2027年4月19日 周一 09:00 UTC+8",
        "2027年4月22日 周四 09:00 UTC+8",
    ]
    assert 'value="0" checked' in picker and 'value="3" checked' in picker and 'value="2" selected' in picker
    assert '<input type="hidden" name="anchor" value="2027-03-22">' in picker
    assert "让门店更轻松" in previewed.text  # what was typed is still there

    made = world.client.post("/console/vision", data={**form, "anchor": "2027-03-22"}, follow_redirects=False)
    assert made.status_code == 303
    assert "#1 → 2027年3月25日 周四 09:00 UTC+8" in unquote(made.headers["location"])  # the first send
    with world.sessions() as session:
        series = session.scalars(select(VisionSeries)).one()
        schedule = session.scalars(select(Schedule).where(Schedule.target_id == series.id)).one()
        assert (schedule.cron, schedule.every_weeks, schedule.anchor_week) == (
            "0 9 * * mon,thu",
            2,
            date(2027, 3, 22),
        )
        assert schedule.next_occurrence == datetime(2027, 3, 25, 9, 0)  # noqa: DTZ001  (a wall-clock time)

    row = world.client.get("/console/broadcasts").text.split('id="series"', 1)[1].split("</tr>", 2)[1]
    assert (
        "每 2 周的周一、周四 09:00" in row
        and "2027年3月25日 周四 09:00" in row
        and "0 9 * * mon,thu" not in row
    )


def test_the_picker_says_what_is_missing_before_saving(monday_noon: World) -> None:
    world = monday_noon
    csrf = _signed_in(world, "store", timezone=None)  # no zone of their own: the configured default
    previewed = world.client.post(
        "/console/vision",
        data={"csrf_token": csrf, "variants": "让顾客少等", "at": "09:00", "action": "preview"},
    )
    assert previewed.status_code == 200 and "choose at least one day of the week" in previewed.text
    with world.sessions() as session:
        assert session.scalars(select(VisionSeries)).all() == []


def test_the_pickers_script_gets_the_preview_as_json_in_the_readers_language(monday_noon: World) -> None:
    world = monday_noon
    _signed_in(world, "region", timezone="Europe/Berlin")
    english = {"Accept-Language": "en"}
    shown = world.client.get(
        "/console/vision/preview?weekday=1&at=08:30&every_weeks=1", headers=english
    ).json()
    assert shown == {
        "description": "Tuesdays at 08:30 (each person's local time)",
        "times": [  # across Berlin's change to summer time
            "Tue 23 Mar 2027, 08:30 UTC+1",
            "Tue 30 Mar 2027, 08:30 UTC+2",
            "Tue 6 Apr 2027, 08:30 UTC+2",
            "Tue 13 Apr 2027, 08:30 UTC+2",
            "Tue 20 Apr 2027, 08:30 UTC+2",
        ],
        "anchor": "",
    }
    fortnightly = world.client.get(
        "/console/vision/preview?weekday=0&weekday=3&every_weeks=2&lang=zh-Hant"
    ).json()
    assert fortnightly["description"] == "每 2 週的週一、週四 09:00（每個人的當地時間）"
    assert fortnightly["anchor"] == "2027-03-22" and len(fortnightly["times"]) == 5
    missing = world.client.get("/console/vision/preview?at=09:00")
    assert missing.status_code == 400 and "one day of the week" in missing.json()["error"]
    world.client.cookies.clear()
    assert world.client.get("/console/vision/preview?weekday=0").status_code == 401


def test_series_stored_as_cron_show_as_a_cadence_or_in_plain_words(world: World) -> None:
    with transaction(world.sessions) as session:
        store = session.get(Person, world.ids["store"])
        zones = [SHANGHAI]
        create_vision_series(session=session, title="工作日", variants=["a"], cron="0 9 * * mon-fri", zones=zones,
                             selectors=["unit:A店"], created_by=store)  # fmt: skip
        create_vision_series(session=session, title="月初", variants=["b"], cron="30 8 1 * *", zones=zones,
                             selectors=["unit:A店"], created_by=store)  # fmt: skip
    _signed_in(world, "store", timezone="Asia/Shanghai")
    series = world.client.get("/console/broadcasts?lang=zh-Hans").text.split('id="series"', 1)[1]
    assert "工作日 09:00" in series and "每月1日 08:30（cron：30 8 1 * *）" in series
    english = world.client.get("/console/broadcasts?lang=en").text.split('id="series"', 1)[1]
    assert "weekdays at 09:00" in english and "on day 1 of each month at 08:30 (cron: 30 8 1 * *)" in english
