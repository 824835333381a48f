"""The manager console: server-rendered pages over the same domain functions as the JSON API.

Pages read with the session cookie; every form carries the session's CSRF token and redirects back
(post/redirect/get) with a message. Charts are Plotly figures drawn by plotly.js served from the
installed plotly package (no CDN).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

import plotly
import plotly.graph_objects as go
from fastapi import APIRouter, Form, Query, Request, UploadFile, status
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access.service import (
    AccessDeniedError,
    Principal,
    cancel_broadcast_as,
    may_see_audience,
    may_see_broadcast,
    require_own_audience,
    session_principal,
    visible_groups,
)
from bot.answering.retrieval import NO_FILTERS, SearchFilters
from bot.broadcasts.models import Story, StoryStatus
from bot.broadcasts.recurring import create_vision_series, stop_vision_series, vision_schedules
from bot.broadcasts.service import broadcast_status, create_broadcast, list_broadcasts
from bot.broadcasts.stories import (
    cancel_story,
    may_review,
    may_send_directly,
    review_story,
    send_story,
    start_story,
    submit_story,
)
from bot.config import Settings
from bot.errors import ChangebotError, InvalidInputError
from bot.library.contents import chunks_of, documents
from bot.library.faq_review import review_faq, team_faqs
from bot.library.files import FOLDERS, add_file
from bot.library.jobs import IngestJobs
from bot.library.publish import publish_story
from bot.people.models import Membership, Person, Role, Unit
from bot.people.service import create_invite, get_unit, invite_link, unit_tree
from bot.questions.gaps import answer_gap, faq_candidates, open_gaps_for
from bot.questions.phrasings import PhrasingView, phrasings_for_review, set_phrasing_active
from bot.questions.scope import principal_filters
from bot.reporting.overview import build_overview
from bot.runtime import survey_definitions, survey_rules
from bot.scheduling.service import known_zones
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.results import results_as_dict, wave_results, wave_status
from bot.surveys.waves import get_wave, launch_wave, waves
from bot.web.console_text import console_text
from bot.web.i18n import pick_language
from bot.web.routes.api_common import MAX_ID, IdPath
from bot.web.security import SESSION_COOKIE

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
PLOTLY_JS = Path(str(plotly.__file__)).resolve().parent / "package_data" / "plotly.min.js"
LIGHT_COLOURS = {"green": "#2e9e44", "yellow": "#e8b500", "orange": "#f07c00", "red": "#d62828"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _principal(request: Request, session: Session) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        return session_principal(session=session, cookie=cookie)
    except AccessDeniedError:
        return None


def _language(request: Request) -> str:
    query = request.query_params.get("lang") or request.cookies.get("changebot_lang")
    return pick_language(query=query, accept_language=request.headers.get("accept-language", ""))


def _page(request: Request, name: str, principal: Principal, context: dict[str, Any]) -> HTMLResponse:
    language = _language(request)
    response = templates.TemplateResponse(
        request,
        f"console/{name}.html",
        {"t": console_text(language), "lang": language, "me": principal, "message": request.query_params.get("msg"),
         "section": name, **context},
    )  # fmt: skip
    if request.query_params.get("lang"):
        response.set_cookie("changebot_lang", language, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def _sign_in_page(request: Request) -> HTMLResponse:
    language = _language(request)
    return templates.TemplateResponse(
        request, "console/signin.html", {"t": console_text(language), "lang": language}, status_code=401
    )


def _back(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?msg={quote(message)}", status_code=status.HTTP_303_SEE_OTHER)


def _checked(request: Request, session: Session, csrf_token: str) -> Principal:
    principal = _principal(request, session)
    if principal is None:
        raise AccessDeniedError("please sign in again: send /web to the bot")
    if not principal.csrf_token or csrf_token != principal.csrf_token:
        raise AccessDeniedError("the form expired; reload the page and try again")
    return principal


def _db(request: Request) -> Any:
    return transaction(request.app.state.sessions)


@router.get("/vendor/plotly.min.js")
def plotly_bundle() -> FileResponse:
    """plotly.js from the installed plotly package: charts need nothing from the internet."""
    return FileResponse(
        PLOTLY_JS, media_type="application/javascript", headers={"Cache-Control": "max-age=86400"}
    )


# ---------------------------------------------------------------- overview


@router.get("", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    """Adoption, reach, vision exposure, the resistance heatmap, lights and trends."""
    settings = _settings(request)
    with _db(request) as session:
        principal = _principal(request, session)
        if principal is None:
            return _sign_in_page(request)
        data = build_overview(
            session=session, principal=principal, surveys=survey_definitions(settings), rules=survey_rules(settings),
            vision_target=settings.vision_target_exposures,
        )  # fmt: skip
    t = console_text(_language(request))
    heatmap = None
    if data.heatmap_units:
        figure = go.Figure(
            go.Heatmap(
                z=data.heatmap_means, x=data.heatmap_dimensions, y=data.heatmap_units, zmin=1, zmax=5,
                colorscale=[[0, "#2e9e44"], [0.5, "#e8b500"], [1, "#d62828"]], colorbar={"title": {"text": t["mean"]}},
                hovertemplate="%{y} · %{x}: %{z:.2f}<extra></extra>",
            )
        )  # fmt: skip
        figure.update_layout(
            margin={"l": 120, "r": 20, "t": 10, "b": 40}, height=120 + 40 * len(data.heatmap_units)
        )
        heatmap = figure.to_json()
    trend = go.Figure()
    for colour, counts in data.trend_lights.items():
        trend.add_bar(x=data.trend_weeks, y=counts, name=colour, marker_color=LIGHT_COLOURS[colour])
    trend.add_scatter(
        x=data.trend_weeks,
        y=data.trend_questions,
        name=t["trend_questions"],
        yaxis="y2",
        mode="lines+markers",
    )
    trend.update_layout(
        barmode="stack", height=320, margin={"l": 40, "r": 40, "t": 10, "b": 40},
        yaxis2={"overlaying": "y", "side": "right"}, legend={"orientation": "h"},
    )  # fmt: skip
    return _page(
        request,
        "overview",
        principal,
        {"data": data, "heatmap": heatmap, "trend": trend.to_json(), "colours": LIGHT_COLOURS},
    )


# ---------------------------------------------------------------- knowledge and gaps


def _gaps_for(session: Session, principal: Principal) -> list[Any]:
    return open_gaps_for(session=session, principal=principal)


@router.get("/knowledge", response_class=HTMLResponse)
async def knowledge(
    request: Request, q: str | None = None, job: str | None = None, source: str | None = None
) -> Response:
    """Upload, re-index with progress, documents, try a question, and the gaps queue."""
    core = request.app.state.core

    def load() -> tuple[Principal | None, list[Any], SearchFilters, list[PhrasingView]]:
        with _db(request) as session:
            principal = _principal(request, session)
            if principal is None:
                return None, [], NO_FILTERS, []
            return (
                principal,
                _gaps_for(session, principal),
                principal_filters(session=session, principal=principal),
                phrasings_for_review(session=session) if principal.is_admin else [],
            )

    principal, gaps, filters, phrasings = await run_in_threadpool(load)
    if principal is None:
        return _sign_in_page(request)
    # "Try a question" answers as someone in the manager's units would be answered.
    tried = (
        await run_in_threadpool(functools.partial(core.answerer.answer, q[:2000], filters=filters))
        if q and q.strip()
        else None
    )
    # The review queue is the change team's: admins only.
    reviews = team_faqs(knowledge_dir=_settings(request).knowledge_dir) if principal.is_admin else []
    return _page(
        request, "knowledge", principal,
        {"folders": FOLDERS, "documents": documents(core), "tried": tried, "q": q or "", "job": (job or "")[:32], "gaps": gaps,
         "source": source or "", "chunks": chunks_of(core, source[:500]) if source else [],
         "reviews": reviews, "today": utc_now().date(), "phrasings": phrasings,
         "faq_choices": {g.questions[0].id: faq_candidates(answerer=core.answerer, question=g.questions[0])
                         for g in gaps[:30]}},
    )  # fmt: skip


@router.post("/knowledge/team-faqs/{entry_id}")
def team_faq_review(
    request: Request,
    entry_id: Annotated[str, PathParam(max_length=80)],
    csrf_token: Annotated[str, Form()],
    action: Annotated[Literal["promote", "edit", "retire"], Form()],
    question: Annotated[str, Form(max_length=2000)] = "",
    answer: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    """Promote a team FAQ to everyone, edit it, or retire it (admins); it is re-indexed in the background."""
    settings = _settings(request)
    try:
        with _db(request) as session:
            principal = _checked(request, session, csrf_token)
        changed = review_faq(
            principal=principal, knowledge_dir=settings.knowledge_dir, entry_id=entry_id, action=action,
            question=question, answer=answer,
        )  # fmt: skip
    except ChangebotError as exc:
        return _back("/console/knowledge", str(exc))
    jobs: IngestJobs = request.app.state.ingest_jobs
    return RedirectResponse(
        f"/console/knowledge?job={jobs.start([changed]).id}#reviews", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/knowledge/phrasings/{phrasing_id}")
def phrasing_review(
    request: Request,
    phrasing_id: IdPath,
    csrf_token: Annotated[str, Form()],
    action: Annotated[Literal["retire", "restore"], Form()],
) -> Response:
    """Retire a wording the bot learned (it stops matching at once) or restore it (admins)."""
    try:
        with _db(request) as session:
            principal = _checked(request, session, csrf_token)
            set_phrasing_active(
                session=session, principal=principal, phrasing_id=phrasing_id, active=action == "restore"
            )
    except ChangebotError as exc:
        return _back("/console/knowledge", str(exc))
    return RedirectResponse("/console/knowledge#phrasings", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/knowledge/upload")
def upload(
    request: Request, csrf_token: Annotated[str, Form()], folder: Annotated[str, Form()], file: UploadFile
) -> Response:
    """Add a file to the library (admins), then index it in the background."""
    settings = _settings(request)
    try:
        with _db(request) as session:
            _checked(request, session, csrf_token).require_admin()
        added = add_file(
            knowledge_dir=settings.knowledge_dir, folder=folder, filename=file.filename or "",
            content=file.file.read(settings.max_file_bytes + 1), max_bytes=settings.max_file_bytes,
        )  # fmt: skip
    except ChangebotError as exc:
        return _back("/console/knowledge", str(exc))
    jobs: IngestJobs = request.app.state.ingest_jobs
    job = jobs.start([added.path])
    return RedirectResponse(
        f"/console/knowledge?job={job.id}&msg={quote(added.source)}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/knowledge/reindex")
def reindex(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
    """Re-read the whole library (admins)."""
    try:
        with _db(request) as session:
            _checked(request, session, csrf_token).require_admin()
    except ChangebotError as exc:
        return _back("/console/knowledge", str(exc))
    jobs: IngestJobs = request.app.state.ingest_jobs
    return RedirectResponse(
        f"/console/knowledge?job={jobs.start().id}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/gaps/{question_id}")
def gap_answer_form(
    request: Request,
    question_id: IdPath,
    csrf_token: Annotated[str, Form()],
    reply: Annotated[str, Form(max_length=8000)] = "",
    save_faq: Annotated[bool, Form()] = False,
    faq_chunk_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Answer an open question, written or with an existing FAQ: it reaches the asker; a written
    answer can become an FAQ at once, an FAQ used learns the asker's wording."""
    settings = _settings(request)
    try:
        with _db(request) as session:
            principal = _checked(request, session, csrf_token)
            responder = principal.person(session)
            if responder is None:
                raise AccessDeniedError("please sign in again")
            _, saved = answer_gap(
                session=session, question_id=question_id, responder=responder, reply=reply, save_as_faq=save_faq,
                knowledge_dir=settings.knowledge_dir, answerer=request.app.state.core.answerer,
                faq_chunk_id=faq_chunk_id,
            )  # fmt: skip
    except ChangebotError as exc:
        return _back("/console/knowledge", str(exc))
    if saved is not None:
        jobs: IngestJobs = request.app.state.ingest_jobs
        return RedirectResponse(
            f"/console/knowledge?job={jobs.start([saved]).id}&msg=FAQ", status_code=status.HTTP_303_SEE_OTHER
        )
    return _back("/console/knowledge", "✓")


# ---------------------------------------------------------------- broadcasts


@router.get("/broadcasts", response_class=HTMLResponse)
def broadcasts(request: Request) -> Response:
    """Recent broadcasts with their figures, and a form to send or schedule one."""
    with _db(request) as session:
        principal = _principal(request, session)
        if principal is None:
            return _sign_in_page(request)
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
        return _page(request, "broadcasts", principal, {"rows": rows, "pending": pending, "series": series})


@router.post("/stories")
def write_story(
    request: Request, csrf_token: Annotated[str, Form()], text: Annotated[str, Form()]
) -> Response:
    """A draft story, then its preview page."""
    try:
        with _db(request) as session:
            author = _author(session, _checked(request, session, csrf_token))
            story_id = start_story(session=session, author=author, text=text, language=author.language).id
    except ChangebotError as exc:
        return _back("/console/broadcasts", str(exc))
    return RedirectResponse(f"/console/stories/{story_id}", status_code=status.HTTP_303_SEE_OTHER)


def _author(session: Session, principal: Principal) -> Person:
    person = principal.person(session)
    if person is None:
        raise AccessDeniedError("please sign in again")
    return person


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story_preview(request: Request, story_id: IdPath) -> Response:
    """The story exactly as staff will get it, with what the author may do next."""
    settings = _settings(request)
    with _db(request) as session:
        principal = _principal(request, session)
        if principal is None:
            return _sign_in_page(request)
        story = session.get(Story, story_id)
        if story is None or story.author_id != principal.person_id:
            return _back("/console/broadcasts", f"no story {story_id}")
        author = _author(session, principal)
        unit = session.get(Unit, story.unit_id) if story.unit_id else None
        direct = may_send_directly(
            session=session,
            story=story,
            author=author,
            approval_for_own_unit=settings.stories_need_approval_for_own_unit,
        )
        return _page(request, "story", principal, {"story": story, "unit": unit, "direct": direct})


@router.post("/stories/{story_id}")
def act_on_story(
    request: Request,
    story_id: IdPath,
    csrf_token: Annotated[str, Form()],
    action: Annotated[str, Form()],
    send_at: Annotated[str, Form()] = "",
) -> Response:
    """Send now, schedule, submit for review, or discard a draft."""
    settings = _settings(request)
    jobs: IngestJobs = request.app.state.ingest_jobs
    try:
        with _db(request) as session:
            author = _author(session, _checked(request, session, csrf_token))
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
                send_story(
                    session=session, story_id=story_id, author=author, send_at=when,
                    approval_for_own_unit=settings.stories_need_approval_for_own_unit,
                )  # fmt: skip
                publish_story(
                    session=session, story_id=story_id, knowledge_dir=settings.knowledge_dir, jobs=jobs
                )
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
        return _back(f"/console/stories/{story_id}", str(exc))
    return _back("/console/broadcasts", f"#{story_id}: {action}")


@router.post("/stories/{story_id}/review")
def review(
    request: Request, story_id: IdPath, csrf_token: Annotated[str, Form()], approve: Annotated[str, Form()]
) -> Response:
    """Approve (into the digest and the case library) or reject a submitted story."""
    settings = _settings(request)
    jobs: IngestJobs = request.app.state.ingest_jobs
    try:
        with _db(request) as session:
            reviewer = _author(session, _checked(request, session, csrf_token))
            story = review_story(
                session=session, story_id=story_id, reviewer=reviewer, approve=approve == "yes"
            )
            if story.approved_at is not None:
                publish_story(
                    session=session, story_id=story_id, knowledge_dir=settings.knowledge_dir, jobs=jobs
                )
    except ChangebotError as exc:
        return _back("/console/broadcasts", str(exc))
    return _back("/console/broadcasts", f"#{story_id} ✓")


@router.post("/vision")
def new_vision(
    request: Request,
    csrf_token: Annotated[str, Form()],
    variants: Annotated[str, Form()],
    cron: Annotated[str, Form()],
    audience: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
) -> Response:
    """Start a vision series: wordings separated by blank lines, a cadence, an audience."""
    settings = _settings(request)
    wordings = [block.strip() for block in variants.replace("\r\n", "\n").split("\n\n") if block.strip()]
    selectors = [line.strip() for line in audience.splitlines() if line.strip()]
    try:
        with _db(request) as session:
            principal = _checked(request, session, csrf_token)
            require_own_audience(session=session, principal=principal, selectors=selectors)
            zones = known_zones(session=session, default_timezone=settings.default_timezone)
            series, _ = create_vision_series(
                session=session, title=title, variants=wordings, cron=cron, zones=zones, selectors=selectors,
                created_by=principal.person(session),
            )  # fmt: skip
            done = f"#{series.id}"
    except ChangebotError as exc:
        return _back("/console/broadcasts", str(exc))
    return _back("/console/broadcasts", done)


@router.post("/vision/{series_id}/stop")
def stop_vision(request: Request, series_id: IdPath, csrf_token: Annotated[str, Form()]) -> Response:
    """Stop a vision series (its author or an admin)."""
    try:
        with _db(request) as session:
            principal = _checked(request, session, csrf_token)
            by = None if principal.is_admin else _author(session, principal)
            stop_vision_series(session=session, series_id=series_id, by=by)
    except ChangebotError as exc:
        return _back("/console/broadcasts", str(exc))
    return _back("/console/broadcasts", f"#{series_id} ✓")


@router.post("/broadcasts")
def compose(
    request: Request,
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
        return _back("/console/broadcasts", f"send time: not a date and time: {send_at!r}")
    try:
        with _db(request) as session:
            principal = _checked(request, session, csrf_token)
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
            done = f"#{broadcast.id}"
    except ChangebotError as exc:
        return _back("/console/broadcasts", str(exc))
    return _back("/console/broadcasts", done)


@router.post("/broadcasts/{broadcast_id}/cancel")
def cancel(request: Request, broadcast_id: IdPath, csrf_token: Annotated[str, Form()]) -> Response:
    """Cancel a scheduled broadcast (its author, a manager of its units, or an admin)."""
    try:
        with _db(request) as session:
            principal = _checked(request, session, csrf_token)
            cancel_broadcast_as(session=session, principal=principal, broadcast_id=broadcast_id)
    except ChangebotError as exc:
        return _back("/console/broadcasts", str(exc))
    return _back("/console/broadcasts", f"#{broadcast_id} ✓")


# ---------------------------------------------------------------- surveys


@router.get("/surveys", response_class=HTMLResponse)
def surveys(request: Request, wave: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    """Waves with response rates, a form to launch one, and a closed wave's results."""
    settings = _settings(request)
    with _db(request) as session:
        principal = _principal(request, session)
        if principal is None:
            return _sign_in_page(request)
        library = survey_definitions(settings)
        listed = []
        for row in waves(session=session, limit=100):
            if may_see_audience(session=session, principal=principal, selectors=row.audience):
                listed.append(wave_status(session=session, wave=row))
        results = None
        if wave is not None and any(item["wave"] == wave for item in listed):
            chosen = get_wave(session=session, wave_id=wave)
            survey = library.get(chosen.survey_id)
            if chosen.status == "closed" and survey is not None:
                groups = wave_results(
                    session=session, wave=chosen, survey=survey, rules=survey_rules(settings)
                )
                results = results_as_dict(visible_groups(session=session, principal=principal, groups=groups))
        return _page(
            request,
            "surveys",
            principal,
            {"library": library, "waves": listed, "results": results, "chosen": wave},
        )


@router.post("/surveys")
def launch(
    request: Request,
    csrf_token: Annotated[str, Form()],
    survey: Annotated[str, Form()],
    audience: Annotated[str, Form()] = "",
    hours: Annotated[float, Form()] = 72.0,
) -> Response:
    """Open a wave now (managers: to their own units)."""
    settings = _settings(request)
    selectors = [line.strip() for line in audience.splitlines() if line.strip()]
    try:
        definition = survey_definitions(settings).get(survey)
        if definition is None:
            raise InvalidInputError(f"no survey {survey!r}")
        with _db(request) as session:
            principal = _checked(request, session, csrf_token)
            require_own_audience(session=session, principal=principal, selectors=selectors)
            now = utc_now()
            created = launch_wave(
                session=session, survey=definition, closes_at=now + timedelta(hours=max(1.0, min(hours, 24 * 60))),
                selectors=selectors, now=now,
                reminder_before_close=timedelta(hours=settings.survey_reminder_hours_before_close) or None,
                created_by=principal.person(session),
            )  # fmt: skip
            done = f"#{created.id}: {created.invited}"
    except ChangebotError as exc:
        return _back("/console/surveys", str(exc))
    return _back("/console/surveys", done)


# ---------------------------------------------------------------- people


@router.get("/people", response_class=HTMLResponse)
def people(request: Request) -> Response:
    """The unit tree with head counts, and invite codes."""
    with _db(request) as session:
        principal = _principal(request, session)
        if principal is None:
            return _sign_in_page(request)
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
        return _page(
            request, "people", principal, {"tree": tree, "roles": [Role.STAFF.value, Role.MANAGER.value]}
        )


@router.post("/people/invite")
def invite(
    request: Request,
    csrf_token: Annotated[str, Form()],
    unit: Annotated[str, Form()],
    role: Annotated[str, Form()],
    uses: Annotated[int, Form()] = 1,
) -> Response:
    """Create an invite code for one of your units."""
    settings = _settings(request)
    try:
        with _db(request) as session:
            principal = _checked(request, session, csrf_token)
            principal.require_unit(get_unit(session=session, name=unit).id)
            creator = principal.person(session)
            code = create_invite(
                session=session, unit_name=unit, role=Role(role), uses=uses, created_by=creator
            ).code
    except (ChangebotError, ValueError) as exc:
        return _back("/console/people", str(exc))
    link = invite_link(code=code, bot_username=settings.telegram_bot_username)
    return _back("/console/people", f"{code}" + (f" · {link}" if link else ""))
