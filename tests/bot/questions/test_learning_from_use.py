"""Learning wordings from use, in the database: "helpful" under an FAQ answer, or a manager answering
an escalated question with an existing FAQ, teaches that FAQ the asker's words; the change team
retires what does not fit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.access.service import AccessDeniedError, Principal
from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Broadcast
from bot.errors import NotFoundError
from bot.people.models import Person, Role
from bot.people.service import add_unit, create_invite, redeem_invite
from bot.questions.asking import ask
from bot.questions.gaps import answer_gap, escalate, faq_candidates
from bot.questions.models import AskedQuestion, LearnedPhrasing
from bot.questions.phrasings import DatabasePhrasings, phrasings_for_review, set_phrasing_active
from bot.questions.service import pick_suggestion, record_feedback
from bot.storage.database import transaction
from tests.fakes.confidence import coverage_bands

SLANG = "上岗前那个学本事的课得耗掉俺几个钟头"
# Shares one word (培训) with "培训要多久？": offered as "did you mean", not answered.
HALF = "那个培训课得耗掉几个钟头"


@pytest.fixture
def core(ingested: KnowledgeCore, sessions: sessionmaker[Session]) -> KnowledgeCore:
    ingested.answerer.confidence_model = coverage_bands(answer_at=0.7, suggest_at=0.12, chit_chat_below=0.05)
    ingested.learn_from(DatabasePhrasings(sessions=sessions))
    return ingested


@pytest.fixture
def people(sessions: sessionmaker[Session]) -> dict[str, int]:
    with transaction(sessions) as session:
        add_unit(session=session, name="华东区")
        add_unit(session=session, name="华东区-12号店", parent="华东区")
        staff = create_invite(session=session, unit_name="华东区-12号店", role=Role.STAFF, uses=5).code
        east = create_invite(session=session, unit_name="华东区", role=Role.MANAGER).code
        return {
            "staff": redeem_invite(session=session, code=staff, telegram_id=1, name="小王", language="zh-Hans").person.id,
            "other": redeem_invite(session=session, code=staff, telegram_id=4, name="小李", language="zh-Hans").person.id,
            "east": redeem_invite(session=session, code=east, telegram_id=2, name="李经理", language="zh-Hans").person.id,
        }  # fmt: skip


def _ask(core: KnowledgeCore, sessions: sessionmaker[Session], text: str, person_id: int) -> tuple[int, str]:
    asked = ask(sessions=sessions, answerer=core.answerer, question=text, channel="web", person_id=person_id)
    return asked.question_id, asked.answer.band


def _learned(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with transaction(sessions) as session:
        return [
            (r.text, r.origin, r.faq_key)
            for r in session.scalars(select(LearnedPhrasing).order_by(LearnedPhrasing.id))
        ]


def test_a_pick_found_helpful_answers_the_next_person_straight_away(
    core: KnowledgeCore, sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    qid, band = _ask(core, sessions, HALF, people["staff"])
    assert band == "suggest"
    with transaction(sessions) as session:
        labels = [s["label"] for s in session.get(AskedQuestion, qid).suggestions]  # type: ignore[union-attr]
    pick_suggestion(sessions=sessions, answerer=core.answerer, question_id=qid, person_id=people["staff"],
                    index=labels.index("培训要多久？"))  # fmt: skip
    with transaction(sessions) as session:
        record_feedback(session=session, question_id=qid, person_id=people["staff"], verdict="helpful",
                        answerer=core.answerer)  # fmt: skip
        # Pressing twice learns it once.
        record_feedback(session=session, question_id=qid, person_id=people["staff"], verdict="helpful",
                        answerer=core.answerer)  # fmt: skip
    assert _learned(sessions) == [(HALF, "helpful", "faqs/basics.yaml#training-length")]
    _, band = _ask(core, sessions, "那个培训课得耗掉几个钟头？", people["other"])
    assert band == "answer"


def test_helpful_teaches_nothing_it_already_knows_or_cannot_use(
    core: KnowledgeCore, sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    faq_qid, band = _ask(core, sessions, "培训要多久", people["staff"])  # the FAQ's own words
    passage_qid, passage_band = _ask(core, sessions, "1-3-9-27 模型是什么", people["staff"])
    assert (band, passage_band) == ("answer", "answer")
    with transaction(sessions) as session:
        assert session.get(AskedQuestion, passage_qid).sources[0]["chunk_id"]  # type: ignore[union-attr]
        for qid in (faq_qid, passage_qid):
            record_feedback(session=session, question_id=qid, person_id=people["staff"], verdict="helpful",
                            answerer=core.answerer)  # fmt: skip
    assert _learned(sessions) == []


def test_not_helpful_teaches_nothing(
    core: KnowledgeCore, sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    qid, band = _ask(core, sessions, "培训到底要多久啊", people["staff"])
    assert band == "answer"
    with transaction(sessions) as session:
        record_feedback(session=session, question_id=qid, person_id=people["staff"], verdict="not_helpful",
                        answerer=core.answerer)  # fmt: skip
    assert _learned(sessions) == []


def test_a_manager_answering_with_an_faq_sends_its_answer_and_learns_the_wording(
    core: KnowledgeCore, sessions: sessionmaker[Session], people: dict[str, int], tmp_path: object
) -> None:
    qid, band = _ask(core, sessions, HALF, people["staff"])
    assert band == "suggest"
    with transaction(sessions) as session:
        escalate(session=session, question_id=qid, asker_id=people["staff"])
        question = session.get(AskedQuestion, qid)
        assert question is not None
        candidates = faq_candidates(answerer=core.answerer, question=question)
        assert "培训要多久？" in [c.label for c in candidates]
        training = next(c for c in candidates if c.label == "培训要多久？")
        east = session.get(Person, people["east"])
        assert east is not None
        before = session.scalar(select(func.count(Broadcast.id)))
        answered, saved = answer_gap(
            session=session, question_id=qid, responder=east, reply="", save_as_faq=True,
            answerer=core.answerer, faq_chunk_id=training.chunk_id,
        )  # fmt: skip
        assert saved is None  # the answer is in the library already: no team FAQ written
        assert answered.status == "closed" and answered.reply is not None and "90分钟" in answered.reply
        queued = session.scalars(select(Broadcast).order_by(Broadcast.id.desc())).first()
        assert session.scalar(select(func.count(Broadcast.id))) == before + 1
        assert (
            queued is not None
            and "90分钟" in queued.text
            and queued.audience == [f"person:{people['staff']}"]
        )
    assert [(t, o) for t, o, _ in _learned(sessions)] == [(HALF, "manager")]
    _, band = _ask(core, sessions, "那个培训课，得耗掉几个钟头", people["other"])
    assert band == "answer"


def test_answering_with_something_that_is_no_faq_changes_nothing(
    core: KnowledgeCore, sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    qid, _ = _ask(core, sessions, "1-3-9-27 模型是什么", people["staff"])
    with transaction(sessions) as session:
        passage = str(session.get(AskedQuestion, qid).sources[0]["chunk_id"])  # type: ignore[union-attr]
    for chunk_id in (passage, "0123456789abcdef0123"):
        with transaction(sessions) as session:
            east = session.get(Person, people["east"])
            assert east is not None
            with pytest.raises(NotFoundError, match="no longer in the library"):
                answer_gap(session=session, question_id=qid, responder=east, reply="", save_as_faq=False,
                           answerer=core.answerer, faq_chunk_id=chunk_id)  # fmt: skip
    with transaction(sessions) as session:
        question = session.get(AskedQuestion, qid)
        assert question is not None and question.reply is None
    assert _learned(sessions) == []


def test_the_change_team_retires_and_restores_a_wording(
    core: KnowledgeCore, sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        session.add(LearnedPhrasing(faq_key="faqs/basics.yaml#training-length", faq_question="培训要多久？",
                                    text=SLANG, language="zh-Hans", origin="helpful", status="active"))  # fmt: skip
    assert _ask(core, sessions, SLANG, people["staff"])[1] == "answer"
    manager = Principal(person_id=people["east"], name="李经理", is_admin=False)
    admin = Principal(person_id=None, name="admin", is_admin=True)
    with transaction(sessions) as session:
        (view,) = phrasings_for_review(session=session)
        assert (view.text, view.faq_question, view.active) == (SLANG, "培训要多久？", True)
        with pytest.raises(AccessDeniedError):
            set_phrasing_active(session=session, principal=manager, phrasing_id=view.id, active=False)
        set_phrasing_active(session=session, principal=admin, phrasing_id=view.id, active=False)
    assert _ask(core, sessions, SLANG, people["staff"])[1] != "answer"
    with transaction(sessions) as session:
        with pytest.raises(NotFoundError):
            set_phrasing_active(session=session, principal=admin, phrasing_id=9999, active=True)
        set_phrasing_active(session=session, principal=admin, phrasing_id=view.id, active=True)
    assert _ask(core, sessions, SLANG, people["staff"])[1] == "answer"


def test_answering_inside_a_writing_transaction_reads_the_wordings_without_waiting_for_it(
    core: KnowledgeCore, sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    # The API's "try a question" answers inside the request's transaction; on SQLite a second
    # write-locked transaction for the wordings would wait on it until the busy timeout.
    with transaction(sessions) as session:
        session.add(LearnedPhrasing(faq_key="faqs/basics.yaml#training-length", faq_question="培训要多久？",
                                    text=SLANG, language="zh-Hans", origin="helpful", status="active"))  # fmt: skip
        session.flush()  # this transaction now holds the write lock
        committed = core.answerer.answer(SLANG)
    assert committed.band != "answer"  # the uncommitted wording is not seen yet
    assert core.answerer.answer(SLANG).band == "answer"
