"""Rollout waves: a suggested batch plan (the 1-3-9-27 pacing of the playbook, capped by support
capacity), waves and their units, and each wave's success against its target with the advice to
pause the next wave when it falls short."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import ConflictError, InvalidInputError, NotFoundError
from bot.people.service import get_unit
from bot.rollout.models import Light, RolloutWave, UnitLight, WaveUnit

RATIOS = (1, 3, 9, 27)  # each wave three times the one before (rollout-pacing playbook)
STORES_PER_COACH = 3  # at most three units in their coaching weeks per coach
PILOT_WEEKS = 8
WEEKS_BEFORE_GATE = 4  # a wave is judged four weeks after it starts
SUCCESS_LIGHTS = (Light.GREEN.value, Light.YELLOW.value)


@dataclass(frozen=True, slots=True)
class PlannedWave:
    """One wave of a suggested plan."""

    number: int
    units: int
    starts_after_weeks: int


def suggest_plan(*, units: int, coaches: int, stores_per_coach: int = STORES_PER_COACH) -> list[PlannedWave]:
    """Waves sized 1:3:9:27 of ``units``, none larger than the coaches can support at once.

    The pilot runs eight weeks; each later wave starts four weeks after the one before, when the
    gate (80% green or yellow) has been checked.
    """
    if units < 1:
        raise InvalidInputError("the plan needs at least one unit")
    if coaches < 1:
        raise InvalidInputError("the plan needs at least one coach")
    capacity = coaches * stores_per_coach
    scale = units / sum(RATIOS)
    sizes: list[int] = []
    remaining = units
    for ratio in RATIOS[:-1]:
        size = min(max(1, round(scale * ratio)), remaining)
        if size <= 0:
            break
        sizes.append(size)
        remaining -= size
    if remaining > 0:
        sizes.append(remaining)  # the last wave takes everything left, as the playbook's 135 do
    waves: list[int] = []
    for size in sizes:  # a wave the coaches cannot carry becomes several even waves in a row
        parts = -(-size // capacity)
        waves += [size // parts + (1 if index < size % parts else 0) for index in range(parts)]
    plan, start = [], 0
    for number, size in enumerate(waves, start=1):
        plan.append(PlannedWave(number=number, units=size, starts_after_weeks=start))
        start += PILOT_WEEKS if number == 1 else WEEKS_BEFORE_GATE
    return plan


def add_wave(
    *,
    session: Session,
    number: int,
    starts_on: date,
    target_success_rate: float = 0.8,
    support_capacity: int = 0,
    name: str = "",
) -> RolloutWave:
    """Add a wave (numbers are unique)."""
    if not 0 < target_success_rate <= 1:
        raise InvalidInputError("the target success rate is a share between 0 and 1 (e.g. 0.8)")
    if session.scalar(select(RolloutWave.id).where(RolloutWave.number == number)) is not None:
        raise ConflictError(f"wave {number} exists already")
    wave = RolloutWave(
        number=number,
        name=name.strip() or f"Wave {number}",
        starts_on=starts_on,
        target_success_rate=target_success_rate,
        support_capacity=max(0, support_capacity),
    )
    session.add(wave)
    session.flush()
    return wave


def get_wave(*, session: Session, number: int) -> RolloutWave:
    """Wave ``number`` or ``NotFoundError``."""
    wave = session.scalar(select(RolloutWave).where(RolloutWave.number == number))
    if wave is None:
        raise NotFoundError(f"no rollout wave {number}")
    return wave


def assign_units(*, session: Session, number: int, unit_names: Sequence[str]) -> int:
    """Put units into wave ``number`` (moving them from another wave); returns how many."""
    wave = get_wave(session=session, number=number)
    units = [get_unit(session=session, name=name) for name in unit_names]  # all exist, or nothing changes
    for unit in units:
        existing = session.scalar(select(WaveUnit).where(WaveUnit.unit_id == unit.id))
        if existing is None:
            session.add(WaveUnit(wave_id=wave.id, unit_id=unit.id))
        else:
            existing.wave_id = wave.id
    session.flush()
    return len(units)


@dataclass(frozen=True, slots=True)
class WaveProgress:
    """A wave against its target."""

    wave: RolloutWave
    units: int
    lit: int  # units with a light for the week looked at
    successes: int  # green or yellow
    success_rate: float | None
    judged: bool  # four weeks in: the gate applies
    pause_next: bool

    @property
    def advice(self) -> str:
        """One line for people."""
        if not self.judged:
            return "too early to judge (the gate is four weeks after the start)"
        if self.pause_next:
            return (
                f"pause the next wave: {self.success_rate:.0%} green or yellow, "
                f"target {self.wave.target_success_rate:.0%}"
            )
        return "on target: the next wave can start as planned"


def wave_progress(*, session: Session, week: date) -> list[WaveProgress]:
    """Every wave's success for ``week`` (units green or yellow / units in the wave), in order."""
    progress = []
    for wave in session.scalars(select(RolloutWave).order_by(RolloutWave.number)).all():
        unit_ids = list(session.scalars(select(WaveUnit.unit_id).where(WaveUnit.wave_id == wave.id)).all())
        lights = dict(
            session.execute(
                select(UnitLight.unit_id, UnitLight.light).where(
                    UnitLight.unit_id.in_(unit_ids), UnitLight.week == week
                )
            ).all()
        )
        successes = sum(1 for light in lights.values() if light in SUCCESS_LIGHTS)
        rate = successes / len(unit_ids) if unit_ids else None
        judged = week >= wave.starts_on + timedelta(weeks=WEEKS_BEFORE_GATE) and bool(unit_ids)
        progress.append(
            WaveProgress(
                wave=wave,
                units=len(unit_ids),
                lit=len(lights),
                successes=successes,
                success_rate=rate,
                judged=judged,
                pause_next=judged and rate is not None and rate < wave.target_success_rate,
            )
        )
    return progress
