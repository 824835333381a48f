"""The overview a manager sees first: adoption, reach, vision exposure, the resistance heatmap
(unit x dimension), each unit's light, and trends over recent weeks. Scoped to the units they manage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.access.service import Principal, visible_groups
from bot.broadcasts.models import Delivery, DeliveryState
from bot.broadcasts.reach import vision_exposure
from bot.people.models import Membership, Person, Unit
from bot.questions.models import AskedQuestion
from bot.questions.outcomes import AnswerOutcomes, answer_outcomes
from bot.rollout.figures import last_complete_week, week_of
from bot.rollout.models import UnitLight
from bot.storage.base import utc_now
from bot.surveys.definitions import Scoring, Survey
from bot.surveys.models import SurveyWave, WaveStatus
from bot.surveys.results import ROOT, Rules, wave_results

TREND_WEEKS = 8


@dataclass
class Overview:
    """Everything the overview page shows."""

    week: date
    people: int = 0
    active_askers: int = 0
    questions: int = 0
    outcomes: AnswerOutcomes = field(default_factory=AnswerOutcomes)
    delivered: int = 0
    reactions: int = 0
    vision_share: float | None = None
    vision_target: int = 10
    heatmap_units: list[str] = field(default_factory=list)
    heatmap_dimensions: list[str] = field(default_factory=list)
    heatmap_means: list[list[float | None]] = field(default_factory=list)
    heatmap_wave: int | None = None
    lights: list[tuple[str, str, float, list[str]]] = field(
        default_factory=list
    )  # unit, light, usage, reasons
    trend_weeks: list[str] = field(default_factory=list)
    trend_questions: list[int] = field(default_factory=list)
    trend_lights: dict[str, list[int]] = field(default_factory=dict)


def _people_in(session: Session, unit_ids: set[int] | None) -> set[int]:
    query = (
        select(Membership.person_id)
        .join(Person, Person.id == Membership.person_id)
        .where(Person.active.is_(True))
    )
    if unit_ids is not None:
        query = query.where(Membership.unit_id.in_(unit_ids))
    return set(session.scalars(query).all())


def build_overview(
    *,
    session: Session,
    principal: Principal,
    surveys: Mapping[str, Survey],
    rules: Rules,
    vision_target: int,
    now: datetime | None = None,
) -> Overview:
    """The overview for ``principal`` (admins: the whole company)."""
    now = now or utc_now()
    last_week = last_complete_week(now.date())
    scope = None if principal.is_admin else set(principal.unit_ids)
    people = _people_in(session, scope)
    overview = Overview(week=last_week, people=len(people), vision_target=vision_target)

    since = now - timedelta(days=7)
    overview.outcomes = answer_outcomes(session=session, since=since, person_ids=people)
    overview.questions = overview.outcomes.questions
    overview.active_askers = overview.outcomes.askers
    overview.delivered = int(
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.state == DeliveryState.SENT.value,
                Delivery.sent_at >= since,
                Delivery.person_id.in_(people),
            )
        )
        or 0
    )
    overview.reactions = int(
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.reacted_at >= since, Delivery.person_id.in_(people))
        )
        or 0
    )
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    exposure = vision_exposure(session=session, target=vision_target)
    if principal.is_admin:
        overall = exposure[0]
        overview.vision_share = overall.share_reached if overall.people else None
    else:
        tops = [row for row in exposure if row.unit in {names[i] for i in principal.unit_ids if i in names}]
        counted = sum(row.people for row in tops)
        overview.vision_share = sum(row.reached_target for row in tops) / counted if counted else None

    # The heatmap: the newest closed resistance pulse, each unit the manager may see and the rules show.
    for wave in session.scalars(
        select(SurveyWave)
        .where(SurveyWave.status == WaveStatus.CLOSED.value)
        .order_by(SurveyWave.closes_at.desc())
        .limit(10)
    ):
        survey = surveys.get(wave.survey_id)
        if survey is None or survey.scoring != Scoring.RESISTANCE:
            continue
        results = wave_results(session=session, wave=wave, survey=survey, rules=rules)
        groups = [
            g for g in visible_groups(session=session, principal=principal, groups=results)
            if g.unit != ROOT and not g.suppressed and g.dimensions
        ]  # fmt: skip
        if groups:
            overview.heatmap_wave = wave.id
            overview.heatmap_dimensions = list(survey.dimensions)
            overview.heatmap_units = [g.unit for g in groups]
            overview.heatmap_means = [
                [g.dimensions[d].mean if d in g.dimensions else None for d in survey.dimensions]
                for g in groups
            ]
            break

    for row in session.scalars(
        select(UnitLight).where(UnitLight.week == last_week).order_by(UnitLight.usage_rate)
    ):
        if principal.can_manage(row.unit_id):
            overview.lights.append(
                (names.get(row.unit_id, "?"), row.light, row.usage_rate, list(row.reasons))
            )

    # The week under way is on the chart too: its questions are the freshest news, and its lights
    # (evaluated on Mondays) are simply not there yet.
    weeks = [last_week - timedelta(weeks=n) for n in reversed(range(TREND_WEEKS - 1))]
    weeks.append(last_week + timedelta(weeks=1))
    overview.trend_weeks = [week.isoformat() for week in weeks]
    start = datetime.combine(weeks[0], time(), tzinfo=UTC)
    asked = session.scalars(
        select(AskedQuestion.asked_at).where(
            AskedQuestion.asked_at >= start, AskedQuestion.person_id.in_(people)
        )
    ).all()
    per_week = Counter(week_of(moment.date()) for moment in asked)
    overview.trend_questions = [per_week.get(week, 0) for week in weeks]
    light_rows = session.execute(
        select(UnitLight.week, UnitLight.light, UnitLight.unit_id).where(UnitLight.week >= weeks[0])
    ).all()
    for colour in ("green", "yellow", "orange", "red"):
        overview.trend_lights[colour] = [
            sum(
                1
                for week, light, unit_id in light_rows
                if week == day and light == colour and principal.can_manage(unit_id)
            )
            for day in weeks
        ]
    return overview
