"""The answer rate is told as answered / did you mean / don't know, with helpful rates beside it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore
from bot.people.models import Person
from bot.questions.models import AskedQuestion
from bot.questions.outcomes import answer_outcomes
from bot.questions.service import pick_suggestion, record_feedback, record_question
from bot.storage.base import utc_now
from bot.storage.database import transaction
from tests.fakes.confidence import coverage_bands


def test_each_band_is_counted_and_picks_count_as_helpful(
    ingested: KnowledgeCore, sessions: sessionmaker[Session]
) -> None:
    answerer = ingested.answerer
    answerer.confidence_model = coverage_bands(answer_at=0.7, suggest_at=0.3, chit_chat_below=0.05)
    with transaction(sessions) as session:
        asker, outsider = Person(telegram_id=1, name="asker"), Person(telegram_id=2, name="outsider")
        session.add_all([asker, outsider])
        session.flush()
        ids = {
            question: record_question(
                session=session, answer=answerer.answer(question), channel="web", person_id=asker.id
            ).id
            for question in (
                "培训要多久？",
                "还能用纸质单据吗？",
                "试点门店上线后红灯怎么办",
                "今天天气怎么样",
            )
        }
        record_question(
            session=session, answer=answerer.answer("培训要多久？"), channel="web", person_id=outsider.id
        )
        old = record_question(session=session, answer=answerer.answer("培训要多久？"), channel="cli")
        old.asked_at = utc_now() - timedelta(days=30)
        record_feedback(
            session=session, question_id=ids["培训要多久？"], person_id=asker.id, verdict="helpful"
        )
        record_feedback(
            session=session, question_id=ids["还能用纸质单据吗？"], person_id=asker.id, verdict="not_helpful"
        )
        asker_id = asker.id
    pick_suggestion(
        sessions=sessions,
        answerer=answerer,
        question_id=ids["试点门店上线后红灯怎么办"],
        person_id=asker_id,
        index=0,
    )
    with sessions() as session:
        week = answer_outcomes(session=session, since=utc_now() - timedelta(days=7), person_ids=[asker_id])
        everyone = answer_outcomes(session=session, since=utc_now() - timedelta(days=7))
        chit_chat = session.get(AskedQuestion, ids["今天天气怎么样"])
        assert chit_chat is not None and chit_chat.reply_kind == "off_topic"
    assert (week.questions, week.answered, week.suggested, week.unknown) == (4, 2, 1, 1)
    assert (week.suggestion_picked, week.chit_chat, week.helpful, week.not_helpful) == (1, 1, 1, 1)
    assert week.rated == 3 and week.helpful_share == 2 / 3
    assert week.answered_share == 0.5 and week.suggested_share == 0.25 and week.unknown_share == 0.25
    assert everyone.questions == 5  # the outsider's too, not the month-old one
    assert week.to_json()["helpful_share"] == round(2 / 3, 4)
    empty = answer_outcomes(session=session, since=utc_now(), person_ids=[])
    assert empty.questions == 0 and empty.answered_share is None and empty.helpful_share is None
