"""Units (company > region > store/team), people, memberships with roles, invite codes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.base import Base, UtcDateTime, utc_now


class Role(StrEnum):
    """What a membership lets a person do: staff ask and answer; managers also manage their unit and everything under it."""

    STAFF = "staff"
    MANAGER = "manager"


class Unit(Base):
    """An organisational unit; ``parent`` makes the hierarchy."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")


class Person(Base):
    """Someone who uses the bot; known by their Telegram id once they have joined."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(10), default="zh-Hans")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once they block the bot
    pushes_enabled: Mapped[bool] = mapped_column(Boolean, default=True)  # /stop and /resume
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name; None = the configured default
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A person's place in a unit, with a role."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "unit_id", name="uq_memberships_person_unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    person: Mapped[Person] = relationship(back_populates="memberships")
    unit: Mapped[Unit] = relationship()


class InviteCode(Base):
    """A code that puts whoever redeems it into a unit with a role."""

    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    uses_left: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    unit: Mapped[Unit] = relationship()


class WrongCodeWindow(Base):
    """Wrong invite codes tried from one place (a browser's address, a Telegram user) this minute and
    the minute before: the window that stops guessing, shared by every process."""

    __tablename__ = "wrong_code_windows"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, index=True)
    wrong: Mapped[int] = mapped_column(Integer, default=0)
    previous_wrong: Mapped[int] = mapped_column(Integer, default=0)
