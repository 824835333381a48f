"""Pulse surveys over the JSON API: the library, waves, response rates, results with the rules applied."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.access.service import Principal, may_see_audience, require_own_audience, visible_groups
from bot.broadcasts.senders import delivery_warning
from bot.errors import InvalidInputError, NotFoundError
from bot.runtime import survey_definitions, survey_rules
from bot.storage.base import utc_now
from bot.surveys.models import SurveyWave
from bot.surveys.results import results_as_dict, wave_results, wave_status
from bot.surveys.waves import get_wave, launch_wave, waves
from bot.web.deps import SessionDep, SettingsDep
from bot.web.routes.api_common import ERROR_RESPONSES, IdPath, LimitQuery, OffsetQuery, Page, page
from bot.web.routes.console_common import delivery_note
from bot.web.security import PrincipalDep

router = APIRouter(prefix="/api/surveys", tags=["surveys"], responses=ERROR_RESPONSES)


class SurveyOut(BaseModel):
    """A survey in the library."""

    id: str
    version: int
    scoring: str
    dimensions: list[str]
    questions: int
    title: dict[str, str]


class WaveIn(BaseModel):
    """A wave to open now."""

    survey: str = Field(min_length=1, max_length=60)
    audience: list[str] = Field(default_factory=list, max_length=50)
    closes_at: datetime | None = Field(
        None, description="With a time zone; unset = the configured hours from now."
    )


@router.get("")
def library(settings: SettingsDep, principal: PrincipalDep) -> list[SurveyOut]:
    """The surveys in knowledge/surveys/."""
    return [
        SurveyOut(
            id=s.id,
            version=s.version,
            scoring=s.scoring.value,
            dimensions=list(s.dimensions),
            questions=len(s.questions),
            title={"zh-Hans": s.title.zh_hans, "zh-Hant": s.title.zh_hant, "en": s.title.en},
        )  # fmt: skip
        for s in survey_definitions(settings).values()
    ]


def _check_wave(session: Session, principal: Principal, wave: SurveyWave) -> None:
    if not may_see_audience(session=session, principal=principal, selectors=wave.audience):
        raise NotFoundError(f"no survey wave {wave.id}")


@router.get("/waves")
def list_waves(
    session: SessionDep, principal: PrincipalDep, limit: LimitQuery = 50, offset: OffsetQuery = 0
) -> Page[dict[str, Any]]:
    """Waves you may see, newest first, with response rates."""
    rows = []
    for wave in waves(session=session, limit=1000):
        if may_see_audience(session=session, principal=principal, selectors=wave.audience):
            rows.append(wave_status(session=session, wave=wave))
    return page(rows, limit=limit, offset=offset)


@router.post("/waves", status_code=status.HTTP_201_CREATED)
def open_wave(
    request: Request, body: WaveIn, settings: SettingsDep, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Open a wave now (managers: to their own units); ``delivery_running`` false, with a
    ``warning``: no sender worker runs, so the invitations reach nobody yet."""
    survey = survey_definitions(settings).get(body.survey)
    if survey is None:
        raise NotFoundError(f"no survey {body.survey!r}")
    require_own_audience(session=session, principal=principal, selectors=body.audience)
    now = utc_now()
    reminder = timedelta(hours=settings.survey_reminder_hours_before_close) or None
    wave = launch_wave(
        session=session, survey=survey, closes_at=body.closes_at or now + timedelta(hours=settings.survey_open_hours),
        selectors=body.audience, reminder_before_close=reminder,
        created_by=principal.person(session), now=now,
    )  # fmt: skip
    warning = delivery_warning(session=session, now=now, send_at=wave.opens_at)
    return {
        **wave_status(session=session, wave=wave),
        "delivery_running": warning is None,
        "warning": delivery_note(request, warning),
    }


@router.get("/waves/{wave_id}")
def show_wave(wave_id: IdPath, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """A wave's status and response rate (never any answers)."""
    wave = get_wave(session=session, wave_id=wave_id)
    _check_wave(session, principal, wave)
    return wave_status(session=session, wave=wave)


@router.get("/waves/{wave_id}/results")
def results(
    wave_id: IdPath, settings: SettingsDep, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Results per unit (your units only), with the anonymity rules applied; closed waves only."""
    wave = get_wave(session=session, wave_id=wave_id)
    _check_wave(session, principal, wave)
    if wave.status != "closed":
        raise InvalidInputError("results are shown once the wave closes")
    survey = survey_definitions(settings).get(wave.survey_id)
    if survey is None:
        raise NotFoundError(f"survey {wave.survey_id!r} is no longer in the library")
    groups = wave_results(session=session, wave=wave, survey=survey, rules=survey_rules(settings))
    visible = visible_groups(session=session, principal=principal, groups=groups)
    return {**wave_status(session=session, wave=wave), "units": results_as_dict(visible)}
