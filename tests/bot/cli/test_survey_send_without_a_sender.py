"""`survey send` and `survey schedule` say when no sender worker runs, as `broadcast send` does (the
same words, from ``bot.broadcasts.senders.delivery_warning``): the invitations are a broadcast. With a
live worker, the confirmation is as before."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot import cli
from bot.broadcasts.models import SenderWorker
from bot.cli import common
from bot.config import Settings
from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.bot.cli.test_broadcast_send_without_a_sender import LATER, NOW

SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """Invoke the CLI on the test's database; returns its output (the command must succeed)."""
    monkeypatch.setattr(common, "_settings", lambda: settings)
    monkeypatch.setattr(common, "_ENGINES", {})
    runner = CliRunner()

    def invoke(*args: str) -> str:
        result = runner.invoke(cli.app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    yield invoke
    common._dispose_engines()


@pytest.fixture
def store(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """The library's surveys, and a store of three to invite."""
    shutil.copytree(SURVEYS, settings.knowledge_dir / "surveys", dirs_exist_ok=True)
    with transaction(sessions) as session:
        unit = add_unit(session=session, name="12号店")
        people = [Person(telegram_id=600 + n, name=f"p{n}") for n in range(3)]
        session.add_all(people)
        session.flush()
        session.add_all(Membership(person_id=p.id, unit_id=unit.id, role=Role.STAFF.value) for p in people)


def _plain(output: str) -> str:
    return " ".join(output.split())  # Rich wraps long lines


@pytest.mark.usefixtures("store")
def test_opening_a_wave_without_a_sender_says_nothing_is_delivered_yet(run: Callable[..., str]) -> None:
    sent = json.loads(run("survey", "send", "resistance-pulse", "--audience", "unit:12号店", "--json"))
    assert sent["invited"] == 3 and sent["delivery_running"] is False and sent["warning"] == NOW
    plain = _plain(run("survey", "send", "resistance-pulse", "--audience", "unit:12号店"))
    assert "3 people invited" in plain and NOW in plain
    scheduled = _plain(run("survey", "schedule", "resistance-pulse", "--cron", "0 10 * * mon"))
    assert "a wave opens" in scheduled and LATER in scheduled


@pytest.mark.usefixtures("store")
def test_opening_a_wave_with_a_sender_running_is_confirmed_as_before(
    run: Callable[..., str], sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        now = utc_now()
        session.execute(insert(SenderWorker).values(worker_id="w1", busy=False, seen_at=now, started_at=now))
    sent = json.loads(run("survey", "send", "resistance-pulse", "--audience", "unit:12号店", "--json"))
    assert sent["delivery_running"] is True and sent["warning"] is None
    plain = run("survey", "send", "resistance-pulse", "--audience", "unit:12号店").strip()
    assert plain.endswith("3 people invited")  # the one line, as before
    assert "sender" not in run("survey", "schedule", "resistance-pulse", "--cron", "0 10 * * mon")
