"""The console's surveys pages: waves with response rates, launching one, and a closed wave's
results page (``/console/surveys/{id}``, the link in the chat's headline when a wave closes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.access.service import may_see_audience, require_own_audience
from bot.broadcasts.senders import delivery_warning
from bot.errors import ChangebotError, InvalidInputError, NotFoundError
from bot.reporting.wave_report import ResultsNotReadyError, SurveyMissingError, wave_report
from bot.rollout.service import knowledge_search
from bot.runtime import survey_definitions, survey_rules
from bot.scheduling.clock import parse_local_datetime
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.results import declined_figure, wave_status
from bot.surveys.waves import launch_wave, waves
from bot.web.console_text import console_text
from bot.web.deps import CoreDep, SessionsDep, SettingsDep
from bot.web.routes.api_common import MAX_ID
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
from bot.web.survey_charts import results_charts

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)


@router.get("/surveys", response_class=HTMLResponse)
def surveys(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    wave: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Waves with response rates and a form to launch one; ``?wave=N`` is the results page's old address."""
    if wave is not None:  # headlines sent before the results page had its own address
        lang = request.query_params.get("lang")
        target = f"/console/surveys/{wave}" + (
            f"?lang={lang}" if lang in ("zh-Hans", "zh-Hant", "en") else ""
        )
        return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    with transaction(sessions) as session:
        principal = principal_of(request, session)
        if principal is None:
            return sign_in_page(request)
        library = survey_definitions(settings)
        rules = survey_rules(settings)
        listed = []
        for row in waves(session=session, limit=100):
            if may_see_audience(session=session, principal=principal, selectors=row.audience):
                # "Not this time" as a count per closed wave, where the threshold allows (else "–").
                declined = declined_figure(session=session, wave=row, rules=rules)
                listed.append({**wave_status(session=session, wave=row), "declined": declined})
        return page(request, "surveys", principal, {"library": library, "waves": listed})


@router.get("/surveys/{wave_id}", response_class=HTMLResponse)
def wave_results_page(
    request: Request, sessions: SessionsDep, settings: SettingsDep, core: CoreDep, wave_id: str
) -> Response:
    """A closed wave's results: headline, bands, answers per question, trend, barrier point, comments, advice."""
    # A closed wave's results show to anyone with a unit in them (a store manager following the
    # link in the wave's headline for a company-wide pulse), each seeing only their groups; the
    # wave list keeps to waves whose whole audience one manages.
    with transaction(sessions) as session:
        principal = principal_of(request, session)
        if principal is None:
            return sign_in_page(request)
        shown: dict[str, object] = {"section": "surveys"}
        try:
            if not (wave_id.isascii() and wave_id.isdecimal() and 1 <= int(wave_id) <= MAX_ID):
                raise NotFoundError(f"no survey wave {wave_id!r}")
            report = wave_report(
                session=session, principal=principal, wave_id=int(wave_id), surveys=survey_definitions(settings),
                rules=survey_rules(settings), search=knowledge_search(core),
            )  # fmt: skip
        except ResultsNotReadyError as exc:
            return page(request, "survey_results", principal, {**shown, "waiting": exc})
        except NotFoundError as exc:
            missing = "r_no_survey" if isinstance(exc, SurveyMissingError) else "r_not_found"
            response = page(request, "survey_results", principal, {**shown, "missing": missing})
            response.status_code = status.HTTP_404_NOT_FOUND
            return response
    language = language_of(request)
    charts = results_charts(
        report, words=console_text(language), language=language, zone=reader_zone(request, principal)
    )
    return page(request, "survey_results", principal, {**shown, "report": report, "charts": charts})


@router.post("/surveys")
def launch(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form()],
    survey: Annotated[str, Form()],
    audience: Annotated[str, Form()] = "",
    hours: Annotated[float, Form()] = 72.0,
    closes_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Open a wave now (managers: to their own units), closing after ``hours`` or at ``closes_at``
    (picked on the reader's clock); said when no sender worker runs to deliver the invitations."""
    selectors = [line.strip() for line in audience.splitlines() if line.strip()]
    try:
        definition = survey_definitions(settings).get(survey)
        if definition is None:
            raise InvalidInputError(f"no survey {survey!r}")
        with transaction(sessions) as session:
            principal = checked(request, session, csrf_token)
            require_own_audience(session=session, principal=principal, selectors=selectors)
            now = utc_now()
            closes = (
                parse_local_datetime(closes_at, zone=reader_zone(request, principal))
                if closes_at.strip()
                else now + timedelta(hours=max(1.0, min(hours, 24 * 60)))
            )
            created = launch_wave(
                session=session, survey=definition, closes_at=closes,
                selectors=selectors, now=now,
                reminder_before_close=timedelta(hours=settings.survey_reminder_hours_before_close) or None,
                created_by=principal.person(session),
            )  # fmt: skip
            # The invitations are a broadcast: without a sender worker nobody gets them yet.
            warning = delivery_warning(session=session, now=now, send_at=created.opens_at)
            done = warned(request, f"#{created.id}: {created.invited}", warning)
    except ChangebotError as exc:
        return back("/console/surveys", str(exc))
    return back("/console/surveys", done)
