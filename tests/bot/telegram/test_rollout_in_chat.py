"""The rollout in chat against the fake Bot API: a store manager reports usage, notes an action, mutes
a unit; staff cannot; the weekly review pack arrives from the scheduler and shows the action."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.broadcasts.sender import DeliveryWorker, WorkerSettings
from bot.people.models import Role
from bot.people.service import create_invite
from bot.rollout.figures import week_of
from bot.rollout.lights import LightRules
from bot.rollout.models import ReviewAction, UnitMute, UnitWeek
from bot.rollout.schedules import REVIEW, review_action
from bot.scheduling.clock import zone
from bot.scheduling.models import Schedule
from bot.scheduling.runner import Scheduler
from bot.scheduling.service import ensure_named_schedule
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.results import Rules
from bot.telegram.broadcast_sender import TelegramMessageSender
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import _join
from tests.fakes.telegram_api import FakeTelegram

STAFF, STORE_MANAGER = 9001, 9100


async def test_usage_actions_mute_and_the_weekly_pack(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    sessions: sessionmaker[Session],
) -> None:
    fake = fake_telegram
    with transaction(sessions) as session:
        code = create_invite(session=session, unit_name="华东区-12号店", role=Role.MANAGER).code
    await _join(fake, STORE_MANAGER, code)
    await _join(fake, STAFF, org.staff_code)

    async def say(user: int, words: str) -> str:
        before = len(fake.sent(chat_id=user))
        fake.send_text(user, words)
        return str((await fake.reply_to(user, count=before + 1))[-1]["text"])

    assert "只有店长和管理员" in await say(STAFF, "/usage 72")
    assert "用法" in await say(STORE_MANAGER, "/usage")
    assert "没能记录" in await say(STORE_MANAGER, "/usage 140")
    saved = await say(STORE_MANAGER, "/usage 72")
    last_week = week_of(utc_now().date()) - timedelta(days=7)
    assert f"华东区-12号店 {last_week.isoformat()}" in saved and "72%" in saved
    with sessions() as session:
        row = session.scalars(select(UnitWeek)).one()
        assert row.usage_rate == 0.72 and row.source == "telegram"

    assert "用法" in await say(STORE_MANAGER, "/action 只有一段")
    due = (utc_now().date() + timedelta(days=5)).isoformat()
    assert "#1" in await say(STORE_MANAGER, f"/action 整理排班问题清单 | 李店长 | {due}")
    assert "用法" in await say(STORE_MANAGER, "/mute 火星店")
    assert "华东区-12号店" in await say(STORE_MANAGER, "/mute 华东区-12号店")
    with sessions() as session:
        assert session.scalars(select(ReviewAction.what)).one() == "整理排班问题清单"
        assert session.scalars(select(UnitMute)).one().until > utc_now() + timedelta(days=6)

    pack_now = await say(STORE_MANAGER, "/review")
    assert "每周变革复盘" in pack_now and "⬜ 整理排班问题清单" in pack_now
    # The figure just reported shows at once, as its usage alone rates it, until Monday's evaluation.
    assert (
        "🟡 黄灯 华东区-12号店 72%（暂定：周一评估后确认）" in pack_now
        and "本周还没有使用率数据" not in pack_now
    )

    # The weekly pack comes from the scheduler through the sender.
    shanghai = zone("Asia/Shanghai", default="UTC")
    with transaction(sessions) as session:
        schedule = ensure_named_schedule(
            session=session, name=REVIEW, kind=REVIEW, cron="0 9 * * mon", zones=[shanghai]
        )
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
        sessions=sessions,
        actions={
            REVIEW: review_action(
                survey_rules=Rules(), light_rules=LightRules(), surveys={}, vision_target=10
            )
        },
        zones=lambda _: [ZoneInfo("Asia/Shanghai")],
    )
    assert scheduler.run_once() == 1
    worker = DeliveryWorker(
        sessions=sessions,
        sender=TelegramMessageSender(running_bot.bot),
        settings=WorkerSettings(rate_per_second=100),
    )
    await worker.run_until_idle()
    packs = [m for m in fake.sent(chat_id=STORE_MANAGER) if m.get("text", "").startswith("📋 每周变革复盘")]
    assert len(packs) == 2 and "⬜ 整理排班问题清单（李店长" in packs[-1]["text"]
    assert not [m for m in fake.sent(chat_id=STAFF) if "每周变革复盘" in m.get("text", "")]

    assert "已完成" in await say(STORE_MANAGER, "/action done 1")
    assert "✅ 整理排班问题清单" in await say(STORE_MANAGER, "/review")
