"""The console and the web chat in a real browser (Debian's headless Chromium driven by Playwright,
no browser download): sign in with a link, ask in the web chat and see sources, upload a FAQ sheet and
find its answer, compose and schedule a broadcast, see the heatmap on the overview. Screenshots go to
test-output/browser/."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import select

from bot.access.service import create_sign_in_link
from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Broadcast
from bot.config import Settings
from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit, create_invite
from bot.questions.models import AskedQuestion, LearnedPhrasing
from bot.scheduling.models import Schedule
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.answers import record_answer
from bot.surveys.waves import close_wave, launch_wave
from bot.web.app import create_app
from tests.bot.surveys.test_waves_and_results import ADKAR, PULSE
from tests.utils.patience import EVENTUALLY

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Debian's Chromium, headless, as root in a container, with nothing reaching for the network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip

SHOTS = Path(__file__).resolve().parents[3] / "test-output" / "browser"
FAQ_CSV = "question,answer,lang\n仓库消防演练多久一次？,每季度一次，由店长组织，记录交区域安全员。,zh-Hans\n"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("browser tests need Debian's chromium: `.ci/run` installs it")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

playwright_sync = pytest.importorskip("playwright.sync_api")


def launch_chromium(playwright: playwright_sync.Playwright) -> playwright_sync.Browser:
    """The browser every browser test drives."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def page_errors(page: playwright_sync.Page) -> list[str]:
    """The errors ``page`` logs or throws from now on (a test asserts there were none)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def server(settings: Settings, ingested: KnowledgeCore) -> Iterator[tuple[str, object]]:
    app = create_app(settings, core=ingested, run_scheduler=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + EVENTUALLY
    while not runner.started:
        assert time.monotonic() < deadline, "the web app did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        runner.should_exit = True
        thread.join(timeout=10)


def _seed(app: object) -> tuple[str, str]:
    """An admin, a store of six who answered a closed pulse; returns an admin sign-in link secret and a
    staff invite code."""
    sessions = app.state.sessions  # type: ignore[attr-defined]
    with transaction(sessions) as session:
        add_unit(session=session, name="华东区")
        store = add_unit(session=session, name="华东区-12号店", parent="华东区")
        staff = []
        for n in range(6):
            person = Person(telegram_id=100 + n, name=f"店员{n}")
            session.add(person)
            session.flush()
            session.add(Membership(person_id=person.id, unit_id=store.id, role=Role.STAFF.value))
            staff.append(person)
        now = utc_now()
        wave = launch_wave(
            session=session,
            survey=PULSE,
            closes_at=now + timedelta(days=1),
            selectors=["unit:华东区"],
            now=now,
        )
        for n, person in enumerate(staff):
            for question in PULSE.questions:
                value = (2 + n % 3) if question.type == "likert" else None
                record_answer(
                    session=session,
                    survey=PULSE,
                    wave_id=wave.id,
                    person=person,
                    question_id=question.id,
                    value=value,
                    now=now,
                    key=app.state.survey_key,  # type: ignore[attr-defined]
                )
        close_wave(session=session, wave=wave)
        admin = Person(telegram_id=1, name="变革办", is_admin=True)
        session.add(admin)
        session.flush()
        code = create_invite(session=session, unit_name="华东区-12号店", role=Role.STAFF, uses=5).code
        return create_sign_in_link(session=session, person=admin), code


def test_console_and_web_chat_in_chromium(server: tuple[str, object], settings: Settings) -> None:
    base, app = server
    shutil.copytree(
        Path(__file__).resolve().parents[3] / "knowledge" / "surveys", settings.knowledge_dir / "surveys"
    )
    secret, code = _seed(app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_sync.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1200, "height": 900})
        errors = page_errors(page)
        try:
            # Staff: join with an invite code, then the web chat answers with sources and takes feedback.
            page.goto(f"{base}/")
            page.fill("#join input[name=code]", "WRONG-CODE")
            page.click("#join button")
            page.wait_for_selector(".error")
            page.fill("#join input[name=code]", code)
            page.fill("#join input[name=name]", "小王")
            page.click("#join button")
            page.fill("#question", "培训要多久？")
            page.click("button[type=submit]")
            page.wait_for_selector("#log li .sources, #log li ol, #log li a", timeout=EVENTUALLY * 1000)
            assert "90" in page.inner_text("#log")
            page.click(".feedback button[data-choice=helpful]")
            page.wait_for_selector(".feedback .badge")
            assert "谢谢" in page.inner_text(".feedback")
            page.screenshot(path=str(SHOTS / "web-chat.png"), full_page=True)
            # A source opens its whole document at the passage cited, in the reader's script.
            page.goto(base + (page.get_attribute("#log .sources a", "href") or ""))
            assert "常见问题" in page.title() and "90分钟" in page.inner_text("main")
            page.screenshot(path=str(SHOTS / "document.png"), full_page=True)
            page.goto(f"{base}/")

            # An ADKAR check opens: the web chat shows its first question; answering moves on. (Another
            # pulse to almost the same people would hide the closed one: their audiences differ by one.)
            with transaction(app.state.sessions) as session:  # type: ignore[attr-defined]
                launch_wave(
                    session=session, survey=ADKAR, closes_at=utc_now() + timedelta(days=1),
                    selectors=["unit:华东区-12号店"],
                )  # fmt: skip
            page.reload()
            page.wait_for_selector("#pulse h2")
            assert "1/7" in page.inner_text("#pulse h2")
            assert "匿名" in page.inner_text("#pulse p.anonymous")  # before the first answer
            # "Not this time" is offered before the first answer; Start still takes part after it.
            page.click("#pulse button.decline")
            page.locator("#pulse p.done", has_text="不会再提醒").wait_for()
            page.reload()
            page.locator("#pulse p.done", has_text="不会再提醒").wait_for()  # looking changes nothing
            page.click("#pulse button >> text=开始")
            page.locator("#pulse h2", has_text="1/7").wait_for()
            size = page.locator("#pulse .choices button >> text=4").bounding_box()
            assert size is not None and size["width"] >= 44 and size["height"] >= 44  # a thumb can hit it
            page.click("#pulse .choices button >> text=4")
            # A locator wait, not wait_for_function: the page's Content-Security-Policy refuses eval.
            page.locator("#pulse h2", has_text="2/7").wait_for()
            assert page.locator("#pulse p.anonymous").count() == 0  # said once, not under every question
            assert page.locator("#pulse button.decline").count() == 0  # begun: nothing to decline
            page.screenshot(path=str(SHOTS / "web-chat-pulse.png"), full_page=True)

            # A manager signs in with the link from the bot.
            page.goto(f"{base}/auth/link?token={secret}")
            page.screenshot(path=str(SHOTS / "sign-in.png"), full_page=True)
            page.click("#signin button")  # opening the link signs nobody in; its button does
            page.wait_for_url(f"{base}/console")
            assert "变革控制台" in page.title()
            page.wait_for_selector("#heatmap .main-svg", timeout=EVENTUALLY * 1000)  # plotly drew the heatmap
            assert not errors, errors
            assert "华东区-12号店" in page.inner_text("#heatmap")
            page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)

            # The API docs draw from our own files under the Content-Security-Policy (OpenAPI 3.1).
            page.goto(f"{base}/docs")
            page.wait_for_selector(".opblock-tag", timeout=EVENTUALLY * 1000)
            assert not errors, errors

            # Upload a FAQ sheet, watch the index, and find its answer.
            page.goto(f"{base}/console/knowledge")
            sheet = SHOTS / "仓库安全.csv"
            sheet.write_text(FAQ_CSV, encoding="utf-8")
            page.select_option("#upload select[name=folder]", "faqs")
            page.set_input_files("#upload input[type=file]", str(sheet))
            page.click("#upload button")
            page.wait_for_selector("#progress[data-state=done]", timeout=EVENTUALLY * 1000)
            page.fill("#try input[name=q]", "仓库消防演练多久一次？")
            page.click("#try button")
            page.wait_for_selector("#tried")
            assert "每季度一次" in page.inner_text("#tried") and "仓库安全.csv" in page.inner_text("#tried")
            page.screenshot(path=str(SHOTS / "knowledge.png"), full_page=True)
            # What the bot learned from staff, in the admins' review queue, in English too.
            with transaction(app.state.sessions) as session:  # type: ignore[attr-defined]
                session.add(LearnedPhrasing(faq_key="faqs/basics.yaml#training-length", faq_question="培训要多久？",
                                            text="上岗前那个课得耗掉几个钟头", language="zh-Hans", origin="helpful",
                                            status="active"))  # fmt: skip
            page.goto(f"{base}/console/knowledge?lang=en")
            assert "上岗前那个课得耗掉几个钟头" in page.inner_text("#phrasings")
            assert "Wordings the bot learned" in page.inner_text("#phrasings")
            page.screenshot(path=str(SHOTS / "knowledge-en.png"), full_page=True)
            page.goto(f"{base}/console/knowledge?lang=zh-Hans")

            # Compose a success story, preview it exactly as staff will see it, and schedule it.
            page.goto(f"{base}/console/broadcasts")
            page.fill("#story textarea[name=text]", "12号店用服务中台排班，店长每周省下两小时。")
            page.click("#story button")
            page.wait_for_selector("#preview blockquote")
            assert "店长每周省下两小时" in page.inner_text("#preview")
            page.screenshot(path=str(SHOTS / "story-preview.png"), full_page=True)
            page.fill("#story-actions input[name=send_at]", "2099-02-02T09:00")
            page.click("#story-actions button[value=schedule]")
            page.wait_for_selector(".flash")
            assert "店长每周省下两小时" in page.inner_text("#broadcasts")

            # And a plain broadcast, scheduled too.
            page.fill("#compose textarea[name=text]", "本周成功故事：12号店排班省时两小时")
            page.fill("#compose textarea[name=audience]", "unit:华东区")
            page.fill("#compose input[name=send_at]", "2099-01-05T09:00")
            page.click("#compose button")
            page.wait_for_selector(".flash")
            assert "本周成功故事" in page.inner_text("#broadcasts") and "待发送" in page.inner_text(
                "#broadcasts"
            )
            # Typed and shown on the reader's clock (the configured Asia/Shanghai), said once at the top.
            assert "2099年1月5日 周一 09:00" in page.inner_text("#broadcasts")
            assert "UTC" not in page.inner_text("#broadcasts") and "Asia/Shanghai" in page.inner_text(
                "#reader-zone"
            )
            page.screenshot(path=str(SHOTS / "broadcasts.png"), full_page=True)

            # A vision series from the cadence picker: its next five sends change as it does.
            page.check("#cadence input[name=weekday][value='3']")
            page.select_option("#cadence select[name=every_weeks]", "2")
            page.wait_for_selector("#vision-preview .description:has-text('每 2 周')")  # no eval: the CSP
            assert "每 2 周的周一、周四 09:00" in page.inner_text("#vision-preview")
            times = page.locator("#vision-preview li").all_inner_texts()
            assert len(times) == 5 and all("09:00 UTC+8" in moment for moment in times), times
            anchor = page.input_value("#vision input[name=anchor]")
            page.fill("#vision textarea[name=variants]", "让顾客少等一分钟。\n\n让门店少一份手工账。")
            page.screenshot(path=str(SHOTS / "vision-cadence.png"), full_page=True)
            page.click("#vision button[value=create]")
            page.wait_for_selector("#series")
            assert "每 2 周的周一、周四 09:00" in page.inner_text("#series")

            page.goto(f"{base}/console/surveys")
            page.click("#waves a")
            page.wait_for_selector("#results")
            assert "认知" in page.inner_text("#results") and "cognitive" not in page.inner_text("#results")
            page.screenshot(path=str(SHOTS / "surveys.png"), full_page=True)
        finally:
            browser.close()
    with app.state.sessions() as session:  # type: ignore[attr-defined]
        asked = session.scalars(select(AskedQuestion)).one()
        assert asked.channel == "web" and asked.feedback == "helpful" and asked.person_id is not None
        scheduled = session.scalars(select(Broadcast).where(Broadcast.kind == "message")).one()
        assert scheduled.status == "scheduled" and scheduled.send_at.year == 2099
        story = session.scalars(select(Broadcast).where(Broadcast.kind == "story")).one()
        assert story.status == "scheduled" and story.send_at.year == 2099
        assert scheduled.send_at == datetime(2099, 1, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
        schedule = session.scalars(select(Schedule)).one()
        assert schedule.every_weeks == 2 and schedule.anchor_week == date.fromisoformat(anchor)
