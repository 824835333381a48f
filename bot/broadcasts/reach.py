"""Figures on reach: how often each person has heard the vision, per unit and rolled up."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.broadcasts.models import Broadcast, BroadcastKind, Delivery, DeliveryState
from bot.people.models import Membership, Person
from bot.people.service import unit_tree


@dataclass(frozen=True, slots=True)
class UnitExposure:
    """Vision exposure in a unit and everything under it."""

    unit: str
    depth: int
    people: int
    reached_target: int
    mean_exposures: float

    @property
    def share_reached(self) -> float:
        """Share of the unit's people who heard the vision at least the target number of times."""
        return self.reached_target / self.people if self.people else 0.0


def exposures_per_person(*, session: Session) -> dict[int, int]:
    """How many vision messages reached each person (delivered copies only)."""
    rows = session.execute(
        select(Delivery.person_id, func.count())
        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
        .where(Broadcast.kind == BroadcastKind.VISION.value, Delivery.state == DeliveryState.SENT.value)
        .group_by(Delivery.person_id)
    ).all()
    return {person_id: count for person_id, count in rows}


def vision_exposure(*, session: Session, target: int) -> list[UnitExposure]:
    """Per unit (parents before children, each counting everyone below it) and a company total first.

    Counts people who can be reached: joined on Telegram and not blocked. A person in two units
    counts once in each, and once in a parent above both.
    """
    counts = exposures_per_person(session=session)
    reachable = set(
        session.scalars(
            select(Person.id).where(Person.active.is_(True), Person.telegram_id.is_not(None))
        ).all()
    )
    direct: dict[int, set[int]] = defaultdict(set)
    for unit_id, person_id in session.execute(select(Membership.unit_id, Membership.person_id)).all():
        if person_id in reachable:
            direct[unit_id].add(person_id)
    tree = unit_tree(session=session)
    children: dict[int | None, list[int]] = defaultdict(list)
    for _, unit in tree:
        children[unit.parent_id].append(unit.id)

    def everyone_under(unit_id: int) -> set[int]:
        found = set(direct.get(unit_id, set()))
        for child in children.get(unit_id, []):
            found |= everyone_under(child)
        return found

    def summarise(name: str, depth: int, people: set[int]) -> UnitExposure:
        heard = [counts.get(person, 0) for person in people]
        return UnitExposure(
            unit=name,
            depth=depth,
            people=len(people),
            reached_target=sum(1 for n in heard if n >= target),
            mean_exposures=sum(heard) / len(heard) if heard else 0.0,
        )

    report = [summarise("*", 0, reachable)]
    report += [summarise(unit.name, depth + 1, everyone_under(unit.id)) for depth, unit in tree]
    return report
