"""Units and API tokens over the JSON API."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from bot.access.service import AccessDeniedError, api_tokens, create_api_token, revoke_api_token
from bot.people.service import add_unit, get_unit, unit_tree
from bot.web.deps import SessionDep
from bot.web.routes.api_common import ERROR_RESPONSES, IdPath, LimitQuery, OffsetQuery, Page, page
from bot.web.security import PrincipalDep

router = APIRouter(prefix="/api", tags=["units"], responses=ERROR_RESPONSES)


class UnitOut(BaseModel):
    """A unit in the tree."""

    id: int
    name: str
    parent_id: int | None
    depth: int


class UnitIn(BaseModel):
    """A new unit."""

    name: str = Field(min_length=1, max_length=120)
    parent: str | None = Field(None, max_length=120, description="Name of the unit above it.")


@router.get("/units")
def list_units(
    session: SessionDep, principal: PrincipalDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Page[UnitOut]:
    """The units you manage (admins: all), parents before children."""
    rows = [
        UnitOut(id=unit.id, name=unit.name, parent_id=unit.parent_id, depth=depth)
        for depth, unit in unit_tree(session=session)
        if principal.can_manage(unit.id)
    ]
    return page(rows, limit=limit, offset=offset)


@router.post("/units", status_code=status.HTTP_201_CREATED)
def create_unit(body: UnitIn, session: SessionDep, principal: PrincipalDep) -> UnitOut:
    """Add a unit (admins; managers may add units under their own)."""
    if body.parent is None:
        principal.require_admin()
    else:
        principal.require_unit(get_unit(session=session, name=body.parent).id)
    unit = add_unit(session=session, name=body.name, parent=body.parent)
    depth = next(d for d, u in unit_tree(session=session) if u.id == unit.id)
    return UnitOut(id=unit.id, name=unit.name, parent_id=unit.parent_id, depth=depth)


class TokenIn(BaseModel):
    """A new API token."""

    name: str = Field(min_length=1, max_length=120, description="What uses it, e.g. 'usage import from BI'.")
    unit: str | None = Field(
        None, max_length=120, description="Limit it to this unit and below; unset = admin."
    )


class TokenOut(BaseModel):
    """A token (the secret only once, at creation)."""

    id: int
    name: str
    unit_id: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool
    token: str | None = None


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, session: SessionDep, principal: PrincipalDep) -> TokenOut:
    """Create an API token (admins). The secret is in this response only."""
    principal.require_admin()
    creator = principal.person(session)
    if creator is None:
        raise AccessDeniedError("API tokens are created by a person who is an admin")
    unit = get_unit(session=session, name=body.unit) if body.unit else None
    token, secret = create_api_token(session=session, creator=creator, name=body.name, unit=unit)
    return TokenOut(
        id=token.id, name=token.name, unit_id=token.unit_id, created_at=token.created_at,
        last_used_at=None, revoked=False, token=secret,
    )  # fmt: skip


@router.get("/tokens")
def list_tokens(
    session: SessionDep, principal: PrincipalDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Page[TokenOut]:
    """API tokens (admins); secrets are never shown again."""
    principal.require_admin()
    rows = [
        TokenOut(
            id=t.id,
            name=t.name,
            unit_id=t.unit_id,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            revoked=t.revoked_at is not None,
        )  # fmt: skip
        for t in api_tokens(session=session)
    ]
    return page(rows, limit=limit, offset=offset)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: IdPath, session: SessionDep, principal: PrincipalDep) -> None:
    """Revoke an API token (admins)."""
    principal.require_admin()
    revoke_api_token(session=session, token_id=token_id)
