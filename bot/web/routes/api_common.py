"""Shapes every JSON API route shares: pages of items, and who you are."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from bot.web.security import PrincipalDep

T = TypeVar("T")

router = APIRouter(prefix="/api", tags=["me"])


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items``, the ``total`` across pages, and where this page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


LimitQuery = Annotated[int, Query(ge=1, le=200, description="Items per page.")]
# Ids are database integers: anything outside that range is simply not found, not a crash.
MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
OffsetQuery = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]


def page(items: list[T], *, limit: int, offset: int) -> Page[T]:
    """Cut a full list into the requested page."""
    return Page[T](items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset)


class Me(BaseModel):
    """The caller."""

    name: str
    is_admin: bool
    unit_ids: list[int]
    via: str
    csrf_token: str | None


@router.get("/me")
def me(principal: PrincipalDep) -> Me:
    """Who this request acts as; browsers read their CSRF token here."""
    return Me(
        name=principal.name,
        is_admin=principal.is_admin,
        unit_ids=sorted(principal.unit_ids),
        via=principal.via,
        csrf_token=principal.csrf_token,
    )
