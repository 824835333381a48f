"""Two web processes behind one load balancer: a re-index started through one is watched, to its
final report, through the other (its own app, engine and job runner on the same database)."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.web.app import create_app
from tests.bot.web.conftest import World, sign_in
from tests.utils.patience import EVENTUALLY

FAQ_CSV = "question,answer,lang\n冷库温度多少度？,零下十八度，每两小时记录一次。,zh-Hans\n"


def test_a_reindex_started_on_one_process_is_followed_on_the_other(
    world: World, settings: Settings, ingested: KnowledgeCore
) -> None:
    admin = sign_in(world, "admin")  # web sessions live in the database: valid on either process
    with TestClient(create_app(settings, core=ingested, run_scheduler=False)) as other:
        response = world.client.post(
            "/api/knowledge/files", data={"folder": "faqs"},
            files={"file": ("冷库.csv", FAQ_CSV.encode(), "text/csv")}, headers=admin,
        )  # fmt: skip
        assert response.status_code == 201, response.text
        job: dict[str, Any] = response.json()["job"]
        seen = set()
        deadline = time.monotonic() + EVENTUALLY
        while job["state"] not in ("done", "failed") and time.monotonic() < deadline:
            polled = other.get(f"/api/knowledge/jobs/{job['id']}", headers=admin)
            assert polled.status_code == 200, polled.text
            job = polled.json()
            seen.add(job["state"])
            time.sleep(0.02)
        assert job["state"] == "done" and job["added"] == ["faqs/冷库.csv"] and job["percent"] == 100
        assert seen <= {"queued", "running", "done"}
        missing = other.get("/api/knowledge/jobs/0123456789ab", headers=admin)
        assert missing.status_code == 404 and "in this process" not in missing.text
