"""Several hosts on one PostgreSQL database and one Chroma server (issue 17): how long from an FAQ
saved on host A to its answer on host B, and how much memory a web process takes.

Both are compared with baselines measured in the same run: the time with what the work cannot
avoid (embedding the new passage, building the lexical index of the whole library once, and one
question on B), the memory with a bare process holding the same embedding model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.broadcast import postgres_admin
from bot.answering.factory import build_knowledge_core
from bot.config import Settings
from bot.library.store import write_file
from bot.storage.database import migrated_sessions, transaction
from ingest.index import IndexSnapshot

NEW_FAQ = (
    "faqs:\n  - question: 仓库的消防演练多久一次？\n"
    "    answer: 每季度第一个周一上午，由店长组织，记录交给区域安全员。\n    lang: zh-Hans\n"
)
QUESTION = "仓库消防演练多久搞一次"
# Time: the work cannot avoid embedding the new passage and building the lexical index once, and B
# must answer; everything else (the library copy, the generation row, B loading it) within this.
MAX_TIME_RATIO = 4.0
MAX_MEMORY_RATIO = 1.5

_MEMORY_SCRIPT = """
import json, os, resource, sys
from bot.config import Settings
from bot.storage.database import migrated_sessions
if sys.argv[1] == "web":
    from bot.answering.factory import build_knowledge_core
    core = build_knowledge_core(Settings(), sessions=migrated_sessions(Settings().database))
    core.warm_up()
    for _ in range(5):
        core.answerer.answer(sys.argv[2])
else:
    from bot.answering.factory import build_embedder
    build_embedder(Settings()).embed_query(sys.argv[2])
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_chroma(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    script = Path(sys.executable).parent / "chroma"
    process = subprocess.Popen(  # noqa: S603  (our own venv's executable, fixed arguments)
        [str(script), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # a hang bound, not a timing: the server answers when it is up
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("chroma run did not start")


def _rss(kind: str, env: dict[str, str]) -> float:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _MEMORY_SCRIPT, kind, QUESTION],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["rss_mb"])


def bench_hosts(lines: list[str], *, knowledge: Path, postgres: str) -> bool:
    """Two hosts (data folders of their own) on one PostgreSQL database and one `chroma run`."""
    lines += ["## Several hosts (PostgreSQL and a Chroma server, no shared disk)", ""]
    server = postgres.rstrip("/")
    admin = postgres_admin(server, lines)
    if admin is None:
        return True
    name = f"cbbench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="changebot-bench-hosts-"))
    chroma, chroma_url = _start_chroma(work / "chroma-server")
    try:
        url = f"{server}/{name}"

        def host(label: str, library: Path) -> Settings:
            return Settings(  # type: ignore[call-arg]
                _env_file=None,
                data_dir=work / label,
                knowledge_dir=library,
                database_url=url,
                chroma_url=chroma_url,
            )

        a, b = host("a", knowledge), host("b", work / "b-has-no-library")
        sessions = migrated_sessions(url)
        host_a = build_knowledge_core(a, sessions=sessions)
        host_a.ingest()
        host_b = build_knowledge_core(b, sessions=migrated_sessions(url))
        host_b.warm_up()
        host_b.answerer.answer(QUESTION)  # B has loaded the live generation

        started = time.perf_counter()
        with transaction(sessions) as session:  # what the console does when a manager saves an FAQ
            write_file(session, "faqs/bench-fire-drill.yaml", NEW_FAQ.encode("utf-8"), by="bench")
        host_a.reindex(["faqs/bench-fire-drill.yaml"])  # the job, run on A
        answer = host_b.answerer.answer(QUESTION)  # B's next question
        saved_to_answered = time.perf_counter() - started
        # B uses the new generation: the new FAQ is what it answers from (or offers first).
        found = bool(answer.sources) and answer.sources[0].source == "faqs/bench-fire-drill.yaml"

        snapshot = host_a.store.load()
        assert snapshot is not None
        new_text = next(c.search_text for c in snapshot.chunks if c.source == "faqs/bench-fire-drill.yaml")
        started = time.perf_counter()
        host_a.embedder.embed_documents([new_text])
        IndexSnapshot.build(manifest=snapshot.manifest, chunks=snapshot.chunks)
        host_b.answerer.answer(QUESTION)
        baseline = time.perf_counter() - started
        host_a.close()
        host_b.close()

        env = {k: v for k, v in os.environ.items() if not k.startswith("CHANGEBOT_")}
        env.update(
            CHANGEBOT_DATA_DIR=str(work / "c"), CHANGEBOT_DATABASE_URL=url, CHANGEBOT_CHROMA_URL=chroma_url,
            CHANGEBOT_KNOWLEDGE_DIR=str(work / "c-has-no-library"), HF_HUB_OFFLINE="1",
        )  # fmt: skip
        web_mb, bare_mb = _rss("web", env), _rss("bare", env)
    finally:
        chroma.kill()
        chroma.wait()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)

    time_ratio = saved_to_answered / baseline if baseline > 0 else float("inf")
    memory_ratio = web_mb / bare_mb if bare_mb > 0 else float("inf")
    ok_time = found and time_ratio <= MAX_TIME_RATIO
    ok_memory = memory_ratio <= MAX_MEMORY_RATIO
    check = {True: "PASS", False: "FAIL"}
    lines += [
        "| Figure | Value | Baseline (same run) | Ratio | Target | |",
        "|---|---|---|---|---|---|",
        f"| FAQ saved on A → answered on B (the re-index on A, B's next question) | {saved_to_answered:.2f} s "
        f"| {baseline:.2f} s (embed the passage, build the lexical index once, one question on B) "
        f"| {time_ratio:.2f}x | ≤ {MAX_TIME_RATIO:g}x, and B answers from it | {check[ok_time]} |",
        f"| Memory of a web process (core, index loaded, 5 questions) | {web_mb:.1f} MB "
        f"| {bare_mb:.1f} MB (a bare process with the embedding model) | {memory_ratio:.2f}x "
        f"| ≤ {MAX_MEMORY_RATIO:g}x | {check[ok_memory]} |",
        "",
        f"B's next question was answered from the new FAQ (its top source): {'yes' if found else 'no'}; "
        "B never saw the library's files.",
        "",
    ]
    return ok_time and ok_memory
