"""Managers broadcasting in chat, end to end against the fake Bot API: a story from draft through review
into the weekly digest, a scheduled story cancelled from /broadcasts, a vision series set up in chat."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Broadcast, BroadcastKind, Story, StoryStatus, VisionSeries
from bot.broadcasts.recurring import SCHEDULE_ACTIONS, ensure_digest_schedule
from bot.broadcasts.sender import DeliveryWorker, WorkerSettings
from bot.broadcasts.service import broadcast_status, create_broadcast
from bot.config import Settings
from bot.library.models import IngestJobRow
from bot.library.store import read_file
from bot.people.models import Role
from bot.people.service import create_invite, person_by_telegram_id
from bot.scheduling.clock import zone
from bot.scheduling.models import Schedule
from bot.scheduling.runner import Scheduler
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.telegram.broadcast_sender import TelegramMessageSender
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import _join
from tests.fakes.telegram_api import FakeTelegram
from tests.utils.patience import EVENTUALLY

STAFF, REGION_MANAGER, STORE_MANAGER, ADMIN = 7001, 7100, 7200, 4242
STORY = "12号店用服务中台排班以后，店长每周排班从3小时降到1小时，顾客回访率从40%升到65%。"
# As staff get it: headed "success story", with who tells it and from which unit.
STORY_COPY = f"🌟 成功故事\nUser（华东区-12号店）\n\n{STORY}"
_ids = itertools.count(900_000)


def _send_photo(fake: FakeTelegram, user_id: int, *, caption: str, file_size: int) -> None:
    fake.push(
        {
            "message": {
                "message_id": next(_ids),
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": fake.user(user_id),
                "caption": caption,
                "photo": [
                    {
                        "file_id": "small-id",
                        "file_unique_id": "s",
                        "width": 90,
                        "height": 60,
                        "file_size": 2000,
                    },
                    {
                        "file_id": "big-id",
                        "file_unique_id": "b",
                        "width": 4000,
                        "height": 3000,
                        "file_size": file_size,
                    },
                ],
            }
        }
    )


def _buttons(message: dict[str, Any]) -> list[str]:
    return [button["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for button in row]


async def _press(fake: FakeTelegram, user_id: int, data: str) -> str:
    """Press a button and return the text of the callback answer the bot gave."""
    before = len(fake.sent("answerCallbackQuery"))
    fake.press(user_id, data)
    answers = await fake.wait_for(lambda: len(a := fake.sent("answerCallbackQuery")) > before and a)
    return str(answers[before].get("text", ""))


async def _setup(fake: FakeTelegram, org: Org, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        store_manager_code = create_invite(session=session, unit_name="华东区-12号店", role=Role.MANAGER).code
    await _join(fake, REGION_MANAGER, org.manager_code)
    await _join(fake, STORE_MANAGER, store_manager_code)
    await _join(fake, STAFF, org.staff_code)


async def test_story_from_draft_through_review_into_the_weekly_digest(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    settings: Settings,
    sessions: sessionmaker[Session],
    ingested: KnowledgeCore,
) -> None:
    fake = fake_telegram
    await _setup(fake, org, sessions)

    fake.send_text(STAFF, "/story")  # staff cannot
    assert "只有店长和管理员" in (await fake.reply_to(STAFF, count=2))[-1]["text"]

    fake.send_text(STORE_MANAGER, "/story")
    assert "成功故事" in (await fake.reply_to(STORE_MANAGER, count=2))[-1]["text"]
    _send_photo(fake, STORE_MANAGER, caption=STORY, file_size=20 * 1024 * 1024)
    assert "太大" in (await fake.reply_to(STORE_MANAGER, count=3))[-1]["text"]
    fake.send_text(STORE_MANAGER, STORY)
    assert "/skip" in (await fake.reply_to(STORE_MANAGER, count=4))[-1]["text"]
    fake.send_text(STORE_MANAGER, "/skip")
    messages = await fake.reply_to(STORE_MANAGER, count=7)
    # Exactly what staff will see.
    assert "预览" in messages[-3]["text"] and messages[-2]["text"] == STORY_COPY
    actions = _buttons(messages[-1])
    assert [data.rsplit(":", 1)[1] for data in actions] == ["now", "sch", "sub", "del"]

    fake.press(STORE_MANAGER, actions[2])  # submit for the weekly digest
    assert "1 位审核人" in (await fake.reply_to(STORE_MANAGER, count=8))[-1]["text"]
    review = await fake.reply_to(REGION_MANAGER, count=3)
    assert "待审核" in review[-2]["text"] and review[-1]["text"] == STORY
    approve = _buttons(review[-1])[0]

    assert await _press(fake, STAFF, approve) == "这个按钮已失效。"  # forged: staff cannot approve
    assert await _press(fake, STORE_MANAGER, approve) == "这个按钮已失效。"  # nor the author
    assert await _press(fake, REGION_MANAGER, approve) == "已通过，已加入案例库。"
    assert "已通过审核" in (await fake.reply_to(STORE_MANAGER, count=9))[-1]["text"]

    # Approved stories join the case library and can be asked about. The reviewer was answered
    # without waiting on the embedding: the re-index went to the job queue, as from the console.
    case_file = "cases/stories/story-00001.md"
    with sessions() as session:
        assert read_file(session, case_file) is not None

    def indexed() -> list[IngestJobRow]:
        with sessions() as session:
            rows = list(session.scalars(select(IngestJobRow)))
            return rows if rows and all(row.state == "done" for row in rows) else []

    (job,) = await fake.wait_for(indexed, timeout=EVENTUALLY)
    assert job.paths == [case_file] and job.added == [case_file]
    answer = ingested.answerer.answer("12号店排班用了服务中台以后省了多少时间？")
    assert any(source.source == "cases/stories/story-00001.md" for source in answer.sources)

    # The weekly digest comes round (made due now) and carries the story to everyone.
    with transaction(sessions) as session:
        shanghai = zone("Asia/Shanghai", default="UTC")
        schedule = ensure_digest_schedule(session=session, cron="0 9 * * mon", zones=[shanghai])
        assert schedule is not None
        session.execute(
            update(Schedule)
            .where(Schedule.id == schedule.id)
            .values(
                next_run_at=utc_now() - timedelta(minutes=1),
                next_occurrence=(utc_now() - timedelta(minutes=1)).astimezone(shanghai).replace(tzinfo=None),
            )
        )
    scheduler = Scheduler(
        sessions=sessions, actions=SCHEDULE_ACTIONS, zones=lambda _: [ZoneInfo("Asia/Shanghai")]
    )
    assert scheduler.run_once() == 1
    assert scheduler.run_once() == 0  # fired once
    worker = DeliveryWorker(
        sessions=sessions,
        sender=TelegramMessageSender(running_bot.bot),
        settings=WorkerSettings(rate_per_second=100),
    )
    await worker.run_until_idle()
    digest = [m for m in fake.sent(chat_id=STAFF) if "本周成功故事" in m.get("text", "")]
    assert len(digest) == 1 and STORY in digest[0]["text"]
    assert await _press(fake, STAFF, _buttons(digest[0])[0]) == "👏 已为它鼓掌"
    with sessions() as session:
        story = session.scalars(select(Story)).one()
        assert story.status == StoryStatus.SENT.value
        figures = broadcast_status(session=session, broadcast_id=story.broadcast_id or 0)
    assert figures["delivered"] == 4 and figures["reactions"] == 1  # three members and the admin


async def test_a_scheduled_story_is_cancelled_from_broadcasts(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    fake = fake_telegram
    await _setup(fake, org, sessions)
    fake.send_text(STORE_MANAGER, "/story")
    await fake.reply_to(STORE_MANAGER, count=2)
    _send_photo(
        fake, STORE_MANAGER, caption=STORY, file_size=300_000
    )  # a captioned photo: straight to preview
    messages = await fake.reply_to(STORE_MANAGER, count=4)
    assert "预览" in messages[-2]["text"]
    photo = await fake.wait_for(lambda: fake.sent("sendPhoto", chat_id=STORE_MANAGER))
    # The preview is the photo itself.
    assert photo[-1]["caption"] == STORY_COPY and photo[-1]["photo"] == "big-id"
    actions = _buttons(messages[-1])

    fake.press(STORE_MANAGER, actions[1])  # schedule
    assert "什么时候发" in (await fake.reply_to(STORE_MANAGER, count=5))[-1]["text"]
    fake.send_text(STORE_MANAGER, "明天早上")
    assert "看不懂" in (await fake.reply_to(STORE_MANAGER, count=6))[-1]["text"]
    fake.send_text(STORE_MANAGER, "2099-01-05 09:00")
    assert "已安排：2099-01-05 09:00" in (await fake.reply_to(STORE_MANAGER, count=7))[-1]["text"]

    fake.send_text(STAFF, "/broadcasts")
    assert "只有店长和管理员" in (await fake.reply_to(STAFF, count=2))[-1]["text"]
    fake.send_text(STORE_MANAGER, "/broadcasts")
    listing = (await fake.reply_to(STORE_MANAGER, count=8))[-1]
    assert "2099-01-05 09:00" in listing["text"] and "[story]" in listing["text"]
    cancel = _buttons(listing)[0]
    assert await _press(fake, STAFF, cancel) == "这个按钮已失效。"
    # One rule on every edge: its author, an admin, or a manager of every unit it goes to. The region
    # manager sees the store's story in their own /broadcasts and may stop it.
    fake.send_text(REGION_MANAGER, "/broadcasts")
    above = await fake.wait_for(
        lambda: [
            m for m in fake.sent("sendMessage", chat_id=REGION_MANAGER) if "2099-01-05 09:00" in m["text"]
        ]
    )
    assert _buttons(above[-1])[0] == cancel
    assert await _press(fake, REGION_MANAGER, cancel) == "已取消。"
    assert await _press(fake, STORE_MANAGER, cancel) == "这个按钮已失效。"  # cancelled already
    with transaction(sessions) as session:
        region = person_by_telegram_id(session=session, telegram_id=REGION_MANAGER)
        assert region is not None
        regional = create_broadcast(
            session=session, text="华东区通知", selectors=["unit:华东区"], created_by=region,
            send_at=utc_now() + timedelta(days=30),
        ).id  # fmt: skip
    # ...but a store manager may not stop what goes to the whole region, even with the button's data.
    assert await _press(fake, STORE_MANAGER, f"bcx:b:{regional}") == "这个按钮已失效。"
    with sessions() as session:
        assert broadcast_status(session=session, broadcast_id=regional)["status"] == "scheduled"
    pressed = [a["callback_query_id"] for a in fake.sent("answerCallbackQuery")]
    assert len(pressed) == len(set(pressed))  # every press answered once, by one handler
    with sessions() as session:
        broadcast = session.scalars(
            select(Broadcast).where(Broadcast.kind == BroadcastKind.STORY.value)
        ).one()
        story = session.scalars(select(Story)).one()
        assert broadcast.status == "cancelled" and story.status == StoryStatus.CANCELLED.value
        assert broadcast.photo_file_id == "big-id"


async def test_a_vision_series_set_up_in_chat(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    fake = fake_telegram
    await _setup(fake, org, sessions)
    fake.send_text(ADMIN, "/vision")
    assert "每条消息是一种说法" in (await fake.reply_to(ADMIN, count=1))[-1]["text"]
    fake.send_text(ADMIN, "/done")
    assert "还没有收到" in (await fake.reply_to(ADMIN, count=2))[-1]["text"]
    for n, wording in enumerate(
        ["让顾客少等一分钟。", "让门店少一份手工账。", "让每个决定都有数据。"], start=3
    ):
        fake.send_text(ADMIN, wording)
        await fake.reply_to(ADMIN, count=n)
    fake.send_text(ADMIN, "/done")
    cadence = (await fake.reply_to(ADMIN, count=6))[-1]
    assert await _press(fake, STAFF, "vis:weekly") == "这个按钮已失效。"  # not in the dialogue: stale
    fake.send_text(ADMIN, "every monday")  # a typed cadence needs a time of day
    assert "没有写几点" in (await fake.reply_to(ADMIN, count=7))[-1]["text"]
    fake.press(ADMIN, _buttons(cadence)[0])
    preview = (await fake.reply_to(ADMIN, count=8))[-1]  # before anything is saved
    assert "每周一 09:00" in preview["text"] and preview["text"].count("• ") == 5
    fake.press(ADMIN, _buttons(preview)[0])  # set it up
    created = (await fake.reply_to(ADMIN, count=9))[-1]["text"]
    assert "3 种说法" in created and "每周一 09:00" in created and "全体" in created and "cron" not in created
    with sessions() as session:
        series = session.scalars(select(VisionSeries)).one()
        assert series.variants[1] == "让门店少一份手工账。" and series.audience == ["all"]

    # The dialogue is over: the admin's next message is a question again, and staff were never affected.
    fake.send_text(ADMIN, "上线以后老系统还能用吗？")
    reply = (await fake.reply_to(ADMIN, count=10))[-1]["text"]
    assert "说法" not in reply and "cron" not in reply
