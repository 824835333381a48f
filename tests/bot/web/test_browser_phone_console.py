"""Every console page on a 390 px phone, in each language (Debian's headless Chromium, as in
test_browser.py): the page scrolls down, never sideways, and its heading shows. Wide tables scroll
inside their own box. Screenshots go to /tmp/phone-shots/<page>-<language>.png."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.broadcasts.recurring import create_vision_series
from bot.broadcasts.service import create_broadcast
from bot.broadcasts.stories import start_story
from bot.config import Settings
from bot.people.models import Person
from bot.questions.models import AskedQuestion, LearnedPhrasing
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.bot.web.test_browser import launch_chromium, page_errors, playwright_sync, server  # noqa: F401  (server: a fixture)
from tests.bot.web.test_browser_survey_results import _seed
from tests.utils.patience import EVENTUALLY

KNOWLEDGE = Path(__file__).resolve().parents[3] / "knowledge"
PHONE_SHOTS = Path("/tmp/phone-shots")
LANGUAGES = ("zh-Hans", "zh-Hant", "en")
LONG = "本周成功故事：华东区-12号店用服务中台排班，店长每周省下两小时，顾客等位时间从十五分钟降到五分钟。"


def _more(app: object) -> tuple[int, int]:
    """What the seeded stores lack for every page to have its tables filled: a must-read broadcast,
    a draft story, a vision series, an open question and a learned wording; returns the broadcast and
    the story."""
    with transaction(app.state.sessions) as session:  # type: ignore[attr-defined]
        admin = session.scalars(select(Person).where(Person.is_admin)).one()
        broadcast = create_broadcast(session=session, text=LONG, selectors=["unit:华东区", "unit:华南区"],
                                     send_at=utc_now() + timedelta(days=3), must_read=True,
                                     created_by=admin)  # fmt: skip
        story = start_story(session=session, author=admin, text=LONG, language="zh-Hans")
        create_vision_series(session=session, title="让顾客少等一分钟", variants=["让顾客少等一分钟。"],
                             zones=[ZoneInfo("Asia/Shanghai")], cron="0 9 * * 1",
                             selectors=["unit:总部"], created_by=admin)  # fmt: skip
        asker = session.scalars(select(Person).where(Person.telegram_id == 100)).one()
        session.add(AskedQuestion(channel="web", person_id=asker.id, language="zh-Hans", status="open",
                                  text="新系统上线以后，旧的纸质排班表还要不要每天交给区域经理签字？",
                                  answer="", answered=False, band="unknown", confidence=0.1))  # fmt: skip
        session.add(LearnedPhrasing(faq_key="faqs/basics.yaml#training-length", faq_question="培训要多久？",
                                    text="上岗前那个课得耗掉几个钟头", language="zh-Hans", origin="helpful",
                                    status="active"))  # fmt: skip
        session.flush()
        return broadcast.id, story.id


def test_every_console_page_fits_a_phone_in_each_language(
    server: tuple[str, object],  # noqa: F811  (the fixture imported above)
    settings: Settings,
) -> None:
    base, app = server
    for folder in ("playbooks", "cases", "surveys"):
        shutil.copytree(KNOWLEDGE / folder, settings.knowledge_dir / folder, dirs_exist_ok=True)
    secret, pulse, _adkar = _seed(app)
    broadcast, story = _more(app)
    pages = {
        "overview": "/console",
        "knowledge": "/console/knowledge",
        "broadcasts": "/console/broadcasts",
        "broadcast": f"/console/broadcasts/{broadcast}",
        "story": f"/console/stories/{story}",
        "surveys": "/console/surveys",
        "survey-results": f"/console/surveys/{pulse}",
        "people": "/console/people",
    }
    PHONE_SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_sync.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
        errors = page_errors(page)
        wide: list[tuple[str, str, int]] = []
        try:
            page.goto(f"{base}/auth/link?token={secret}")
            page.click("#signin button")
            page.wait_for_url(f"{base}/console", timeout=EVENTUALLY * 1000)
            for language in LANGUAGES:
                for name, path in pages.items():
                    page.goto(f"{base}{path}?lang={language}")
                    assert page.locator("html").get_attribute("lang") == language, (name, language)
                    # The charts are drawn by script: wait for them, so their width counts too.
                    for chart in page.locator(".chart").all():
                        chart.locator(".main-svg").first.wait_for(timeout=EVENTUALLY * 1000)
                    heading = page.locator("main h1, main h2").first
                    heading.wait_for(state="visible", timeout=EVENTUALLY * 1000)
                    box = heading.bounding_box()
                    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 391, (
                        name,
                        language,
                    )
                    if name == "broadcasts":  # its text column reads in lines, not in a column of characters
                        cell = page.locator("#broadcasts tbody tr td:nth-child(2)").first.bounding_box()
                        assert cell is not None and cell["width"] >= 150, (language, cell)
                    page.screenshot(path=str(PHONE_SHOTS / f"{name}-{language}.png"), full_page=True)
                    width = page.evaluate("document.scrollingElement.scrollWidth")
                    if width > page.evaluate("window.innerWidth") + 1:
                        wide.append((name, language, width))
            assert wide == [], wide  # the page scrolls down, never sideways
            assert not errors, errors
        finally:
            browser.close()
