"""`changebot serve` as `make run` starts it with a token: web, Telegram and the sender on one event
loop. Telegram questions, API broadcasts and console reads arrive together, many times over, and
nothing waits for anything else: on SQLite a transaction run on the loop used to wait for the write
lock held by a request whose end the loop itself had to run, and the whole process stopped answering.

The server is real (uvicorn on a port, its own loop in a thread); the model is the fake embedder.
Every request must come back (a client timeout is the hang detector, not a speed target), every
question gets its answer, every broadcast reaches everyone once, and a stop request ends the server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access.service import create_api_token
from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Delivery, DeliveryState
from bot.config import Settings
from bot.people.models import Membership, Person, Role, Unit
from bot.questions.models import AskedQuestion
from bot.storage.database import transaction
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram, FakeTelegramServer
from tests.utils.patience import EVENTUALLY
from tests.utils.processes import free_port

ROUNDS = 12
RECIPIENTS = [710_000 + n for n in range(10)]  # get the broadcasts
ASKERS = [720_000 + n for n in range(6)]  # ask in Telegram (and get the broadcasts too: same store)
QUESTIONS = ["培训要多久？", "还能用纸质单据吗？", "1-3-9-27 是什么意思", "What does a red light mean?"]
HANG = 20.0  # seconds: a request this late means the loop is stuck, not slow


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegramServer() as state:
        yield state


def _organisation(sessions: sessionmaker[Session]) -> str:
    """A store with recipients and askers, and an admin's API token (returned)."""
    with transaction(sessions) as session:
        store = Unit(name="华东区-12号店")
        admin = Person(telegram_id=4242, name="变革办", language="zh-Hans", is_admin=True)
        people = [
            Person(telegram_id=chat, name=f"p{chat}", language="zh-Hans") for chat in RECIPIENTS + ASKERS
        ]
        session.add_all([store, admin, *people])
        session.flush()
        session.add_all(Membership(person_id=p.id, unit_id=store.id, role=Role.STAFF.value) for p in people)
        _, secret = create_api_token(session=session, creator=admin, name="load test")
    return secret


class _Server:
    """uvicorn serving the app on a free port, on its own event loop in a thread."""

    def __init__(self, settings: Settings, core: KnowledgeCore) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            create_app(settings, core=core), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="serve", daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        deadline = time.monotonic() + EVENTUALLY
        while not self.server.started:
            assert self.thread.is_alive(), "the server stopped during start-up"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True  # what uvicorn's SIGTERM handler does
        self.thread.join(timeout=60)


def _delivered(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.state == DeliveryState.SENT.value)
            )
            or 0
        )


def test_questions_broadcasts_and_reads_together_never_stall_the_server(
    settings: Settings,
    ingested: KnowledgeCore,
    sessions: sessionmaker[Session],
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.WARNING)
    secret = _organisation(sessions)
    served = settings.model_copy(
        update={
            "telegram_token": SecretStr(fake_telegram.token),
            "telegram_base_url": fake_telegram.url,
            "delivery_rate_per_second": 200.0,
        }
    )
    headers = {"Authorization": f"Bearer {secret}"}
    asked: list[int] = []
    server = _Server(served, ingested)
    with server, httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=HANG) as client:
        assert server.thread.is_alive()

        def broadcast(round_number: int) -> int:
            body = {"text": f"第{round_number}期愿景", "audience": ["unit:华东区-12号店"]}
            return client.post("/api/broadcasts", json=body, headers=headers).status_code

        def read(_round: int) -> int:
            return client.get("/api/broadcasts", headers=headers).status_code

        def health(_round: int) -> int:
            return client.get("/healthz").status_code

        with ThreadPoolExecutor(max_workers=6) as pool:
            for round_number in range(ROUNDS):
                for asker in ASKERS[round_number % 2 :: 2]:
                    fake_telegram.send_text(asker, QUESTIONS[round_number % len(QUESTIONS)])
                    asked.append(asker)
                statuses = [
                    pool.submit(broadcast, round_number),
                    pool.submit(read, round_number),
                    pool.submit(read, round_number),
                    pool.submit(health, round_number),
                ]
                # A request that never comes back raises httpx.ReadTimeout here and fails the test.
                assert [future.result() for future in statuses] == [201, 200, 200, 200]

        # Every question answered, every copy sent: conditions, waited for (a stuck loop never gets there).
        everyone = ROUNDS * len(RECIPIENTS + ASKERS)
        deadline = time.monotonic() + EVENTUALLY
        while time.monotonic() < deadline:
            replies = sum(fake_telegram.delivered[asker] for asker in ASKERS) - ROUNDS * len(ASKERS)
            if replies >= len(asked) and _delivered(sessions) == everyone:
                break
            assert client.get("/healthz").status_code == 200
            time.sleep(0.2)
        with sessions() as session:
            recorded = session.scalar(select(func.count()).select_from(AskedQuestion)) or 0
        assert recorded == len(asked)
        for asker in ASKERS:
            assert fake_telegram.delivered[asker] == ROUNDS + asked.count(asker)
        assert _delivered(sessions) == everyone
        # Each broadcast once to each person; askers also got their answers (not through the outbox).
        assert [fake_telegram.delivered[chat] for chat in RECIPIENTS] == [ROUNDS] * len(RECIPIENTS)
    assert not server.thread.is_alive(), "the server did not stop when asked"
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("bot.")]
    assert not problems, [r.getMessage() for r in problems]
