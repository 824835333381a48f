"""A closed wave's results page in a real browser (Debian's headless Chromium, as in test_browser.py),
with the real playbooks behind its advice: the heatmap and the trends drawn, hidden units with their
reasons, answers per question, comments; a desktop and a 390 px phone, in each language, and an ADKAR
check's barrier points. Screenshots go to test-output/browser/survey-results-*.png."""

from __future__ import annotations

import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.access.service import create_sign_in_link
from bot.config import Settings
from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.answers import record_answer
from bot.surveys.definitions import Survey
from bot.surveys.waves import close_due_waves, launch_wave
from tests.bot.surveys.test_waves_and_results import ADKAR, PULSE
from tests.bot.web.test_browser import SHOTS, launch_chromium, page_errors, playwright_sync, server  # noqa: F401  (server: a fixture)
from tests.utils.patience import EVENTUALLY

KNOWLEDGE = Path(__file__).resolve().parents[3] / "knowledge"
COMMENTS = ("排班的时候系统太慢，高峰期顾客等不及。", "希望多给一次练习的机会。", "培训讲得很清楚，谢谢区域教练。",
            "回访模板太长了，能不能简化？", "纸质单据还要补录，重复劳动。", "店长每天带着用，进步很快。")  # fmt: skip
# Stores, how many staff, how many answer, and how they lean (a higher lean agrees more with worries).
STORES = (("华东区", "华东区-12号店", 12, 10, 1), ("华东区", "华东区-27号店", 8, 7, 0),
          ("华东区", "华东区-03号店", 3, 2, 1), ("华南区", "华南区-11号店", 7, 6, -1))  # fmt: skip


@pytest.fixture
def library(settings: Settings) -> Path:
    """The real playbooks and cases, so the advice reads as a change team's would."""
    for folder in ("playbooks", "cases", "surveys"):
        shutil.copytree(KNOWLEDGE / folder, settings.knowledge_dir / folder)
    return settings.knowledge_dir


def _answers(
    survey: Survey, wave_id: int, person: Person, lean: int, rng: random.Random, app: object, at: datetime
) -> None:
    """One person's answers: ratings around neutral by ``lean``, half of them with a comment."""
    with transaction(app.state.sessions) as session:  # type: ignore[attr-defined]
        for question in survey.questions:
            value: object = None
            if question.type == "likert":
                agree = 3 + lean if not question.reverse else 3 - lean
                value = max(1, min(5, agree + rng.choice((-1, 0, 0, 1))))
            elif question.type == "choice":
                value = rng.choice(question.options).id
            elif rng.random() < 0.5:
                value = rng.choice(COMMENTS)
            record_answer(session=session, survey=survey, wave_id=wave_id, person=session.merge(person),
                          question_id=question.id, value=value, now=at,
                          key=app.state.survey_key)  # type: ignore[attr-defined]  # fmt: skip


def _seed(app: object) -> tuple[str, int, int]:
    """The stores above, three closed pulses a month apart (resistance easing) and an ADKAR check;
    returns an admin's sign-in link secret, the latest pulse and the ADKAR check."""
    sessions = app.state.sessions  # type: ignore[attr-defined]
    rng = random.Random(15)
    people: list[tuple[Person, int, bool]] = []
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        for region in ("华东区", "华南区"):
            add_unit(session=session, name=region, parent="总部")
        telegram_ids = iter(range(100, 1000))
        for region, store, size, answering, lean in STORES:
            unit = add_unit(session=session, name=store, parent=region)
            for n in range(size):
                person = Person(telegram_id=next(telegram_ids), name=f"{store}店员{n}")
                session.add(person)
                session.flush()
                session.add(Membership(person_id=person.id, unit_id=unit.id, role=Role.STAFF.value))
                people.append((person, lean, n < answering))
        admin = Person(telegram_id=1, name="变革办", is_admin=True)
        session.add(admin)
        session.flush()
        secret = create_sign_in_link(session=session, person=admin)
    waves = []
    for months_ago, easing in ((3, 1), (2, 0), (1, 0), (0, -1)):
        survey = ADKAR if months_ago == 0 else PULSE
        opens = utc_now() - timedelta(days=30 * months_ago + 5)
        with transaction(sessions) as session:
            wave = launch_wave(session=session, survey=survey, closes_at=opens + timedelta(days=3),
                               selectors=["unit:总部"], now=opens)  # fmt: skip
            waves.append(wave.id)
        for person, lean, answers in people:
            if answers:
                _answers(
                    survey,
                    wave.id,
                    person,
                    lean + easing if survey is PULSE else -lean,
                    rng,
                    app,
                    opens + timedelta(days=1),
                )
        with transaction(sessions) as session:
            close_due_waves(session, opens + timedelta(days=3, minutes=1))
    return secret, waves[2], waves[3]


def test_the_results_page_on_a_desktop_and_a_phone_in_each_language(
    server: tuple[str, object],  # noqa: F811  (the fixture imported above)
) -> None:
    base, app = server
    secret, pulse, adkar = _seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_sync.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1200, "height": 900})
        errors = page_errors(page)
        try:
            page.goto(f"{base}/auth/link?token={secret}")
            page.click("#signin button")
            page.wait_for_url(f"{base}/console")
            for language, words in (("zh-Hans", ("认知", "下一步怎么做", "正向说法")),
                                    ("zh-Hant", ("認知", "下一步怎麼做", "正向說法")),
                                    ("en", ("cognitive", "What to do", "reverse-scored"))):  # fmt: skip
                for width, name in ((1200, "desktop"), (390, "phone")):
                    page.set_viewport_size({"width": width, "height": 900})
                    page.goto(f"{base}/console/surveys/{pulse}?lang={language}")
                    page.wait_for_selector("#heatmap .main-svg", timeout=EVENTUALLY * 1000)
                    page.wait_for_selector("#trends .chart .main-svg", timeout=EVENTUALLY * 1000)
                    text = page.inner_text("main")
                    assert [word for word in words if word not in text] == [], (language, name)
                    assert "华东区-12号店" in page.inner_text(
                        "#heatmap"
                    ) and "华东区-03号店" in page.inner_text("#hidden")
                    # Nothing wider than the phone: the page scrolls down, never sideways.
                    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, (
                        language,
                        name,
                    )
                    page.screenshot(path=str(SHOTS / f"survey-results-{language}-{name}.png"), full_page=True)
            page.set_viewport_size({"width": 1200, "height": 900})
            page.goto(f"{base}/console/surveys/{adkar}?lang=zh-Hans")
            page.wait_for_selector("#heatmap .main-svg", timeout=EVENTUALLY * 1000)
            assert "卡" in page.inner_text("#barriers")
            page.screenshot(path=str(SHOTS / "survey-results-adkar-desktop.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 900})
            page.reload()
            page.wait_for_selector("#heatmap .main-svg", timeout=EVENTUALLY * 1000)
            page.screenshot(path=str(SHOTS / "survey-results-adkar-phone.png"), full_page=True)
            assert not errors, errors
        finally:
            browser.close()
