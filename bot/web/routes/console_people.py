"""The console's people page: the unit tree with head counts, and invite codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from bot.errors import ChangebotError
from bot.people.models import Membership, Person, Role
from bot.people.service import create_invite, get_unit, invite_link, unit_tree
from bot.storage.database import transaction
from bot.web.deps import SessionsDep, SettingsDep
from bot.web.routes.console_common import back, checked, page, principal_of, sign_in_page

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)


@router.get("/people", response_class=HTMLResponse)
def people(request: Request, sessions: SessionsDep) -> Response:
    """The unit tree with head counts, and invite codes."""
    with transaction(sessions) as session:
        principal = principal_of(request, session)
        if principal is None:
            return sign_in_page(request)
        counts: dict[tuple[int, str], int] = {}
        managers: dict[int, list[str]] = {}
        for unit_id, role, name in session.execute(
            select(Membership.unit_id, Membership.role, Person.name).join(
                Person, Person.id == Membership.person_id
            )
        ).all():
            counts[(unit_id, role)] = counts.get((unit_id, role), 0) + 1
            if role == Role.MANAGER.value:
                managers.setdefault(unit_id, []).append(name or "?")
        tree = [
            (depth, unit, counts.get((unit.id, Role.STAFF.value), 0), managers.get(unit.id, []))
            for depth, unit in unit_tree(session=session)
            if principal.can_manage(unit.id)
        ]
        return page(
            request, "people", principal, {"tree": tree, "roles": [Role.STAFF.value, Role.MANAGER.value]}
        )


@router.post("/people/invite")
def invite(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form()],
    unit: Annotated[str, Form()],
    role: Annotated[str, Form()],
    uses: Annotated[int, Form()] = 1,
) -> Response:
    """Create an invite code for one of your units."""
    try:
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            principal.require_unit(get_unit(session=session, name=unit).id)
            creator = principal.person(session)
            code = create_invite(
                session=session, unit_name=unit, role=Role(role), uses=uses, created_by=creator
            ).code
    except (ChangebotError, ValueError) as exc:
        return back("/console/people", str(exc))
    link = invite_link(code=code, bot_username=settings.telegram_bot_username)
    return back("/console/people", f"{code}" + (f" · {link}" if link else ""))
