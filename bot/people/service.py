"""Units, invites and joining: the rules behind onboarding."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.errors import ConflictError, InvalidInputError, NotFoundError
from bot.people.guessing import count_wrong_code, too_many_wrong_codes
from bot.people.models import InviteCode, Membership, Person, Role, Unit
from bot.scheduling.clock import check_timezone, zone
from bot.storage.base import utc_now

# Unambiguous letters and digits only: codes are read aloud and typed on phones.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_UNIT_NAME = 120


class InviteRejectedError(InvalidInputError):
    """An invite code that cannot be used; ``reason`` is "unknown", "expired", "used_up" or "too_many"
    (too many wrong codes tried from one place)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def normalise_code(code: str) -> str:
    """Codes are case-insensitive and may be typed with spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def get_unit(*, session: Session, name: str) -> Unit:
    """The unit called ``name``; raises ``NotFoundError`` naming it."""
    unit = session.scalars(select(Unit).where(Unit.name == name.strip())).first()
    if unit is None:
        raise NotFoundError(f"no unit named {name.strip()!r}")
    return unit


def add_unit(*, session: Session, name: str, parent: str | None = None) -> Unit:
    """Create a unit, optionally under ``parent``.

    Args:
        session: an open session; the caller commits.
        name: unique unit name ("华东区", "华东区-12号店").
        parent: name of the parent unit, which must exist.
    """
    name = " ".join(name.split())
    if not name:
        raise InvalidInputError("a unit needs a name")
    if len(name) > MAX_UNIT_NAME:
        raise InvalidInputError(f"unit names are at most {MAX_UNIT_NAME} characters")
    if session.scalars(select(Unit.id).where(Unit.name == name)).first() is not None:
        raise ConflictError(f"a unit named {name!r} already exists")
    parent_unit = get_unit(session=session, name=parent) if parent else None
    unit = Unit(name=name, parent=parent_unit)
    session.add(unit)
    session.flush()
    return unit


def unit_and_descendants(*, session: Session, unit: Unit) -> list[Unit]:
    """``unit`` and every unit below it."""
    found = [unit]
    frontier = [unit.id]
    while frontier:
        children = session.scalars(select(Unit).where(Unit.parent_id.in_(frontier))).all()
        found.extend(children)
        frontier = [child.id for child in children]
    return found


def ancestors(unit: Unit) -> list[Unit]:
    """The units above ``unit``, nearest first."""
    chain = []
    current = unit.parent
    while current is not None:
        chain.append(current)
        current = current.parent
    return chain


@dataclass(frozen=True, slots=True)
class InviteTerms:
    """How many people a new invite code admits, and for how long."""

    uses: int
    days: float


def default_invite_terms(role: Role) -> InviteTerms:
    """A staff code is for a whole store's team (20 people, two weeks); a manager code gives manager
    rights to whoever has it, so it admits one person and lapses in three days: a forwarded link
    must not hand those rights out."""
    return InviteTerms(uses=1, days=3) if role is Role.MANAGER else InviteTerms(uses=20, days=14)


def create_invite(
    *,
    session: Session,
    unit_name: str,
    role: Role,
    uses: int = 1,
    expires_days: float = 14,
    created_by: Person | None = None,
) -> InviteCode:
    """Create an invite code for a unit and role.

    Args:
        session: an open session; the caller commits.
        unit_name: the unit people join.
        role: staff or manager.
        uses: how many people may join with it.
        expires_days: days until it stops working.
        created_by: the person creating it; a manager may only invite into units they manage.
    """
    if not 1 <= uses <= 10_000:
        raise InvalidInputError("uses must be between 1 and 10000")
    if not 0 < expires_days <= 365:
        raise InvalidInputError("expires-days must be more than 0 and at most 365")
    unit = get_unit(session=session, name=unit_name)
    if created_by is not None and not can_manage(session=session, person=created_by, unit=unit):
        raise InvalidInputError(f"you do not manage {unit.name!r}")
    invite = InviteCode(
        code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        unit=unit,
        role=role.value,
        uses_left=uses,
        expires_at=utc_now() + timedelta(days=expires_days),
        created_by_id=created_by.id if created_by else None,
    )
    session.add(invite)
    session.flush()
    return invite


def invite_link(*, code: str, bot_username: str | None) -> str | None:
    """The Telegram deep link that starts the bot with the code, when the bot's username is known."""
    if not bot_username:
        return None
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


@dataclass(frozen=True, slots=True)
class Joined:
    """The outcome of redeeming a code."""

    person: Person
    unit: Unit
    role: Role
    already_member: bool


def redeem_invite_from(
    *, session: Session, tried_from: str, code: str, telegram_id: int | None, name: str, language: str
) -> Joined:
    """``redeem_invite`` for someone typing a code, with a limit on wrong codes per ``tried_from``
    (a browser's address, a Telegram user): ``bot.people.guessing``.

    Raises:
        InviteRejectedError: as ``redeem_invite``; reason "too_many" after too many wrong codes
            within a minute (the code is then not even looked at).
    """
    if too_many_wrong_codes(session=session, key=tried_from):
        raise InviteRejectedError("too_many", "too many wrong invite codes; wait a minute and try again")
    try:
        with session.begin_nested():  # a refused code leaves no half-joined person behind
            return redeem_invite(
                session=session, code=code, telegram_id=telegram_id, name=name, language=language
            )
    except InviteRejectedError as exc:
        if exc.reason in ("unknown", "expired"):  # a used-up code was a real one
            count_wrong_code(session=session, key=tried_from)
        raise


def redeem_invite(
    *, session: Session, code: str, telegram_id: int | None, name: str, language: str
) -> Joined:
    """Join the unit behind ``code``; raises ``InvalidInputError`` for an unknown, used-up or expired code.

    Args:
        session: an open session; the caller commits.
        code: the invite code as typed.
        telegram_id: the joining person's Telegram user id; None for someone joining the web chat.
        name: their display name.
        language: their language (zh-Hans, zh-Hant, en).
    """
    invite = session.scalars(select(InviteCode).where(InviteCode.code == normalise_code(code))).first()
    if invite is None:
        raise InviteRejectedError("unknown", "unknown invite code")
    if invite.expires_at <= utc_now():
        raise InviteRejectedError("expired", "this invite code has expired")
    person = (
        session.scalars(select(Person).where(Person.telegram_id == telegram_id)).first()
        if telegram_id is not None
        else None
    )
    if person is None:
        person = Person(telegram_id=telegram_id, name=name[:200], language=language)
        session.add(person)
        session.flush()
    existing = session.scalars(
        select(Membership).where(Membership.person_id == person.id, Membership.unit_id == invite.unit_id)
    ).first()
    if existing is not None:
        return Joined(person=person, unit=invite.unit, role=Role(existing.role), already_member=True)
    # Decrement atomically so two people racing for the last use cannot both get in.
    claimed = session.execute(
        update(InviteCode)
        .where(InviteCode.id == invite.id, InviteCode.uses_left > 0)
        .values(uses_left=InviteCode.uses_left - 1)
    )
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        raise InviteRejectedError("used_up", "this invite code has been used up")
    session.add(Membership(person=person, unit=invite.unit, role=invite.role))
    person.active = True
    session.flush()
    return Joined(person=person, unit=invite.unit, role=Role(invite.role), already_member=False)


def managed_units(*, session: Session, person: Person) -> list[Unit]:
    """Every unit ``person`` manages, directly or through a parent; admins manage all."""
    if person.is_admin:
        return list(session.scalars(select(Unit)).all())
    units: dict[int, Unit] = {}
    for membership in person.memberships:
        if membership.role == Role.MANAGER.value:
            for unit in unit_and_descendants(session=session, unit=membership.unit):
                units[unit.id] = unit
    return list(units.values())


def can_manage(*, session: Session, person: Person, unit: Unit) -> bool:
    """Whether ``person`` may act as manager for ``unit``."""
    return person.is_admin or any(
        managed.id == unit.id for managed in managed_units(session=session, person=person)
    )


def managers_of(*, session: Session, unit: Unit) -> Sequence[Person]:
    """The nearest managers for ``unit``: its own, else those of the closest unit above that has any."""
    found = nearest_managers(session=session, unit=unit)
    return found[1] if found is not None else []


def nearest_managers(
    *, session: Session, unit: Unit, excluding: int | None = None
) -> tuple[Unit, Sequence[Person]] | None:
    """The closest unit from ``unit`` upwards with active managers (other than person ``excluding``),
    and those managers; None when no unit on the way up has any."""
    for candidate in [unit, *ancestors(unit)]:
        query = (
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.unit_id == candidate.id,
                Membership.role == Role.MANAGER.value,
                Person.active.is_(True),
            )
        )
        if excluding is not None:
            query = query.where(Person.id != excluding)
        managers = session.scalars(query).all()
        if managers:
            return candidate, managers
    return None


def unit_tree(*, session: Session) -> list[tuple[int, Unit]]:
    """All units as (depth, unit), parents before children, siblings by name."""
    units = session.scalars(select(Unit).order_by(Unit.name)).all()
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[int, Unit]] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in children.get(parent, []):
            ordered.append((depth, unit))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


def ensure_admins(*, session: Session, telegram_ids: Sequence[int]) -> None:
    """Make the configured Telegram ids admins (creating their person records if needed)."""
    for telegram_id in telegram_ids:
        person = session.scalars(select(Person).where(Person.telegram_id == telegram_id)).first()
        if person is None:
            session.add(Person(telegram_id=telegram_id, is_admin=True))
        elif not person.is_admin:
            person.is_admin = True
    session.flush()


def person_by_telegram_id(*, session: Session, telegram_id: int) -> Person | None:
    """The person with this Telegram id, if they have joined (or are a configured admin)."""
    return session.scalars(select(Person).where(Person.telegram_id == telegram_id)).first()


def is_member(person: Person) -> bool:
    """Whether a person may use the bot: admins always, others once they belong to a unit."""
    return person.is_admin or bool(person.memberships)


def home_unit(person: Person) -> Unit | None:
    """The unit a person asks from (their first membership)."""
    return person.memberships[0].unit if person.memberships else None


def mark_blocked(*, session: Session, telegram_id: int) -> bool:
    """Record that a person blocked the bot (Telegram answered 403); returns whether anyone was marked."""
    person = person_by_telegram_id(session=session, telegram_id=telegram_id)
    if person is None or not person.active:
        return False
    person.active = False
    session.flush()
    return True


def set_timezone(*, session: Session, person: Person, name: str) -> Person:
    """Set the person's time zone (an IANA name such as Asia/Taipei); pushes follow their clock."""
    person.timezone = check_timezone(name.strip())
    session.flush()
    return person


def known_zones(*, session: Session, default_timezone: str) -> list[ZoneInfo]:
    """Every time zone someone lives in, and the default: where schedules must be on time."""
    names = set(session.scalars(select(Person.timezone).where(Person.timezone.is_not(None))).all())
    zones = {zone(name, default=default_timezone) for name in names}
    zones.add(zone(default_timezone, default="UTC"))
    return sorted(zones, key=str)
