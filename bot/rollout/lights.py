"""Warning lights: each unit each week green / yellow / orange / red from its usage rate, one level
worse when the latest pulse shows high resistance or its unanswered questions are rising, the
reason kept with the history; and the escalations the playbook asks for after red weeks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.people.models import Membership, Person
from bot.questions.models import AskedQuestion
from bot.rollout.models import Light, UnitLight, UnitWeek
from bot.storage.base import utc_now


@dataclass(frozen=True, slots=True)
class LightRules:
    """Thresholds (from the settings; defaults from the warning-lights playbook)."""

    green_above: float = 0.80  # green: usage above 80%
    yellow_from: float = 0.60  # yellow: 60-80%
    orange_from: float = 0.40  # orange: 40-60%; red: below 40%
    unanswered_flag_rate: float = 0.20  # a rising unanswered rate at or above this flags the unit
    unanswered_min_questions: int = 5  # ...when at least this many questions were asked that week
    region_after_red_weeks: int = 2
    admins_after_red_weeks: int = 3

    def __post_init__(self) -> None:
        if not 0 <= self.orange_from < self.yellow_from < self.green_above <= 1:
            raise ValueError("light thresholds must rise: orange < yellow < green, within 0-100%")


# The reasons ``evaluate_week`` keeps with each light, in the history's own (English) words; the
# alerts word them for their readers from ``flags_of``, which reads them back.
_RESISTANCE_REASON = "high resistance in the latest pulse: "
_UNANSWERED_REASON = "unanswered questions rising to "


@dataclass(frozen=True, slots=True)
class Flags:
    """What made a light one level worse than its usage alone."""

    high_resistance: tuple[str, ...] = ()  # the dimensions banded high in the latest pulse
    unanswered_rising: bool = False


def flags_of(row: UnitLight) -> Flags:
    """The flags ``evaluate_week`` recorded in ``row.reasons``."""
    high: tuple[str, ...] = ()
    rising = False
    for reason in row.reasons:
        if reason.startswith(_RESISTANCE_REASON):
            high = tuple(part.strip() for part in reason.removeprefix(_RESISTANCE_REASON).split(","))
        elif reason.startswith(_UNANSWERED_REASON):
            rising = True
    return Flags(high_resistance=tuple(part for part in high if part), unanswered_rising=rising)


def usage_light(rate: float, rules: LightRules) -> Light:
    """The light a usage rate alone earns (boundaries belong to the better colour, except green's)."""
    if rate > rules.green_above:
        return Light.GREEN
    if rate >= rules.yellow_from:
        return Light.YELLOW
    if rate >= rules.orange_from:
        return Light.ORANGE
    return Light.RED


@dataclass(frozen=True, slots=True)
class Activity:
    """What the bot saw of a unit in a week."""

    questions: int
    active_share: float | None
    unanswered_rate: float | None


def bot_activity(*, session: Session, week: date) -> dict[int, Activity]:
    """Questions asked, share of members who asked, unanswered share, per unit (direct members)."""
    start = datetime.combine(week, time(), tzinfo=UTC)
    rows = session.execute(
        select(Membership.unit_id, AskedQuestion.person_id, AskedQuestion.answered)
        .join(Membership, Membership.person_id == AskedQuestion.person_id)
        .where(AskedQuestion.asked_at >= start, AskedQuestion.asked_at < start + timedelta(days=7))
    ).all()
    members: dict[int, int] = defaultdict(int)
    for unit_id, _ in session.execute(
        select(Membership.unit_id, Person.id)
        .join(Person, Person.id == Membership.person_id)
        .where(Person.active.is_(True))
    ).all():
        members[unit_id] += 1
    asked: dict[int, list[bool]] = defaultdict(list)
    askers: dict[int, set[int]] = defaultdict(set)
    for unit_id, person_id, answered in rows:
        asked[unit_id].append(bool(answered))
        if person_id is not None:
            askers[unit_id].add(person_id)
    return {
        unit_id: Activity(
            questions=len(asked.get(unit_id, [])),
            active_share=len(askers.get(unit_id, set())) / count if count else None,
            unanswered_rate=(
                sum(1 for answered in asked[unit_id] if not answered) / len(asked[unit_id])
                if asked.get(unit_id)
                else None
            ),
        )
        for unit_id, count in members.items()
    }


def evaluate_week(
    *,
    session: Session,
    week: date,
    rules: LightRules,
    high_resistance: Mapping[int, Sequence[str]] | None = None,
) -> list[UnitLight]:
    """Light every unit that has figures for ``week``; stored (replacing an earlier evaluation).

    ``high_resistance``: unit id -> dimensions banded high in its latest closed pulse.
    """
    high_resistance = high_resistance or {}
    activity = bot_activity(session=session, week=week)
    previous_activity = bot_activity(session=session, week=week - timedelta(days=7))
    results: list[UnitLight] = []
    for figures in session.scalars(select(UnitWeek).where(UnitWeek.week == week)).all():
        base = usage_light(figures.usage_rate, rules)
        reasons = [f"usage {figures.usage_rate:.0%}"]
        flagged = False
        if high_resistance.get(figures.unit_id):
            flagged = True
            reasons.append(_RESISTANCE_REASON + ", ".join(high_resistance[figures.unit_id]))
        now, before = activity.get(figures.unit_id), previous_activity.get(figures.unit_id)
        if (
            now is not None
            and now.unanswered_rate is not None
            and now.questions >= rules.unanswered_min_questions
            and now.unanswered_rate >= rules.unanswered_flag_rate
            and (
                before is None
                or before.unanswered_rate is None
                or now.unanswered_rate > before.unanswered_rate
            )
        ):
            flagged = True
            reasons.append(f"{_UNANSWERED_REASON}{now.unanswered_rate:.0%}")
        light = base.worse() if flagged else base
        row = session.scalar(
            select(UnitLight).where(UnitLight.unit_id == figures.unit_id, UnitLight.week == week)
        )
        if row is None:
            row = UnitLight(unit_id=figures.unit_id, week=week)
            session.add(row)
        row.light, row.usage_light, row.reasons = light.value, base.value, reasons
        row.usage_rate = figures.usage_rate
        row.questions = now.questions if now else 0
        row.active_share = now.active_share if now else None
        row.unanswered_rate = now.unanswered_rate if now else None
        row.evaluated_at = utc_now()
        results.append(row)
    session.flush()
    return results


def red_streak(*, session: Session, unit_id: int, week: date) -> int:
    """How many weeks in a row, ending with ``week``, the unit was red."""
    history = dict(
        session.execute(
            select(UnitLight.week, UnitLight.light).where(
                UnitLight.unit_id == unit_id, UnitLight.week <= week
            )
        ).all()
    )
    streak, current = 0, week
    while history.get(current) == Light.RED.value:
        streak += 1
        current -= timedelta(days=7)
    return streak


def previous_light(*, session: Session, unit_id: int, week: date) -> Light | None:
    """The unit's light the week before ``week``, if it had one."""
    value = session.scalar(
        select(UnitLight.light).where(
            UnitLight.unit_id == unit_id, UnitLight.week == week - timedelta(days=7)
        )
    )
    return Light(value) if value else None
