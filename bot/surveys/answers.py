"""A person's answers inside an open survey wave: found again, changed, checked, and reminded of.

Anonymous waves (the default) find a person's answers again only through
``HMAC(server key, wave salt : wave id : person id)`` (``bot.surveys.pairing``): the salt is in the
database, the server key never is, so a copy of the database taken while a wave is open links no
answer to anyone. The unit is kept, for per-unit results; nothing else about the person is. How
closing a wave cuts that link for good is told in ``bot.surveys.waves``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.broadcasts.models import BroadcastKind
from bot.broadcasts.service import create_broadcast
from bot.errors import InvalidInputError
from bot.people.models import Person
from bot.people.service import home_unit
from bot.storage.base import utc_now
from bot.surveys.definitions import Question, Survey
from bot.surveys.models import SurveyInvitation, SurveyResponse, SurveyWave, WaveStatus
from bot.surveys.pairing import PairingKey
from bot.surveys.scoring import score
from bot.surveys.waves import SurveyClosedError, ensure_open, get_wave, is_invited, mark_declined
from bot.wording import default_language, pick, say
from ingest.text import LANGUAGES

MAX_TEXT_ANSWER = 1000
REMINDER: dict[str, str] = {
    "zh-Hans": "⏰ 提醒：「{title}」还没填完，{closes} 截止。匿名，一分钟就好。",
    "zh-Hant": "⏰ 提醒：「{title}」還沒填完，{closes} 截止。匿名，一分鐘就好。",
    "en": "⏰ Reminder: “{title}” closes {closes}. It's anonymous and takes a minute.",
}


def respondent_key(*, key: PairingKey, wave: SurveyWave, person_id: int) -> str:
    """The keyed hash that finds a person's answers while ``wave`` is open, and never after."""
    if wave.salt is None:
        raise SurveyClosedError("this survey has closed; thank you")
    if wave.salt_only_keys:
        # Launched before the server key existed (migration 0017): its rows were keyed this way.
        return hmac.new(wave.salt.encode(), f"{wave.id}:{person_id}".encode(), hashlib.sha256).hexdigest()
    return key.respondent_key(salt=wave.salt, wave_id=wave.id, person_id=person_id)


def _response(
    session: Session, wave: SurveyWave, person: Person, *, create: bool, key: PairingKey
) -> SurveyResponse | None:
    found_by = respondent_key(key=key, wave=wave, person_id=person.id)
    found = session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.wave_id == wave.id, SurveyResponse.respondent_key == found_by
        )
    )
    if found is None and create:
        unit = home_unit(person)
        found = SurveyResponse(
            wave_id=wave.id,
            respondent_key=found_by,
            person_id=None if wave.anonymous else person.id,
            unit_id=unit.id if unit else None,
            answers={},
            scores={},
            completed=False,
        )
        session.add(found)
    return found


def current_response(
    *,
    session: Session,
    wave_id: int,
    person: Person,
    key: PairingKey,
    now: datetime | None = None,
) -> SurveyResponse | None:
    """The person's answers so far in an open wave (None if they have not started).

    Args:
        key: the server survey key (``bot.runtime.survey_pairing_key``).
    """
    wave = get_wave(session=session, wave_id=wave_id)
    ensure_open(session=session, wave=wave, now=now or utc_now())
    return _response(session, wave, person, create=False, key=key)


def _checked_value(question: Question, value: object) -> object:
    if value is None:
        if not question.optional:
            raise InvalidInputError(f"question {question.id!r} needs an answer")
        return None
    if question.type == "likert":
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            raise InvalidInputError("a rating is a whole number from 1 to 5")
        return value
    if question.type == "choice":
        if not isinstance(value, str) or value not in {option.id for option in question.options}:
            raise InvalidInputError(f"not an option of question {question.id!r}")
        return value
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("an empty comment; skip the question instead")
    return value.strip()[:MAX_TEXT_ANSWER]


def record_answer(
    *,
    session: Session,
    survey: Survey,
    wave_id: int,
    person: Person,
    question_id: str,
    value: object,
    key: PairingKey,
    now: datetime | None = None,
) -> SurveyResponse:
    """Store (or change) one answer while the wave is open; ``None`` skips an optional question.

    Args:
        key: the server survey key (``bot.runtime.survey_pairing_key``).
    """
    wave = get_wave(session=session, wave_id=wave_id)
    ensure_open(session=session, wave=wave, now=now or utc_now())
    if wave.survey_id != survey.id:
        raise InvalidInputError("that survey does not belong to this wave")
    if not is_invited(session=session, wave_id=wave.id, person_id=person.id):
        raise InvalidInputError("this survey was not sent to you")
    question = survey.question(question_id)
    checked = _checked_value(question, value)
    response = _response(session, wave, person, create=True, key=key)
    assert response is not None  # noqa: S101  (created above)
    response.answers = {**response.answers, question.id: checked}  # a new dict: JSON columns track assignment
    ratings = {
        qid: v
        for qid, v in response.answers.items()
        if isinstance(v, int) and survey.question(qid).type == "likert"
    }
    scored = score(survey, ratings)
    response.scores = scored.dimensions
    response.barrier = scored.barrier
    response.completed = all(q.id in response.answers for q in survey.questions if not q.optional)
    session.flush()
    return response


def decline(
    *,
    session: Session,
    wave_id: int,
    person: Person,
    key: PairingKey,
    now: datetime | None = None,
) -> bool:
    """ "Not this time": no reminder of this wave, and no half-finished answers of theirs kept.

    The flag goes on the person's invitation, not near their answers, and what they had begun is
    deleted rather than kept beside a decline: a decliner is nobody's "in progress", and their
    invitation leads to no response. They may still start while the wave is open (``advance`` takes
    the decline back). Returns False, changing nothing, when they had already finished: their
    answers stand, and they can change them instead.

    Args:
        key: the server survey key (``bot.runtime.survey_pairing_key``).
    """
    wave = get_wave(session=session, wave_id=wave_id)
    ensure_open(session=session, wave=wave, now=now or utc_now())
    if not is_invited(session=session, wave_id=wave.id, person_id=person.id):
        raise InvalidInputError("this survey was not sent to you")
    response = _response(session, wave, person, create=False, key=key)
    if response is not None and response.completed:
        return False
    if response is not None:
        session.delete(response)
    mark_declined(session=session, wave_id=wave.id, person_id=person.id, declined=True)
    session.flush()
    return True


def next_question(survey: Survey, response: SurveyResponse | None) -> int | None:
    """Index of the first question not yet answered or skipped (None: all done)."""
    answered = response.answers if response is not None else {}
    for index, question in enumerate(survey.questions):
        if question.id not in answered:
            return index
    return None


def send_due_reminders(
    session: Session, now: datetime, *, surveys: Mapping[str, Survey], key: PairingKey
) -> int:
    """One reminder per wave, to the invitees who have not finished nor declined; returns reminders queued.

    Args:
        key: the server survey key (``bot.runtime.survey_pairing_key``).
    """
    due = session.scalars(
        select(SurveyWave.id).where(
            SurveyWave.status == WaveStatus.OPEN.value,
            SurveyWave.reminded.is_(False),
            SurveyWave.remind_at.is_not(None),
            SurveyWave.remind_at <= now,
            SurveyWave.closes_at > now,
        )
    ).all()
    queued = 0
    for wave_id in due:
        # Compare-and-set: with several schedulers only one sends the reminder.
        claimed = session.execute(
            update(SurveyWave)
            .where(SurveyWave.id == wave_id, SurveyWave.reminded.is_(False))
            .values(reminded=True)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 0:  # type: ignore[attr-defined]
            continue
        wave = get_wave(session=session, wave_id=wave_id)
        session.refresh(wave)
        survey = surveys.get(wave.survey_id)
        if survey is None or wave.salt is None:
            continue
        finished = set(
            session.scalars(
                select(SurveyResponse.respondent_key).where(
                    SurveyResponse.wave_id == wave.id, SurveyResponse.completed.is_(True)
                )
            ).all()
        )
        invitees = session.scalars(
            select(SurveyInvitation.person_id).where(
                SurveyInvitation.wave_id == wave.id, SurveyInvitation.declined.is_(False)
            )
        ).all()
        pending = [
            person_id
            for person_id in invitees
            if respondent_key(key=key, wave=wave, person_id=person_id) not in finished
        ]
        if not pending:
            continue
        closes = wave.closes_at.strftime("%m-%d %H:%M UTC")
        texts: dict[str, str] = {
            lang: say(REMINDER, lang, title=survey.title.get(lang), closes=closes) for lang in LANGUAGES
        }
        reminder = create_broadcast(
            session=session,
            kind=BroadcastKind.SURVEY,
            text=pick(texts, default_language()),
            texts=texts,
            selectors=[f"person:{person_id}" for person_id in pending],
            send_at=now,
        )
        reminder.button = f"survey:{wave.id}"
        queued += len(pending)
    session.flush()
    return queued
