"""A closed wave's results page in the console (``/console/surveys/{id}``): every part in each of the
three languages, each reader's own groups only, advice for a high band, and no 500 for a wave that is
not there or not closed."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from bot.people.models import Membership, Person, Role
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.answers import record_answer
from bot.surveys.definitions import load_surveys
from bot.surveys.waves import close_due_waves, launch_wave
from tests.bot.web.conftest import World, sign_in

SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"
PULSE = load_surveys(SURVEYS)["resistance-pulse"]


def _wave(
    world: World, answering: int, *, days_ago: int = 10, audience: str = "unit:总部", close: bool = True
) -> int:
    """A pulse to ``audience`` that ``answering`` of A店's staff answer (5 to every item, with a comment)."""
    app = world.client.app
    shutil.copytree(SURVEYS, app.state.settings.knowledge_dir / "surveys", dirs_exist_ok=True)  # type: ignore[attr-defined]
    opens = utc_now() - timedelta(days=days_ago)
    with transaction(world.sessions) as session:
        staff = []
        for n in range(answering):
            person = Person(telegram_id=7000 + days_ago * 100 + n, name=f"店员{n}")
            session.add(person)
            session.flush()
            session.add(Membership(person_id=person.id, unit_id=world.ids["A店"], role=Role.STAFF.value))
            staff.append(person)
        wave = launch_wave(session=session, survey=PULSE, closes_at=opens + timedelta(days=3), selectors=[audience],
                           now=opens)  # fmt: skip
        for n, person in enumerate(staff):
            for question in PULSE.questions:
                value = 5 if question.type == "likert" else f"第{n}条：排班太紧"
                record_answer(session=session, key=app.state.survey_key, survey=PULSE, wave_id=wave.id,  # type: ignore[attr-defined]
                              person=person, question_id=question.id, value=value, now=opens)  # fmt: skip
        if close:
            close_due_waves(session, opens + timedelta(days=3, minutes=1))
        return wave.id


def _as(world: World, who: str) -> None:
    cookie = sign_in(world, who)["Cookie"].split("=", 1)[1]
    world.client.cookies.clear()
    world.client.cookies.set("changebot_session", cookie)


@pytest.mark.parametrize(
    ("language", "words", "not_words"),
    [
        ("zh-Hans", ("认知", "情绪", "行为", "逐题看回答", "正向说法", "下一步怎么做", "留言", "趋势", "完成"),
         ("cognitive", "behavioural", "認知")),
        ("zh-Hant", ("認知", "情緒", "行為", "逐題看回答", "正向說法", "下一步怎麼做", "留言", "趨勢"),
         ("cognitive", "behavioural", "认知", "逐题")),
        ("en", ("cognitive", "emotional", "Answers per question", "reverse-scored", "What to do", "Comments", "Trend"),
         ("认知", "逐题")),
    ],
)  # fmt: skip
def test_the_results_page_speaks_each_language(
    world: World, language: str, words: tuple[str, ...], not_words: tuple[str, ...]
) -> None:
    _wave(world, 10, days_ago=40)  # an earlier wave: a trend to draw
    wave_id = _wave(world, 10)
    _as(world, "store")
    response = world.client.get(f"/console/surveys/{wave_id}?lang={language}")
    assert response.status_code == 200
    page = response.text
    for marker in ('id="headline"', 'id="heatmap"', 'id="results"', 'id="advice"', 'id="trends"',
                   'id="questions"', 'id="comments"', "第3条：排班太紧"):  # fmt: skip
        assert marker in page, marker
    assert [word for word in words if word not in page] == []
    assert [word for word in not_words if word in page] == []
    assert re.findall(r"\br_[a-z_]+", page) == []  # no word key shown for want of its words
    assert page.count('class="chart"') == 1 + 1  # the heatmap, and A店's trend
    # Emotional is high for A店 (everyone agreed with both worries): advice for it, marked high.
    assert 'class="advice band-edge-high"' in page


def test_the_old_address_and_the_wave_list_lead_to_the_page(world: World) -> None:
    wave_id = _wave(world, 6)
    _as(world, "admin")
    moved = world.client.get(f"/console/surveys?wave={wave_id}&lang=en", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/console/surveys/{wave_id}?lang=en"
    assert f'href="/console/surveys/{wave_id}"' in world.client.get("/console/surveys").text


def test_each_reader_sees_only_their_groups_and_hidden_ones_with_the_reason(world: World) -> None:
    wave_id = _wave(world, 6)  # 6 answer in A店: shown; comments need 10
    _as(world, "store")
    page = world.client.get(f"/console/surveys/{wave_id}?lang=zh-Hans").text
    assert "A店" in page and "华南区" not in page and "华东区" not in page
    assert "6 条留言未显示" in page and "排班太紧" not in page  # counted, never shown
    _as(world, "south")
    south = world.client.get(f"/console/surveys/{wave_id}").text
    assert "A店" not in south and "华南区" in south and "完成的不足 5 人" in south
    assert 'id="questions"' not in south and "排班太紧" not in south  # a hidden group has no answers shown
    only_a = _wave(world, 6, days_ago=60, audience="unit:A店")
    assert "你的单位都没有参加这批调查" in world.client.get(f"/console/surveys/{only_a}").text


def test_a_wave_that_is_not_there_or_not_closed_is_said_so(world: World) -> None:
    world.client.cookies.clear()
    assert world.client.get("/console/surveys/1").status_code == 401
    _as(world, "admin")
    for wrong in ("abc", "0", "-1", "99999", str(2**63), "１２", "1.5"):
        response = world.client.get(f"/console/surveys/{wrong}")
        assert response.status_code == 404 and "没有这批调查" in response.text, wrong
    open_wave = _wave(world, 6, days_ago=1, close=False)
    waiting = world.client.get(f"/console/surveys/{open_wave}?lang=en")
    assert (
        waiting.status_code == 200
        and "still open until" in waiting.text
        and 'id="questions"' not in waiting.text
    )
