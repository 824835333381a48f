"""What each chat dialogue carries from one message to the next, typed: one frozen dataclass per
state, read and written only through its ``DialogueKind`` (``SURVEY_COMMENT``, ``REPLYING_TO``,
``COMPOSE``), so no handler indexes the stored JSON.

The rows live in bot/dialogues (one per person and kind), not in PTB's per-process ``user_data``:
behind a load balancer the next message of the same person may reach another process. Each state's
JSON is the one rows already in the database carry, so a dialogue in progress survives a deploy:

=================  ===================  =====================================================
row kind           state                JSON
=================  ===================  =====================================================
``survey_typing``  ``SurveyComment``    ``{"wave": WAVE, "question": INDEX}``
``replying_to``    ``ReplyingTo``       ``{"question": QUESTION}``
``compose``        ``StoryNeedsText``   ``{"kind": "story", "step": "text"}``
``compose``        ``StoryNeedsPhoto``  ``{"kind": "story", "step": "photo", "id": STORY}``
``compose``        ``StoryNeedsTime``   ``{"kind": "story", "step": "when", "id": STORY}``
``compose``        ``VisionDraft``      ``{"kind": "vision", "step": "variants" | "cadence",
                                        "variants": [TEXT, ...]}``
``compose``        ``VisionDraft``      ``{"kind": "vision", "step": "confirm", "variants": [...],
                                        "cadence": {"days": [0, 3], "at": "09:00", "every": 2,
                                        "anchor": "2027-03-22" | null}}``
=================  ===================  =====================================================

A row that does not read as its state (hand-edited, or from a version that wrote something else)
reads as no dialogue: the person's next message is taken as a question, and the row expires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum
from typing import Any, Generic, Protocol, Self, TypeVar

from sqlalchemy.orm import Session
from telegram.ext import ContextTypes

from bot.dialogues.service import clear_dialogue, get_dialogue, put_dialogue
from bot.errors import ChangebotError
from bot.scheduling.cadence import Cadence
from bot.storage.database import in_transaction
from bot.surveys.waves import comment_subject
from bot.telegram.context import services


def dialogue_expiry(context: ContextTypes.DEFAULT_TYPE) -> timedelta:
    """How long an untouched dialogue lives."""
    return timedelta(hours=services(context).settings.dialogue_expiry_hours)


def _positive_int(value: object) -> int | None:
    # bool is an int to Python, and JSON true is no id.
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass(frozen=True, slots=True)
class SurveyComment:
    """A survey's comment question is showing: the person's next message is that comment.

    Nothing else (no text, no answers): the row is the only link between the person and the wave
    outside the anonymous response, so it goes when the comment is stored, when another button is
    pressed, and when the wave closes (close_wave ends its subject)."""

    wave_id: int
    index: int  # the question's position in the survey

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"wave": self.wave_id, "question": self.index}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Self | None:
        """The state a stored form names, or None."""
        wave_id, index = _positive_int(value.get("wave")), value.get("question")
        if wave_id is None or not isinstance(index, int) or isinstance(index, bool) or index < 0:
            return None
        return cls(wave_id, index)


@dataclass(frozen=True, slots=True)
class ReplyingTo:
    """A manager pressed Reply under an escalated question: their next message is the reply."""

    question_id: int

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"question": self.question_id}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Self | None:
        """The state a stored form names, or None."""
        question_id = _positive_int(value.get("question"))
        return cls(question_id) if question_id is not None else None


@dataclass(frozen=True, slots=True)
class StoryNeedsText:
    """/story has begun: the next message is the story's text (maybe a captioned photo)."""

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"kind": "story", "step": "text"}


@dataclass(frozen=True, slots=True)
class StoryNeedsPhoto:
    """The story is written (and in the database): the next message is its photo, or /skip."""

    story_id: int

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"kind": "story", "step": "photo", "id": self.story_id}


@dataclass(frozen=True, slots=True)
class StoryNeedsTime:
    """Schedule was pressed under the preview: the next message is when to send the story."""

    story_id: int

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"kind": "story", "step": "when", "id": self.story_id}


StoryDraft = StoryNeedsText | StoryNeedsPhoto | StoryNeedsTime


class VisionStep(StrEnum):
    """Where a vision series being set up in chat is."""

    VARIANTS = "variants"  # collecting wordings, one per message, until /done
    CADENCE = "cadence"  # asked for the cadence (buttons, or typed: "周一 周四 09:00 每2周")
    CONFIRM = "confirm"  # showed the cadence and its next five sends: save, or pick again


def _cadence_json(cadence: Cadence) -> dict[str, Any]:
    return {
        "days": list(cadence.weekdays),
        "at": cadence.at.strftime("%H:%M"),
        "every": cadence.every_weeks,
        "anchor": cadence.anchor.isoformat() if cadence.anchor else None,
    }


def _cadence_from_json(value: object) -> Cadence | None:
    if not isinstance(value, Mapping):
        return None
    days, at, every, anchor = value.get("days"), value.get("at"), value.get("every"), value.get("anchor")
    if (
        not isinstance(days, list)
        or not all(isinstance(day, int) and not isinstance(day, bool) for day in days)
        or not isinstance(at, str)
        or not isinstance(every, int)
        or isinstance(every, bool)
        or not (anchor is None or isinstance(anchor, str))
    ):
        return None
    try:
        week = date.fromisoformat(anchor) if anchor else None
        return Cadence(weekdays=tuple(days), at=time.fromisoformat(at), every_weeks=every, anchor=week)
    except (ChangebotError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class VisionDraft:
    """/vision in progress: the wordings typed so far, and at ``CONFIRM`` the cadence previewed
    (with the anchor week its preview showed, so what is saved keeps that rhythm)."""

    step: VisionStep
    variants: tuple[str, ...] = ()
    cadence: Cadence | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        stored: dict[str, Any] = {"kind": "vision", "step": self.step.value, "variants": list(self.variants)}
        if self.step is VisionStep.CONFIRM and self.cadence is not None:
            stored["cadence"] = _cadence_json(self.cadence)
        return stored

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Self | None:
        """The state a stored form names, or None."""
        step, variants = value.get("step"), value.get("variants")
        if (
            value.get("kind") != "vision"
            or step not in tuple(VisionStep)
            or not isinstance(variants, list)
            or not all(isinstance(variant, str) for variant in variants)
        ):
            return None
        if VisionStep(step) is not VisionStep.CONFIRM:
            return cls(VisionStep(step), tuple(variants))
        cadence = _cadence_from_json(value.get("cadence"))
        return None if cadence is None else cls(VisionStep.CONFIRM, tuple(variants), cadence)


Draft = StoryDraft | VisionDraft  # what the one "compose" dialogue may hold


def _draft_from_json(value: Mapping[str, Any]) -> Draft | None:
    if value.get("kind") == "vision":
        return VisionDraft.from_json(value)
    if value.get("kind") != "story":
        return None
    step, story_id = value.get("step"), _positive_int(value.get("id"))
    if step == "text":
        return StoryNeedsText()
    if step == "photo" and story_id is not None:
        return StoryNeedsPhoto(story_id)
    if step == "when" and story_id is not None:
        return StoryNeedsTime(story_id)
    return None


class _Stored(Protocol):
    def to_json(self) -> dict[str, Any]: ...


def _about_nothing(_state: object) -> None:
    """The subject of a dialogue that nothing else ends (it expires, finishes or is left)."""
    return None


S = TypeVar("S", bound=_Stored)


@dataclass(frozen=True, slots=True)
class DialogueKind(Generic[S]):
    """One kind of dialogue: the row it is kept in and how its state reads back. Every read and
    write of that state goes through here."""

    name: str  # the row's kind in bot/dialogues
    decode: Callable[[Mapping[str, Any]], S | None]
    subject: Callable[[S], str | None] = _about_nothing  # what ending ends it too (bot/dialogues)

    def read(self, session: Session, telegram_user_id: int) -> S | None:
        """The state this person is in, or None (none, expired, or unreadable)."""
        value = get_dialogue(session=session, telegram_user_id=telegram_user_id, kind=self.name)
        return self.decode(value) if value is not None else None

    def write(self, session: Session, telegram_user_id: int, state: S, *, expires_after: timedelta) -> None:
        """Start the dialogue or move it on to ``state``; the expiry starts again."""
        put_dialogue(
            session=session,
            telegram_user_id=telegram_user_id,
            kind=self.name,
            value=state.to_json(),
            subject=self.subject(state),
            expires_after=expires_after,
        )

    def end(self, session: Session, telegram_user_id: int) -> None:
        """The dialogue is over (finished or left)."""
        clear_dialogue(session=session, telegram_user_id=telegram_user_id, kind=self.name)

    async def load(self, context: ContextTypes.DEFAULT_TYPE, telegram_user_id: int) -> S | None:
        """``read``, in its own short transaction."""
        return await in_transaction(
            services(context).sessions, lambda session: self.read(session, telegram_user_id)
        )

    async def save(self, context: ContextTypes.DEFAULT_TYPE, telegram_user_id: int, state: S | None) -> None:
        """``write``, or ``end`` with None, in its own short transaction."""
        expires_after = dialogue_expiry(context)

        def save(session: Session) -> None:
            if state is None:
                self.end(session, telegram_user_id)
            else:
                self.write(session, telegram_user_id, state, expires_after=expires_after)

        await in_transaction(services(context).sessions, save)


SURVEY_COMMENT: DialogueKind[SurveyComment] = DialogueKind(
    "survey_typing", SurveyComment.from_json, subject=lambda typing: comment_subject(typing.wave_id)
)
REPLYING_TO: DialogueKind[ReplyingTo] = DialogueKind("replying_to", ReplyingTo.from_json)
COMPOSE: DialogueKind[Draft] = DialogueKind("compose", _draft_from_json)
