"""Re-index jobs run in a worker, not on a web process's threads: a web process set up not to run
them (`serve --no-jobs`) leaves an upload's job queued and says, in the upload's answer and in the
console, that no worker is running re-index jobs, and about how long the job will take once one
does; a real `changebot worker` process then runs it to done."""

from __future__ import annotations

import math
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.library.models import IngestJobRow, IngestRunnerRow
from bot.people.models import Person
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.web.app import create_app
from tests.bot.web.conftest import World, sign_in
from tests.fakes.telegram_api import FakeTelegramServer
from tests.utils.patience import EVENTUALLY
from tests.utils.processes import changebot_env, running_changebot

NO_WORKER = "queued; no worker is running re-index jobs: start `changebot worker`"
FAQ_CSV = "question,answer,lang\n冷库温度多少度？,零下十八度，每班记录两次。,zh-Hans\n"
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def web_only(settings: Settings, ingested: KnowledgeCore) -> Iterator[World]:
    """A web process of a deployment on several processes: it queues re-index jobs, never runs them."""
    app = create_app(settings, core=ingested, run_scheduler=False, run_jobs=False)
    with TestClient(app) as client:
        with transaction(app.state.sessions) as session:
            admin = Person(telegram_id=1, name="admin", is_admin=True)
            session.add(admin)
            session.flush()
            ids = {"admin": admin.id}
        yield World(client=client, sessions=app.state.sessions, ids=ids)


def _upload(world: World, headers: dict[str, str], name: str, content: bytes) -> dict[str, object]:
    response = world.client.post(
        "/api/knowledge/files", data={"folder": "faqs"}, files={"file": (name, content, "text/csv")},
        headers={**headers, **ENGLISH},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    job: dict[str, object] = response.json()["job"]
    return job


def _console_line(world: World, headers: dict[str, str], job_id: object) -> str:
    page = world.client.get(f"/console/knowledge?job={job_id}&lang=en", headers=headers)
    assert page.status_code == 200, page.text
    return page.text.split('id="progress"', 1)[1].split("<output>", 1)[1].split("</output>", 1)[0]


def test_a_web_process_that_does_not_run_jobs_says_so_and_how_long_the_upload_will_take(
    web_only: World, ingested: KnowledgeCore
) -> None:
    admin = sign_in(web_only, "admin")
    job = _upload(web_only, admin, "cold.csv", FAQ_CSV.encode())
    assert (job["state"], job["no_runner"], job["summary"]) == ("queued", True, NO_WORKER)
    assert job["minutes_left"] is None  # no job has embedded anything yet: no rate to go by
    assert _console_line(web_only, admin, job["id"]) == NO_WORKER
    time.sleep(0.3)  # whatever the web process does meanwhile, it does not run the job
    assert web_only.client.get(f"/api/knowledge/jobs/{job['id']}", headers=admin).json()["state"] == "queued"

    # A job done earlier embedded 60 chunks in ten minutes: 0.1 a second.
    finished = utc_now() - timedelta(hours=1)
    with transaction(web_only.sessions) as session:
        session.add(
            IngestJobRow(
                id="earlier", state="done", paths=[], owner="worker:1", stage="embed", done=60, total=60,
                added=[], changed=[], removed=[], failed=[], created_at=finished - timedelta(minutes=10),
                started_at=finished - timedelta(minutes=10), finished_at=finished, heartbeat_at=finished,
            )
        )  # fmt: skip
    bigger = FAQ_CSV + "".join(
        f"第{n}个问题？,第{n}个回答，说得长一点好让它占一个片段。,zh-Hans\n" for n in range(40)
    )
    second = _upload(web_only, admin, "many.csv", bigger.encode())
    chunks = ingested.chunks_to_embed(["faqs/many.csv"])
    # The first upload is still queued ahead of it: both at 0.1 chunks a second.
    first_chunks = ingested.chunks_to_embed(["faqs/cold.csv"])
    minutes = math.ceil((chunks + first_chunks) / 0.1 / 60)
    assert minutes > 1 and second["minutes_left"] == minutes and second["ahead"] == 1
    about = f"about {minutes} minutes"
    assert second["summary"] == f"{NO_WORKER} · 1 ahead · {about}"
    assert _console_line(web_only, admin, second["id"]) == f"{NO_WORKER} · 1 ahead · {about}"


@pytest.mark.slow  # a real `changebot worker` process, which loads the embedding model for the job
def test_a_worker_process_runs_the_job_a_web_process_queued(
    web_only: World, settings: Settings, tmp_path: Path
) -> None:
    admin = sign_in(web_only, "admin")
    job = _upload(web_only, admin, "cold.csv", FAQ_CSV.encode())
    assert job["no_runner"] is True

    def read() -> dict[str, object]:
        status: dict[str, object] = web_only.client.get(
            f"/api/knowledge/jobs/{job['id']}", headers={**admin, **ENGLISH}
        ).json()
        return status

    with FakeTelegramServer() as fake:
        env = changebot_env(
            tmp_path / "worker",
            database_url=settings.database,
            # The same library and database (so the same live index generation), a local vector store
            # of its own: it embeds the whole generation there, the 6 passages it had and the new one.
            CHANGEBOT_KNOWLEDGE_DIR=str(settings.knowledge_dir),
            CHANGEBOT_TELEGRAM_TOKEN=fake.token,
            CHANGEBOT_TELEGRAM_BASE_URL=fake.url,
        )
        with running_changebot(tmp_path, "worker", ["worker", "--no-scheduler"], env=env) as worker:
            worker.wait_for_log("re-index jobs", timeout=EVENTUALLY)
            deadline = time.monotonic() + EVENTUALLY
            while (status := read())["state"] in ("queued", "running"):
                worker.check_alive()
                assert time.monotonic() < deadline, f"{status}\n{worker.log_text()}"
                assert status["no_runner"] is False or status["state"] == "queued", status
                time.sleep(0.1)
            assert status["state"] == "done" and status["added"] == ["faqs/cold.csv"], status
            assert _console_line(web_only, admin, job["id"]) == "done · embedding 7/7"
            with web_only.sessions() as session:
                row = session.get(IngestJobRow, str(job["id"]))
                assert row is not None and row.owner.endswith(f":{worker.pid}")
                assert len(session.scalars(select(IngestRunnerRow)).all()) == 1
            worker.process.send_signal(signal.SIGTERM)
            assert worker.process.wait(timeout=30) == 0, worker.log_text()
    assert "Traceback" not in worker.log_text()
    with web_only.sessions() as session:  # a worker that stops says so at once
        assert session.scalars(select(IngestRunnerRow)).all() == []
    later = _upload(web_only, admin, "later.csv", FAQ_CSV.replace("冷库", "冰柜").encode())
    # And the job the worker ran is the rate the next one is measured by.
    minutes = later["minutes_left"]
    assert isinstance(minutes, int) and minutes >= 1
    assert later["summary"] == f"{NO_WORKER} · about {minutes} minute{'s' if minutes > 1 else ''}"
