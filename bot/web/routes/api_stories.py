"""Success stories, vision series and invite codes over the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access.service import AccessDeniedError, Principal, may_see_audience, require_own_audience
from bot.broadcasts.models import Story
from bot.broadcasts.recurring import create_vision_series, stop_vision_series, vision_schedules
from bot.broadcasts.senders import DeliveryWarning, delivery_warning
from bot.broadcasts.service import MAX_TEXT
from bot.broadcasts.stories import (
    cancel_story,
    may_review,
    review_story,
    send_story,
    start_story,
    submit_story,
)
from bot.config import Settings
from bot.errors import NotFoundError
from bot.library.jobs import IngestJobs
from bot.library.publish import publish_story
from bot.people.models import Person, Role, Unit
from bot.people.service import create_invite, get_unit, invite_link, known_zones
from bot.storage.base import utc_now
from bot.web.deps import IngestJobsDep, SessionDep, SettingsDep
from bot.web.routes.api_common import ERROR_RESPONSES, IdPath, LimitQuery, OffsetQuery, Page, page
from bot.web.routes.console_common import delivery_note
from bot.web.security import PrincipalDep
from bot.wording import default_language

router = APIRouter(prefix="/api", tags=["stories and vision"], responses=ERROR_RESPONSES)


def _person(session: Session, principal: Principal) -> Person:
    if principal.via == "token" and not principal.is_admin:
        raise AccessDeniedError("a unit's API token cannot write or review as a person; sign in instead")
    person = principal.person(session)
    if person is None:
        raise AccessDeniedError(
            "stories and series come from a person: sign in, or use a token created by one"
        )
    return person


def _story_out(session: Session, story: Story) -> dict[str, Any]:
    unit = session.get(Unit, story.unit_id) if story.unit_id else None
    return {
        "id": story.id, "status": story.status, "text": story.text, "photo": story.photo_file_id is not None,
        "unit": unit.name if unit else None, "author_id": story.author_id, "broadcast_id": story.broadcast_id,
        "case_file": story.case_file, "review_note": story.review_note,
        # The preview: exactly the copy staff receive, and where it goes.
        "preview": {"text": story.text, "audience": [f"unit:{unit.name}"] if unit else ["all"]},
    }  # fmt: skip


class StoryIn(BaseModel):
    """A new story and what to do with it."""

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    action: str = Field("draft", pattern="^(draft|send|schedule|submit)$")
    send_at: datetime | None = Field(None, description="For action=schedule, with a time zone.")
    language: str = Field(default_factory=default_language, pattern="^(zh-Hans|zh-Hant|en)$")


def _act(
    session: Session,
    person: Person,
    story: Story,
    action: str,
    send_at: datetime | None,
    *,
    settings: Settings,
    jobs: IngestJobs,
) -> DeliveryWarning | None:
    """Do ``action``; what a send or a schedule must add while no sender worker runs."""
    if action in ("send", "schedule"):
        broadcast = send_story(
            session=session, story_id=story.id, author=person, send_at=send_at if action == "schedule" else None,
            approval_for_own_unit=settings.stories_need_approval_for_own_unit,
        )  # fmt: skip
        _to_library(session, story, settings=settings, jobs=jobs)
        return delivery_warning(session=session, now=utc_now(), send_at=broadcast.send_at)
    if action == "submit":
        submit_story(session=session, story_id=story.id, author=person)
        if story.approved_at is not None:
            _to_library(session, story, settings=settings, jobs=jobs)
    return None


def _delivery(request: Request, warning: DeliveryWarning | None) -> dict[str, Any]:
    """What a send or a schedule answers besides: whether a sender worker runs, and if not, a warning."""
    return {"delivery_running": warning is None, "warning": delivery_note(request, warning)}


def _to_library(session: Session, story: Story, *, settings: Settings, jobs: IngestJobs) -> None:
    publish_story(session=session, story_id=story.id, jobs=jobs)


@router.get("/stories")
def list_stories(
    session: SessionDep, principal: PrincipalDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Page[dict[str, Any]]:
    """Your stories and those waiting for your review (admins: all), newest first."""
    query = select(Story).order_by(Story.id.desc()).limit(1000)
    rows = [
        _story_out(session, story)
        for story in session.scalars(query).all()
        if _may_see(session, principal, story)
    ]
    return page(rows, limit=limit, offset=offset)


@router.post("/stories", status_code=status.HTTP_201_CREATED)
def new_story(
    request: Request,
    body: StoryIn,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    jobs: IngestJobsDep,
) -> dict[str, Any]:
    """Write a story (managers and admins) and send it to your unit, schedule it, or submit it for review."""
    person = _person(session, principal)
    story = start_story(session=session, author=person, text=body.text, language=body.language)
    warning = _act(session, person, story, body.action, body.send_at, settings=settings, jobs=jobs)
    out = _story_out(session, story)
    if body.action in ("send", "schedule"):
        out |= _delivery(request, warning)
    return out


class StoryActionIn(BaseModel):
    """What to do with a draft."""

    action: str = Field(pattern="^(send|schedule|submit)$")
    send_at: datetime | None = None


def _may_see(session: Session, principal: Principal, story: Story) -> bool:
    if principal.is_admin:
        return True
    if principal.via == "token":  # a unit's token sees that unit's stories, never as its creator
        return principal.can_manage(story.unit_id)
    person = principal.person(session)
    return story.author_id == principal.person_id or (
        person is not None and may_review(session=session, story=story, reviewer=person)
    )


@router.get("/stories/{story_id}")
def show_story(story_id: IdPath, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """A story with its preview."""
    story = session.get(Story, story_id)
    if story is None or not _may_see(session, principal, story):
        raise NotFoundError(f"no story {story_id}")
    return _story_out(session, story)


@router.post("/stories/{story_id}/act")
def act_on_story(
    request: Request,
    story_id: IdPath,
    body: StoryActionIn,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    jobs: IngestJobsDep,
) -> dict[str, Any]:
    """Send, schedule or submit one of your drafts."""
    person = _person(session, principal)
    story = session.get(Story, story_id)
    if story is None or story.author_id != person.id:
        raise NotFoundError(f"no story {story_id}")
    warning = _act(session, person, story, body.action, body.send_at, settings=settings, jobs=jobs)
    out = _story_out(session, story)
    if body.action in ("send", "schedule"):
        out |= _delivery(request, warning)
    return out


class ReviewIn(BaseModel):
    """A reviewer's decision."""

    approve: bool
    note: str | None = Field(None, max_length=1000)


@router.post("/stories/{story_id}/review")
def review(
    story_id: IdPath,
    body: ReviewIn,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    jobs: IngestJobsDep,
) -> dict[str, Any]:
    """Approve (into the weekly digest and the case library) or reject a submitted story."""
    person = _person(session, principal)
    story = review_story(
        session=session, story_id=story_id, reviewer=person, approve=body.approve, note=body.note
    )
    if body.approve:
        _to_library(session, story, settings=settings, jobs=jobs)
    return _story_out(session, story)


@router.post("/stories/{story_id}/cancel")
def cancel(story_id: IdPath, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """Withdraw a story (its author or an admin); a scheduled send is cancelled with it."""
    story = cancel_story(session=session, story_id=story_id, person=_person(session, principal))
    return _story_out(session, story)


class VisionIn(BaseModel):
    """A vision series."""

    title: str = Field("", max_length=200)
    variants: list[str] = Field(min_length=1, max_length=20)
    cron: str = Field(
        min_length=1, max_length=120, description="In each person's local time, e.g. '0 9 * * mon'."
    )
    audience: list[str] = Field(default_factory=list, max_length=50)
    must_read: bool = False


def _series_out(series: Any, schedule: Any) -> dict[str, Any]:
    return {
        "id": series.id, "title": series.title, "variants": series.variants, "audience": series.audience,
        "cron": schedule.cron, "next": schedule.next_occurrence.isoformat(timespec="minutes"), "active": schedule.active,
        # Beyond the cron: a series picked as "every 2 weeks" sends only in every other week from the anchor.
        "every_weeks": schedule.every_weeks,
        "anchor_week": schedule.anchor_week.isoformat() if schedule.anchor_week else None,
    }  # fmt: skip


@router.get("/vision")
def list_vision(session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Active vision series you started (admins: all; a unit's token: those to its own units)."""
    if principal.is_admin:
        found = vision_schedules(session=session)
    elif principal.owner_id is None:
        found = [
            (series, schedule)
            for series, schedule in vision_schedules(session=session)
            if may_see_audience(session=session, principal=principal, selectors=series.audience)
        ]
    else:
        person = principal.person(session)
        found = vision_schedules(session=session, by=person) if person is not None else []
    return [_series_out(series, schedule) for series, schedule in found]


@router.post("/vision", status_code=status.HTTP_201_CREATED)
def new_vision(
    request: Request, body: VisionIn, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> dict[str, Any]:
    """Start a vision series (managers: to their own units)."""
    require_own_audience(session=session, principal=principal, selectors=body.audience)
    zones = known_zones(session=session, default_timezone=settings.default_timezone)
    series, schedule = create_vision_series(
        session=session, title=body.title, variants=body.variants, cron=body.cron, zones=zones,
        selectors=body.audience, must_read=body.must_read, created_by=principal.person(session),
    )  # fmt: skip
    warning = delivery_warning(session=session, now=utc_now(), send_at=schedule.next_run_at)
    return _series_out(series, schedule) | _delivery(request, warning)


@router.post("/vision/{series_id}/stop")
def stop_vision(series_id: IdPath, session: SessionDep, principal: PrincipalDep) -> dict[str, int]:
    """Stop a series (its author or an admin)."""
    by = None if principal.is_admin else _person(session, principal)
    stop_vision_series(session=session, series_id=series_id, by=by)
    return {"stopped": series_id}


class InviteIn(BaseModel):
    """An invite code for one of your units."""

    unit: str = Field(min_length=1, max_length=120)
    role: Role = Role.STAFF
    uses: int = Field(1, ge=1, le=10_000)
    expires_days: float = Field(14, gt=0, le=365)


@router.post("/invites", status_code=status.HTTP_201_CREATED)
def new_invite(
    body: InviteIn, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> dict[str, Any]:
    """Create an invite code (and the Telegram link) for one of your units."""
    principal.require_unit(get_unit(session=session, name=body.unit).id)
    creator = principal.person(session)
    invite = create_invite(
        session=session, unit_name=body.unit, role=body.role, uses=body.uses, expires_days=body.expires_days,
        created_by=creator,
    )  # fmt: skip
    return {
        "code": invite.code, "unit": body.unit, "role": invite.role, "uses": invite.uses_left,
        "expires_at": invite.expires_at.isoformat(timespec="minutes"),
        "link": invite_link(code=invite.code, bot_username=settings.telegram_bot_username),
    }  # fmt: skip
