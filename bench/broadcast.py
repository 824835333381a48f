"""Broadcast delivery: a 10,000-recipient broadcast through the real worker and Telegram adapter,
and one broadcast shared by several ``changebot worker`` processes on PostgreSQL.

The fake Bot API runs in its own process (so it does not share a GIL with the worker) and answers
every request after ``latency``, refuses every n-th send with 429 and 2% of the chats with 403.
The worker runs in this process with the production settings path, at ``rate`` messages a second.

Targets (from the broadcast issue):
- sustained rate >= 0.9 x the configured rate, once the pauses Telegram imposed are taken out;
- nobody lost (every recipient sent, blocked or failed, and every "sent" one actually received it);
- nobody gets a second copy.

Targets (from the scale issue): 1 and 3 worker processes deliver at 0.85-1.10 x the configured
rate, which is the rate of all workers together, and nobody gets a second copy.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot.broadcasts.models import Delivery, DeliveryState
from bot.broadcasts.sender import DeliveryWorker, WorkerSettings
from bot.broadcasts.service import broadcast_status, create_broadcast, enqueue_due
from bot.config import Settings
from bot.people.models import Membership, Person, Role, Unit
from bot.runtime import delivery_timing, worker_settings
from bot.storage.database import make_engine, make_session_factory, transaction, upgrade_database
from bot.telegram.broadcast_sender import TelegramMessageSender
from tests.fakes.telegram_api import FakeTelegramProcess

FIRST_CHAT = 1_000_000
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1"
TEXT = "全员通知：新收银系统下周一上线，请在周五前完成两次实操培训。"


def _check(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _people(sessions: sessionmaker[Session], recipients: int) -> list[int]:
    """``recipients`` staff in one store, bulk-inserted; returns their chat ids."""
    chats = [FIRST_CHAT + n for n in range(recipients)]
    with transaction(sessions) as session:
        store = Unit(name="华东区-12号店")
        session.add(store)
        session.flush()
        session.execute(
            insert(Person),
            [{"id": n + 1, "telegram_id": chat, "name": f"p{n}"} for n, chat in enumerate(chats)],
        )
        session.execute(
            insert(Membership),
            [{"person_id": n + 1, "unit_id": store.id, "role": Role.STAFF.value} for n in range(recipients)],
        )
    return chats


def bench_broadcast(
    lines: list[str],
    *,
    recipients: int = 10_000,
    rate: float = 100.0,
    max_in_flight: int = 16,
    latency: float = 0.02,
    rate_limit_every: int = 1_999,  # not a multiple of the batch: a 429 lands mid-batch
    retry_after: int = 1,
    blocked_every: int = 50,
) -> bool:
    """Deliver one broadcast to ``recipients`` people and check rate, losses and duplicates.

    Returns whether every target passed.
    """
    work = Path(tempfile.mkdtemp(prefix="changebot-bench-broadcast-"))
    try:
        settings = Settings(
            _env_file=None,
            data_dir=work / "data",
            quiet_hours="",  # the bench runs at any hour
            story_digest_cron="",
            delivery_rate_per_second=rate,
            delivery_max_in_flight=max_in_flight,
        )
        engine = make_engine(settings.database)
        upgrade_database(engine)
        sessions = make_session_factory(engine)
        chats = _people(sessions, recipients)
        blocked = chats[::blocked_every]
        with transaction(sessions) as session:
            broadcast_id = create_broadcast(session=session, text=TEXT, selectors=["unit:华东区-12号店"]).id
        started = time.perf_counter()
        with transaction(sessions) as session:
            enqueue_due(session=session, timing=delivery_timing(settings))
        materialise_s = time.perf_counter() - started

        with FakeTelegramProcess(
            latency=latency,
            rate_limit_every=rate_limit_every,
            retry_after=retry_after,
            blocked=blocked,
            workdir=work,
        ) as fake:
            config = worker_settings(settings)
            elapsed = asyncio.run(_deliver(sessions, fake, config))
            stats = fake.stats()
        with sessions() as session:
            status = broadcast_status(session=session, broadcast_id=broadcast_id)
            states = dict(
                session.execute(
                    select(Delivery.chat_id, Delivery.state).where(Delivery.broadcast_id == broadcast_id)
                ).all()
            )
        engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    received: dict[int, int] = {int(chat): n for chat, n in stats["delivered"].items()}
    outcomes = Counter(states.values())
    settled = {DeliveryState.SENT.value, DeliveryState.BLOCKED.value, DeliveryState.FAILED.value}
    lost = sum(
        1
        for chat in chats
        if states.get(chat) not in settled
        or (states[chat] == DeliveryState.SENT.value and received.get(chat, 0) == 0)
    )
    duplicates = sum(1 for n in received.values() if n > 1)
    delivered = int(status["delivered"])
    pause_s = float(stats["retry_after_seconds"])
    sending_s = elapsed - pause_s
    sustained = delivered / sending_s if sending_s > 0 else float("nan")
    requests = int(stats["requests"].get("sendMessage", 0))
    ratio = sustained / rate
    ok_rate, ok_lost, ok_dupes = ratio >= 0.9, lost == 0, duplicates == 0
    ok_blocked = status["blocked"] == len(blocked) == stats["forbidden"]
    lines += [
        "## Broadcast delivery",
        "",
        f"{recipients:,} recipients, one broadcast, delivered by `DeliveryWorker` through the PTB adapter to the fake "
        f"Bot API in its own process: {latency * 1000:.0f} ms per request, every {rate_limit_every:,}th send "
        f"refused with 429 (retry_after {retry_after} s), every {blocked_every}th chat answering 403. "
        f"Configured: {rate:g} messages/s (`CHANGEBOT_DELIVERY_RATE_PER_SECOND`), {config.max_in_flight} in flight, "
        f"batches of {config.batch_size}. Outbox materialised in {materialise_s:.1f} s before the clock starts.",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        f"| recipients | {recipients:,} | – | |",
        f"| delivered | {delivered:,} | – | |",
        f"| blocked (403) | {status['blocked']:,} | = the {len(blocked):,} chats answering 403 | {_check(ok_blocked)} |",
        f"| failed | {status['failed']:,} | – | |",
        f"| uncertain | {status['uncertain']:,} | – | |",
        f"| lost (no outcome, or marked sent but never received) | {lost:,} | 0 | {_check(ok_lost)} |",
        f"| duplicates (chats with more than one copy) | {duplicates:,} | 0 | {_check(ok_dupes)} |",
        f"| sendMessage requests | {requests:,} | – | |",
        f"| 429s / pause Telegram imposed | {stats['rate_limited']} / {pause_s:.0f} s | – | |",
        f"| sends arriving during a 429 pause (already under way) | {stats['during_retry_after']} | – | |",
        f"| elapsed | {elapsed:.1f} s | – | |",
        f"| sustained rate = delivered / (elapsed − pause) | {sustained:.1f}/s | – | |",
        f"| requests/s (delivered + 403 + 429) over the same time | {requests / sending_s:.1f}/s | – | |",
        f"| sustained / configured rate | {ratio:.2f} | >= 0.90 | {_check(ok_rate)} |",
        "",
        "Row states: " + ", ".join(f"{state} {n:,}" for state, n in sorted(outcomes.items())) + ".",
        "",
    ]
    return ok_rate and ok_lost and ok_dupes and ok_blocked


async def _deliver(
    sessions: sessionmaker[Session], fake: FakeTelegramProcess, config: WorkerSettings
) -> float:
    """Run the worker until the outbox is empty; returns the seconds it took."""
    bot = Bot(fake.token, base_url=fake.url)
    async with bot:
        worker = DeliveryWorker(sessions=sessions, sender=TelegramMessageSender(bot), settings=config)
        started = time.perf_counter()
        await worker.run_until_idle()
        return time.perf_counter() - started


def postgres_admin(server: str, lines: list[str]) -> Engine | None:
    """An AUTOCOMMIT engine on ``server``'s postgres database, to create and drop benchmark databases;
    None, with a "Skipped" line in the report, when the server does not answer."""
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except SQLAlchemyError as exc:
        admin.dispose()
        lines += [f"Skipped: PostgreSQL at {server} is unreachable ({type(exc).__name__}).", ""]
        return None
    return admin


def bench_workers(
    lines: list[str],
    *,
    postgres: str = DEFAULT_POSTGRES,
    recipients: int = 3_000,
    rate: float = 100.0,
    latency: float = 0.02,
) -> bool:
    """One broadcast delivered by 1, then by 3 ``changebot worker`` processes on PostgreSQL.

    Returns whether every target passed (True, with a note, when PostgreSQL is unreachable).
    """
    lines += ["## Broadcast with several sender workers (PostgreSQL)", ""]
    server = postgres.rstrip("/")
    admin = postgres_admin(server, lines)
    if admin is None:
        return True
    runs: dict[int, dict[str, float]] = {}
    try:
        for workers in (1, 3):
            name = f"cbbench_{uuid.uuid4().hex[:12]}"
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            work = Path(tempfile.mkdtemp(prefix="changebot-bench-workers-"))
            try:
                runs[workers] = _worker_run(
                    work,
                    f"{server}/{name}",
                    workers=workers,
                    recipients=recipients,
                    rate=rate,
                    latency=latency,
                )
            finally:
                with admin.connect() as connection:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                shutil.rmtree(work, ignore_errors=True)
    finally:
        admin.dispose()

    ok = True
    lines += [
        f"{recipients:,} recipients, one broadcast, delivered by `changebot worker --no-scheduler` processes "
        f"through the PTB adapter to the fake Bot API in its own process ({latency * 1000:.0f} ms per request). "
        f"Configured: {rate:g} messages/s for all workers together (`CHANGEBOT_DELIVERY_RATE_PER_SECOND`); "
        f"three workers pacing on their own would send {3 * rate:g}/s. The rate is the fake server's: "
        "messages received over the time from the first to the last.",
        "",
        "| workers | delivered | elapsed | aggregate rate | / configured | busiest 2 s, / configured | "
        "duplicates | uncertain | target | |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for workers, run in runs.items():
        ratio = run["rate"] / rate
        passed = 0.85 <= ratio <= 1.10 and run["duplicates"] == 0 and run["lost"] == 0
        ok &= passed
        lines.append(
            f"| {workers} | {run['delivered']:,.0f} | {run['elapsed']:.1f} s | {run['rate']:.1f}/s | {ratio:.2f} | "
            f"{run['busiest'] / (2 * rate):.2f} | {run['duplicates']:.0f} | {run['uncertain']:.0f} | "
            f"0.85-1.10, 0 duplicates, 0 lost | {_check(passed)} |"
        )
    lines.append("")
    return ok


def _worker_run(
    work: Path, database_url: str, *, workers: int, recipients: int, rate: float, latency: float
) -> dict[str, float]:
    """Deliver one broadcast with ``workers`` worker processes; the figures for the table."""
    engine = make_engine(database_url)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    chats = _people(sessions, recipients)
    with transaction(sessions) as session:
        broadcast_id = create_broadcast(session=session, text=TEXT, selectors=["unit:华东区-12号店"]).id
    script = Path(sys.executable).parent / "changebot"
    command = [str(script), "worker", "--no-scheduler"]
    with FakeTelegramProcess(latency=latency, workdir=work) as fake:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHANGEBOT_")}
        env |= {
            "CHANGEBOT_DATA_DIR": str(work / "data"),
            "CHANGEBOT_DATABASE_URL": database_url,
            "CHANGEBOT_TELEGRAM_TOKEN": fake.token,
            "CHANGEBOT_TELEGRAM_BASE_URL": fake.url,
            "CHANGEBOT_DELIVERY_RATE_PER_SECOND": str(rate),
            "CHANGEBOT_DELIVERY_MAX_IN_FLIGHT": "16",
            "CHANGEBOT_QUIET_HOURS": "",  # the bench runs at any hour
            "CHANGEBOT_STORY_DIGEST_CRON": "",
            "CHANGEBOT_LOG_LEVEL": "WARNING",
        }
        logs = [(work / f"worker-{n}.log").open("wb") for n in range(workers)]
        processes = [
            subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
            for log in logs
        ]
        try:
            deadline = time.monotonic() + 30 + 3 * recipients / rate
            while time.monotonic() < deadline:
                with sessions() as session:
                    status = broadcast_status(session=session, broadcast_id=broadcast_id)
                if status["status"] == "sent" and status["queued"] == 0:
                    break
                if any(process.poll() is not None for process in processes):
                    break
                time.sleep(0.2)
            arrivals = fake.log()
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for log in logs:
                log.close()
    with sessions() as session:
        status = broadcast_status(session=session, broadcast_id=broadcast_id)
        states = dict(
            session.execute(
                select(Delivery.chat_id, Delivery.state).where(Delivery.broadcast_id == broadcast_id)
            ).all()
        )
    engine.dispose()
    received = Counter(chat for _, chat in arrivals)
    # Lost: no copy arrived, and the database does not say it might have (uncertain).
    lost = sum(
        1 for chat in chats if not received[chat] and states.get(chat) != DeliveryState.UNCERTAIN.value
    )
    times = sorted(at for at, _ in arrivals)
    elapsed = times[-1] - times[0] if len(times) > 1 else float("nan")
    busiest = max((bisect.bisect_right(times, at + 2.0) - n for n, at in enumerate(times)), default=0)
    return {
        "delivered": float(status["delivered"]),
        "uncertain": float(status["uncertain"]),
        "lost": float(lost),
        "duplicates": float(sum(1 for n in received.values() if n > 1)),
        "elapsed": elapsed,
        "rate": (len(times) - 1) / elapsed if len(times) > 1 else 0.0,
        "busiest": float(busiest),
    }


def main() -> None:
    """Run this section alone and print it (``python -m bench.broadcast``)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, help="Default 10,000 (3,000 with --workers).")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--max-in-flight", type=int, default=16)
    parser.add_argument("--profile", type=Path, help="Write a cProfile of the run here.")
    parser.add_argument("--workers", action="store_true", help="Run the several-workers section instead.")
    parser.add_argument(
        "--postgres", default=DEFAULT_POSTGRES, help="Server for the several-workers section."
    )
    args = parser.parse_args()
    lines: list[str] = []
    if args.workers:
        ok = bench_workers(lines, postgres=args.postgres, recipients=args.recipients or 3_000, rate=args.rate)
        print("\n".join(lines))
        print(f"**Several workers: {_check(ok)}**")
        return
    kwargs: dict[str, Any] = {
        "recipients": args.recipients or 10_000,
        "rate": args.rate,
        "max_in_flight": args.max_in_flight,
    }
    if args.profile:
        import cProfile

        with cProfile.Profile() as profile:
            ok = bench_broadcast(lines, **kwargs)
        profile.dump_stats(args.profile)
    else:
        ok = bench_broadcast(lines, **kwargs)
    print("\n".join(lines))
    print(f"**Broadcast: {_check(ok)}**")


if __name__ == "__main__":
    main()
