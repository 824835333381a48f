"""Answering a pulse survey in chat: one question at a time with buttons, progress shown, stop and
resume with the Start button, change answers until the wave closes; or "not this time", which Start
still overrides until the wave closes.

The buttons (``SurveyStart``, ``SurveyRestart``, ``SurveyDecline``, ``SurveyAnswer`` in
bot/telegram/callbacks.py) carry the wave and the question; everything they carry is checked again:
the wave must be open and the person invited.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.errors import ChangebotError
from bot.people.models import Person
from bot.storage.database import in_transaction
from bot.surveys.definitions import Survey
from bot.surveys.dialogue import NotInvitedError, Step, advance, decline, option_value
from bot.surveys.waves import SurveyClosedError, get_wave
from bot.telegram.callbacks import (
    SurveyAnswer,
    SurveyDecline,
    SurveyRestart,
    SurveyStart,
    parse,
    pattern_for,
)
from bot.telegram.context import BotServices, services
from bot.telegram.dialogue_states import SURVEY_COMMENT, SurveyComment, dialogue_expiry
from bot.telegram.handlers.common import language_of, member
from bot.telegram.texts import text
from ingest.text import Language

_View = tuple[str, InlineKeyboardMarkup | None]  # a message's text and its buttons


def _question_view(
    survey: Survey, wave_id: int, index: int, language: Language, current: object
) -> tuple[str, InlineKeyboardMarkup]:
    question = survey.questions[index]
    lines = [
        text(
            "survey_progress",
            language,
            title=survey.title.get(language),
            step=index + 1,
            total=len(survey.questions),
        ),
        "",
        question.text.get(language),
    ]
    rows: list[list[InlineKeyboardButton]] = []
    if question.type == "likert":
        scale = survey.scale.get(language)
        lines += ["", text("survey_scale", language, low=scale[0], high=scale[4])]
        rows.append(
            [
                InlineKeyboardButton(
                    f"• {n} •" if current == n else str(n),
                    callback_data=SurveyAnswer.rating(wave_id, index, n).data,
                )
                for n in range(1, 6)
            ]
        )
    elif question.type == "choice":
        for n, option in enumerate(question.options):
            label = option.text.get(language)
            rows.append(
                [
                    InlineKeyboardButton(
                        f"• {label}" if current == option.id else label,
                        callback_data=SurveyAnswer.option(wave_id, index, n).data,
                    )
                ]
            )
    else:
        lines += ["", text("survey_type_comment", language)]
    if question.optional:
        rows.append(
            [
                InlineKeyboardButton(
                    text("survey_skip", language), callback_data=SurveyAnswer.skip(wave_id, index).data
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def survey_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start, resume, change, decline, or answer one question; then show the next step in the same message."""
    query = update.callback_query
    if query is None:
        return
    app = services(context)
    found = parse(query.data)
    pressed = found if isinstance(found, SurveyStart | SurveyRestart | SurveyDecline | SurveyAnswer) else None
    expires_after = dialogue_expiry(context)

    def press(session: Session) -> tuple[str | None, _View | None]:
        """(the notice on the button, what the message shows now: None leaves it as it is)."""
        notice: str | None = None
        reply: _View | None = None
        typing: SurveyComment | None = None  # a comment question is showing
        person = member(session, update)
        language = language_of(update, person)
        if pressed is None or person is None:
            notice = text("stale_button", language)
        else:
            wave_id = pressed.wave_id
            try:
                with session.begin_nested():
                    survey, step = _pressed_step(session, app, pressed, person)
                reply = _step_view(survey, wave_id, step, language)
                if step.index is not None and survey.questions[step.index].type == "text":
                    typing = SurveyComment(wave_id, step.index)
            except SurveyClosedError:
                notice = text("survey_closed", language)
                reply = (notice, None)
            except NotInvitedError:
                notice = text("survey_not_for_you", language)
            except ChangebotError:
                notice = text("stale_button", language)
        if typing is not None:
            SURVEY_COMMENT.write(session, query.from_user.id, typing, expires_after=expires_after)
        else:
            SURVEY_COMMENT.end(session, query.from_user.id)
        return notice, reply

    notice, reply = await in_transaction(app.sessions, press)
    await query.answer(notice)
    if reply is not None:
        body, keyboard = reply
        await query.edit_message_text(body, reply_markup=keyboard)


def _pressed_step(
    session: Session,
    app: BotServices,
    pressed: SurveyStart | SurveyRestart | SurveyDecline | SurveyAnswer,
    person: Person,
) -> tuple[Survey, Step]:
    """What the press records, and the step to show after it (``bot.surveys.dialogue`` decides)."""
    wave_id = pressed.wave_id
    if isinstance(pressed, SurveyDecline):
        return decline(
            session=session, surveys=app.surveys, wave_id=wave_id, person=person, key=app.survey_key
        )
    answer = None
    if isinstance(pressed, SurveyAnswer):
        wave_survey = app.surveys.get(get_wave(session=session, wave_id=wave_id).survey_id)
        if wave_survey is None:
            raise SurveyClosedError("survey gone")
        answer = (pressed.index, option_value(wave_survey, pressed.index, pressed.value))
    return advance(
        session=session,
        surveys=app.surveys,
        wave_id=wave_id,
        person=person,
        key=app.survey_key,
        answer=answer,
        restart=isinstance(pressed, SurveyRestart),
    )


def _step_view(survey: Survey, wave_id: int, step: Step, language: Language) -> _View:
    if step.index is not None:
        return _question_view(survey, wave_id, step.index, language, step.current)
    if step.declined:
        start = InlineKeyboardButton(
            text("btn_start_survey", language), callback_data=SurveyStart(wave_id).data
        )
        return text("survey_declined", language), InlineKeyboardMarkup([[start]])
    if step.already_done:
        change = InlineKeyboardButton(
            text("survey_change", language), callback_data=SurveyRestart(wave_id).data
        )
        return text("survey_already_done", language), InlineKeyboardMarkup([[change]])
    return text("survey_done", language), None


async def typed_comment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed message while a comment question is showing is that comment (it is not a question)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or not message.text or user is None:
        return
    app = services(context)
    comment = message.text

    def store(session: Session) -> _View | None:
        """Store the comment; the next step to show, or None when no comment was being typed."""
        typing = SURVEY_COMMENT.read(session, user.id)
        if typing is None:
            return None
        # Gone in the same transaction that stores the comment: no trace of who was typing stays.
        SURVEY_COMMENT.end(session, user.id)
        wave_id, index = typing.wave_id, typing.index
        person = member(session, update)
        language = language_of(update, person)
        if person is None:
            return None
        try:
            with session.begin_nested():
                survey, step = advance(
                    session=session,
                    surveys=app.surveys,
                    wave_id=wave_id,
                    person=person,
                    key=app.survey_key,
                    answer=(index, comment),
                )
            return _step_view(survey, wave_id, step, language)
        except ChangebotError:
            return (text("survey_closed", language), None)

    reply = await in_transaction(app.sessions, store)
    if reply is None:
        return
    body, keyboard = reply
    await message.reply_text(body, reply_markup=keyboard)
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers; a typed comment is taken before anything else reads the message."""
    application.add_handler(
        CallbackQueryHandler(
            survey_button, pattern=pattern_for(SurveyStart, SurveyRestart, SurveyDecline, SurveyAnswer)
        )
    )
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, typed_comment), group=-2
    )
