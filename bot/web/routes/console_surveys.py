"""The console's surveys page: waves with response rates, launching one, a closed wave's results."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.access.service import may_see_audience, require_own_audience, visible_groups
from bot.broadcasts.senders import delivery_warning
from bot.errors import ChangebotError, InvalidInputError
from bot.runtime import survey_definitions, survey_rules
from bot.scheduling.clock import parse_local_datetime
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.models import SurveyWave
from bot.surveys.results import declined_figure, results_as_dict, wave_results, wave_status
from bot.surveys.waves import launch_wave, waves
from bot.web.deps import SessionsDep, SettingsDep
from bot.web.routes.api_common import MAX_ID
from bot.web.routes.console_common import back, checked, page, principal_of, reader_zone, sign_in_page, warned

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)


@router.get("/surveys", response_class=HTMLResponse)
def surveys(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    wave: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Waves with response rates, a form to launch one, and a closed wave's results."""
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
        results = None
        # A closed wave's results show to anyone with a unit in them (a store manager following the
        # link in the wave's headline for a company-wide pulse), each seeing only their groups; the
        # wave list keeps to waves whose whole audience one manages.
        chosen = session.get(SurveyWave, wave) if wave is not None else None
        survey = library.get(chosen.survey_id) if chosen is not None else None
        if chosen is not None and chosen.status == "closed" and survey is not None:
            groups = wave_results(session=session, wave=chosen, survey=survey, rules=rules)
            mine = visible_groups(session=session, principal=principal, groups=groups)
            results = results_as_dict(mine) if mine else None
        return page(
            request,
            "surveys",
            principal,
            {"library": library, "waves": listed, "results": results, "chosen": wave},
        )


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
