"""The HTTP API under load: 200 concurrent questions through POST /api/ask, on PostgreSQL.

`changebot serve` runs in its own process (one uvicorn worker, the packaged model, the repository's
library ingested first by `changebot ingest`), with a fresh PostgreSQL database that is dropped
afterwards. This process is only the load generator: one ``httpx.AsyncClient`` against 127.0.0.1.
The questions are the eval set's, cycled (answerable and out of scope, Chinese and English), so
every request embeds, ranks, and records the question in the database as staff traffic would.

Two runs, same server, same questions: one client asking one question after another (the baseline),
then 200 clients each asking ``ROUNDS`` questions back to back, so 200 are in flight throughout.

Targets, for a 2-core machine that runs the server and the load generator side by side:
- no errors: every request answers 200 (no 5xx, no timeouts);
- throughput at 200 >= 1.0 x the single client's: queueing 200 requests must not cost throughput
  (the server answers on a thread pool, so it overlaps one request's database and network waits
  with another's CPU work, and a single client leaves it idle between requests);
- p95 latency at 200 <= 1.5 x 200 x the single client's mean latency. With 200 people waiting,
  the last in line waits for the 199 ahead: about 200 service times is the honest floor for a fair
  queue at the single client's pace, and 1.5 x leaves room for the scheduler, not for requests
  starved behind the others. The mean, not the p50: the eval set mixes Chinese questions (BM25
  only, a few ms) with English ones (a model call each), and the p50 is a Chinese one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import ssl
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from bot.evaluation.evalset import load_eval_set
from tests.utils.processes import changebot_command, changebot_env, free_port, running_changebot

CONCURRENCY = 200
ROUNDS = 2  # per concurrent client: 400 requests in the concurrent run
SINGLE_REQUESTS = 100
WARM_UP = 10
TIMEOUT_S = 120.0
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1"


@dataclass
class Run:
    """What one load run measured."""

    clients: int
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    server_errors: int = 0
    other_errors: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        """Answered requests per second."""
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def mean(self) -> float:
        """Mean latency, in ms."""
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")

    def pct(self, q: float) -> float:
        """A latency percentile, in ms."""
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    @property
    def errors(self) -> int:
        return self.server_errors + len(self.other_errors)


def _check(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def bench_http(
    lines: list[str], *, knowledge: Path, eval_file: Path, postgres: str = DEFAULT_POSTGRES
) -> bool:
    """Serve the library on PostgreSQL and load /api/ask; returns whether every target passed."""
    lines += ["## HTTP API under load (POST /api/ask, PostgreSQL)", ""]
    server = postgres.rstrip("/")
    name = f"cbbench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except SQLAlchemyError as exc:
        admin.dispose()
        lines += [f"Skipped: PostgreSQL at {server} is unreachable ({type(exc).__name__}).", ""]
        return True
    work = Path(tempfile.mkdtemp(prefix="changebot-http-"))
    try:
        single, loaded = _measure(
            work, knowledge=knowledge, eval_file=eval_file, database_url=f"{server}/{name}"
        )
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)

    ratio = loaded.throughput / single.throughput if single.throughput else 0.0
    p95_budget = 1.5 * CONCURRENCY * single.mean()
    ok_errors = single.errors == 0 and loaded.errors == 0 and loaded.requests == CONCURRENCY * ROUNDS
    ok_throughput = ratio >= 1.0
    ok_p95 = loaded.pct(95) <= p95_budget
    lines += [
        f"`changebot serve` (one uvicorn process, packaged model) on a fresh database; the eval set's "
        f"questions cycled. Single client: {single.requests} questions one after another. "
        f"Concurrent: {CONCURRENCY} clients x {ROUNDS} questions, {CONCURRENCY} in flight.",
        "",
        "| measure | single client (baseline) | 200 concurrent | ratio | target | |",
        "|---|---|---|---|---|---|",
        f"| throughput, questions/s | {single.throughput:.1f} | {loaded.throughput:.1f} | {ratio:.2f} | >= 1.00 | {_check(ok_throughput)} |",
        f"| p50 latency, ms | {single.pct(50):.1f} | {loaded.pct(50):.0f} | {loaded.pct(50) / single.pct(50):.0f} | – | |",
        f"| mean latency, ms | {single.mean():.1f} | {loaded.mean():.0f} | {loaded.mean() / single.mean():.0f} | – | |",
        f"| p95 latency, ms | {single.pct(95):.1f} | {loaded.pct(95):.0f} | {loaded.pct(95) / single.pct(95):.0f} | "
        f"<= 1.5 x 200 x single mean = {p95_budget:.0f} | {_check(ok_p95)} |",
        f"| errors (5xx / other) | {single.server_errors} / {len(single.other_errors)} | "
        f"{loaded.server_errors} / {len(loaded.other_errors)} | – | 0 | {_check(ok_errors)} |",
        "",
    ]
    for problem in (single.other_errors + loaded.other_errors)[:5]:
        lines.append(f"- {problem}")
    return ok_errors and ok_throughput and ok_p95


def _measure(work: Path, *, knowledge: Path, eval_file: Path, database_url: str) -> tuple[Run, Run]:
    env = changebot_env(
        work,
        database_url=database_url,
        CHANGEBOT_KNOWLEDGE_DIR=str(knowledge.resolve()),
        CHANGEBOT_WEB_CHAT_OPEN="true",  # no sign-in: the load is on answering, not on cookies
        CHANGEBOT_LOG_LEVEL="WARNING",  # no access log line per request
    )
    ingest = subprocess.run(  # noqa: S603  (our own entry point, no shell)
        changebot_command("ingest", "--json"), env=env, cwd=work, capture_output=True, text=True, check=False
    )
    if ingest.returncode != 0:
        raise RuntimeError(f"changebot ingest failed:\n{ingest.stdout}\n{ingest.stderr}")
    report = json.loads(ingest.stdout)
    print(f"http bench: ingested {report['chunks']} chunks", flush=True)
    questions = [question.question for question in load_eval_set(eval_file)]
    port = free_port()
    with running_changebot(work, "serve", ["serve", "--no-scheduler", "--port", str(port)], env=env) as web:
        web.wait_for_http(f"http://127.0.0.1:{port}/readyz", timeout=120)
        single, loaded = asyncio.run(_load(f"http://127.0.0.1:{port}", questions))
        if single.errors or loaded.errors:
            print(f"http bench: errors; the server's log ends with:\n{web.log_text()[-3000:]}", flush=True)
        return single, loaded


def _client(base_url: str, tls: ssl.SSLContext) -> httpx.AsyncClient:
    # One client, one connection per simulated person, as each browser would have: a single pool of
    # 200 connections costs httpx more CPU per request than the server spends answering. The TLS
    # context (unused on plain HTTP) is shared, or each client would load the CA bundle again.
    return httpx.AsyncClient(
        base_url=base_url,
        limits=httpx.Limits(max_connections=1),
        timeout=TIMEOUT_S,
        verify=tls,
        trust_env=False,
    )


async def _load(base_url: str, questions: list[str]) -> tuple[Run, Run]:
    cycle = itertools.cycle(questions)
    tls = ssl.create_default_context()
    async with _client(base_url, tls) as client:
        warm = Run(clients=1)
        for _ in range(WARM_UP):  # loads the model and fills the pools before anything is timed
            await _ask(client, next(cycle), warm)
        if warm.errors:
            raise RuntimeError(f"the server does not answer: {warm.other_errors[:3]}")
        single = Run(clients=1)
        started = time.perf_counter()
        for _ in range(SINGLE_REQUESTS):
            await _ask(client, next(cycle), single)
        single.seconds = time.perf_counter() - started

    loaded = Run(clients=CONCURRENCY)
    gate = asyncio.Event()
    clients = [_client(base_url, tls) for _ in range(CONCURRENCY)]
    try:
        # Connected before the clock starts: the run measures answering, not 200 TCP handshakes.
        await asyncio.gather(*(client.get("/healthz") for client in clients))

        async def one_person(offset: int, client: httpx.AsyncClient) -> None:
            await gate.wait()
            for round_ in range(ROUNDS):
                await _ask(client, questions[(offset + round_ * CONCURRENCY) % len(questions)], loaded)

        tasks = [asyncio.create_task(one_person(offset, client)) for offset, client in enumerate(clients)]
        await asyncio.sleep(0)
        started = time.perf_counter()
        gate.set()
        await asyncio.gather(*tasks)
        loaded.seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return single, loaded


async def _ask(client: httpx.AsyncClient, question: str, run: Run) -> None:
    run.requests += 1
    started = time.perf_counter()
    try:
        response = await client.post("/api/ask", json={"question": question})
    except httpx.HTTPError as exc:
        run.other_errors.append(f"{type(exc).__name__}: {exc}")
        return
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code >= 500:
        run.server_errors += 1
        run.other_errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
    elif response.status_code != 200:
        run.other_errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
    else:
        run.latencies_ms.append(elapsed)
