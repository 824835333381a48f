"""`broadcast send` and `vision add` say when no sender worker runs (in English), in their plain output
and in their JSON (``delivery_running``, ``warning``); with a live worker, as before."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot import cli
from bot.broadcasts.models import SenderWorker
from bot.cli import common
from bot.config import Settings
from bot.storage.base import utc_now
from bot.storage.database import transaction

NOW = "Nothing is being delivered yet: no sender is running. Start `changebot worker`, or `changebot serve` with a Telegram token."
LATER = "No sender is running: it will go out only once one runs."


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


def test_sending_without_a_sender_says_nothing_is_delivered_yet(run: Callable[..., str]) -> None:
    sent = json.loads(run("broadcast", "send", "--text", "周一上线", "--json"))
    assert sent["delivery_running"] is False and sent["warning"] == NOW
    plain = " ".join(run("broadcast", "send", "--text", "周一上线").split())
    assert "queued for" in plain and NOW in plain
    later = run("broadcast", "send", "--text", "周一愿景", "--at", "2099-01-05T09:00+08:00")
    assert LATER in " ".join(later.split())
    series = json.loads(run("vision", "add", "--text", "让顾客少等", "--cron", "0 9 * * mon", "--json"))
    assert series["delivery_running"] is False and series["warning"].startswith(LATER)


def test_sending_with_a_sender_running_is_confirmed_as_before(
    run: Callable[..., str], sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        now = utc_now()
        session.execute(insert(SenderWorker).values(worker_id="w1", busy=False, seen_at=now, started_at=now))
    sent = json.loads(run("broadcast", "send", "--text", "周一上线", "--json"))
    assert sent["delivery_running"] is True and sent["warning"] is None
    assert run("broadcast", "send", "--text", "周一上线").strip().endswith("UTC")  # the one line, as before
