"""The library from the console API: upload a FAQ sheet and find its answer, refuse corrupt and
oversized files, watch a re-index, list documents and chunks, answer a gap into a FAQ."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.broadcasts.models import Broadcast
from bot.library.store import read_file
from bot.people.models import Person
from bot.questions.models import AskedQuestion
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.bot.web.conftest import World, sign_in
from tests.utils.patience import EVENTUALLY

FAQ_CSV = "question,answer,lang\n仓库消防演练多久一次？,每季度一次，由店长组织，记录交区域安全员。,zh-Hans\n"


def _wait(world: World, headers: dict[str, str], job: dict[str, object]) -> dict[str, object]:
    deadline = time.monotonic() + EVENTUALLY
    while job["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = world.client.get(f"/api/knowledge/jobs/{job['id']}", headers=headers).json()
    return job


def test_upload_a_faq_sheet_and_find_its_answer(world: World) -> None:
    client = world.client
    admin = sign_in(world, "admin")
    before = client.post(
        "/api/knowledge/try", json={"question": "仓库消防演练多久一次？"}, headers=admin
    ).json()
    assert before["answered"] is False
    response = client.post(
        "/api/knowledge/files", data={"folder": "faqs"}, files={"file": ("仓库 安全.csv", FAQ_CSV.encode(), "text/csv")},
        headers=admin,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["source"] == "faqs/仓库-安全.csv" and body["doc_type"] == "faq" and body["entries"] == 1
    job = _wait(world, admin, body["job"])
    assert job["state"] == "done" and job["added"] == ["faqs/仓库-安全.csv"] and job["percent"] == 100
    after = client.post(
        "/api/knowledge/try", json={"question": "仓库消防演练多久一次？"}, headers=admin
    ).json()
    assert after["answered"] is True and after["sources"][0]["source"] == "faqs/仓库-安全.csv"
    assert after["sources"][0]["score"] > 0
    documents = client.get("/api/knowledge/documents", headers=admin).json()
    assert any(d["source"] == "faqs/仓库-安全.csv" and d["chunks"] == 1 for d in documents["items"])
    chunks = client.get(
        "/api/knowledge/chunks", params={"source": "faqs/仓库-安全.csv"}, headers=admin
    ).json()
    assert "每季度一次" in chunks["items"][0]["text"]
    assert client.get("/api/knowledge/chunks", params={"source": "nope.md"}, headers=admin).status_code == 404


def test_bad_files_are_refused_and_leave_the_library_alone(world: World) -> None:
    client = world.client
    admin = sign_in(world, "admin")
    store = sign_in(world, "store")
    cases = [
        ({"folder": "faqs"}, ("bad.yaml", b"faqs: [unclosed", "application/yaml"), "cannot be read"),
        ({"folder": "playbooks"}, ("broken.pdf", b"%PDF-1.4 garbage", "application/pdf"), "cannot be read"),
        ({"folder": "playbooks"}, ("empty.md", b"", "text/markdown"), "empty"),
        ({"folder": "secrets"}, ("x.md", b"# x\n\ntext", "text/markdown"), "choose a folder"),
        ({"folder": "playbooks"}, ("x.exe", b"MZ", "application/octet-stream"), "use one of"),
        ({"folder": "playbooks"}, ("big.md", b"a" * (21 * 1024 * 1024), "text/markdown"), "limit"),
    ]
    for data, upload, message in cases:
        response = client.post("/api/knowledge/files", data=data, files={"file": upload}, headers=admin)
        assert response.status_code == 422, (upload[0], response.text)
        assert message in response.json()["detail"]
    response = client.post(
        "/api/knowledge/files", data={"folder": "faqs"}, files={"file": ("a.csv", FAQ_CSV.encode(), "text/csv")},
        headers=store,
    )  # fmt: skip
    assert response.status_code == 403  # the library is the change team's (admins)
    knowledge = client.app.state.settings.knowledge_dir  # type: ignore[attr-defined]
    leftovers = [
        p.name for p in knowledge.rglob("*") if p.name.startswith((".upload", "bad", "broken", "big"))
    ]
    assert leftovers == []  # no file, and no hidden staging folder either


def test_an_upload_is_titled_from_its_text_readable_and_measured_in_one_unit(world: World) -> None:
    client = world.client
    admin = sign_in(world, "admin")
    response = client.post(
        "/api/knowledge/files", data={"folder": "playbooks"},
        files={"file": ("早会话术.md", "没有标题的一段话：早会上先讲一个本店的例子。".encode(), "text/markdown")},
        headers=admin,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    title = response.json()["title"]
    assert title == "没有标题的一段话" and ".upload" not in title  # from the text, never a temporary name
    with world.sessions() as session:  # in the library, as uploaded
        assert (
            read_file(session, "playbooks/早会话术.md")
            == "没有标题的一段话：早会上先讲一个本店的例子。".encode()
        )
    too_big = client.post(
        "/api/knowledge/files", data={"folder": "playbooks"},
        files={"file": ("big.md", b"a" * (21 * 1024 * 1024), "text/markdown")}, headers=admin,
    )  # fmt: skip
    assert "'big.md' is larger than the 20 MB limit" in too_big.json()["detail"]


def test_answering_a_gap_reaches_the_asker_and_becomes_a_faq(world: World) -> None:
    client = world.client
    with transaction(world.sessions) as session:
        question = AskedQuestion(
            asked_at=utc_now(), channel="telegram", person_id=world.ids["staff"], language="zh-Hans",
            text="仓库钥匙丢了找谁？", answer="", answered=False, confidence=0.0, status="open",
        )  # fmt: skip
        session.add(question)
        session.flush()
        question_id = question.id
    south = sign_in(world, "south")
    response = client.post(f"/api/gaps/{question_id}/answer", json={"answer": "找店长登记。"}, headers=south)
    assert response.status_code == 422  # not the asker's manager
    store = sign_in(world, "store")
    gaps = client.get("/api/gaps", headers=store).json()
    assert gaps["items"][0]["question_ids"] == [question_id]
    response = client.post(
        f"/api/gaps/{question_id}/answer", json={"answer": "先找店长登记，再联系区域行政补钥匙。", "save_as_faq": True},
        headers=store,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed" and response.json()["faq"] == f"team-{question_id}"
    _wait(world, store, response.json()["job"])
    with world.sessions() as session:
        asker = session.get(Person, world.ids["staff"])
        assert asker is not None
        sent = session.scalars(select(Broadcast)).one()
        assert sent.audience == [f"person:{asker.id}"] and "先找店长登记" in sent.text
    found = client.post("/api/knowledge/try", json={"question": "仓库钥匙丢了找谁？"}, headers=store).json()
    assert found["answered"] is True and "区域行政" in found["answer"]
