"""The flood limit is one limit for all processes: two gates on one database count together, the
window slides across minute boundaries, concurrent questions never get past it, quiet rows go."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.people.models import Person
from bot.questions.flood import FloodGate, forget_quiet_floods
from bot.questions.models import QuestionFlood
from bot.storage.database import make_engine, make_session_factory, transaction

START = 1_800_000_000.0  # a whole minute (divisible by 60)


class Clock:
    """Wall-clock seconds that only move when the test says so."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def other_process(database_url: str, sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """A second engine on the same database, as another process would have."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _person(sessions: sessionmaker[Session], telegram_id: int) -> int:
    with transaction(sessions) as session:
        person = Person(telegram_id=telegram_id, name=f"p{telegram_id}")
        session.add(person)
        session.flush()
        return person.id


def test_two_gates_on_one_database_share_the_limit(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    clock = Clock(START + 5)
    here = FloodGate(sessions=sessions, per_minute=5, clock=clock)
    there = FloodGate(sessions=other_process, per_minute=5, clock=clock)
    asker, bystander = _person(sessions, 1), _person(sessions, 2)
    allowed = [(here if n % 2 else there).allow(asker) for n in range(5)]
    assert allowed == [True] * 5
    assert here.allow(asker) is False and there.allow(asker) is False
    assert there.allow(bystander) is True  # the limit is per person
    with transaction(sessions) as session:
        row = session.get(QuestionFlood, asker)
        assert row is not None and row.questions == 5  # refused questions are not counted


def test_the_window_slides_over_the_minute_boundary(sessions: sessionmaker[Session]) -> None:
    clock = Clock(START + 50)
    gate = FloodGate(sessions=sessions, per_minute=5, clock=clock)
    asker = _person(sessions, 1)
    assert all(gate.allow(asker) for _ in range(5))
    clock.now = START + 62  # a new minute, but the five questions of 12 seconds ago still count
    assert gate.allow(asker) is False
    clock.now = START + 60 + 45  # three quarters of last minute are out of the window: 5 * 0.25 + 1 <= 5
    assert [gate.allow(asker) for _ in range(4)] == [True, True, True, False]
    clock.now = START + 180  # two quiet minutes: a fresh start
    assert all(gate.allow(asker) for _ in range(5))
    assert gate.allow(asker) is False


def test_a_clock_slightly_behind_does_not_reset_the_count(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    asker = _person(sessions, 1)
    ahead = FloodGate(sessions=sessions, per_minute=3, clock=Clock(START + 61))
    behind = FloodGate(sessions=other_process, per_minute=3, clock=Clock(START + 59))
    assert all(ahead.allow(asker) for _ in range(3))
    assert behind.allow(asker) is False


def test_concurrent_questions_from_two_processes_never_pass_the_limit(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    clock = Clock(START + 30)
    gates = [FloodGate(sessions=s, per_minute=20, clock=clock) for s in (sessions, other_process)]
    asker = _person(sessions, 1)
    results: list[bool] = []
    lock = threading.Lock()

    def ask(gate: FloodGate) -> None:
        for _ in range(10):
            allowed = gate.allow(asker)
            with lock:
                results.append(allowed)

    threads = [threading.Thread(target=ask, args=(gates[n % 2],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 60 and results.count(True) == 20


def test_quiet_rows_are_forgotten(sessions: sessionmaker[Session]) -> None:
    clock = Clock(START)
    gate = FloodGate(sessions=sessions, per_minute=5, clock=clock)
    quiet, recent = _person(sessions, 1), _person(sessions, 2)
    gate.allow(quiet)
    clock.now = START + 70
    gate.allow(recent)
    with transaction(sessions) as session:
        # At START + 100 the quiet person's minute still weighs in the window; at START + 125 it does not.
        assert forget_quiet_floods(session, datetime.fromtimestamp(START + 100, UTC)) == 0
        assert forget_quiet_floods(session, datetime.fromtimestamp(START + 125, UTC)) == 1
        assert session.scalars(select(QuestionFlood.person_id)).all() == [recent]
