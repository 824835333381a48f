"""The rollout and the gaps over the JSON API: usage import, lights, unanswered questions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access.service import AccessDeniedError
from bot.errors import InvalidInputError
from bot.people.models import Unit
from bot.questions.gaps import faq_candidates, open_gaps_for
from bot.rollout.figures import check_rows, last_complete_week, parse_rows, store_figures, week_of
from bot.rollout.models import UnitLight
from bot.storage.database import in_transaction
from bot.web.deps import CoreDep, SessionDep, SessionsDep
from bot.web.routes.api_common import ERROR_RESPONSES, LimitQuery, OffsetQuery, Page, page
from bot.web.security import PrincipalDep, principal_of

router = APIRouter(prefix="/api", tags=["rollout"], responses=ERROR_RESPONSES)
MAX_UPLOAD = 5 * 1024 * 1024


@router.post("/rollout/figures")
async def import_figures(request: Request, sessions: SessionsDep) -> dict[str, int]:
    """Import weekly usage figures: a CSV (text/csv) or JSON list body. Any bad row refuses the
    whole import, every problem named by line; managers import only their own units."""
    principal = await principal_of(request, sessions=sessions)
    body = await request.body()  # no transaction is open while the body arrives
    if len(body) > MAX_UPLOAD:
        raise InvalidInputError(f"the file is larger than {MAX_UPLOAD // 1024 // 1024} MB")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError("the file is not UTF-8 text") from exc
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    fmt = "json" if kind == "application/json" else "csv" if kind in ("text/csv", "text/plain") else ""
    if not fmt:
        raise InvalidInputError("send text/csv or application/json")

    def store(session: Session) -> int:
        checked = check_rows(session, parse_rows(text, fmt=fmt))
        foreign = sorted({f.unit_id for f in checked if not principal.can_manage(f.unit_id)})
        if foreign:
            names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(foreign))).all())
            raise AccessDeniedError("not your units: " + ", ".join(names[i] for i in foreign))
        for figures in checked:
            store_figures(session=session, figures=figures, source="api")
        return len(checked)

    return {"imported": await in_transaction(sessions, store)}


@router.get("/rollout/lights")
def lights(
    session: SessionDep,
    principal: PrincipalDep,
    week: Annotated[date | None, Query(description="Any day of the week; default: last week.")] = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Page[dict[str, Any]]:
    """Each of your units' light for a week, with the reasons and the bot's activity."""
    chosen = week_of(week) if week else last_complete_week()
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    rows = [
        {
            "unit": names.get(row.unit_id),
            "week": row.week.isoformat(),
            "light": row.light,
            "usage_light": row.usage_light,
            "usage_rate": row.usage_rate,
            "reasons": row.reasons,
            "questions": row.questions,
            "active_share": row.active_share,
            "unanswered_rate": row.unanswered_rate,
        }  # fmt: skip
        for row in session.scalars(
            select(UnitLight).where(UnitLight.week == chosen).order_by(UnitLight.usage_rate)
        )
        if principal.can_manage(row.unit_id)
    ]
    return page(rows, limit=limit, offset=offset)


@router.get("/gaps")
def gaps(
    session: SessionDep,
    principal: PrincipalDep,
    core: CoreDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Page[dict[str, Any]]:
    """Open unanswered questions from people in your units, grouped by topic, biggest first, with
    the FAQs the first one could be answered with (``faq_chunk_id`` of ``POST /gaps/{id}/answer``)."""
    groups = open_gaps_for(session=session, principal=principal)
    rows = [
        {
            "example": g.example,
            "count": len(g.questions),
            "question_ids": [q.id for q in g.questions],
            "latest": max(q.asked_at for q in g.questions).isoformat(),
            "faq_candidates": [
                c.to_json() for c in faq_candidates(answerer=core.answerer, question=g.questions[0])
            ],
        }  # fmt: skip
        for g in groups
    ]
    return page(rows, limit=limit, offset=offset)
