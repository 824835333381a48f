"""The console's broadcasts page: broadcasts, stories (draft, preview, review) and vision series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
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
from bot.scheduling.cadence import Cadence, anchored, next_send_times, rule_of
from bot.scheduling.clock import parse_local_datetime
from bot.scheduling.wording import WEEKDAY_SHORT, describe_cadence, describe_rule, local_time_text
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.web.deps import IngestJobsDep, NowDep, SessionsDep, SettingsDep
from bot.web.routes.api_common import IdPath
from bot.web.routes.console_common import (
    back,
    checked,
    language_of,
    page,
    principal_of,
    reader_zone,
    sign_in_page,
    warned,
)
from bot.wording import pick

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)


@dataclass(frozen=True, slots=True)
class VisionForm:
    """The vision form as the page draws it: what was typed, and the cadence picked."""

    title: str = ""
    variants: str = ""
    audience: str = ""
    weekdays: tuple[int, ...] = (0,)
    at: str = "09:00"
    every_weeks: int = 1
    anchor: str = ""


DEFAULT_CADENCE = Cadence(weekdays=(0,), at=time(9))


def _cadence_of_form(weekdays: list[int], at: str, every_weeks: int, anchor: str = "") -> Cadence:
    """The cadence the picker's fields name (``InvalidInputError`` saying what is wrong)."""
    try:
        clock = time.fromisoformat(at.strip())
    except ValueError as exc:
        raise InvalidInputError(f"time of day: not a time: {at!r} (e.g. 09:00)") from exc
    try:
        week = date.fromisoformat(anchor) if anchor.strip() else None
    except ValueError as exc:
        raise InvalidInputError(f"not a week: {anchor!r}") from exc
    return Cadence.of(weekdays=weekdays, at=clock, every_weeks=every_weeks, anchor=week)


def _preview(
    cadence: Cadence, *, reader: ZoneInfo, zones: list[ZoneInfo], language: str, now: datetime
) -> dict[str, Any]:
    """What the picker shows before saving: the cadence in words and the next five sends on the
    reader's clock, with the anchor week that saving keeps."""
    fixed = anchored(cadence, now=now, zones=(reader, *zones))
    return {
        "description": describe_cadence(fixed, language, local_note=True),
        "times": [
            local_time_text(moment, zone=reader, language=language, show_zone=True)
            for moment in next_send_times(fixed, zone=reader, now=now, zones=zones)
        ],
        "anchor": fixed.anchor.isoformat() if fixed.anchor else "",
    }


def _broadcasts_page(
    request: Request,
    session: Session,
    principal: Principal,
    zones: list[ZoneInfo],
    *,
    now: datetime,
    form: VisionForm | None = None,
    cadence: Cadence = DEFAULT_CADENCE,
    error: str | None = None,
) -> Response:
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
    language = language_of(request)
    series = [
        (found, schedule, describe_rule(rule_of(schedule), language))
        for found, schedule in vision_schedules(session=session, by=None if principal.is_admin else person)
    ]
    reader = reader_zone(request, principal)
    preview = None
    if error is None:
        preview = _preview(cadence, reader=reader, zones=zones, language=language, now=now)
    return page(
        request,
        "broadcasts",
        principal,
        {"rows": rows, "pending": pending, "series": series, "vision": form or VisionForm(),
         "preview": preview, "preview_error": error, "weekday_names": pick(WEEKDAY_SHORT, language)},
    )  # fmt: skip


@router.get("/broadcasts", response_class=HTMLResponse)
def broadcasts(request: Request, sessions: SessionsDep, settings: SettingsDep, now: NowDep) -> Response:
    """Recent broadcasts with their figures, and forms to send or schedule one and start a vision series."""
    with transaction(sessions) as session:
        principal = principal_of(request, session)
        if principal is None:
            return sign_in_page(request)
        zones = known_zones(session=session, default_timezone=settings.default_timezone)
        return _broadcasts_page(request, session, principal, zones, now=now)


@router.get("/vision/preview")
def vision_preview(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    now: NowDep,
    weekday: Annotated[list[int], Query(max_length=7)] = [],  # noqa: B006  (FastAPI reads the default)
    at: Annotated[str, Query(max_length=8)] = "09:00",
    every_weeks: Annotated[int, Query(ge=1, le=4)] = 1,
) -> Response:
    """The cadence picker's preview as JSON, for the page's script: in words, and the next five sends."""
    with transaction(sessions) as session:
        principal = principal_of(request, session)
        if principal is None:
            return JSONResponse({"error": "please sign in again"}, status_code=status.HTTP_401_UNAUTHORIZED)
        zones = known_zones(session=session, default_timezone=settings.default_timezone)
    try:
        cadence = _cadence_of_form(weekday, at, every_weeks)
    except ChangebotError as exc:
        return JSONResponse({"error": str(exc)}, status_code=status.HTTP_400_BAD_REQUEST)
    reader = reader_zone(request, principal)
    return JSONResponse(_preview(cadence, reader=reader, zones=zones, language=language_of(request), now=now))


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
            principal = checked(request, session, csrf_token)
            author = _author(session, principal)
            if action == "discard":
                cancel_story(session=session, story_id=story_id, person=author)
            elif action in ("send", "schedule"):
                when = None
                if action == "schedule":  # picked on the author's clock
                    when = parse_local_datetime(send_at, zone=reader_zone(request, principal))
                broadcast = send_story(
                    session=session, story_id=story_id, author=author, send_at=when,
                    approval_for_own_unit=settings.stories_need_approval_for_own_unit,
                )  # fmt: skip
                publish_story(session=session, story_id=story_id, jobs=jobs)
                warning = delivery_warning(session=session, now=utc_now(), send_at=broadcast.send_at)
            elif action == "submit":
                submit_story(session=session, story_id=story_id, author=author)
                story = session.get(Story, story_id)
                if story is not None and story.approved_at is not None:
                    publish_story(session=session, story_id=story_id, jobs=jobs)
            else:
                raise InvalidInputError(f"unknown action {action!r}")
    except ChangebotError as exc:
        return back(f"/console/stories/{story_id}", str(exc))
    return back("/console/broadcasts", warned(request, f"#{story_id}: {action}", warning))


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
                publish_story(session=session, story_id=story_id, jobs=jobs)
    except ChangebotError as exc:
        return back("/console/broadcasts", str(exc))
    return back("/console/broadcasts", f"#{story_id} ✓")


@router.post("/vision", response_model=None)
def new_vision(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    now: NowDep,
    csrf_token: Annotated[str, Form()],
    variants: Annotated[str, Form()] = "",
    weekday: Annotated[list[int], Form(max_length=7)] = [],  # noqa: B006  (FastAPI reads the default)
    at: Annotated[str, Form(max_length=8)] = "09:00",
    every_weeks: Annotated[int, Form(ge=1, le=4)] = 1,
    anchor: Annotated[str, Form(max_length=10)] = "",
    audience: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "create",
) -> Response:
    """Start a vision series: wordings separated by blank lines, a cadence picked, an audience.

    ``action=preview`` draws the page again with the form as filled and the next five sends (the
    page's script shows them as the picker changes; this is the same without a script)."""
    wordings = [block.strip() for block in variants.replace("\r\n", "\n").split("\n\n") if block.strip()]
    selectors = [line.strip() for line in audience.splitlines() if line.strip()]
    form = VisionForm(title=title, variants=variants, audience=audience, weekdays=tuple(sorted(set(weekday))),
                      at=at, every_weeks=every_weeks, anchor=anchor)  # fmt: skip
    try:
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            zones = known_zones(session=session, default_timezone=settings.default_timezone)
            if action == "preview":
                try:
                    cadence = _cadence_of_form(weekday, at, every_weeks)
                except ChangebotError as exc:
                    return _broadcasts_page(
                        request, session, principal, zones, now=now, form=form, error=str(exc)
                    )
                return _broadcasts_page(
                    request, session, principal, zones, now=now, form=form, cadence=cadence
                )
            # The anchor the preview showed, so the rhythm saved is the one previewed.
            cadence = _cadence_of_form(weekday, at, every_weeks, anchor)
            require_own_audience(session=session, principal=principal, selectors=selectors)
            series, schedule = create_vision_series(
                session=session, title=title, variants=wordings, cadence=cadence, zones=zones,
                selectors=selectors, created_by=principal.person(session), now=now,
            )  # fmt: skip
            first = local_time_text(
                schedule.next_occurrence, zone=reader_zone(request, principal),
                language=language_of(request), show_zone=True,
            )  # fmt: skip
            # Whether a sender runs is a question about processes now, whatever the preview's clock.
            warning = delivery_warning(session=session, now=utc_now(), send_at=schedule.next_run_at)
            done = warned(request, f"#{series.id} → {first}", warning)
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
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            # The browser's field has no zone: the time was picked on the reader's clock.
            when = (
                parse_local_datetime(send_at, zone=reader_zone(request, principal))
                if send_at.strip()
                else None
            )
            require_own_audience(session=session, principal=principal, selectors=selectors)
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
            done = warned(request, f"#{broadcast.id}", warning)
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
