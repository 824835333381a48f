"""A question the library cannot answer goes to the manager, comes back answered, and becomes an FAQ."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.config import Settings
from bot.library.models import IngestJobRow
from bot.library.store import read_file
from bot.people.models import Role
from bot.people.service import add_unit, create_invite
from bot.questions.models import AskedQuestion
from bot.storage.database import transaction
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import _join
from tests.fakes.telegram_api import FakeTelegram
from tests.utils.patience import EVENTUALLY

STAFF, OTHER, MANAGER, SOUTH = 5001, 5002, 5100, 5003
QUESTION = "仓库的消防演练多久一次？"


@pytest.mark.usefixtures("delivering")  # escalations and replies go through the outbox
async def test_escalate_reply_save_as_faq_and_answer_the_next_person(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    settings: Settings,
    sessions: sessionmaker[Session],
) -> None:
    await _join(fake_telegram, MANAGER, org.manager_code)
    await _join(fake_telegram, STAFF, org.staff_code)
    await _join(fake_telegram, OTHER, org.staff_code)

    fake_telegram.send_text(STAFF, QUESTION)
    refusal, handover = (await fake_telegram.reply_to(STAFF, count=3))[-2:]
    assert "答不上来" in refusal["text"]
    # Who has it and when, as a message of its own, in the web chat's words.
    assert handover["text"].startswith("🙋 这个问题已转给华东区的") and "1 个工作日内" in handover["text"]
    to_manager = (await fake_telegram.reply_to(MANAGER, count=2))[-1]
    assert QUESTION.replace("？", "?") in to_manager["text"] or "消防演练" in to_manager["text"]
    reply_data = to_manager["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    # Someone else cannot take over the reply.
    fake_telegram.press(OTHER, reply_data)
    await fake_telegram.wait_for(lambda: fake_telegram.sent("answerCallbackQuery"))
    assert fake_telegram.sent("answerCallbackQuery")[-1]["text"] == "这个按钮已失效。"

    fake_telegram.press(MANAGER, reply_data)
    prompt = (await fake_telegram.reply_to(MANAGER, count=3))[-1]
    assert "请直接输入你的回答" in prompt["text"]
    fake_telegram.send_text(MANAGER, "仓库每季度演练一次，由店长组织，记录交给区域安全员。")
    delivered = (await fake_telegram.reply_to(STAFF, count=4))[-1]
    assert "仓库每季度演练一次" in delivered["text"]
    confirm = (await fake_telegram.reply_to(MANAGER, count=4))[-1]
    save_data = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert save_data.endswith(":f")

    fake_telegram.press(MANAGER, save_data)
    # Confirmed at once; the re-index runs in the background through the job queue.
    await fake_telegram.wait_for(
        lambda: any(
            c.get("text", "").startswith("已存为常见问题") for c in fake_telegram.sent("editMessageText")
        )
    )
    with sessions() as session:
        content = read_file(session, "faqs/answered-by-the-team.yaml")
    assert content is not None
    saved = yaml.safe_load(content.decode("utf-8"))
    entry = saved["faqs"][0]
    assert entry["answer"] == "仓库每季度演练一次，由店长组织，记录交给区域安全员。"
    # A manager's answer answers their own region, waits for the change team, and comes up for review.
    assert (entry["scope"], entry["status"]) == ("华东区", "review")
    assert entry["created"] < entry["review_by"] and entry["owner"]

    def indexed() -> bool:
        with sessions() as session:
            rows = session.scalars(select(IngestJobRow)).all()
            return bool(rows) and all(row.state == "done" for row in rows)

    await fake_telegram.wait_for(indexed, timeout=EVENTUALLY)

    fake_telegram.send_text(OTHER, "仓库消防演练多久搞一次")
    answer = (await fake_telegram.reply_to(OTHER, count=2))[-1]
    assert "仓库每季度演练一次" in answer["text"]
    with sessions() as session:
        first = session.scalars(select(AskedQuestion).order_by(AskedQuestion.id)).first()
        assert first is not None and first.status == "closed" and first.faq_id == f"team-{first.id}"

    # Someone in another region asks the same: the 华东区 answer is not theirs.
    with transaction(sessions) as session:
        add_unit(session=session, name="华南区", parent="港湾零售")
        add_unit(session=session, name="华南区-03号店", parent="华南区")
        south = create_invite(session=session, unit_name="华南区-03号店", role=Role.STAFF, uses=1).code
    await _join(fake_telegram, SOUTH, south)
    fake_telegram.send_text(SOUTH, "仓库消防演练多久搞一次")
    elsewhere = (await fake_telegram.reply_to(SOUTH, count=2))[-1]
    assert "仓库每季度演练一次" not in elsewhere["text"]


@pytest.mark.usefixtures("delivering")  # escalations and replies go through the outbox
async def test_not_helpful_and_ask_a_person_reach_the_manager(
    running_bot: Application,
    fake_telegram: FakeTelegram,
    org: Org,  # type: ignore[type-arg]
) -> None:
    await _join(fake_telegram, MANAGER, org.manager_code)
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.send_text(STAFF, "培训要多久？")
    answer = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    ask_person = answer["reply_markup"]["inline_keyboard"][1][0]
    assert ask_person["text"] == "🙋 问同事"
    fake_telegram.press(STAFF, ask_person["callback_data"])
    escalated = (await fake_telegram.reply_to(MANAGER, count=2))[-1]
    assert "培训要多久" in escalated["text"]
    # The asker is told who has it in a message, not only in the toast that vanishes.
    told = (await fake_telegram.reply_to(STAFF, count=3))[-1]
    assert told["text"].startswith("🙋 这个问题已转给华东区的") and "回复会发到这里" in told["text"]


@pytest.mark.usefixtures("delivering")  # escalations and replies go through the outbox
async def test_cancel_ends_a_reply_and_the_next_message_is_a_question(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    await _join(fake_telegram, MANAGER, org.manager_code)
    await _join(fake_telegram, STAFF, org.staff_code)
    fake_telegram.send_text(MANAGER, "/cancel")
    assert "没有要取消" in (await fake_telegram.reply_to(MANAGER, count=2))[-1]["text"]
    fake_telegram.send_text(STAFF, QUESTION)
    await fake_telegram.reply_to(STAFF, count=3)
    to_manager = (await fake_telegram.reply_to(MANAGER, count=3))[-1]
    fake_telegram.press(MANAGER, to_manager["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert "请直接输入你的回答" in (await fake_telegram.reply_to(MANAGER, count=4))[-1]["text"]
    fake_telegram.send_text(MANAGER, "/cancel")
    assert "已取消" in (await fake_telegram.reply_to(MANAGER, count=5))[-1]["text"]
    fake_telegram.send_text(MANAGER, "培训要多久？")
    answer = (await fake_telegram.reply_to(MANAGER, count=6))[-1]
    assert "90分钟" in answer["text"]  # answered as a question, not sent as the reply
    assert len(fake_telegram.sent(chat_id=STAFF)) == 3  # the greeting, the refusal, who has it; nothing more
    with sessions() as session:
        escalated = session.scalars(select(AskedQuestion).order_by(AskedQuestion.id)).first()
        assert escalated is not None and escalated.reply is None
