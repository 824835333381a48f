"""The weekly review pack for a manager: their units' lights and how they moved, wave progress,
resistance by level, the top unanswered questions, broadcast reach and vision exposure, and the
actions agreed last week (done or not). Also the actions themselves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.broadcasts.models import Delivery, DeliveryState
from bot.broadcasts.reach import UnitExposure, vision_exposure
from bot.errors import InvalidInputError, NotFoundError
from bot.people.models import Membership, Person, Unit
from bot.people.service import managed_units
from bot.questions.gaps import group_gaps
from bot.questions.models import AskedQuestion
from bot.rollout.lights import LightRules, usage_light
from bot.rollout.models import ReviewAction, UnitLight, UnitWeek, WaveUnit
from bot.rollout.waves import wave_progress
from bot.rollout.wording import LEVEL_NAMES, LIGHT_NAMES, REVIEW
from bot.storage.base import utc_now
from bot.wording import pick, reader_language

TOP_GAPS = 3


@dataclass(frozen=True, slots=True)
class ReviewPack:
    """A manager's pack: the text, and the open actions (for "done" buttons)."""

    person_id: int
    language: str
    text: str
    open_actions: list[tuple[int, str]]


def add_action(
    *, session: Session, manager: Person, what: str, owner: str, due_on: date, unit: Unit | None = None
) -> ReviewAction:
    """Record an action agreed in the review."""
    what, owner = what.strip(), owner.strip()
    if not what or not owner:
        raise InvalidInputError("an action needs what and who: /action what | owner | due date")
    if len(what) > 500 or len(owner) > 120:
        raise InvalidInputError("keep an action under 500 characters and the owner under 120")
    if unit is not None and not (
        manager.is_admin or unit.id in {u.id for u in managed_units(session=session, person=manager)}
    ):
        raise InvalidInputError("you can add actions only for your own units")
    action = ReviewAction(
        manager_id=manager.id, unit_id=unit.id if unit else None, what=what, owner=owner, due_on=due_on
    )
    session.add(action)
    session.flush()
    return action


def complete_action(*, session: Session, action_id: int, person: Person) -> ReviewAction:
    """Mark an action done (its manager or an admin)."""
    action = session.get(ReviewAction, action_id)
    if action is None:
        raise NotFoundError(f"no action {action_id}")
    if action.manager_id != person.id and not person.is_admin:
        raise InvalidInputError("only the manager who added it can close it")
    action.done_at = action.done_at or utc_now()
    session.flush()
    return action


def review_pack(
    *,
    session: Session,
    manager: Person,
    week: date,
    resistance: Mapping[int, Mapping[str, str]],
    vision_target: int,
    light_rules: LightRules,
    console_url: str | None = None,
    exposure: Sequence[UnitExposure] | None = None,
) -> ReviewPack:
    """The pack for ``manager`` for the week starting ``week`` (a Monday).

    ``exposure``: the company's vision exposure, when packs for many managers share one computation.
    """
    language = reader_language(manager.language)
    words, light_names = pick(REVIEW, language), pick(LIGHT_NAMES, language)
    units = managed_units(session=session, person=manager)
    unit_ids = {unit.id for unit in units}
    names = {unit.id: unit.name for unit in units}
    lines = [words["title"].format(week=week.isoformat()), ""]

    lines.append(f"【{words['lights']}】")
    lights = session.scalars(
        select(UnitLight)
        .where(UnitLight.unit_id.in_(unit_ids), UnitLight.week == week)
        .order_by(UnitLight.usage_rate)
    ).all()
    before = dict(
        session.execute(
            select(UnitLight.unit_id, UnitLight.light).where(
                UnitLight.unit_id.in_(unit_ids), UnitLight.week == week - timedelta(days=7)
            )
        ).all()
    )
    for row in lights:
        moved = ""
        if before.get(row.unit_id) and before[row.unit_id] != row.light:
            moved = words["moved"].format(before=light_names[before[row.unit_id]])
        lines.append(f"{light_names[row.light]} {names[row.unit_id]} {row.usage_rate:.0%}{moved}")
    # A figure reported since the last evaluation (``/usage 72`` on a Tuesday) shows at once, as
    # its usage alone rates it, until Monday's evaluation adds the flags and the history.
    evaluated = {row.unit_id for row in lights}
    reported = session.scalars(
        select(UnitWeek)
        .where(UnitWeek.unit_id.in_(unit_ids - evaluated), UnitWeek.week == week)
        .order_by(UnitWeek.usage_rate)
    ).all()
    for figure in reported:
        light = usage_light(figure.usage_rate, light_rules)
        lines.append(
            f"{light_names[light]} {names[figure.unit_id]} {figure.usage_rate:.0%}{words['provisional']}"
        )
    if not lights and not reported:
        lines.append(words["no_lights"])

    waves = [p for p in wave_progress(session=session, week=week) if p.units]
    mine = []
    for progress in waves:
        members = set(
            session.scalars(select(WaveUnit.unit_id).where(WaveUnit.wave_id == progress.wave.id)).all()
        )
        if members & unit_ids:
            mine.append(progress)
    if mine:
        lines += ["", f"【{words['waves']}】"]
        for progress in mine:
            lines.append(
                words["wave"].format(
                    number=progress.wave.number,
                    successes=progress.successes,
                    units=progress.units,
                    target=progress.wave.target_success_rate,
                    advice=progress.advice,
                )
            )

    lines += ["", f"【{words['resistance']}】"]
    bands = [resistance[unit_id] for unit_id in unit_ids if unit_id in resistance]
    if bands:
        for level in ("cognitive", "emotional", "behavioural"):
            high = sum(1 for b in bands if b.get(level) == "high")
            medium = sum(1 for b in bands if b.get(level) == "medium")
            lines.append(
                words["resistance_line"].format(
                    level=pick(LEVEL_NAMES, language)[level], high=high, medium=medium
                )
            )
    else:
        lines.append(words["no_resistance"])

    lines += ["", f"【{words['gaps']}】"]
    askers = set(session.scalars(select(Membership.person_id).where(Membership.unit_id.in_(unit_ids))).all())
    open_rows = session.scalars(
        select(AskedQuestion)
        .where(AskedQuestion.status == "open", AskedQuestion.person_id.in_(askers))
        .order_by(AskedQuestion.asked_at.desc())
        .limit(200)
    ).all()
    groups = group_gaps(open_rows)[:TOP_GAPS]
    lines += [words["gap_line"].format(example=g.example[:60], count=len(g.questions)) for g in groups] or [
        words["no_gaps"]
    ]

    lines += ["", f"【{words['reach']}】"]
    by_unit = {row.unit: row for row in exposure or vision_exposure(session=session, target=vision_target)}
    roots = [unit for unit in units if unit.parent_id not in unit_ids]
    people = sum(by_unit[u.name].people for u in roots if u.name in by_unit)
    reached = sum(by_unit[u.name].reached_target for u in roots if u.name in by_unit)
    start = datetime.combine(week, time(), tzinfo=UTC)
    delivered = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.state == DeliveryState.SENT.value,
            Delivery.sent_at >= start,
            Delivery.sent_at < start + timedelta(days=7),
            Delivery.person_id.in_(askers),
        )
    )
    lines.append(
        words["reach_line"].format(
            target=vision_target, share=reached / people if people else 0.0, reached=reached, people=people,
            delivered=int(delivered or 0),
        )
    )  # fmt: skip

    lines += ["", f"【{words['actions']}】"]
    actions = session.scalars(
        select(ReviewAction)
        .where(ReviewAction.manager_id == manager.id)
        .where((ReviewAction.done_at.is_(None)) | (ReviewAction.done_at >= start - timedelta(days=7)))
        .order_by(ReviewAction.due_on, ReviewAction.id)
    ).all()
    open_actions = []
    for action in actions:
        if action.done_at is None:
            lines.append(
                words["action_open"].format(
                    what=action.what, owner=action.owner, due=action.due_on.isoformat()
                )
            )
            open_actions.append((action.id, action.what[:30]))
        else:
            lines.append(words["action_done"].format(what=action.what, owner=action.owner))
    if not actions:
        lines.append(words["no_actions"])
    if console_url:
        lines += ["", words["link"].format(url=console_url)]
    return ReviewPack(
        person_id=manager.id, language=language, text="\n".join(lines), open_actions=open_actions
    )


def managers(*, session: Session) -> list[Person]:
    """Everyone who manages a unit (and is reachable), for the weekly packs."""
    return list(
        session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.role == "manager", Person.active.is_(True))
            .distinct()
            .order_by(Person.id)
        ).all()
    )
