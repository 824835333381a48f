"""The console's overview: the trend includes the week under way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.access.service import Principal
from bot.people.models import Membership, Person, Role
from bot.people.service import add_unit
from bot.questions.models import AskedQuestion
from bot.reporting.overview import build_overview
from bot.storage.database import transaction
from bot.surveys.results import Rules

WEDNESDAY = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai, mid-week


def test_the_trend_ends_with_the_week_under_way(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        unit = add_unit(session=session, name="华东区-12号店")
        person = Person(telegram_id=1, name="小王")
        session.add(person)
        session.flush()
        session.add(Membership(person_id=person.id, unit_id=unit.id, role=Role.STAFF.value))
        for asked_at in (WEDNESDAY, WEDNESDAY - timedelta(hours=30), WEDNESDAY - timedelta(days=7)):
            session.add(AskedQuestion(channel="telegram", person_id=person.id, language="zh-Hans", text="培训要多久",
                                      answer="90分钟", answered=True, band="answer", reply_kind="faq",
                                      confidence=0.9, sources=[], status="closed", asked_at=asked_at))  # fmt: skip
    admin = Principal(person_id=None, name="admin", is_admin=True)
    with sessions() as session:
        overview = build_overview(
            session=session, principal=admin, surveys={}, rules=Rules(), vision_target=10, now=WEDNESDAY
        )
    assert overview.trend_weeks[-1] == date(2026, 11, 30).isoformat()  # this week's Monday
    assert overview.trend_questions[-2:] == [1, 2]  # last week's one, and this week's two so far
    assert len(overview.trend_weeks) == 8 and overview.week == date(2026, 11, 23)  # lights: last full week
