"""Exactly once, tested the hard way: SIGKILL ``changebot worker`` mid-broadcast, start another.

The worker runs as a real process against a SQLite file and the fake Bot API (which counts what
each chat received). The first worker is killed with no chance to clean up; the second one must
deliver every remaining copy once and never resend a copy the first one may have sent.
"""

from __future__ import annotations

import bisect
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Delivery, DeliveryState
from bot.broadcasts.service import broadcast_status, create_broadcast
from bot.people.models import Membership, Person, Role, Unit
from bot.storage.database import make_engine, make_session_factory, transaction, upgrade_database
from tests.conftest import POSTGRES
from tests.fakes.telegram_api import FakeTelegram, FakeTelegramProcess, FakeTelegramServer
from tests.utils.patience import EVENTUALLY
from tests.utils.processes import changebot_command, changebot_env

RECIPIENTS = 300
FIRST_CHAT = 700_000
MAX_IN_FLIGHT = 8
TEXT = "全员通知：新系统周一上线"

T = TypeVar("T")


def _worker_env(
    tmp_path: Path, database_url: str, fake: FakeTelegram | FakeTelegramProcess
) -> dict[str, str]:
    return changebot_env(
        tmp_path,
        database_url=database_url,
        CHANGEBOT_TELEGRAM_TOKEN=fake.token,
        CHANGEBOT_TELEGRAM_BASE_URL=fake.url,
        CHANGEBOT_DELIVERY_RATE_PER_SECOND="100",
        CHANGEBOT_DELIVERY_MAX_IN_FLIGHT=str(MAX_IN_FLIGHT),
        CHANGEBOT_DELIVERY_BATCH_SIZE="20",
        CHANGEBOT_DELIVERY_LEASE_SECONDS="2",
    )


@contextmanager
def _worker(tmp_path: Path, name: str, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A ``changebot worker`` process, killed on the way out whatever happens."""
    log = (tmp_path / f"{name}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603  (our own entry point, no shell)
        changebot_command("worker", "--no-scheduler"),
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()


def _wait(
    predicate: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    process: subprocess.Popen[bytes],
    log: Path,
) -> T:
    """Poll ``predicate`` until it returns a value; fail early if the worker process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value is not None:
            return value
        if process.poll() is not None:
            raise AssertionError(f"worker exited with {process.returncode} before {what}:\n{log.read_text()}")
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}:\n{log.read_text()}")


def _org(sessions: sessionmaker[Session], recipients: int = RECIPIENTS) -> list[int]:
    """``recipients`` staff in one store, inserted directly (the invite flow is tested elsewhere)."""
    chats = [FIRST_CHAT + n for n in range(recipients)]
    with transaction(sessions) as session:
        store = Unit(name="华东区-12号店")
        session.add(store)
        session.flush()
        people = [Person(telegram_id=chat, name=f"p{chat}", language="zh-Hans") for chat in chats]
        session.add_all(people)
        session.flush()
        session.add_all(Membership(person_id=p.id, unit_id=store.id, role=Role.STAFF.value) for p in people)
    return chats


def test_killing_the_worker_mid_broadcast_sends_nobody_a_second_copy(
    tmp_path: Path, database_url: str
) -> None:
    engine = make_engine(database_url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    chats = _org(sessions)
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(session=session, text=TEXT, selectors=["unit:华东区-12号店"]).id

    def status() -> dict[str, Any]:
        with sessions() as session:
            return dict(broadcast_status(session=session, broadcast_id=broadcast_id))

    # 20 ms per request: at 100 messages a second the broadcast takes about three seconds.
    with FakeTelegramServer(FakeTelegram(latency=0.02)) as fake:
        env = _worker_env(tmp_path, database_url, fake)
        with _worker(tmp_path, "first", env) as first:
            _wait(
                lambda: fake.stats()["messages"] >= RECIPIENTS // 3 or None,
                timeout=EVENTUALLY,
                what="a third of the broadcast",
                process=first,
                log=tmp_path / "first.log",
            )
            os.kill(first.pid, signal.SIGKILL)  # no cleanup: claimed and sending rows stay as they are
            first.wait(timeout=10)
        time.sleep(0.1)  # let requests already on the wire arrive
        before_restart = fake.stats()["messages"]
        assert before_restart < RECIPIENTS, "the first worker finished before it was killed"

        with _worker(tmp_path, "second", env) as second:
            final = _wait(
                lambda: (s := status())["status"] == "sent" and s["queued"] == 0 and s or None,
                timeout=EVENTUALLY,
                what="the broadcast to finish",
                process=second,
                log=tmp_path / "second.log",
            )
        received = {int(chat): n for chat, n in fake.stats()["delivered"].items()}

    with sessions() as session:
        states = dict(
            session.execute(
                select(Delivery.chat_id, Delivery.state).where(Delivery.broadcast_id == broadcast_id)
            ).all()
        )
    engine.dispose()

    assert sorted(states) == chats
    assert set(received) <= set(chats)
    duplicates = {chat: n for chat, n in received.items() if n > 1}
    assert not duplicates, f"sent twice: {duplicates}"
    uncertain = [chat for chat, state in states.items() if state == DeliveryState.UNCERTAIN.value]
    for chat, state in states.items():
        if state == DeliveryState.SENT.value:
            assert received.get(chat) == 1, f"chat {chat} is marked sent but got {received.get(chat, 0)}"
        else:  # the copies the first worker had under way when it died: at most once, never resent
            assert state == DeliveryState.UNCERTAIN.value, (chat, state)
            assert received.get(chat, 0) <= 1
    assert len(uncertain) <= MAX_IN_FLIGHT
    assert final["recipients"] == RECIPIENTS
    assert final["delivered"] + final["uncertain"] == RECIPIENTS
    assert final["uncertain"] == len(uncertain)
    assert sum(received.values()) > before_restart, "the second worker sent nothing"


@pytest.mark.skipif(not POSTGRES, reason="several workers on one outbox: `make test-postgres` runs this")
def test_three_workers_share_a_broadcast_and_finish_a_killed_ones_share(
    tmp_path: Path, database_url: str
) -> None:
    recipients = 5000
    engine = make_engine(database_url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    chats = _org(sessions, recipients)
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(session=session, text=TEXT, selectors=["unit:华东区-12号店"]).id

    def status() -> dict[str, Any]:
        with sessions() as session:
            return dict(broadcast_status(session=session, broadcast_id=broadcast_id))

    with FakeTelegramServer(FakeTelegram(latency=0.005)) as fake:
        # The rate is the three workers' together: 300 each, as fast as this machine lets them.
        env = {**_worker_env(tmp_path, database_url, fake), "CHANGEBOT_DELIVERY_RATE_PER_SECOND": "900"}
        with _worker(tmp_path, "a", env) as a, _worker(tmp_path, "b", env) as b, _worker(tmp_path, "c", env):
            _wait(
                lambda: fake.stats()["messages"] >= recipients // 4 or None,
                timeout=EVENTUALLY, what="a quarter of the broadcast", process=a, log=tmp_path / "a.log",
            )  # fmt: skip
            os.kill(a.pid, signal.SIGKILL)  # the others must finish its share
            a.wait(timeout=10)
            final = _wait(
                lambda: (s := status())["status"] == "sent" and s["queued"] == 0 and s or None,
                timeout=EVENTUALLY, what="the broadcast to finish", process=b, log=tmp_path / "b.log",
            )  # fmt: skip
        received = {int(chat): n for chat, n in fake.stats()["delivered"].items()}
    with sessions() as session:
        workers = set(
            session.scalars(select(Delivery.worker).where(Delivery.broadcast_id == broadcast_id)).all()
        )
    engine.dispose()
    assert not {chat: n for chat, n in received.items() if n > 1}, "somebody got two copies"
    assert final["delivered"] + final["uncertain"] == recipients and final["uncertain"] <= MAX_IN_FLIGHT
    assert len(received) >= recipients - MAX_IN_FLIGHT and set(received) <= set(chats)
    assert len(workers - {None}) == 3, workers  # all three took part


@pytest.mark.skipif(not POSTGRES, reason="several workers on one outbox: `make test-postgres` runs this")
def test_three_workers_keep_to_one_global_rate(tmp_path: Path, database_url: str) -> None:
    rate, recipients = 60.0, 900  # 15 s at the global rate; three workers on their own would send 180/s
    engine = make_engine(database_url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    chats = _org(sessions, recipients)
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(session=session, text=TEXT, selectors=["unit:华东区-12号店"]).id

    def finished() -> dict[str, Any] | None:
        with sessions() as session:
            figures = dict(broadcast_status(session=session, broadcast_id=broadcast_id))
        return figures if figures["status"] == "sent" and figures["queued"] == 0 else None

    # The fake Bot API in its own process: its clock times every arrival, and it shares no GIL here.
    with FakeTelegramProcess(latency=0.005, workdir=tmp_path) as fake:
        env = {
            **_worker_env(tmp_path, database_url, fake),
            "CHANGEBOT_DELIVERY_RATE_PER_SECOND": str(rate),
            "CHANGEBOT_DELIVERY_LEASE_SECONDS": "30",
        }
        with _worker(tmp_path, "a", env) as a, _worker(tmp_path, "b", env), _worker(tmp_path, "c", env):
            _wait(
                finished,
                timeout=EVENTUALLY,
                what="the broadcast to finish",
                process=a,
                log=tmp_path / "a.log",
            )
        arrivals = fake.log()
    with sessions() as session:
        workers = Counter(
            session.scalars(select(Delivery.worker).where(Delivery.broadcast_id == broadcast_id))
        )
    engine.dispose()

    received = Counter(chat for _, chat in arrivals)
    assert sorted(received) == chats and set(received.values()) == {1}, "somebody got none or two"
    assert len(workers) == 3 and min(workers.values()) > recipients / 6, workers  # all three sent a share
    times = sorted(at for at, _ in arrivals)
    aggregate = (len(times) - 1) / (times[-1] - times[0])
    # At most the budget (three workers pacing on their own would send three times it) and well
    # above a third of it; the floor is loose because the machine's cores are shared.
    assert rate / 2 < aggregate <= rate * 1.15, f"{aggregate:.1f}/s against {rate:g}/s configured"
    # No spell of three workers at full speed either: any two seconds stay near the budget.
    busiest = max(bisect.bisect_right(times, at + 2.0) - n for n, at in enumerate(times))
    assert busiest <= 2 * rate * 1.25, f"{busiest} messages in two seconds"
