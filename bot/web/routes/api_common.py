"""Shapes every JSON API route shares: pages of items, and who you are."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from bot.web.security import PrincipalDep

T = TypeVar("T")


class ErrorOut(BaseModel):
    """Why a request was refused: a sentence, or for malformed input the list of fields at fault."""

    detail: str | list[dict[str, Any]]


# What any JSON API route may answer besides success, declared so the OpenAPI description is true:
# 401 (not signed in), 403 (not yours), 404 (no such thing, or not yours to see), 409 (sent,
# stopped or closed already), 422 (bad input: a sentence, or FastAPI's list of fields), 503 (the
# database or the vector store is not answering; Retry-After says when to try again).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": description}
    for code, description in (
        (401, "Not signed in, or the API token is unknown or revoked."),
        (403, "Signed in, but not allowed to do this."),
        (404, "No such thing, or not yours to see."),
        (409, "It is sent, stopped or closed already, or the name is taken."),
        (422, "The input was refused; nothing changed."),
        (503, "The database or the vector store is not answering; try again after Retry-After seconds."),
    )
}

router = APIRouter(prefix="/api", tags=["me"], responses=ERROR_RESPONSES)


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
