"""A question the library cannot answer goes to the manager, comes back answered, and becomes an FAQ."""

from __future__ import annotations

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.config import Settings
from bot.questions.models import AskedQuestion
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import _join
from tests.fakes.telegram_api import FakeTelegram

STAFF, OTHER, MANAGER = 5001, 5002, 5100
QUESTION = "仓库的消防演练多久一次？"


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
    refusal = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    assert "答不上来" in refusal["text"]
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
    delivered = (await fake_telegram.reply_to(STAFF, count=3))[-1]
    assert "仓库每季度演练一次" in delivered["text"]
    confirm = (await fake_telegram.reply_to(MANAGER, count=4))[-1]
    save_data = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert save_data.endswith(":f")

    fake_telegram.press(MANAGER, save_data)
    await fake_telegram.wait_for(
        lambda: any(
            c.get("text") == "已存为常见问题，并已更新知识库。" for c in fake_telegram.sent("editMessageText")
        )
    )
    saved = yaml.safe_load(
        (settings.knowledge_dir / "faqs" / "answered-by-the-team.yaml").read_text(encoding="utf-8")
    )
    assert saved["faqs"][0]["answer"] == "仓库每季度演练一次，由店长组织，记录交给区域安全员。"

    fake_telegram.send_text(OTHER, "仓库消防演练多久搞一次")
    answer = (await fake_telegram.reply_to(OTHER, count=2))[-1]
    assert "仓库每季度演练一次" in answer["text"]
    with sessions() as session:
        first = session.scalars(select(AskedQuestion).order_by(AskedQuestion.id)).first()
        assert first is not None and first.status == "closed" and first.faq_id == f"team-{first.id}"


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
