from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore
from bot.errors import InvalidInputError
from bot.library.store import read_file
from bot.people.models import Role
from bot.people.service import add_unit, create_invite, redeem_invite
from bot.questions.gaps import (
    TEAM_FAQ_FILE,
    escalate,
    group_gaps,
    pass_to_managers,
    reply_to_question,
    save_reply_as_faq,
)
from bot.questions.models import AskedQuestion
from bot.questions.service import record_question
from bot.storage.database import transaction
from ingest.faq_file import append_faq


@pytest.fixture
def people(sessions: sessionmaker[Session]) -> dict[str, int]:
    with transaction(sessions) as session:
        add_unit(session=session, name="华东区")
        add_unit(session=session, name="华东区-12号店", parent="华东区")
        add_unit(session=session, name="华南区")
        staff = create_invite(session=session, unit_name="华东区-12号店", role=Role.STAFF, uses=5).code
        east = create_invite(session=session, unit_name="华东区", role=Role.MANAGER).code
        south = create_invite(session=session, unit_name="华南区", role=Role.MANAGER).code
        ids = {
            "staff": redeem_invite(
                session=session, code=staff, telegram_id=1, name="小王", language="zh-Hans"
            ).person.id,
            "east": redeem_invite(
                session=session, code=east, telegram_id=2, name="李经理", language="zh-Hans"
            ).person.id,
            "south": redeem_invite(
                session=session, code=south, telegram_id=3, name="陈经理", language="zh-Hans"
            ).person.id,
        }
    return ids


def test_escalation_reply_and_faq(
    ingested: KnowledgeCore, sessions: sessionmaker[Session], people: dict[str, int], tmp_path: Path
) -> None:
    from bot.people.models import Person

    with transaction(sessions) as session:
        answer = ingested.answerer.answer("仓库的消防演练多久一次？")
        qid = record_question(
            session=session, answer=answer, channel="telegram", person_id=people["staff"]
        ).id
        with pytest.raises(InvalidInputError):
            escalate(session=session, question_id=qid, asker_id=people["east"])  # not the asker
        managers = escalate(session=session, question_id=qid, asker_id=people["staff"])
        assert [m.id for m in managers] == [people["east"]]  # walked up from the store to the region
        south = session.get(Person, people["south"])
        east = session.get(Person, people["east"])
        assert south is not None and east is not None
        with pytest.raises(InvalidInputError, match="do not manage"):
            reply_to_question(session=session, question_id=qid, responder=south, reply="不知道")
        with pytest.raises(InvalidInputError, match="empty"):
            reply_to_question(session=session, question_id=qid, responder=east, reply="  ")
        reply_to_question(session=session, question_id=qid, responder=east, reply="每季度一次。")
        with pytest.raises(InvalidInputError, match="only the person who replied"):
            save_reply_as_faq(session=session, question_id=qid, responder=south)
        source = save_reply_as_faq(session=session, question_id=qid, responder=east)
        question = session.get(AskedQuestion, qid)
        assert question is not None and question.status == "closed" and question.faq_id == f"team-{qid}"
    with sessions() as session:
        content = read_file(session, source)  # in the library once the transaction committed
    assert source == TEAM_FAQ_FILE and content is not None
    entry = yaml.safe_load(content.decode("utf-8"))["faqs"][0]
    assert entry["id"] == f"team-{qid}" and entry["answer"] == "每季度一次。"


def test_append_faq_replaces_same_id_and_keeps_others() -> None:
    text = append_faq(None, entry_id="a", question="问题一", answer="答案一", lang="zh-Hans")
    text = append_faq(text, entry_id="b", question="问题二", answer="答案二", lang="zh-Hans")
    text = append_faq(text, entry_id="a", question="问题一", answer="新答案", lang="zh-Hans")
    entries = yaml.safe_load(text)["faqs"]
    assert [(e["id"], e["answer"]) for e in entries] == [("b", "答案二"), ("a", "新答案")]


def test_gaps_are_grouped_by_topic(ingested: KnowledgeCore, sessions: sessionmaker[Session]) -> None:
    questions = ["仓库的消防演练多久一次？", "仓库消防演练怎么安排", "停车位怎么申请", "仓库的消防演练谁负责"]
    with transaction(sessions) as session:
        rows = [
            record_question(session=session, answer=ingested.answerer.answer(q), channel="cli")
            for q in questions
        ]
        groups = group_gaps(rows)
    assert [len(g.questions) for g in groups] == [3, 1]
    assert "消防演练" in groups[0].example


def test_questions_sharing_only_an_intent_word_are_not_one_topic(
    ingested: KnowledgeCore, sessions: sessionmaker[Session]
) -> None:
    questions = ["培训要多久", "上线要多久"]
    with transaction(sessions) as session:
        rows = [
            record_question(session=session, answer=ingested.answerer.answer(q), channel="cli")
            for q in questions
        ]
        groups = group_gaps(rows)
    assert [len(g.questions) for g in groups] == [1, 1]


def test_an_escalation_goes_to_each_manager_through_the_outbox_in_their_language(
    ingested: KnowledgeCore, sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    from bot.broadcasts.models import Broadcast, Delivery
    from bot.broadcasts.service import DeliveryTiming, enqueue_due
    from bot.scheduling.clock import QuietHours

    with transaction(sessions) as session:
        add_unit(session=session, name="华东区-15号店", parent="华东区")
        english = create_invite(session=session, unit_name="华东区", role=Role.MANAGER).code
        stopped = create_invite(session=session, unit_name="华东区", role=Role.MANAGER).code
        amy = redeem_invite(session=session, code=english, telegram_id=4, name="Amy", language="en").person.id
        paused = redeem_invite(
            session=session, code=stopped, telegram_id=5, name="老赵", language="zh-Hans"
        ).person
        paused.pushes_enabled = False  # /stop
        answer = ingested.answerer.answer("培训要多久？")
        qid = record_question(
            session=session, answer=answer, channel="telegram", person_id=people["staff"]
        ).id
        with pytest.raises(InvalidInputError):
            pass_to_managers(
                session=session, question_id=qid, asker_id=people["east"], answerer=ingested.answerer
            )
        told = pass_to_managers(
            session=session, question_id=qid, asker_id=people["staff"], answerer=ingested.answerer
        )
        assert told == 2  # 李经理 and Amy; 老赵 paused pushes
        broadcasts = {b.audience[0]: b for b in session.scalars(select(Broadcast))}
        chinese, in_english = broadcasts[f"person:{people['east']}"], broadcasts[f"person:{amy}"]
        assert (
            len(broadcasts) == 2 and "小王" in chinese.text
        )  # 陈经理 of 华南区 is not told and "华东区-12号店" in chinese.text
        # Answered from the FAQ, then passed on by its asker: why, what the bot said and from where.
        assert "培训要多久" in chinese.text and "asked for a person to answer this" in in_english.text
        assert "🤖 My answer: 每位员工参加两次各90分钟的实操培训" in in_english.text
        assert "📄 来源：常见问题 › 培训要多久？" in chinese.text and "faqs/basics.yaml" not in chinese.text
        assert chinese.actions is not None and in_english.actions is not None
        assert chinese.actions[0] == ["✍️ 回复", f"gap:{qid}:r"] and in_english.actions[0] == [
            "✍️ Reply",
            f"gap:{qid}:r",
        ]
        faq = chinese.actions[1]  # the FAQ it was answered from: one tap answers with it
        assert faq[0] == "📖 用这条回答：培训要多久？" and faq[1].startswith(f"gap:{qid}:q")
        assert all(len(data.encode()) <= 64 for _, data in chinese.actions + in_english.actions)
        # Quiet hours hold for escalations as for every message: queued for the morning, not sent at night.
        # 23:00 in Shanghai on the day after the escalation was queued (which used the real clock).
        night = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(15, 0), tzinfo=UTC)
        morning = datetime.combine(night.date() + timedelta(days=1), time(0, 0), tzinfo=UTC)  # 08:00 there
        timing = DeliveryTiming(quiet_hours=QuietHours(start=time(22, 0), end=time(8, 0)))
        assert enqueue_due(session=session, now=night, timing=timing) == 2
        due = {row.person_id: row.next_attempt_at for row in session.scalars(select(Delivery))}
        assert set(due) == {people["east"], amy} and paused.id not in due
        assert all(at.astimezone(UTC) == morning for at in due.values())
