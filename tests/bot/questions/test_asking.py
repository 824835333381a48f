"""Asking, the one path every edge takes: the per-person limit, recording, and a gap passed on."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Broadcast
from bot.people.models import Role
from bot.people.service import add_unit, create_invite, redeem_invite
from bot.questions.asking import TooManyQuestionsError, ask
from bot.questions.flood import FloodGate
from bot.questions.models import AskedQuestion
from bot.storage.database import transaction

GAP = "仓库的消防演练多久一次？"  # nothing in the sample library says


@pytest.fixture
def asker(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        add_unit(session=session, name="华东区")
        add_unit(session=session, name="华东区-12号店", parent="华东区")
        staff = create_invite(session=session, unit_name="华东区-12号店", role=Role.STAFF).code
        manager = create_invite(session=session, unit_name="华东区", role=Role.MANAGER).code
        redeem_invite(session=session, code=manager, telegram_id=2, name="李经理", language="zh-Hans")
        return redeem_invite(
            session=session, code=staff, telegram_id=1, name="小王", language="zh-Hans"
        ).person.id


def test_a_gap_goes_to_the_askers_manager_and_an_answer_does_not(
    ingested: KnowledgeCore, sessions: sessionmaker[Session], asker: int
) -> None:
    answered = ask(
        sessions=sessions, answerer=ingested.answerer, question="培训要多久？", channel="web", person_id=asker
    )
    gap = ask(sessions=sessions, answerer=ingested.answerer, question=GAP, channel="web", person_id=asker)
    unknown = ask(sessions=sessions, answerer=ingested.answerer, question=GAP, channel="web")  # an open kiosk
    assert (answered.answer.answered, answered.managers_told) == (True, 0)
    assert (gap.answer.kind, gap.managers_told) == ("refused", 1)
    assert unknown.question_id is not None and unknown.managers_told == 0  # recorded, nobody to pass it for
    with sessions() as session:
        (passed_on,) = session.scalars(select(Broadcast)).all()
        assert GAP.rstrip("？") in passed_on.text and passed_on.actions is not None
        question = session.get(AskedQuestion, gap.question_id)
        assert question is not None and question.status == "open" and question.escalated_at is not None


def test_over_the_limit_nothing_is_answered_or_recorded(
    ingested: KnowledgeCore, sessions: sessionmaker[Session], asker: int
) -> None:
    flood = FloodGate(sessions=sessions, per_minute=2, clock=lambda: 1_000_000.0)
    for _ in range(2):
        ask(sessions=sessions, answerer=ingested.answerer, question="培训要多久？", channel="telegram",
            person_id=asker, flood=flood)  # fmt: skip
    with pytest.raises(TooManyQuestionsError):
        ask(
            sessions=sessions,
            answerer=ingested.answerer,
            question=GAP,
            channel="telegram",
            person_id=asker,
            flood=flood,
        )
    with sessions() as session:
        assert len(session.scalars(select(AskedQuestion)).all()) == 2
        assert session.scalars(select(Broadcast)).all() == []  # the refused gap was not passed on either
