"""`changebot bot` alone delivers broadcasts (the sender runs in its process, as in `serve`) and says so
at start; with --no-sender it says at start that it does not, and nothing it queues goes out.

The command runs in-process against the fake Bot API, through PTB's own ``run_polling``; the test
stops it (``stop_running``, as a handler could) once what it waits for has happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application
from typer.testing import CliRunner

from bot import cli
from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.broadcasts.models import Delivery, DeliveryState, SenderWorker
from bot.broadcasts.service import create_broadcast
from bot.cli import common
from bot.config import Settings
from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit
from bot.storage.database import transaction
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.telegram_api import FakeTelegram, FakeTelegramServer
from tests.utils.databases import sessions_for
from tests.utils.patience import EVENTUALLY

RECIPIENT, ASKER = 8801, 8802
TEXT = "周一起全员使用服务中台"


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegramServer() as state:
        yield state


@pytest.fixture
def bot_settings(
    settings: Settings, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """The command's settings: a token for the fake Bot API, the fake embedder, the test's database."""
    configured = settings.model_copy(
        update={"telegram_token": SecretStr(fake.token), "telegram_base_url": fake.url}
    )
    monkeypatch.setattr(common, "_settings", lambda: configured)
    embedder = FakeEmbedder()

    def core(s: Settings) -> KnowledgeCore:
        return build_knowledge_core(s, sessions=sessions_for(s), embedder=embedder)

    monkeypatch.setattr(common, "_core", core)
    monkeypatch.setattr(common, "_ENGINES", {})
    yield configured
    common._dispose_engines()


@pytest.fixture
def queued(sessions: sessionmaker[Session]) -> int:
    """A broadcast due now to one member, queued before the bot starts."""
    with transaction(sessions) as session:
        unit = add_unit(session=session, name="华东区-12号店")
        person = Person(telegram_id=RECIPIENT, name="小王")
        session.add(person)
        session.flush()
        session.add(Membership(person_id=person.id, unit_id=unit.id, role=Role.STAFF.value))
        return create_broadcast(session=session, text=TEXT, selectors=["all"]).id


def _run_bot(monkeypatch: pytest.MonkeyPatch, *args: str, until: Callable[[], bool]) -> tuple[int, str]:
    """``changebot bot ARGS`` until ``until()`` holds (checked on a thread); (exit code, output)."""
    real_run_polling = Application.run_polling
    timed_out: list[bool] = []

    def run_polling(self: Application, *a: Any, **kw: Any) -> None:  # type: ignore[type-arg]
        started = self.post_init
        watching: list[asyncio.Task[None]] = []

        async def stop_when_done(app: Application) -> None:  # type: ignore[type-arg]
            try:
                async with asyncio.timeout(EVENTUALLY):
                    while True:
                        if app.running and await asyncio.to_thread(until):
                            break
                        await asyncio.sleep(0.05)
            except TimeoutError:
                timed_out.append(True)
            while True:  # stop_running only stops a running application
                if app.running:
                    app.stop_running()
                    return
                await asyncio.sleep(0.05)

        async def post_init(app: Application) -> None:  # type: ignore[type-arg]
            if started is not None:
                await started(app)  # the bot's own, and the sender's start when it runs one
            watching.append(asyncio.create_task(stop_when_done(app)))

        self.post_init = post_init
        real_run_polling(self, *a, **kw)

    monkeypatch.setattr(Application, "run_polling", run_polling)
    asyncio.set_event_loop(asyncio.new_event_loop())  # run_polling runs it, and closes it
    try:
        result = CliRunner().invoke(cli.app, ["bot", *args])
    finally:
        asyncio.set_event_loop(None)
    assert not timed_out, result.output
    return result.exit_code, result.output


def _copies(sessions: sessionmaker[Session], state: DeliveryState) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).where(Delivery.state == state.value)) or 0)


def test_the_bot_alone_delivers_what_is_queued(
    bot_settings: Settings,
    fake: FakeTelegram,
    queued: int,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, output = _run_bot(monkeypatch, until=lambda: bool(fake.sent(chat_id=RECIPIENT)))
    assert code == 0, output
    assert "polling, with sender worker-" in output
    assert [m["text"] for m in fake.sent(chat_id=RECIPIENT)][0].endswith(TEXT)
    assert _copies(sessions, DeliveryState.SENT) == 1  # recorded before the process stopped
    with sessions() as session:
        assert session.scalars(select(SenderWorker)).all() == []  # it signed off on the way out


def test_the_bot_with_no_sender_says_so_at_start_and_sends_nothing(
    bot_settings: Settings,
    fake: FakeTelegram,
    queued: int,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake.send_text(ASKER, "/help")  # answered once the bot polls
    code, output = _run_bot(monkeypatch, "--no-sender", until=lambda: bool(fake.sent(chat_id=ASKER)))
    assert code == 0, output
    said = " ".join(output.split())
    assert "polling, without a sender" in said and "`changebot worker`" in said
    assert fake.sent(chat_id=RECIPIENT) == [] and _copies(sessions, DeliveryState.SENT) == 0
    with sessions() as session:
        assert session.scalars(select(SenderWorker)).all() == []  # no sender ever reported
