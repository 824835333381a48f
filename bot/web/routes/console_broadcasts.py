"""The console's broadcasts page: broadcasts, stories (draft, preview, review) and vision series."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access.service import (
    AccessDeniedError,
    Principal,
    cancel_broadcast_as,
    may_see_broadcast,
    require_own_audience,
)
from bot.broadcasts.models import Broadcast, Story, StoryStatus
from bot.broadcasts.recurring import create_vision_series, stop_vision_series, vision_schedules
from bot.broadcasts.senders import DeliveryWarning, delivery_warning
from bot.broadcasts.service import broadcast_status, create_broadcast, list_broadcasts, unread_report
from bot.broadcasts.stories import (
    cancel_story,
    may_review,
    may_send_directly,
    review_story,
    send_story,
    start_story,
    story_copy,
    submit_story,
)
from bot.errors import ChangebotError, InvalidInputError
from bot.library.publish import publish_story
from bot.people.models import Person, Unit
from bot.people.service import known_zones
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.web.deps import IngestJobsDep, SessionsDep, SettingsDep
from bot.web.routes.api_common import IdPath
from bot.web.routes.console_common import back, checked, delivery_note, page, principal_of, sign_in_page

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)


def _warned(request: Request, done: str, warning: DeliveryWarning | None) -> str:
    """The message a send or a schedule is confirmed with, and ``warning`` (no sender runs) after it."""
    note = delivery_note(request, warning)
    return done if note is None else f"{done} · {note}"


@router.get("/broadcasts", response_class=HTMLResponse)
def broadcasts(request: Request, sessions: SessionsDep) -> Response:
    """Recent broadcasts with their figures, and a form to send or schedule one."""
    with transaction(sessions) as session:
        principal = principal_of(request, session)
        if principal is None:
            return sign_in_page(request)
        rows = []
        for broadcast in list_broadcasts(session=session, limit=100):
            if may_see_broadcast(session=session, principal=principal, broadcast=broadcast):
                rows.append((broadcast, broadcast_status(session=session, broadcast_id=broadcast.id)))
        person = principal.person(session)
        pending = [
            story
            for story in session.scalars(
                select(Story).where(Story.status == StoryStatus.PENDING.value).order_by(Story.id)
            )
            if person is not None and may_review(session=session, story=story, reviewer=person)
        ]
        series = vision_schedules(session=session, by=None if principal.is_admin else person)
        return page(request, "broadcasts", principal, {"rows": rows, "pending": pending, "series": series})


@router.get("/broadcasts/{broadcast_id}", response_class=HTMLResponse)
def broadcast_detail(request: Request, sessions: SessionsDep, broadcast_id: IdPath) -> Response:
    """One broadcast's figures and, for a must-read, who has not read it yet, per unit."""
    with transaction(sessions) as session:
        principal = principal_of(request, session)
        if principal is None:
            return sign_in_page(request)
        broadcast = session.get(Broadcast, broadcast_id)
        # Not theirs to see reads the same as not there.
        if broadcast is None or not may_see_broadcast(
            session=session, principal=principal, broadcast=broadcast
        ):
            return back("/console/broadcasts", f"no broadcast {broadcast_id}")
        figures = broadcast_status(session=session, broadcast_id=broadcast_id)
        unread = unread_report(session=session, broadcast_id=broadcast_id)
        return page(request, "broadcast", principal, {"b": broadcast, "f": figures, "unread": unread})


@router.post("/stories")
def write_story(
    request: Request, sessions: SessionsDep, csrf_token: Annotated[str, Form()], text: Annotated[str, Form()]
) -> Response:
    """A draft story, then its preview page."""
    try:
        with transaction(sessions) as session:
            author = _author(session, checked(request, session, csrf_token))
            story_id = start_story(session=session, author=author, text=text, language=author.language).id
    except ChangebotError as exc:
        return back("/console/broadcasts", str(exc))
    return RedirectResponse(f"/console/stories/{story_id}", status_code=status.HTTP_303_SEE_OTHER)


def _author(session: Session, principal: Principal) -> Person:
    person = principal.person(session)
    if person is None:
        raise AccessDeniedError("please sign in again")
    return person


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story_preview(
    request: Request, sessions: SessionsDep, settings: SettingsDep, story_id: IdPath
) -> Response:
    """The story exactly as staff will get it, with what the author may do next."""
    with transaction(sessions) as session:
        principal = principal_of(request, session)
        if principal is None:
            return sign_in_page(request)
        story = session.get(Story, story_id)
        if story is None or story.author_id != principal.person_id:
            return back("/console/broadcasts", f"no story {story_id}")
        author = _author(session, principal)
        unit = session.get(Unit, story.unit_id) if story.unit_id else None
        direct = may_send_directly(
            session=session,
            story=story,
            author=author,
            approval_for_own_unit=settings.stories_need_approval_for_own_unit,
        )
        copy = story_copy(
            text=story.text, author=author.name, unit=unit.name if unit else None, language=author.language
        )
        return page(
            request, "story", principal, {"story": story, "unit": unit, "direct": direct, "copy": copy}
        )


@router.post("/stories/{story_id}")
def act_on_story(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    jobs: IngestJobsDep,
    story_id: IdPath,
    csrf_token: Annotated[str, Form()],
    action: Annotated[str, Form()],
    send_at: Annotated[str, Form()] = "",
) -> Response:
    """Send now, schedule, submit for review, or discard a draft."""
    warning: DeliveryWarning | None = None  # no sender runs: nothing would deliver what is sent
    try:
        with transaction(sessions) as session:
            author = _author(session, checked(request, session, csrf_token))
            if action == "discard":
                cancel_story(session=session, story_id=story_id, person=author)
            elif action in ("send", "schedule"):
                when = None
                if action == "schedule":
                    try:
                        when = datetime.fromisoformat(send_at)
                    except ValueError as exc:
                        raise InvalidInputError(f"send time: not a date and time: {send_at!r}") from exc
                    when = when if when.tzinfo else when.astimezone()
                broadcast = send_story(
                    session=session, story_id=story_id, author=author, send_at=when,
                    approval_for_own_unit=settings.stories_need_approval_for_own_unit,
                )  # fmt: skip
                publish_story(
                    session=session, story_id=story_id, knowledge_dir=settings.knowledge_dir, jobs=jobs
                )
                warning = delivery_warning(session=session, now=utc_now(), send_at=broadcast.send_at)
            elif action == "submit":
                submit_story(session=session, story_id=story_id, author=author)
                story = session.get(Story, story_id)
                if story is not None and story.approved_at is not None:
                    publish_story(
                        session=session, story_id=story_id, knowledge_dir=settings.knowledge_dir, jobs=jobs
                    )
            else:
                raise InvalidInputError(f"unknown action {action!r}")
    except ChangebotError as exc:
        return back(f"/console/stories/{story_id}", str(exc))
    return back("/console/broadcasts", _warned(request, f"#{story_id}: {action}", warning))


@router.post("/stories/{story_id}/review")
def review(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    jobs: IngestJobsDep,
    story_id: IdPath,
    csrf_token: Annotated[str, Form()],
    approve: Annotated[str, Form()],
) -> Response:
    """Approve (into the digest and the case library) or reject a submitted story."""
    try:
        with transaction(sessions) as session:
            reviewer = _author(session, checked(request, session, csrf_token))
            story = review_story(
                session=session, story_id=story_id, reviewer=reviewer, approve=approve == "yes"
            )
            if story.approved_at is not None:
                publish_story(
                    session=session, story_id=story_id, knowledge_dir=settings.knowledge_dir, jobs=jobs
                )
    except ChangebotError as exc:
        return back("/console/broadcasts", str(exc))
    return back("/console/broadcasts", f"#{story_id} ✓")


@router.post("/vision")
def new_vision(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form()],
    variants: Annotated[str, Form()],
    cron: Annotated[str, Form()],
    audience: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
) -> Response:
    """Start a vision series: wordings separated by blank lines, a cadence, an audience."""
    wordings = [block.strip() for block in variants.replace("\r\n", "\n").split("\n\n") if block.strip()]
    selectors = [line.strip() for line in audience.splitlines() if line.strip()]
    try:
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            require_own_audience(session=session, principal=principal, selectors=selectors)
            zones = known_zones(session=session, default_timezone=settings.default_timezone)
            series, schedule = create_vision_series(
                session=session, title=title, variants=wordings, cron=cron, zones=zones, selectors=selectors,
                created_by=principal.person(session),
            )  # fmt: skip
            warning = delivery_warning(session=session, now=utc_now(), send_at=schedule.next_run_at)
            done = _warned(request, f"#{series.id}", warning)
    except ChangebotError as exc:
        return back("/console/broadcasts", str(exc))
    return back("/console/broadcasts", done)


@router.post("/vision/{series_id}/stop")
def stop_vision(
    request: Request, sessions: SessionsDep, series_id: IdPath, csrf_token: Annotated[str, Form()]
) -> Response:
    """Stop a vision series (its author or an admin)."""
    try:
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            by = None if principal.is_admin else _author(session, principal)
            stop_vision_series(session=session, series_id=series_id, by=by)
    except ChangebotError as exc:
        return back("/console/broadcasts", str(exc))
    return back("/console/broadcasts", f"#{series_id} ✓")


@router.post("/broadcasts")
def compose(
    request: Request,
    sessions: SessionsDep,
    csrf_token: Annotated[str, Form()],
    text: Annotated[str, Form()],
    audience: Annotated[str, Form()] = "",
    send_at: Annotated[str, Form()] = "",
    must_read: Annotated[bool, Form()] = False,
) -> Response:
    """Send or schedule (managers: to their own units)."""
    selectors = [line.strip() for line in audience.splitlines() if line.strip()]
    try:
        when = datetime.fromisoformat(send_at) if send_at.strip() else None
    except ValueError:
        return back("/console/broadcasts", f"send time: not a date and time: {send_at!r}")
    try:
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            require_own_audience(session=session, principal=principal, selectors=selectors)
            if when is not None and when.tzinfo is None:
                when = when.astimezone()  # the browser's field has no zone: the server's local time
            author = principal.person(session)
            broadcast = create_broadcast(
                session=session,
                text=text,
                selectors=selectors,
                send_at=when,
                must_read=must_read,
                created_by=author,
            )
            warning = delivery_warning(session=session, now=utc_now(), send_at=broadcast.send_at)
            done = _warned(request, f"#{broadcast.id}", warning)
    except ChangebotError as exc:
        return back("/console/broadcasts", str(exc))
    return back("/console/broadcasts", done)


@router.post("/broadcasts/{broadcast_id}/cancel")
def cancel(
    request: Request, sessions: SessionsDep, broadcast_id: IdPath, csrf_token: Annotated[str, Form()]
) -> Response:
    """Cancel a scheduled broadcast (its author, a manager of its units, or an admin)."""
    try:
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            cancel_broadcast_as(session=session, principal=principal, broadcast_id=broadcast_id)
    except ChangebotError as exc:
        return back("/console/broadcasts", str(exc))
    return back("/console/broadcasts", f"#{broadcast_id} ✓")
