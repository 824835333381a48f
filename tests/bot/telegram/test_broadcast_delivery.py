"""Broadcasts delivered through the real Telegram adapter to the fake Bot API, reactions recorded."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Delivery
from bot.broadcasts.reminders import send_must_read_reminders
from bot.broadcasts.sender import DeliveryWorker, WorkerSettings
from bot.broadcasts.service import broadcast_status, create_broadcast, unread_report
from bot.broadcasts.stories import send_story, start_story
from bot.config import Settings
from bot.people.models import Person, Unit
from bot.rollout.alerts import Suggestion
from bot.rollout.lights import LightRules
from bot.rollout.models import UnitWeek
from bot.rollout.service import evaluate_and_alert
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.results import Rules
from bot.telegram.broadcast_sender import TelegramMessageSender
from bot.web.app import create_app
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import _join
from tests.fakes.telegram_api import FakeTelegram

FAST = WorkerSettings(rate_per_second=200, batch_size=20)


async def test_broadcast_with_clap_acknowledge_and_a_blocked_recipient(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    for user in (5001, 5002, 5003):
        await _join(fake_telegram, user, org.staff_code)
    fake_telegram.blocked_chats.add(5003)
    fake_telegram.scripted["sendMessage"] = [
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests",
                "parameters": {"retry_after": 1},
            },
        )
    ]
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(
            session=session, text="本周成功故事：华东12号店", selectors=["unit:华东区"], must_read=True
        ).id
    bot = Bot(fake_telegram.token, base_url=fake_telegram.url)
    async with bot:
        worker = DeliveryWorker(sessions=sessions, sender=TelegramMessageSender(bot), settings=FAST)
        await worker.run_until_idle()
    # A must-read: headed as one, in each reader's language.
    copies = [m for m in fake_telegram.sent() if m["text"] == "❗ 重要\n\n本周成功故事：华东12号店"]
    # The first request (whichever copy it carried: several are in flight at once) was refused with
    # 429 and retried; 5003's copy was refused with 403.
    assert sorted(m["chat_id"] for m in copies) == sorted([5001, 5002, 5003, copies[0]["chat_id"]])
    buttons = next(m for m in copies if m["chat_id"] == 5001)["reply_markup"]["inline_keyboard"][0]
    fake_telegram.press(5001, buttons[0]["callback_data"])
    fake_telegram.press(5001, buttons[1]["callback_data"])
    fake_telegram.press(5002, buttons[0]["callback_data"])  # not 5002's copy
    await fake_telegram.wait_for(lambda: len(fake_telegram.sent("answerCallbackQuery")) >= 3)
    with sessions() as session:
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
    assert figures["recipients"] == 3 and figures["delivered"] == 2 and figures["blocked"] == 1
    assert figures["reactions"] == 1 and figures["acknowledged"] == 1


async def test_serve_runs_the_delivery_worker(
    settings: Settings, ingested: KnowledgeCore, fake_telegram: FakeTelegram, org: Org, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    configured = settings.model_copy(
        update={
            "telegram_token": SecretStr(fake_telegram.token),
            "telegram_base_url": fake_telegram.url,
        }
    )
    with TestClient(create_app(configured, core=ingested)) as client:
        sessions = client.app.state.sessions  # type: ignore[attr-defined]
        fake_telegram.send_text(5001, f"/start {org.staff_code}")
        await fake_telegram.reply_to(5001)
        with transaction(sessions) as session:
            create_broadcast(session=session, text="愿景：让每位顾客少等一分钟")
        await fake_telegram.wait_for(
            lambda: any(m["text"].startswith("愿景") for m in fake_telegram.sent(chat_id=5001))
        )
        await asyncio.sleep(0)


async def test_a_read_timeout_is_uncertain_not_sent_again(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    await _join(fake_telegram, 5001, org.staff_code)
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(session=session, text="慢回应", selectors=["unit:华东区"]).id
    welcomed = fake_telegram.delivered[5001]
    bot = Bot(fake_telegram.token, base_url=fake_telegram.url, request=HTTPXRequest(read_timeout=0.2))
    async with bot:
        fake_telegram.latency = 0.6  # Telegram takes the message, then answers after the client gave up
        worker = DeliveryWorker(
            sessions=sessions, sender=TelegramMessageSender(bot), settings=WorkerSettings(max_attempts=5)
        )
        await worker.run_until_idle()
    fake_telegram.latency = 0.0
    assert fake_telegram.delivered[5001] == welcomed + 1  # once: a read timeout is never retried
    with sessions() as session:
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
    assert figures["uncertain"] == 1 and figures["delivered"] == 0 and figures["status"] == "sent"


# ------------------------------------------------------------ pushes that look like what they are


def _keyboard(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback data) of every button under a sent message; [] without a keyboard."""
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [(button["text"], button["callback_data"]) for row in markup["inline_keyboard"] for button in row]


async def _press(fake: FakeTelegram, user_id: int, data: str) -> tuple[str, list[tuple[str, str]]]:
    """Press a button; the bot's answer, and the buttons it redrew on the pressed copy ([] if none)."""
    answered, edited = len(fake.sent("answerCallbackQuery")), len(fake.sent("editMessageReplyMarkup"))
    fake.press(user_id, data)
    answers = await fake.wait_for(lambda: len(a := fake.sent("answerCallbackQuery")) > answered and a)
    answer = str(answers[answered].get("text", ""))
    if "失效" not in answer and "no longer" not in answer:  # taken: the copy is redrawn after the answer
        await fake.wait_for(lambda: len(fake.sent("editMessageReplyMarkup")) > edited)
    redrawn = fake.sent("editMessageReplyMarkup")[edited:]
    return answer, _keyboard(redrawn[0]) if redrawn else []


async def _deliver(fake: FakeTelegram, sessions: sessionmaker[Session]) -> None:
    async with Bot(fake.token, base_url=fake.url) as bot:
        await DeliveryWorker(
            sessions=sessions, sender=TelegramMessageSender(bot), settings=FAST
        ).run_until_idle()


def _speaks(sessions: sessionmaker[Session], languages: dict[int, str]) -> None:
    with transaction(sessions) as session:
        for telegram_id, language in languages.items():
            session.execute(update(Person).where(Person.telegram_id == telegram_id).values(language=language))


async def test_a_must_read_is_headed_and_buttoned_in_each_readers_language_and_thanked_as_read(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    for user in (5001, 5002, 5003):
        await _join(fake_telegram, user, org.staff_code)
    _speaks(sessions, {5002: "zh-Hant", 5003: "en"})
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(
            session=session, text="周五前完成培训", texts={"zh-Hant": "週五前完成培訓", "en": "Finish the training by Friday"},
            selectors=["unit:华东区"], must_read=True,
        ).id  # fmt: skip
    await _deliver(fake_telegram, sessions)

    def copy(chat: int) -> dict[str, Any]:
        return next(
            m for m in fake_telegram.sent(chat_id=chat) if "培" in m["text"] or "training" in m["text"]
        )

    assert copy(5001)["text"] == "❗ 重要\n\n周五前完成培训"
    assert copy(5002)["text"] == "❗ 重要\n\n週五前完成培訓"
    assert copy(5003)["text"] == "❗ Important\n\nFinish the training by Friday"
    assert [label for label, _ in _keyboard(copy(5001))] == ["👏", "✅ 我已阅读"]
    assert [label for label, _ in _keyboard(copy(5002))] == ["👏", "✅ 我已閱讀"]
    assert [label for label, _ in _keyboard(copy(5003))] == ["👏", "✅ I've read it"]  # one language each

    (_, clap), (_, read) = _keyboard(copy(5003))
    assert await _press(fake_telegram, 5003, read) == (
        "Marked as read, thank you",
        [("👏", clap), ("☑️ Read", read)],
    )
    answer, redrawn = await _press(fake_telegram, 5001, _keyboard(copy(5001))[1][1])
    assert answer == "已确认阅读，谢谢" and redrawn[1][0] == "☑️ 已阅读"  # not "thanks for the feedback"
    assert (await _press(fake_telegram, 5002, read))[0] == "這個按鈕已失效。"  # not 5002's copy
    with sessions() as session:
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
        unread = unread_report(session=session, broadcast_id=broadcast_id)
    assert figures["acknowledged"] == 2 and figures["reactions"] == 0 and figures["unread"] == 1
    assert [(r.unit, r.state) for r in unread.readers] == [("华东区-12号店", "sent")]


async def test_a_story_arrives_headed_with_its_author_unit_and_photo_and_counts_its_claps(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    await _join(fake_telegram, 5100, org.manager_code)
    for user in (5001, 5002):
        await _join(fake_telegram, user, org.staff_code)
    _speaks(sessions, {5002: "en"})
    with transaction(sessions) as session:
        manager = session.scalars(select(Person).where(Person.telegram_id == 5100)).one()
        manager.name = "王店长"
        story = start_story(
            session=session,
            author=manager,
            text="排班从3小时降到1小时。",
            language="zh-Hans",
            photo_file_id="AgAD-team",
        )
        send_story(session=session, story_id=story.id, author=manager, approval_for_own_unit=False)
    await _deliver(fake_telegram, sessions)
    photos = {m["chat_id"]: m for m in fake_telegram.sent("sendPhoto")}
    assert photos[5001]["photo"] == "AgAD-team"
    assert photos[5001]["caption"] == "🌟 成功故事\n王店长（华东区）\n\n排班从3小时降到1小时。"
    assert photos[5002]["caption"] == "🌟 Success story\n王店长 (华东区)\n\n排班从3小时降到1小时。"
    [(label, clap)] = _keyboard(photos[5001])
    assert label == "👏"

    assert await _press(fake_telegram, 5001, clap) == ("👏 已为它鼓掌", [("👏 1", clap)])
    [(_, other)] = _keyboard(photos[5002])
    assert await _press(fake_telegram, 5002, other) == ("👏 Clapped", [("👏 2", other)])  # the count so far
    assert (await _press(fake_telegram, 5001, clap))[1] == [("👏 2", clap)]  # once per person


@pytest.mark.usefixtures("delivering")
async def test_alerts_escalations_and_replies_carry_no_clap(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    await _join(fake_telegram, 5100, org.manager_code)
    await _join(fake_telegram, 5001, org.staff_code)
    with transaction(sessions) as session:
        store = session.scalars(select(Unit).where(Unit.name == "华东区")).one()
        session.add(UnitWeek(unit_id=store.id, week=date(2026, 11, 16), usage_rate=0.45))
        session.flush()

        def search(query: str) -> list[Suggestion]:
            return [
                Suggestion(
                    title="橙灯怎么办", source="playbooks/lights.md", excerpt="教练介入，三天内定出改进计划。"
                )
            ]

        evaluate_and_alert(
            session=session, week=date(2026, 11, 16), rules=LightRules(), search=search, surveys={},
            survey_rules=Rules(),
        )  # fmt: skip
    alert = (await fake_telegram.reply_to(5100, count=2))[-1]
    assert "使用率 45%，低于橙灯线 60%。" in alert["text"] and "usage" not in alert["text"]
    assert "教练介入，三天内定出改进计划。" in alert["text"] and _keyboard(alert) == []

    fake_telegram.send_text(5001, "仓库的消防演练多久一次？")  # the library cannot answer: to the manager
    escalation = (await fake_telegram.reply_to(5100, count=3))[-1]
    labels = [label for label, _ in _keyboard(escalation)]
    assert labels and "回复" in labels[0] and not any("👏" in label for label in labels)
    fake_telegram.press(5100, _keyboard(escalation)[0][1])
    await fake_telegram.reply_to(5100, count=4)
    fake_telegram.send_text(5100, "每季度一次，店长组织。")
    reply = await fake_telegram.wait_for(
        lambda: [m for m in fake_telegram.sent(chat_id=5001) if "每季度一次" in m["text"]]
    )
    assert _keyboard(reply[0]) == []


async def test_an_unread_must_read_gets_one_reminder_whose_read_button_counts_for_the_original(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    for user in (5001, 5002):
        await _join(fake_telegram, user, org.staff_code)
    _speaks(sessions, {5002: "zh-Hant"})
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(
            session=session, text="新收银流程下周一生效", selectors=["unit:华东区"], must_read=True
        ).id
    await _deliver(fake_telegram, sessions)
    first = next(m for m in fake_telegram.sent(chat_id=5001) if "新收银流程" in m["text"])
    await _press(fake_telegram, 5001, _keyboard(first)[1][1])
    with transaction(sessions) as session:  # a day passes
        session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast_id)
            .values(sent_at=utc_now() - timedelta(hours=25))
        )
    for _ in range(2):  # two schedulers, or the next tick: one reminder
        with transaction(sessions) as session:
            send_must_read_reminders(session, utc_now(), after=timedelta(hours=24))
    await _deliver(fake_telegram, sessions)
    assert sum("新收银流程" in m["text"] for m in fake_telegram.sent(chat_id=5001)) == 1  # read: no reminder
    reminders = [m for m in fake_telegram.sent(chat_id=5002) if "提醒" in m["text"]]
    assert len(reminders) == 1
    assert (
        reminders[0]["text"]
        == "❗ 重要\n\n⏰ 提醒：這條必讀訊息你還沒有確認閱讀，看完請點 ✅。\n\n新收银流程下周一生效"
    )
    [(label, read)] = _keyboard(reminders[0])  # no clap under a reminder
    assert label == "✅ 我已閱讀"
    assert (await _press(fake_telegram, 5002, read))[0] == "已確認閱讀，謝謝"
    with sessions() as session:
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
    assert figures["acknowledged"] == 2 and figures["unread"] == 0
