from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from bot.answering.factory import KnowledgeCore
from bot.questions.service import open_questions, record_question
from bot.storage.database import make_engine, make_session_factory, transaction, upgrade_database


def test_unanswered_questions_are_recorded_as_open(ingested: KnowledgeCore, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade_database(engine)
    upgrade_database(engine)  # idempotent
    assert "asked_questions" in inspect(engine).get_table_names()
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        record_question(session=session, answer=ingested.answerer.answer("培训要多久？"), channel="cli")
        record_question(
            session=session, answer=ingested.answerer.answer("明天天气怎么样？"), channel="cli", person_id=7
        )
    with factory() as session:
        rows = open_questions(session=session)
        assert [row.text for row in rows] == ["明天天气怎么样?"]  # stored NFKC-normalised
        assert rows[0].person_id == 7 and not rows[0].answered and rows[0].asked_at.tzinfo is not None
    engine.dispose()
