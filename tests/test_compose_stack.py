"""docker-compose.yml run natively, as one group: no Docker engine runs here, so the test reads the
compose file and starts each service's own command as a local process, with the compose environment
pointed at local addresses (a fresh PostgreSQL database, `chroma run`, the fake Bot API for Telegram).

The web service runs twice, as it would behind a load balancer, with Telegram in webhook mode: the
fake Bot API hands updates to the two web processes in turn, so every step of a conversation lands
on the other process from the one before.

Then it uses the stack the way a company would: the one-off ingest service loads the library into the
Chroma server; staff ask over HTTP and in Telegram; a question nobody can answer goes to the
manager, whose reply reaches the asker and becomes an FAQ, indexed by a worker (the web processes
only queue re-index jobs), that the other web process answers from next; a broadcast goes out through the two sender workers (and the web processes' own senders); a
vision series fires from the scheduler. Everybody gets each message exactly once, every process
logs JSON, and SIGTERM (what `docker stop` sends) stops each one cleanly.

Every process gets a data folder and a copy of the image's `knowledge/` of its own, as containers on
different hosts would: nothing but the database and the Chroma server is shared (issue 17), and
what each process leaves in its data folder is only its caches.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.exc import OperationalError

from bot.broadcasts.models import Broadcast, Delivery, DeliveryState
from bot.library.models import IngestJobRow
from bot.people.models import Membership, Person, Role, Unit
from bot.scheduling.models import Schedule
from bot.storage.base import utc_now
from bot.storage.database import make_engine, make_session_factory, transaction, upgrade_database
from tests.conftest import POSTGRES, REPO, fresh_postgres_database
from tests.fakes.telegram_api import FakeTelegram, FakeTelegramServer
from tests.utils.patience import EVENTUALLY
from tests.utils.processes import RunningProcess, changebot_command, chroma_command, free_port, running

pytestmark = pytest.mark.slow  # loads the real embedding model in several processes

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVER = POSTGRES or "postgresql+psycopg://postgres@127.0.0.1"
STAFF = 120
FIRST_CHAT = 810_000
MANAGER = 800_001
EVERYONE = STAFF + 1
WEB_REPLICAS = 2  # behind a load balancer; the compose file's one web service, scaled
WEBHOOK_SECRET = "compose-stack-webhook-secret"
SIGN_IN_SECRET = "not-a-real-sign-in-link-secret"
TIMEZONE = "Asia/Shanghai"
ASKER = FIRST_CHAT  # one of the staff, asking in Telegram


def _postgres_reachable() -> bool:
    engine = create_engine(f"{SERVER}/postgres")
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database: the compose stack runs on PostgreSQL, never SQLite."""
    if not _postgres_reachable():
        pytest.skip(f"no PostgreSQL at {SERVER} (CI starts one)")
    with fresh_postgres_database(SERVER) as url:
        yield url


class Stack:
    """The compose services' commands and environment, translated to this machine."""

    def __init__(self, tmp_path: Path, *, database_url: str, fake: FakeTelegram) -> None:
        self.tmp_path = tmp_path
        self.data = tmp_path / "data"
        self.knowledge = tmp_path / "knowledge"
        shutil.copytree(REPO / "knowledge", self.knowledge)
        self.ports: dict[tuple[str, int], int] = {}
        self.services: dict[str, dict[str, Any]] = COMPOSE["services"]
        compose_env: dict[str, str] = COMPOSE["x-changebot"]["environment"]
        local = {
            "CHANGEBOT_DATABASE_URL": database_url,
            "CHANGEBOT_CHROMA_URL": f"http://127.0.0.1:{self.port('chroma')}",
            "CHANGEBOT_DATA_DIR": str(self.data),
            "CHANGEBOT_KNOWLEDGE_DIR": str(self.knowledge),
        }
        self.env = {key: local.get(key, value) for key, value in compose_env.items()}
        assert set(local) <= set(self.env), "the compose file no longer sets what this test translates"
        base = {key: value for key, value in os.environ.items() if not key.startswith("CHANGEBOT_")}
        self.env = {
            **base,
            **self.env,
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
            # What .env would hold on a real server: the bot's token, here the fake Bot API's.
            "CHANGEBOT_TELEGRAM_TOKEN": fake.token,
            "CHANGEBOT_TELEGRAM_BASE_URL": fake.url,
            # Several web processes: Telegram must use the webhook (the public URL is the balancer's).
            "CHANGEBOT_TELEGRAM_WEBHOOK_URL": "https://changebot.example.invalid/telegram/webhook",
            "CHANGEBOT_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            # Test pacing: no quiet hours at whatever hour CI runs, fast scheduler rounds.
            "CHANGEBOT_QUIET_HOURS": "",
            "CHANGEBOT_STORY_DIGEST_CRON": "",
            "CHANGEBOT_SCHEDULER_POLL_SECONDS": "0.5",
            "CHANGEBOT_DELIVERY_RATE_PER_SECOND": "60",
            "CHANGEBOT_WEB_CHAT_OPEN": "true",
            "CHANGEBOT_DEFAULT_TIMEZONE": TIMEZONE,
            # One survey key for every host, as a secret (a key file one host made is not the others').
            "CHANGEBOT_SURVEY_KEY": "a-test-survey-key-shared-by-every-host-0123456789",
        }

    def port(self, service: str, replica: int = 0) -> int:
        """The local port standing in for the service's (one per replica)."""
        return self.ports.setdefault((service, replica), free_port())

    def url(self, service: str, replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.port(service, replica)}"

    def command(self, service: str, replica: int = 0) -> list[str]:
        """The service's compose command with container addresses and paths made local."""
        args = [str(arg) for arg in self.services[service]["command"]]
        local: list[str] = []
        for index, arg in enumerate(args):
            previous = args[index - 1] if index else ""
            if previous == "--port":
                arg = str(self.port(service, replica))
            elif previous == "--host":
                arg = "127.0.0.1"
            elif arg.startswith("/app/data"):
                arg = str(self.data) + arg.removeprefix("/app/data")
            local.append(arg)
        if local[0] == "changebot":
            return changebot_command(*local[1:])
        assert local[:2] == ["chroma", "run"], local
        return chroma_command(*local[1:])

    def health_url(self, service: str, replica: int = 0) -> str:
        """The URL the service's compose health check opens, on the local port."""
        test = " ".join(self.services[service]["healthcheck"]["test"])
        found = re.search(r"http://127\.0\.0\.1:\d+(/[\w/]*)", test)
        assert found, test
        return self.url(service, replica) + found.group(1)

    def host(self, name: str) -> dict[str, str]:
        """The environment of a process on a host of its own: its own data folder, and its own copy
        of the library folder (the image's)."""
        root = self.tmp_path / "hosts" / name
        if not root.exists():
            shutil.copytree(self.knowledge, root / "knowledge")
        return {
            **self.env,
            "CHANGEBOT_DATA_DIR": str(root / "data"),
            "CHANGEBOT_KNOWLEDGE_DIR": str(root / "knowledge"),
        }

    def start(self, stack: ExitStack, service: str, *, replica: int = 0) -> RunningProcess:
        name = f"{service}-{replica}"
        command = self.command(service, replica)
        env = self.env if service == "chroma" else self.host(name)
        return stack.enter_context(running(self.tmp_path, name, command, env=env))

    def run_once(self, *args: str, timeout: float = 300) -> str:
        """A one-off `changebot ...` (what `docker compose run --rm web changebot ...` does), on a
        host of its own."""
        done = subprocess.run(  # noqa: S603  (our own entry point, no shell)
            changebot_command(*args),
            env=self.host("tools"),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"changebot {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout


def _seed_people(database_url: str) -> None:
    """A region with its manager, and a store with ``STAFF`` staff (the invite flow is tested elsewhere)."""
    engine = make_engine(database_url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        region = Unit(name="华东区")
        session.add(region)
        session.flush()
        store = Unit(name="华东区-12号店", parent_id=region.id)
        manager = Person(telegram_id=MANAGER, name="王店长", language="zh-Hans")
        people = [
            Person(telegram_id=FIRST_CHAT + n, name=f"店员{n}", language="zh-Hans") for n in range(STAFF)
        ]
        session.add_all([store, manager, *people])
        session.flush()
        session.add(Membership(person_id=manager.id, unit_id=region.id, role=Role.MANAGER.value))
        session.add_all(Membership(person_id=p.id, unit_id=store.id, role=Role.STAFF.value) for p in people)
    engine.dispose()


def _copies(fake: FakeTelegram, text: str) -> dict[int, int]:
    counts: dict[int, int] = {}
    for call in fake.calls:
        if call.method == "sendMessage" and text in str(call.params.get("text", "")):
            chat = int(call.params["chat_id"])
            counts[chat] = counts.get(chat, 0) + 1
    return counts


def _wait(what: str, predicate: Any, processes: list[RunningProcess], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        for process in processes:
            process.check_alive()
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.log_text()[-3000:]}" for p in processes)
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.2)


async def test_the_compose_services_run_natively_as_one_stack(tmp_path: Path, postgres_url: str) -> None:
    with FakeTelegramServer() as fake, ExitStack() as stack:
        compose = Stack(tmp_path, database_url=postgres_url, fake=fake)
        chroma = compose.start(stack, "chroma")
        chroma.wait_for_http(compose.health_url("chroma"), timeout=EVENTUALLY)

        # The `ingest` service (profile tools): the library into the Chroma server and the shared index.
        report = compose.run_once(*compose.services["ingest"]["command"][1:])
        assert "failed" not in report.lower() or "0 failed" in report.lower(), report

        # As `docker compose up` does: all at once, on an empty database they all migrate at start-up.
        webs = [compose.start(stack, "web", replica=n) for n in range(WEB_REPLICAS)]
        replicas = int(compose.services["worker"]["deploy"]["replicas"])
        workers = [compose.start(stack, "worker", replica=n) for n in range(replicas)]
        scheduler = compose.start(stack, "scheduler")
        processes = [chroma, *webs, *workers, scheduler]
        for n, web in enumerate(webs):
            web.wait_for_http(compose.health_url("web", n), timeout=EVENTUALLY)
        for process in [*workers, scheduler]:
            process.wait_for_log("running", timeout=EVENTUALLY)
        _seed_people(postgres_url)
        # The load balancer: Telegram's webhook calls go to the web processes in turn.
        assert fake.webhook_secret == WEBHOOK_SECRET
        fake.webhook_targets = [f"{compose.url('web', n)}/telegram/webhook" for n in range(WEB_REPLICAS)]

        # Staff ask over HTTP (the web chat's API) and get an answer with sources from the Chroma-backed index.
        async with httpx.AsyncClient(base_url=compose.url("web"), timeout=EVENTUALLY) as client:
            answer = (await client.post("/api/ask", json={"question": "培训要多久？"})).json()
            # A sign-in link's secret is in its query string: the access log must not keep it.
            assert (await client.get("/auth/link", params={"token": SIGN_IN_SECRET})).status_code == 200
        assert answer["answered"], answer
        assert answer["sources"] and answer["language"] == "zh-Hans"

        # ...and in Telegram, answered in the asker's Traditional script.
        fake.send_text(ASKER, "培訓要多久？", language_code="zh-hant")
        replies = await fake.reply_to(ASKER)
        assert "培訓" in replies[-1]["text"] or "訓" in replies[-1]["text"], replies[-1]["text"]

        # A question the library cannot answer: each step below lands on the other web process.
        colleague = FIRST_CHAT + 1
        fake.send_text(colleague, "门店的空调坏了找谁修？")
        first_reply = (await fake.reply_to(colleague))[-1]
        if "答不上来" not in first_reply["text"]:
            # Unsure rather than clueless: "did you mean", with "ask a person" last; they press it.
            assert "你是想问下面这些吗" in first_reply["text"], first_reply["text"]
            fake.press(colleague, first_reply["reply_markup"]["inline_keyboard"][-1][0]["callback_data"])
        to_manager = (await fake.reply_to(MANAGER))[-1]
        fake.press(MANAGER, to_manager["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
        assert "请直接输入你的回答" in (await fake.reply_to(MANAGER, count=2))[-1]["text"]
        fake.send_text(MANAGER, "空调归商场物业管，报修电话贴在后仓门上，修好前先开门口的风幕机。")
        told, delivered = (await fake.reply_to(colleague, count=3))[-2:]
        assert told["text"].startswith("🙋 这个问题已转给")  # who has it, as a message of its own
        assert "报修电话贴在后仓门上" in delivered["text"]
        confirm = (await fake.reply_to(MANAGER, count=3))[-1]
        fake.press(MANAGER, confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
        await fake.wait_for(
            lambda: any("已存为常见问题" in str(c.get("text")) for c in fake.sent("editMessageText")),
            timeout=EVENTUALLY,
        )
        # Confirmed at once; the re-index runs through the job queue. Wait for it to be done.
        jobs_engine = make_engine(postgres_url)
        stack.callback(jobs_engine.dispose)

        def indexed() -> bool:
            with jobs_engine.connect() as connection:
                states = list(connection.execute(select(IngestJobRow.state)).scalars())
            return "done" in states and not {"queued", "running"} & set(states)

        _wait("the saved FAQ to be indexed", indexed, processes, timeout=EVENTUALLY)
        # Queued by a web process (`serve --no-jobs`), run by a worker: no web process's threads.
        with jobs_engine.connect() as connection:
            owners = set(connection.execute(select(IngestJobRow.owner)).scalars())
        assert {owner.rpartition(":")[2] for owner in owners} <= {str(w.pid) for w in workers}, owners
        # The next question goes to either web process, and both answer from the new index.
        third = FIRST_CHAT + 2
        fake.send_text(third, "店里空调坏了该找谁修")
        reply = (await fake.reply_to(third))[-1]
        if "报修电话贴在后仓门上" not in reply["text"]:
            # Offered as "did you mean": the team's new FAQ is one of the buttons, and answers.
            rows = reply["reply_markup"]["inline_keyboard"]
            saved = next(row[0]["callback_data"] for row in rows if "空调" in row[0]["text"])
            fake.press(third, saved)
            reply = (await fake.reply_to(third, count=2))[-1]
        assert "报修电话贴在后仓门上" in reply["text"], reply["text"]
        assert min(fake.webhook_deliveries.values()) >= 3, fake.webhook_deliveries

        # A broadcast from the CLI goes out through every sender: everybody once, several workers took part.
        notice = "门店通知：新系统下周一全面上线"
        compose.run_once("broadcast", "send", "--text", notice, "--audience", "all")
        _wait(
            "everybody to get the broadcast",
            lambda: len(_copies(fake, notice)) == EVERYONE,
            processes,
            timeout=EVENTUALLY,
        )

        # A vision series, due now: the scheduler fires it once and the workers deliver it.
        vision = "愿景：让每位店员少跑一趟仓库，多陪一位顾客"
        compose.run_once("vision", "add", "--text", vision, "--cron", "0 9 * * mon")
        # Its first occurrence is next Monday 09:00; move it to this minute on the company's clock.
        now = utc_now()
        engine = make_engine(postgres_url)
        stack.callback(engine.dispose)
        sessions = make_session_factory(engine)
        with transaction(sessions) as session:
            session.execute(
                update(Schedule)
                .where(Schedule.kind == "vision")
                .values(
                    next_occurrence=now.astimezone(ZoneInfo(TIMEZONE)).replace(tzinfo=None, microsecond=0),
                    next_run_at=now - timedelta(seconds=1),
                )
            )
        _wait(
            "everybody to get the vision message",
            lambda: len(_copies(fake, vision)) == EVERYONE,
            processes,
            timeout=EVENTUALLY,
        )
        await asyncio.sleep(2.0)  # a second copy or a second firing would arrive now

        with transaction(sessions) as session:
            senders = session.scalar(select(func.count(func.distinct(Delivery.worker))))
            # The notice's and the vision message's copies (questions nobody could answer went to a
            # manager through the outbox too: those are not what this counts).
            broadcasts = [
                b.id for b in session.scalars(select(Broadcast)) if b.text in (notice, vision) or b.variants
            ]
            states = dict(
                session.execute(
                    select(Delivery.state, func.count())
                    .where(Delivery.broadcast_id.in_(broadcasts))
                    .group_by(Delivery.state)
                ).all()
            )
            others = session.scalars(
                select(Delivery.state).where(Delivery.broadcast_id.not_in(broadcasts))
            ).all()
        assert max(_copies(fake, notice).values()) == 1
        assert max(_copies(fake, vision).values()) == 1
        assert states == {DeliveryState.SENT.value: 2 * EVERYONE}, states
        assert all(state == DeliveryState.SENT.value for state in others), others
        assert senders is not None and senders >= 2, "the broadcast should be shared by several senders"

        # `docker stop` sends SIGTERM: each process stops by itself, cleanly.
        for process in reversed(processes):
            code = process.stop(timeout=EVENTUALLY)
            if process in webs:  # uvicorn re-raises SIGTERM once it has shut the app down
                assert code in (0, -15) and "Application shutdown complete" in process.log_text(), code
            elif process is not chroma:  # the Chroma server is not ours to judge
                assert code == 0, (process.name, code, process.log_text()[-2000:])

    # Only caches on each host's disk: the library and the index are in the database.
    for host in sorted((tmp_path / "hosts").iterdir()):
        kept = {path.name for path in (host / "data").iterdir()} if (host / "data").exists() else set()
        assert kept <= {"index-cache", "library-cache"}, (host.name, kept)
    for process in (*webs, *workers, scheduler):
        log = process.log_text()
        assert "Traceback" not in log, f"{process.name}:\n{log}"
        # Every line is JSON (CHANGEBOT_LOG_FORMAT=json), uvicorn's included, but the one start-up banner.
        lines = [line for line in log.splitlines() if line.strip() and not line.startswith("changebot ")]
        records = [json.loads(line) for line in lines]
        assert records, f"{process.name} wrote no log lines:\n{log}"
        assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
        for secret in (fake.token, WEBHOOK_SECRET, SIGN_IN_SECRET):  # secrets are never logged
            assert secret not in log, f"{process.name} logged a secret"
    assert "/auth/link?token=[redacted]" in webs[0].log_text()
