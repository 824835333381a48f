"""The web chat's inbox in a real browser (Debian's headless Chromium, as in test_browser.py): a
web-only member asks what the library cannot answer, reads who has it, and after the manager's
reply sees it on the next load marked as a person's, with the badge; shown once, it is read.
Screenshots go to /tmp/inbox-<language>.png (and -waiting.png, before the reply)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit, create_invite
from bot.questions.gaps import answer_gap
from bot.questions.models import AskedQuestion
from bot.storage.database import transaction
from tests.bot.web.test_browser import launch_chromium, page_errors, playwright_sync, server  # noqa: F401  (server: a fixture)
from tests.utils.patience import EVENTUALLY

SHOTS = Path("/tmp")


@dataclass(frozen=True)
class Reader:
    """Someone reading the web chat in one language, what they ask, and what they should see."""

    locale: str
    language: str
    name: str
    questions: tuple[str, str]  # neither is in the library: both go to the store's manager
    replies: tuple[str, str]
    notice: str  # who has it
    waiting: str  # roughly when
    label: str  # a reply marked as a person's
    badge: str


READERS = (
    Reader("zh-CN", "zh-Hans", "小王", ("仓库钥匙丢了找谁", "停车位怎么申请"),
           ("先找值班店长拿备用钥匙，再到区域行政登记补配。", "停车位找区域行政申请。"),
           "已转给华东区-12号店的李经理", "1 个工作日内", "来自 李经理 的回复", "1 条新回复"),
    Reader("zh-TW", "zh-Hant", "小陳", ("倉庫鑰匙丟了找誰", "停車位怎麼申請"),
           ("先找值班店長拿備用鑰匙，再到區域行政登記補配。", "停車位找區域行政申請。"),
           "已轉給华东区-12号店的李经理", "1 個工作日內", "來自 李经理 的回覆", "1 則新回覆"),
    Reader("en-US", "en", "Amy", ("Who has the spare warehouse key?", "How do I apply for a parking space?"),
           ("Ask the duty manager for the spare key, then report the lost one to the regional office.",
            "Parking spaces: ask the regional office."),
           "Your question is with 李经理 (华东区-12号店)", "one working day", "Reply from 李经理", "1 new reply"),
)  # fmt: skip


def _seed(app: object) -> tuple[str, int]:
    """A store with its manager 李经理 (on Telegram); returns a staff invite code and the manager's id."""
    with transaction(app.state.sessions) as session:  # type: ignore[attr-defined]
        add_unit(session=session, name="华东区")
        store = add_unit(session=session, name="华东区-12号店", parent="华东区")
        manager = Person(telegram_id=200, name="李经理")
        session.add(manager)
        session.flush()
        session.add(Membership(person_id=manager.id, unit_id=store.id, role=Role.MANAGER.value))
        code = create_invite(session=session, unit_name="华东区-12号店", role=Role.STAFF, uses=5).code
        return code, manager.id


def _answer_latest_of(app: object, name: str, manager_id: int, reply: str, settings: Settings) -> int:
    """The manager answers the asker's newest question, as the console's gaps queue does."""
    with transaction(app.state.sessions) as session:  # type: ignore[attr-defined]
        asker = session.scalars(select(Person).where(Person.name == name)).one()
        question = session.scalars(
            select(AskedQuestion).where(AskedQuestion.person_id == asker.id).order_by(AskedQuestion.id.desc())
        ).first()
        manager = session.get(Person, manager_id)
        assert question is not None and manager is not None and asker.telegram_id is None
        answer_gap(
            session=session, question_id=question.id, responder=manager, reply=reply, save_as_faq=False
        )
        return question.id


def _read_on_the_server(app: object, question_id: int) -> bool:
    with app.state.sessions() as session:  # type: ignore[attr-defined]
        question = session.get(AskedQuestion, question_id)
        return question is not None and question.reply_read_at is not None


def _read_soon(app: object, question_id: int) -> None:
    """Wait (bounded) for the chat to mark a reply it showed as read on the server."""
    deadline = time.monotonic() + 15
    while not _read_on_the_server(app, question_id):
        assert time.monotonic() < deadline, "the chat did not mark the reply it showed as read"
        time.sleep(0.1)


@pytest.mark.parametrize("reader", READERS, ids=[reader.language for reader in READERS])
def test_a_reply_from_a_person_in_the_web_chat(
    server: tuple[str, object],  # noqa: F811  (the fixture imported above)
    settings: Settings,
    reader: Reader,
) -> None:
    base, app = server
    code, manager_id = _seed(app)
    with playwright_sync.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(locale=reader.locale, viewport={"width": 900, "height": 900})
            page = context.new_page()
            page.clock.install()  # the inbox poll runs on the page's clock: moved on below, not waited for
            errors = page_errors(page)
            page.goto(f"{base}/")
            page.fill("#join input[name=code]", code)
            page.fill("#join input[name=name]", reader.name)
            page.click("#join button")
            page.fill("#question", reader.questions[0])
            page.click("button[type=submit]")
            # Who has it and roughly when: a message of the conversation, not a note that goes away.
            handover = page.locator("#log .handover", has_text=reader.notice)
            handover.wait_for(timeout=EVENTUALLY * 1000)
            assert reader.waiting in handover.inner_text()
            page.screenshot(path=str(SHOTS / f"inbox-{reader.language}-waiting.png"), full_page=True)
            first = _answer_latest_of(app, reader.name, manager_id, reader.replies[0], settings)

            # The next visit: the conversation is still there, the reply marked as a person's, the badge.
            page.reload()
            page.locator("#log .reply", has_text=reader.replies[0]).wait_for(timeout=EVENTUALLY * 1000)
            page.locator("#inbox", has_text=reader.badge).wait_for(timeout=EVENTUALLY * 1000)
            assert reader.label in page.inner_text("#log .reply .from")
            assert reader.questions[0] in page.inner_text("#log .msg.user")
            assert reader.notice in page.inner_text("#log .handover")
            page.screenshot(path=str(SHOTS / f"inbox-{reader.language}.png"), full_page=True)
            _read_soon(app, first)  # shown, so read: no badge for it on the next device
            page.click("#inbox")
            page.locator("#inbox").wait_for(state="hidden")

            # A reply arriving while the chat is open comes with the next poll (every 30 s).
            page.fill("#question", reader.questions[1])
            page.click("button[type=submit]")
            page.locator("#log .handover").nth(1).wait_for(timeout=EVENTUALLY * 1000)
            second = _answer_latest_of(app, reader.name, manager_id, reader.replies[1], settings)
            page.clock.run_for(31_000)
            page.locator("#log .reply", has_text=reader.replies[1]).wait_for(timeout=EVENTUALLY * 1000)
            page.locator("#inbox", has_text=reader.badge).wait_for(timeout=EVENTUALLY * 1000)
            assert page.locator("#log .reply").last.inner_text().endswith(reader.replies[1])  # newest last
            page.screenshot(path=str(SHOTS / f"inbox-{reader.language}-poll.png"), full_page=True)
            _read_soon(app, second)

            other_device = context.new_page()
            other_device.goto(f"{base}/")
            other_device.locator("#log .reply", has_text=reader.replies[1]).wait_for(
                timeout=EVENTUALLY * 1000
            )
            assert other_device.locator("#log .reply.unread").count() == 0
            assert other_device.locator("#log .reply").count() == 2
            assert not errors, errors
        finally:
            browser.close()
