"""Broadcasts over the JSON API: list, send or schedule, follow, cancel."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.access.service import Principal, cancel_broadcast_as, may_see_broadcast, require_own_audience
from bot.broadcasts.models import Broadcast
from bot.broadcasts.senders import delivery_warning
from bot.broadcasts.service import (
    MAX_TEXT,
    broadcast_status,
    create_broadcast,
    list_broadcasts,
)
from bot.errors import NotFoundError
from bot.storage.base import utc_now
from bot.web.deps import SessionDep
from bot.web.routes.api_common import ERROR_RESPONSES, IdPath, LimitQuery, OffsetQuery, Page
from bot.web.routes.console_common import delivery_note
from bot.web.security import PrincipalDep

router = APIRouter(prefix="/api", tags=["broadcasts"], responses=ERROR_RESPONSES)


class BroadcastIn(BaseModel):
    """A broadcast to send now or schedule."""

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    audience: list[str] = Field(
        default_factory=list, max_length=50, description="Selectors: all, unit:NAME, ..."
    )
    send_at: datetime | None = Field(None, description="With a time zone; unset = now.")
    must_read: bool = False


class BroadcastOut(BaseModel):
    """A broadcast and its delivery figures."""

    id: int
    kind: str
    text: str
    audience: list[str]
    status: str
    send_at: datetime
    recipients: int
    delivered: int
    failed: int
    blocked: int
    reactions: int
    acknowledged: int


class BroadcastQueued(BroadcastOut):
    """A broadcast just sent or scheduled, and whether anything is delivering the outbox."""

    delivery_running: bool = Field(description="A sender worker reported within the last minute.")
    warning: str | None = Field(
        description="While no sender runs: that nothing is delivered yet and how to start one "
        "(in the caller's language); else null."
    )


def _out(session: Session, broadcast: Broadcast) -> BroadcastOut:
    figures = broadcast_status(session=session, broadcast_id=broadcast.id)
    return BroadcastOut(
        id=broadcast.id, kind=broadcast.kind, text=broadcast.text, audience=list(broadcast.audience),
        status=broadcast.status, send_at=broadcast.send_at,
        **{key: int(figures[key]) for key in ("recipients", "delivered", "failed", "blocked", "reactions", "acknowledged")},
    )  # fmt: skip


def _get(session: Session, principal: Principal, broadcast_id: IdPath) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or not may_see_broadcast(session=session, principal=principal, broadcast=broadcast):
        raise NotFoundError(f"no broadcast {broadcast_id}")  # not yours looks like not there
    return broadcast


@router.get("/broadcasts")
def list_all(
    session: SessionDep, principal: PrincipalDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Page[BroadcastOut]:
    """Recent broadcasts you may see, newest first, with their figures."""
    visible = [
        b
        for b in list_broadcasts(session=session, limit=1000)
        if may_see_broadcast(session=session, principal=principal, broadcast=b)
    ]
    chosen = visible[offset : offset + limit]
    return Page[BroadcastOut](
        items=[_out(session, b) for b in chosen], total=len(visible), limit=limit, offset=offset
    )


@router.post("/broadcasts", status_code=status.HTTP_201_CREATED)
def send(
    request: Request, body: BroadcastIn, session: SessionDep, principal: PrincipalDep
) -> BroadcastQueued:
    """Send or schedule a broadcast (managers: to their own units, unit:NAME); ``delivery_running``
    false, with a ``warning``: no sender worker runs, so nothing delivers it yet."""
    require_own_audience(session=session, principal=principal, selectors=body.audience)
    author = principal.person(session)
    broadcast = create_broadcast(
        session=session, text=body.text, selectors=body.audience, send_at=body.send_at, must_read=body.must_read,
        created_by=author,
    )  # fmt: skip
    warning = delivery_warning(session=session, now=utc_now(), send_at=broadcast.send_at)
    return BroadcastQueued(
        **_out(session, broadcast).model_dump(),
        delivery_running=warning is None,
        warning=delivery_note(request, warning),
    )


@router.get("/broadcasts/{broadcast_id}")
def show(broadcast_id: IdPath, session: SessionDep, principal: PrincipalDep) -> BroadcastOut:
    """One broadcast with its delivery figures."""
    return _out(session, _get(session, principal, broadcast_id))


@router.post("/broadcasts/{broadcast_id}/cancel")
def cancel(broadcast_id: IdPath, session: SessionDep, principal: PrincipalDep) -> BroadcastOut:
    """Cancel a broadcast that is not sent yet (its author, a manager of its units, or an admin)."""
    return _out(session, cancel_broadcast_as(session=session, principal=principal, broadcast_id=broadcast_id))
