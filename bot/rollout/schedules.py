"""The rollout's weekly rhythm, as scheduler actions: work out last week's lights and alerts, send
each manager their review pack, remind store managers to report usage."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.broadcasts.models import BroadcastKind
from bot.broadcasts.reach import vision_exposure
from bot.broadcasts.service import create_broadcast
from bot.people.models import Membership, Person, Role, Unit
from bot.rollout.alerts import Search
from bot.rollout.figures import last_complete_week
from bot.rollout.lights import LightRules
from bot.rollout.review import managers, review_pack
from bot.rollout.service import evaluate_and_alert, latest_resistance
from bot.rollout.wording import USAGE_REMINDER
from bot.scheduling.models import Schedule
from bot.scheduling.service import ScheduleAction
from bot.surveys.definitions import Survey
from bot.surveys.results import Rules
from bot.wording import default_language, pick

EVALUATE = "rollout-evaluate"
REVIEW = "rollout-review"
USAGE_REMINDER_KIND = "usage-reminder"


def last_week(occurrence: datetime) -> date:
    """The Monday of the week before ``occurrence`` (the last complete week)."""
    return last_complete_week(occurrence.date())


def evaluate_action(
    *, rules: LightRules, survey_rules: Rules, surveys: Mapping[str, Survey], search: Callable[[], Search]
) -> ScheduleAction:
    """Light last week and queue the alerts (``search`` is built on first use: it needs the library)."""

    def fire(session: Session, schedule: Schedule, occurrence: datetime, now: datetime) -> None:
        evaluate_and_alert(
            session=session,
            week=last_week(occurrence),
            rules=rules,
            search=search(),
            surveys=surveys,
            survey_rules=survey_rules,
            now=now,
        )

    return fire


def review_action(
    *,
    survey_rules: Rules,
    light_rules: LightRules,
    surveys: Mapping[str, Survey],
    vision_target: int,
    console_url: str | None = None,
) -> ScheduleAction:
    """Every manager's pack for last week, through the sender."""

    def fire(session: Session, schedule: Schedule, occurrence: datetime, now: datetime) -> None:
        resistance = latest_resistance(session=session, surveys=surveys, rules=survey_rules)
        exposure = vision_exposure(session=session, target=vision_target)  # once, not once per manager
        for manager in managers(session=session):
            pack = review_pack(
                session=session,
                manager=manager,
                week=last_week(occurrence),
                resistance=resistance,
                vision_target=vision_target,
                light_rules=light_rules,
                console_url=console_url,
                exposure=exposure,
            )
            create_broadcast(
                session=session,
                kind=BroadcastKind.NOTICE,
                text=pack.text[:3900],
                selectors=[f"person:{manager.id}"],
            )

    return fire


def store_managers(*, session: Session) -> list[Person]:
    """Managers of units with nothing below them (the stores), who report usage."""
    parents = set(session.scalars(select(Unit.parent_id).where(Unit.parent_id.is_not(None))).all())
    return list(
        session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.role == Role.MANAGER.value,
                Membership.unit_id.not_in(parents),
                Person.active.is_(True),
            )
            .distinct()
        ).all()
    )


def usage_reminder_action(session: Session, schedule: Schedule, occurrence: datetime, now: datetime) -> None:
    """Remind store managers to report last week's usage with /usage."""
    people = store_managers(session=session)
    if people:
        create_broadcast(
            session=session,
            kind=BroadcastKind.NOTICE,
            text=pick(USAGE_REMINDER, default_language()),
            texts=dict(USAGE_REMINDER),
            selectors=[f"person:{person.id}" for person in people],
        )
