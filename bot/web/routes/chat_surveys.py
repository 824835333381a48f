"""Pulse surveys in the web chat: the same one-question-at-a-time path as in Telegram, and the same
"not this time"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from bot.people.models import Person
from bot.runtime import survey_definitions
from bot.surveys.definitions import Survey
from bot.surveys.dialogue import Step, advance, current_step, decline
from bot.surveys.waves import open_waves_for
from bot.web.deps import SessionDep, SettingsDep, SurveyKeyDep
from bot.web.routes.api_common import ERROR_RESPONSES, IdPath
from bot.web.routes.ask import chat_person
from bot.wording import reader_language

router = APIRouter(prefix="/api/chat/surveys", tags=["web chat"], responses=ERROR_RESPONSES)


def _step_out(survey: Survey, wave_id: int, step: Step, language: str) -> dict[str, Any]:
    lang = reader_language(language)
    body: dict[str, Any] = {
        "wave": wave_id, "title": survey.title.get(lang), "intro": survey.intro.get(lang),
        "total": len(survey.questions), "done": step.index is None, "already_done": step.already_done,
        "declined": step.declined,
    }  # fmt: skip
    if step.index is not None:
        question = survey.questions[step.index]
        body["step"] = {
            "index": step.index,
            "type": question.type,
            "text": question.text.get(lang),
            "optional": question.optional,
            "scale": list(survey.scale.get(lang)) if question.type == "likert" else [],
            "options": [{"id": o.id, "text": o.text.get(lang)} for o in question.options],
            "current": step.current,
            "started": step.started,  # not yet: "not this time" is offered beside the question
        }
    return body


@router.get("")
def my_surveys(
    request: Request, session: SessionDep, key: SurveyKeyDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    """Open surveys sent to the signed-in person, each at the question they are on (or declined)."""
    user = chat_person(request, session, settings=settings, changing=False)
    person = session.get(Person, user.person_id) if user else None
    if person is None:
        return []
    library = survey_definitions(settings)
    found = []
    for wave in open_waves_for(session=session, person=person):
        survey, step = current_step(session=session, surveys=library, wave_id=wave.id, person=person, key=key)
        found.append(_step_out(survey, wave.id, step, person.language))
    return found


class AnswerIn(BaseModel):
    """One answer (``value`` None skips an optional question), ``restart`` to change answers,
    ``decline`` for "not this time"; none of them: start or resume."""

    index: int | None = None
    value: int | str | None = None
    restart: bool = False
    decline: bool = False


@router.post("/{wave_id}")
def answer(
    wave_id: IdPath,
    body: AnswerIn,
    request: Request,
    session: SessionDep,
    key: SurveyKeyDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Record an answer (or a decline) and return the next step."""
    user = chat_person(request, session, settings=settings, changing=True)
    person = session.get(Person, user.person_id) if user else None
    assert person is not None  # noqa: S101  (changes need a signed-in member)
    library = survey_definitions(settings)
    if body.decline:
        survey, step = decline(session=session, surveys=library, wave_id=wave_id, person=person, key=key)
        return _step_out(survey, wave_id, step, person.language)
    survey, step = advance(
        session=session, surveys=library, wave_id=wave_id, person=person, key=key,
        answer=(body.index, body.value) if body.index is not None else None, restart=body.restart,
    )  # fmt: skip
    return _step_out(survey, wave_id, step, person.language)
