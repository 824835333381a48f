"""An update the bot cannot read is skipped once, and the bot goes on answering."""

from __future__ import annotations

import logging

import pytest
from telegram.ext import Application

from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import STAFF, _join
from tests.fakes.telegram_api import FakeTelegram


async def test_an_unreadable_update_is_skipped_and_the_next_one_answered(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _join(fake_telegram, STAFF, org.staff_code)
    caplog.set_level(logging.WARNING, logger="bot.telegram.polling")
    # No date, no chat: PTB cannot read it. Alone at the end of a batch, and between readable ones.
    fake_telegram.push({"message": {"message_id": 1}})
    fake_telegram.send_text(STAFF, "培训要多久？")
    fake_telegram.push({"message": {"message_id": 2, "text": "钥匙在哪"}})
    answer = (await fake_telegram.reply_to(STAFF, count=2))[-1]
    assert "90分钟" in answer["text"]
    fake_telegram.send_text(STAFF, "1-3-9-27 模型是怎么分批的？")  # still polling after the skip
    assert "1-3-9-27" in (await fake_telegram.reply_to(STAFF, count=3))[-1]["text"]
    skipped = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(skipped) == 2  # each once, however often the bot polled since
    assert all("钥匙" not in r.getMessage() for r in caplog.records)  # what people wrote stays out of the log
