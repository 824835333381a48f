from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore
from bot.people.models import Person
from bot.questions.service import open_questions, record_question
from bot.storage.database import transaction


def test_unanswered_questions_are_recorded_as_open(
    ingested: KnowledgeCore, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        asker = Person(telegram_id=7001, name="小王")
        session.add(asker)
        session.flush()
        record_question(session=session, answer=ingested.answerer.answer("培训要多久？"), channel="cli")
        record_question(
            session=session,
            answer=ingested.answerer.answer("明天天气怎么样？"),
            channel="telegram",
            person_id=asker.id,
        )
    with sessions() as session:
        rows = open_questions(session=session)
        assert [row.text for row in rows] == [
            "明天天气怎么样？"
        ]  # stored as asked, Chinese punctuation and all
        assert rows[0].person_id is not None and not rows[0].answered and rows[0].asked_at.tzinfo is not None
        assert rows[0].channel == "telegram"
