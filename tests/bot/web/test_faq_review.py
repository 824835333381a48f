"""The change team's review queue: a manager's FAQ answers their own region only, until an admin
promotes it to everyone; admins can also edit or retire it; nobody else can."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.answering.factory import KnowledgeCore
from bot.library.models import IngestJobRow
from bot.library.store import read_file
from bot.people.models import Person
from bot.questions.asking import ask
from bot.questions.gaps import TEAM_FAQ_FILE, reply_to_question, save_reply_as_faq
from bot.questions.models import AskedQuestion
from bot.storage.database import transaction
from ingest.documents import FaqEntry
from ingest.faq_file import read_faqs
from tests.bot.web.conftest import World
from tests.bot.web.test_console_pages import _browser_cookie
from tests.utils.patience import EVENTUALLY

QUESTION = "仓库钥匙丢了找谁？"
REPLY = "先找值班店长拿备用钥匙，再在群里报备。"


def _wait_for_jobs(world: World, ingested: KnowledgeCore) -> None:
    """Wait until every queued re-index has ended, and check each ended well (the deadline only
    catches a hang: it is generous for a loaded machine)."""
    jobs = world.client.app.state.ingest_jobs  # type: ignore[attr-defined]
    with world.sessions() as session:
        ids = [row.id for row in session.scalars(select(IngestJobRow)).all()]
    deadline = time.monotonic() + EVENTUALLY
    for job_id in ids:
        while (job := jobs.get(job_id)) is not None and job.state in ("queued", "running"):
            assert time.monotonic() < deadline, f"re-index {job_id} still {job.state}"
            time.sleep(0.05)
        assert job is not None and job.state == "done", job


def _team_entries(world: World) -> list[FaqEntry]:
    with world.sessions() as session:
        return read_faqs(read_file(session, TEAM_FAQ_FILE))


def _store_manager_saves_an_answer(world: World, ingested: KnowledgeCore) -> int:
    with transaction(world.sessions) as session:
        row = ask(sessions=world.sessions, answerer=ingested.answerer, question=QUESTION, channel="web",
                  person_id=world.ids["staff"]).question_id  # fmt: skip
        assert row is not None
        manager = session.get(Person, world.ids["store"])
        assert manager is not None
        reply_to_question(session=session, question_id=row, responder=manager, reply=REPLY)
        save_reply_as_faq(session=session, question_id=row, responder=manager)
    ingested.ingest()
    return row


def test_a_manager_answer_stays_in_their_unit_until_promoted(world: World, ingested: KnowledgeCore) -> None:
    _store_manager_saves_an_answer(world, ingested)
    entry = _team_entries(world)[0]
    assert (entry.scope, entry.status) == ("A店", "review")

    def answered_for(who: str | None) -> bool:
        asked = ask(sessions=world.sessions, answerer=ingested.answerer, question="仓库钥匙丢了该找谁",
                    channel="web", person_id=world.ids[who] if who else None)  # fmt: skip
        return "备用钥匙" in asked.answer.answer or any("备用钥匙" in s.text for s in asked.answer.sources)

    assert answered_for("staff")  # A店
    assert not answered_for("south")  # 华南区: another region
    assert not answered_for(None)  # nobody known (an open kiosk, the CLI)

    # A store manager cannot review; the admin sees the queue and promotes it.
    csrf = _browser_cookie(world, "store")
    page = world.client.get("/console/knowledge")
    assert page.status_code == 200 and 'id="reviews"' not in page.text
    refused = world.client.post(
        "/console/knowledge/team-faqs/team-1",
        data={"csrf_token": csrf, "action": "promote"},
        follow_redirects=False,
    )
    assert refused.status_code == 303 and "job=" not in refused.headers["location"]
    assert _team_entries(world)[0].scope == "A店"

    csrf = _browser_cookie(world, "admin")
    page = world.client.get("/console/knowledge")
    assert 'id="reviews"' in page.text and "仓库钥匙丢了找谁" in page.text and "待审核" in page.text
    entry_id = _team_entries(world)[0].entry_id
    promoted = world.client.post(
        f"/console/knowledge/team-faqs/{entry_id}", data={"csrf_token": csrf, "action": "promote"},
        follow_redirects=False,
    )  # fmt: skip
    assert promoted.status_code == 303 and "job=" in promoted.headers["location"]
    _wait_for_jobs(world, ingested)
    assert (
        _team_entries(world)[0].scope,
        _team_entries(world)[0].status,
    ) == ("", "")
    assert answered_for("south") and answered_for(None)


def test_admins_edit_and_retire_team_faqs(world: World, ingested: KnowledgeCore) -> None:
    _store_manager_saves_an_answer(world, ingested)
    entry_id = _team_entries(world)[0].entry_id
    csrf = _browser_cookie(world, "admin")
    path = f"/console/knowledge/team-faqs/{entry_id}"
    empty = world.client.post(path, data={"csrf_token": csrf, "action": "edit", "question": " ", "answer": "x"},
                              follow_redirects=False)  # fmt: skip
    assert "job=" not in empty.headers["location"] and "msg=" in empty.headers["location"]
    edited = world.client.post(
        path, data={"csrf_token": csrf, "action": "edit", "question": QUESTION, "answer": "找值班店长。"},
        follow_redirects=False,
    )  # fmt: skip
    assert "job=" in edited.headers["location"]
    entry = _team_entries(world)[0]
    assert (entry.answer, entry.status, entry.scope) == ("找值班店长。", "", "A店")  # reviewed, still A店's
    unknown = world.client.post("/console/knowledge/team-faqs/team-999", data={"csrf_token": csrf, "action": "retire"},
                                follow_redirects=False)  # fmt: skip
    assert "job=" not in unknown.headers["location"] and "msg=" in unknown.headers["location"]
    retired = world.client.post(path, data={"csrf_token": csrf, "action": "retire"}, follow_redirects=False)
    assert "job=" in retired.headers["location"]
    _wait_for_jobs(world, ingested)
    assert _team_entries(world) == []  # the file left the library with its last entry
    asked = ask(sessions=world.sessions, answerer=ingested.answerer, question=QUESTION, channel="web",
                person_id=world.ids["staff"])  # fmt: skip
    assert not any("值班店长" in s.text for s in asked.answer.sources)
    with world.sessions() as session:
        assert session.scalars(select(AskedQuestion)).first() is not None
