"""The database restarted mid-broadcast: the worker process pauses, resumes by itself, loses nothing.

A PostgreSQL server of the test's own (``PrivatePostgres``) is stopped with ``-m fast`` under a
running ``changebot worker`` (every connection cut, open transactions rolled back), left down for
a few seconds and started again. The fake Bot API says who received what.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.broadcasts.models import Delivery, DeliveryState
from bot.broadcasts.service import broadcast_status, create_broadcast
from bot.storage.database import make_engine, make_session_factory, transaction, upgrade_database
from tests.bot.broadcasts.test_worker_process import MAX_IN_FLIGHT, TEXT, _org, _wait, _worker, _worker_env
from tests.fakes.postgres import PrivatePostgres
from tests.fakes.telegram_api import FakeTelegram, FakeTelegramServer
from tests.utils.patience import EVENTUALLY

RECIPIENTS = 2000
DOWN_SECONDS = 3.0

pytestmark = [
    pytest.mark.slow,  # about 30 s: a server of its own, 2,000 copies and the outage
    pytest.mark.skipif(not PrivatePostgres.available(), reason=PrivatePostgres.missing()),
]


def test_a_database_restart_mid_broadcast_pauses_the_worker_and_loses_nothing(tmp_path: Path) -> None:
    with PrivatePostgres() as server:
        engine = make_engine(server.url)
        upgrade_database(engine)
        sessions = make_session_factory(engine)
        chats = _org(sessions, RECIPIENTS)
        with transaction(sessions) as session:
            broadcast_id = create_broadcast(session=session, text=TEXT, selectors=["unit:华东区-12号店"]).id

        def finished() -> dict[str, Any] | None:
            try:
                with sessions() as session:
                    figures = dict(broadcast_status(session=session, broadcast_id=broadcast_id))
            except SQLAlchemyError:  # this test's own connections are cut by the restart too
                return None
            return figures if figures["status"] == "sent" and figures["queued"] == 0 else None

        with FakeTelegramServer(FakeTelegram(latency=0.005)) as fake:
            env = {
                **_worker_env(tmp_path, server.url, fake),
                "CHANGEBOT_DELIVERY_RATE_PER_SECOND": "200",
                "CHANGEBOT_DELIVERY_BATCH_SIZE": "50",
                "CHANGEBOT_DELIVERY_LEASE_SECONDS": "60",  # longer than the outage: nothing is given up
            }
            log = tmp_path / "worker.log"
            with _worker(tmp_path, "worker", env) as worker:
                _wait(
                    lambda: fake.stats()["messages"] >= RECIPIENTS // 3 or None,
                    timeout=EVENTUALLY, what="a third of the broadcast", process=worker, log=log,
                )  # fmt: skip
                server.stop("fast")
                at_stop = fake.stats()["messages"]
                time.sleep(DOWN_SECONDS)
                while_down = fake.stats()["messages"] - at_stop
                server.start()
                final = _wait(
                    finished, timeout=EVENTUALLY, what="the broadcast to finish", process=worker, log=log
                )
                assert worker.poll() is None, "the worker process ended"
            received = Counter({int(chat): n for chat, n in fake.stats()["delivered"].items()})
        with sessions() as session:
            states = dict(
                session.execute(
                    select(Delivery.chat_id, Delivery.state).where(Delivery.broadcast_id == broadcast_id)
                ).all()
            )
        engine.dispose()

    output = log.read_text()
    assert "database unavailable, sends paused" in output and "database back after" in output, output
    # Only the requests already on the wire when the server stopped arrived while it was down.
    assert while_down <= MAX_IN_FLIGHT, while_down
    assert sorted(received) == chats and set(received.values()) == {1}, "somebody got none or two"
    uncertain = [chat for chat, state in states.items() if state == DeliveryState.UNCERTAIN.value]
    assert len(uncertain) <= MAX_IN_FLIGHT
    assert all(state == DeliveryState.SENT.value for chat, state in states.items() if chat not in uncertain)
    assert final["delivered"] + final["uncertain"] == RECIPIENTS
