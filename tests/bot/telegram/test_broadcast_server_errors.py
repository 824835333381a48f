"""The Bot API answering 500 and 502 in bursts: a broadcast through the real adapter (a PTB ``Bot``
against the fake server) retries and delivers everyone once; a burst outlasting the retries ends in
'failed' rows that say why, none lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot.broadcasts.models import Delivery, DeliveryState
from bot.broadcasts.sender import DeliveryWorker, TransientSendError, WorkerSettings
from bot.broadcasts.service import broadcast_status, create_broadcast
from bot.storage.database import transaction
from bot.telegram.broadcast_sender import TelegramMessageSender
from tests.bot.broadcasts.test_worker_process import TEXT, _org
from tests.fakes.telegram_api import FakeTelegram


async def _broadcast(sessions: sessionmaker[Session], fake: FakeTelegram, config: WorkerSettings) -> int:
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(session=session, text=TEXT, selectors=["unit:华东区-12号店"]).id
    async with Bot(fake.token, base_url=fake.url) as bot:
        worker = DeliveryWorker(sessions=sessions, sender=TelegramMessageSender(bot), settings=config)
        await worker.run_until_idle()
    return broadcast_id


def _rows(sessions: sessionmaker[Session], broadcast_id: int) -> list[Delivery]:
    with sessions() as session:
        return list(session.scalars(select(Delivery).where(Delivery.broadcast_id == broadcast_id)))


async def test_a_5xx_answer_is_a_refusal_worth_retrying_not_an_unknown(fake_telegram: FakeTelegram) -> None:
    fake_telegram.error_bursts = [(0, 1_000)]
    async with Bot(fake_telegram.token, base_url=fake_telegram.url) as bot:
        sender = TelegramMessageSender(bot)
        # Telegram answered, so the message was not taken: transient (sent again), not ambiguous
        # (which would leave the copy 'uncertain' and never send it).
        with pytest.raises(TransientSendError, match="Internal Server Error"):
            await sender.send(chat_id=42, text="x", delivery_id=1, must_read=False)
        with pytest.raises(TransientSendError, match="Bad Gateway"):  # an HTML page from the front end
            await sender.send(chat_id=42, text="x", delivery_id=2, must_read=False)
    assert fake_telegram.server_errors == 2 and not fake_telegram.delivered


async def test_bursts_shorter_than_the_retries_deliver_everyone_once(
    sessions: sessionmaker[Session], fake_telegram: FakeTelegram
) -> None:
    chats = _org(sessions, 300)
    # Two bursts of 12 sends each; a copy caught in one waits 0.2, 0.4, 0.8... s before its next
    # try, while the other copies keep the burst's numbers moving, so none runs out of attempts.
    fake_telegram.error_bursts = [(30, 12), (150, 12)]
    config = WorkerSettings(rate_per_second=100, batch_size=20, max_attempts=6, backoff_seconds=0.2)
    broadcast_id = await _broadcast(sessions, fake_telegram, config)

    assert sorted(fake_telegram.delivered) == chats and set(fake_telegram.delivered.values()) == {1}
    rows = _rows(sessions, broadcast_id)
    assert {row.state for row in rows} == {DeliveryState.SENT.value}
    assert all(row.error is None for row in rows)  # a later success clears the error
    retried = [row for row in rows if row.attempts > 1]
    assert retried and fake_telegram.server_errors == 24
    # Every 5xx used up one attempt of one copy: the retries are all accounted for.
    assert sum(row.attempts - 1 for row in rows) == fake_telegram.server_errors
    with sessions() as session:
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
    assert figures["delivered"] == 300 and figures["failed"] == figures["uncertain"] == 0


async def test_a_burst_longer_than_the_retries_ends_in_failed_rows_that_say_why(
    sessions: sessionmaker[Session], fake_telegram: FakeTelegram
) -> None:
    chats = _org(sessions, 100)
    fake_telegram.error_bursts = [(20, 10_000)]  # Telegram goes down 20 sends in and stays down
    config = WorkerSettings(rate_per_second=100, batch_size=10, max_attempts=3, backoff_seconds=0.1)
    broadcast_id = await _broadcast(sessions, fake_telegram, config)

    rows = _rows(sessions, broadcast_id)
    sent = {row.chat_id for row in rows if row.state == DeliveryState.SENT.value}
    failed = [row for row in rows if row.state == DeliveryState.FAILED.value]
    assert len(rows) == len(chats) == len(sent) + len(failed)  # every copy settled, none lost
    assert sent == set(fake_telegram.delivered) and set(fake_telegram.delivered.values()) == {1}
    # The first 20 requests were first tries of 20 copies; every other copy used its 3 attempts.
    assert len(sent) == 20 and len(failed) == 80
    assert fake_telegram.server_errors == 80 * 3
    for row in failed:
        assert row.attempts == 3
        assert row.error is not None and row.error.startswith("gave up after 3 attempts: ")
        assert "Internal Server Error" in row.error or "Bad Gateway" in row.error, row.error
    with sessions() as session:
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
    assert figures["status"] == "sent" and figures["queued"] == figures["uncertain"] == 0
