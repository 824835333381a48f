"""Rollout waves, weekly figures per unit, the warning-light history, alerts, mutes and review actions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utc_now


class Light(StrEnum):
    """The four warning levels, best first."""

    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    def worse(self) -> Light:
        """One level worse (red stays red)."""
        order = list(Light)
        return order[min(order.index(self) + 1, len(order) - 1)]

    @property
    def rank(self) -> int:
        """0 for green ... 3 for red."""
        return list(Light).index(self)


class RolloutWave(Base):
    """A batch of units that switch together, with the support behind it and the success it must reach."""

    __tablename__ = "rollout_waves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    target_success_rate: Mapped[float] = mapped_column(Float, default=0.8)
    support_capacity: Mapped[int] = mapped_column(Integer, default=0)  # coaches (or coach-days) behind it
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class WaveUnit(Base):
    """A unit's place in a wave (a unit is in at most one wave)."""

    __tablename__ = "rollout_wave_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("rollout_waves.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)


class UnitWeek(Base):
    """A unit's adoption figures for one week (the Monday it starts), imported or reported in chat."""

    __tablename__ = "rollout_unit_weeks"
    __table_args__ = (UniqueConstraint("unit_id", "week", name="uq_rollout_unit_weeks_unit_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    week: Mapped[date] = mapped_column(Date, index=True)
    usage_rate: Mapped[float] = mapped_column(Float)  # 0..1: share of the work done in the new system
    efficiency_change: Mapped[float | None] = mapped_column(Float)  # e.g. +0.12 = 12% faster
    complaints: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20), default="import")  # import | telegram | api
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, onupdate=utc_now)


class UnitLight(Base):
    """The light a unit got for a week, why, and the bot activity beside it; kept as history."""

    __tablename__ = "rollout_unit_lights"
    __table_args__ = (UniqueConstraint("unit_id", "week", name="uq_rollout_unit_lights_unit_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    week: Mapped[date] = mapped_column(Date, index=True)
    light: Mapped[str] = mapped_column(String(10))
    usage_light: Mapped[str] = mapped_column(String(10))  # from usage alone, before any flag
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    usage_rate: Mapped[float] = mapped_column(Float)
    questions: Mapped[int] = mapped_column(Integer, default=0)
    active_share: Mapped[float | None] = mapped_column(Float)
    unanswered_rate: Mapped[float | None] = mapped_column(Float)
    evaluated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class RolloutAlert(Base):
    """A message sent about a unit: a light turning orange or red, high resistance, an escalation."""

    __tablename__ = "rollout_alerts"
    __table_args__ = (UniqueConstraint("unit_id", "week", "kind", name="uq_rollout_alerts_unit_week_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    week: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(
        String(30)
    )  # light | resistance | escalation-region | escalation-admins
    state: Mapped[str] = mapped_column(String(40))  # what it was about, e.g. "red" or "emotional:high"
    text: Mapped[str] = mapped_column(Text)
    recipients: Mapped[list[int]] = mapped_column(JSON, default=list)  # person ids
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class UnitMute(Base):
    """A manager silenced alerts about a unit until a date."""

    __tablename__ = "rollout_unit_mutes"
    __table_args__ = (UniqueConstraint("unit_id", "person_id", name="uq_rollout_unit_mutes_unit_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column(UtcDateTime())


class ReviewAction(Base):
    """Something a manager agreed to do in the weekly review: what, who, by when; done or not."""

    __tablename__ = "rollout_review_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    what: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
