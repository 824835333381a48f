"""Learning staff wordings through the web: the web chat's "helpful" under a picked FAQ, a manager
answering a gap with an existing FAQ in the console and the API, and the admins' review queue."""

from __future__ import annotations

from sqlalchemy import select

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Broadcast
from bot.questions.asking import ask
from bot.questions.models import AskedQuestion, LearnedPhrasing
from bot.storage.database import transaction
from tests.bot.web.conftest import World, sign_in
from tests.bot.web.test_console_pages import _browser_cookie
from tests.bot.web.test_web_chat import _join_chat
from tests.fakes.confidence import coverage_bands

# Shares one word (培训) with the FAQ "培训要多久？": "did you mean" until somebody confirms it.
HALF = "那个培训课得耗掉几个钟头"


def _banded(ingested: KnowledgeCore) -> None:
    ingested.answerer.confidence_model = coverage_bands(answer_at=0.7, suggest_at=0.12, chit_chat_below=0.05)


def _open_gap(world: World, ingested: KnowledgeCore) -> int:
    asked = ask(sessions=world.sessions, answerer=ingested.answerer, question=HALF, channel="web",
                person_id=world.ids["staff"])  # fmt: skip
    assert asked.answer.band == "suggest" and asked.question_id is not None
    with transaction(world.sessions) as session:
        row = session.get(AskedQuestion, asked.question_id)
        assert row is not None
        row.status = "open"  # the asker pressed "ask a person"
    return asked.question_id


def test_a_web_chat_pick_found_helpful_answers_the_next_colleague(
    world: World, ingested: KnowledgeCore
) -> None:
    _banded(ingested)
    first, second = _join_chat(world, "小王"), _join_chat(world, "小李")
    client = world.client
    offer = client.post("/api/ask", json={"question": HALF}, headers=first).json()
    assert offer["band"] == "suggest"
    labels = [s["label"] for s in offer["suggestions"]]
    picked = client.post(f"/api/questions/{offer['question_id']}/choose",
                         json={"index": labels.index("培训要多久？")}, headers=first).json()  # fmt: skip
    assert picked["band"] == "answer"
    rated = client.post(
        f"/api/questions/{offer['question_id']}/feedback", json={"verdict": "helpful"}, headers=first
    )
    assert rated.status_code == 200
    answer = client.post("/api/ask", json={"question": "那个培训课，得耗掉几个钟头？"}, headers=second).json()
    assert answer["band"] == "answer" and "90分钟" in answer["answer"] and answer["confidence"] == 1.0


def test_a_manager_answers_a_gap_with_an_faq_in_the_console(world: World, ingested: KnowledgeCore) -> None:
    _banded(ingested)
    question_id = _open_gap(world, ingested)
    csrf = _browser_cookie(world, "store")
    page = world.client.get("/console/knowledge")
    assert page.status_code == 200 and 'name="faq_chunk_id"' in page.text and "培训要多久？" in page.text
    chunk_id = page.text.split('name="faq_chunk_id" value="', 1)[1].split('"', 1)[0]
    assert 'id="phrasings"' not in page.text  # the review queue is the admins'
    sent = world.client.post(f"/console/gaps/{question_id}", data={"csrf_token": csrf, "faq_chunk_id": chunk_id},
                             follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303 and "job=" not in sent.headers["location"]
    with world.sessions() as session:
        question = session.get(AskedQuestion, question_id)
        assert question is not None and question.status == "closed" and "90分钟" in (question.reply or "")
        assert "90分钟" in session.scalars(select(Broadcast)).one().text
        (learned,) = session.scalars(select(LearnedPhrasing)).all()
        assert (learned.text, learned.origin) == (HALF, "manager")

    # The admin sees it in the review queue and retires it: the wording stops answering at once.
    csrf = _browser_cookie(world, "admin")
    page = world.client.get("/console/knowledge")
    assert 'id="phrasings"' in page.text and HALF in page.text and "管理者用它回答" in page.text
    assert ask(sessions=world.sessions, answerer=ingested.answerer, question=HALF, channel="web",
               person_id=world.ids["staff"]).answer.band == "answer"  # fmt: skip
    retired = world.client.post(f"/console/knowledge/phrasings/{learned.id}",
                                data={"csrf_token": csrf, "action": "retire"}, follow_redirects=False)  # fmt: skip
    assert retired.status_code == 303 and "msg=" not in retired.headers["location"]
    assert ask(sessions=world.sessions, answerer=ingested.answerer, question=HALF, channel="web",
               person_id=world.ids["staff"]).answer.band == "suggest"  # fmt: skip
    english = world.client.get("/console/knowledge?lang=en")
    assert "Wordings the bot learned" in english.text and "retired" in english.text


def test_a_store_manager_cannot_retire_what_the_bot_learned(world: World, ingested: KnowledgeCore) -> None:
    with transaction(world.sessions) as session:
        row = LearnedPhrasing(faq_key="faqs/basics.yaml#training-length", faq_question="培训要多久？",
                              text=HALF, language="zh-Hans", origin="helpful", status="active")  # fmt: skip
        session.add(row)
        session.flush()
        phrasing_id = row.id
    csrf = _browser_cookie(world, "store")
    refused = world.client.post(f"/console/knowledge/phrasings/{phrasing_id}",
                                data={"csrf_token": csrf, "action": "retire"}, follow_redirects=False)  # fmt: skip
    assert "msg=" in refused.headers["location"]
    forged = world.client.post(f"/console/knowledge/phrasings/{phrasing_id}",
                               data={"csrf_token": "guess", "action": "retire"}, follow_redirects=False)  # fmt: skip
    assert forged.status_code in (303, 403)
    with world.sessions() as session:
        assert session.get(LearnedPhrasing, phrasing_id).status == "active"  # type: ignore[union-attr]


def test_the_api_offers_and_takes_faq_answers_for_gaps(world: World, ingested: KnowledgeCore) -> None:
    _banded(ingested)
    question_id = _open_gap(world, ingested)
    store = sign_in(world, "store")
    client = world.client
    (group,) = client.get("/api/gaps", headers=store).json()["items"]
    (training,) = [c for c in group["faq_candidates"] if c["label"] == "培训要多久？"]
    path = f"/api/gaps/{question_id}/answer"
    both = client.post(path, json={"answer": "x", "faq_chunk_id": training["chunk_id"]}, headers=store)
    neither = client.post(path, json={}, headers=store)
    forged = client.post(path, json={"faq_chunk_id": "<script>"}, headers=store)
    assert (both.status_code, neither.status_code, forged.status_code) == (422, 422, 422)
    south = sign_in(world, "south")
    assert client.post(path, json={"faq_chunk_id": training["chunk_id"]}, headers=south).status_code == 422
    done = client.post(path, json={"faq_chunk_id": training["chunk_id"]}, headers=store)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "closed" and "job" not in done.json()
