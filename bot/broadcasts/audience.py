"""Audience selectors: ``all``, ``unit:NAME`` (with everything under it), ``role:staff|manager|admin``, ``lang:CODE``,
and ``person:ID`` (named people, e.g. the ones a survey reminder goes to).

Selectors of the same kind widen the audience (unit:A + unit:B = either unit); different kinds
narrow it (unit:A + lang:zh-Hant = Traditional-Chinese readers in A).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InvalidInputError
from bot.people.models import Membership, Person, Role
from bot.people.service import get_unit, unit_and_descendants
from ingest.text import LANGUAGES

ROLES = frozenset({Role.STAFF.value, Role.MANAGER.value, "admin"})


@dataclass(frozen=True, slots=True)
class Audience:
    """A parsed set of selectors."""

    units: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    people: tuple[int, ...] = ()
    selectors: tuple[str, ...] = field(default=())


def parse_audience(selectors: Sequence[str]) -> Audience:
    """Parse selectors; an empty list means everyone. Errors name the bad selector."""
    units: list[str] = []
    roles: list[str] = []
    languages: list[str] = []
    people: list[int] = []
    for raw in selectors:
        selector = raw.strip()
        kind, _, value = selector.partition(":")
        value = value.strip()
        if selector == "all":
            continue
        if kind == "unit" and value:
            units.append(value)
        elif kind == "role" and value in ROLES:
            roles.append(value)
        elif kind == "lang" and value in LANGUAGES:
            languages.append(value)
        elif kind == "person" and value.isdigit():
            people.append(int(value))
        else:
            raise InvalidInputError(
                f"unknown audience selector {selector!r}; use all, unit:NAME, role:staff|manager|admin, "
                f"lang:{'|'.join(LANGUAGES)}"
            )
    return Audience(
        units=tuple(units),
        roles=tuple(roles),
        languages=tuple(languages),
        people=tuple(people),
        selectors=tuple(s.strip() for s in selectors) or ("all",),
    )


def resolve_audience(
    *, session: Session, audience: Audience, telegram_only: bool = True, include_paused: bool = False
) -> list[Person]:
    """Everyone the audience reaches who can receive pushes: active, not paused, and on Telegram
    (``telegram_only=False`` adds people who use only the web chat, e.g. for surveys).

    ``include_paused`` adds people who paused pushes with /stop: a pause covers stories, vision
    messages and announcements, not must-reads (the change team needs everyone to read them) nor
    surveys (a resistance measure taken only from those willing to hear more would flatter it).
    """
    query = select(Person).where(Person.active.is_(True))
    if not include_paused:
        query = query.where(Person.pushes_enabled.is_(True))
    if telegram_only:
        query = query.where(Person.telegram_id.is_not(None))
    if audience.languages:
        query = query.where(Person.language.in_(audience.languages))
    if audience.people:
        query = query.where(Person.id.in_(audience.people))
    people = list(session.scalars(query.order_by(Person.id)).all())
    if audience.units:
        unit_ids: set[int] = set()
        for name in audience.units:
            unit_ids |= {
                unit.id
                for unit in unit_and_descendants(session=session, unit=get_unit(session=session, name=name))
            }
        members = set(
            session.scalars(select(Membership.person_id).where(Membership.unit_id.in_(unit_ids))).all()
        )
        people = [person for person in people if person.id in members]
    if audience.roles:
        wanted = set(audience.roles)
        people = [
            person
            for person in people
            if ("admin" in wanted and person.is_admin) or any(m.role in wanted for m in person.memberships)
        ]
    return people
