"""Where a person is in a survey: which question to show next after a press, and what they answered;
or that they said "not this time".

The chat layer only draws what this decides: Telegram and the web chat walk the same path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.errors import InvalidInputError
from bot.people.models import Person
from bot.surveys.answers import current_response, next_question, record_answer
from bot.surveys.answers import decline as record_decline
from bot.surveys.definitions import Survey
from bot.surveys.models import SurveyResponse
from bot.surveys.pairing import PairingKey
from bot.surveys.waves import SurveyClosedError, get_wave, has_declined, is_invited, mark_declined


class NotInvitedError(InvalidInputError):
    """The survey was not sent to this person."""


@dataclass(frozen=True, slots=True)
class Step:
    """What to show: question ``index`` (with the answer already given to it), or the end."""

    index: int | None
    current: object = None
    already_done: bool = False  # they had finished and pressed Start again: offer to change answers
    declined: bool = False  # they said "not this time": say so, and that Start still works until close
    started: bool = False  # they have answered something (a fresh start may still be declined)


def _survey_for(session: Session, surveys: Mapping[str, Survey], wave_id: int, person: Person) -> Survey:
    wave = get_wave(session=session, wave_id=wave_id)
    survey = surveys.get(wave.survey_id)
    if survey is None:
        raise SurveyClosedError(f"survey {wave.survey_id!r} is no longer in the library")
    if not is_invited(session=session, wave_id=wave_id, person_id=person.id):
        raise NotInvitedError("this survey was not sent to you")
    return survey


def _resumed(survey: Survey, response: SurveyResponse | None) -> Step:
    """Where pressing Start takes a person: the first question not answered, or the offer to change."""
    following = next_question(survey, response)
    if following is None:
        return Step(index=None, already_done=True)
    return _question(survey, following, response)


def _question(survey: Survey, index: int, response: SurveyResponse | None) -> Step:
    answers = response.answers if response is not None else {}
    return Step(index=index, current=answers.get(survey.questions[index].id), started=bool(answers))


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

    Pressing anything but "not this time" is taking part: a decline is taken back. ``key`` is the
    server survey key (``bot.runtime.survey_pairing_key``). Raises ``SurveyClosedError`` when the
    wave has closed, ``NotInvitedError`` for people it was not sent to, and ``InvalidInputError``
    for answers that do not fit the question.
    """
    survey = _survey_for(session, surveys, wave_id, person)
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
    mark_declined(session=session, wave_id=wave_id, person_id=person.id, declined=False)
    if restart:
        following: int | None = 0
    elif answer is not None and response is not None and response.completed:
        following = answer[0] + 1 if answer[0] + 1 < len(survey.questions) else None  # changing: walk on
    elif answer is None:
        return survey, _resumed(survey, response)
    else:
        following = next_question(survey, response)
    if following is None:
        return survey, Step(index=None)
    return survey, _question(survey, following, response)


def decline(
    *, session: Session, surveys: Mapping[str, Survey], wave_id: int, person: Person, key: PairingKey
) -> tuple[Survey, Step]:
    """ "Not this time" pressed: no reminder of this wave (see ``answers.decline``); someone who had
    already finished is offered to change their answers instead, which stay. Raises as ``advance``."""
    survey = _survey_for(session, surveys, wave_id, person)
    if not record_decline(session=session, wave_id=wave_id, person=person, key=key):
        return survey, Step(index=None, already_done=True)
    return survey, Step(index=None, declined=True)


def current_step(
    *, session: Session, surveys: Mapping[str, Survey], wave_id: int, person: Person, key: PairingKey
) -> tuple[Survey, Step]:
    """Where the person is, recording nothing (a decline stays one): the web chat's list of open
    surveys. Raises as ``advance``."""
    survey = _survey_for(session, surveys, wave_id, person)
    response = current_response(session=session, wave_id=wave_id, person=person, key=key)
    if has_declined(session=session, wave_id=wave_id, person_id=person.id):
        return survey, Step(index=None, declined=True)
    return survey, _resumed(survey, response)


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
