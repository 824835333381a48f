"""Where a person is in a survey: which question to show next after a press, and what they answered.

The chat layer only draws what this decides, so the web chat can walk the same path later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.errors import InvalidInputError
from bot.people.models import Person
from bot.surveys.answers import current_response, next_question, record_answer
from bot.surveys.definitions import Survey
from bot.surveys.pairing import PairingKey
from bot.surveys.waves import SurveyClosedError, get_wave, is_invited


class NotInvitedError(InvalidInputError):
    """The survey was not sent to this person."""


@dataclass(frozen=True, slots=True)
class Step:
    """What to show: question ``index`` (with the answer already given to it), or the end."""

    index: int | None
    current: object = None
    already_done: bool = False  # they had finished and pressed Start again: offer to change answers


def advance(
    *,
    session: Session,
    surveys: Mapping[str, Survey],
    wave_id: int,
    person: Person,
    key: PairingKey,
    answer: tuple[int, object] | None = None,
    restart: bool = False,
) -> tuple[Survey, Step]:
    """Record ``answer`` (question index, value) if given, and decide the next step.

    ``key`` is the server survey key (``bot.runtime.survey_pairing_key``). Raises
    ``SurveyClosedError`` when the wave has closed, ``NotInvitedError`` for people it was not sent
    to, and ``InvalidInputError`` for answers that do not fit the question.
    """
    wave = get_wave(session=session, wave_id=wave_id)
    survey = surveys.get(wave.survey_id)
    if survey is None:
        raise SurveyClosedError(f"survey {wave.survey_id!r} is no longer in the library")
    if not is_invited(session=session, wave_id=wave_id, person_id=person.id):
        raise NotInvitedError("this survey was not sent to you")
    if answer is not None:
        index, value = answer
        if not 0 <= index < len(survey.questions):
            raise InvalidInputError("no such question")
        record_answer(
            session=session,
            survey=survey,
            wave_id=wave_id,
            person=person,
            question_id=survey.questions[index].id,
            value=value,
            key=key,
        )
    response = current_response(session=session, wave_id=wave_id, person=person, key=key)
    answers = response.answers if response is not None else {}
    if restart:
        following: int | None = 0
    elif answer is not None and response is not None and response.completed:
        following = answer[0] + 1 if answer[0] + 1 < len(survey.questions) else None  # changing: walk on
    else:
        following = next_question(survey, response)
        if following is None and answer is None:
            return survey, Step(index=None, already_done=True)
    if following is None:
        return survey, Step(index=None)
    return survey, Step(index=following, current=answers.get(survey.questions[following].id))


def option_value(survey: Survey, index: int, raw: str) -> object:
    """Turn a button's value (``1``-``5``, ``oN`` for option N, ``s`` to skip) into an answer."""
    if not 0 <= index < len(survey.questions):
        raise InvalidInputError("no such question")
    question = survey.questions[index]
    if raw == "s":
        return None
    if raw.startswith("o") and raw[1:].isdigit():
        option = int(raw[1:])
        if question.type != "choice" or option >= len(question.options):
            raise InvalidInputError("no such option")
        return question.options[option].id
    if question.type != "likert" or not raw.isdigit():
        raise InvalidInputError("not a rating question")
    return int(raw)
