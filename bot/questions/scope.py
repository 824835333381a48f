"""What an asker may be answered from: FAQs scoped to their unit or any unit above it (a store's
own answer answers that store and nobody else)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access.service import Principal
from bot.answering.retrieval import NO_FILTERS, SearchFilters
from bot.people.models import Person, Unit
from bot.people.service import ancestors, home_unit


def _answered_in(units: Iterable[Unit]) -> SearchFilters:
    """Filters admitting FAQs scoped to ``units`` or any unit above them (none: no scoped FAQ)."""
    names = frozenset(u.name for unit in units for u in (unit, *ancestors(unit)))
    return SearchFilters(units=names) if names else NO_FILTERS


def asker_filters(*, session: Session, person_id: int | None) -> SearchFilters:
    """What ``person_id`` may be answered from: FAQs scoped to their unit or any unit above it."""
    person = session.get(Person, person_id) if person_id is not None else None
    unit = home_unit(person) if person is not None else None
    return _answered_in([unit] if unit is not None else [])


def principal_filters(*, session: Session, principal: Principal) -> SearchFilters:
    """What a manager's "try a question" may be answered from: whatever someone in the units they
    look after could be told (FAQs scoped to those units or above them); admins see every scope."""
    if principal.is_admin:
        return _answered_in(session.scalars(select(Unit)).all())
    managed = (session.get(Unit, unit_id) for unit_id in principal.unit_ids)
    return _answered_in(unit for unit in managed if unit is not None)
