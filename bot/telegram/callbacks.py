"""Every button's callback data, defined once: a frozen dataclass per kind of button, encoded one way
(``.data``), parsed one way (``parse``), and the pattern its handler is registered with derived from
the same definition. No other module builds or splits callback data.

Callback data is untrusted input: a client can send any string of up to 64 bytes as the data of a
press. So ``parse`` never raises; it returns None for anything that is not exactly what ``.data``
would have produced (an unknown prefix, the wrong number of parts, an id that is not a canonical
positive integer or is out of range, a value not among its kind's), and every accepted string
encodes back to itself. Well formed is all it promises: whether the wave is open, the question the
presser's, the story theirs is checked by the handler and the domain on every press.

The formats (parts joined by ``:``; no part may contain one; ``ID`` is 1 to 12 digits, no leading 0):

==========================  ========================================  ====================================
kind                        data                                      meaning
==========================  ========================================  ====================================
``SurveyStart``             ``sv:WAVE:go``                            start or resume a survey wave
``SurveyRestart``           ``sv:WAVE:re``                            go through again to change answers
``SurveyDecline``           ``sv:WAVE:no``                            "not this time" to a survey wave
``SurveyAnswer``            ``sv:WAVE:Q:V``                           question Q (0-99) answered: V is
                                                                      1-5, ``oN`` option N (0-99), ``s``
``LanguageChoice``          ``lang:zh-Hans`` / ``zh-Hant`` / ``en``   the bot's language for this person
``BroadcastReaction``       ``bc:DELIVERY:c`` / ``a``                 clap / acknowledge one's copy
``StoryReview``             ``stv:STORY:ok`` / ``no``                 a reviewer approves / rejects
``StoryAction``             ``sty:STORY:now|sch|sub|del|t1|t2``       under a story's preview
``Feedback``                ``fb:QUESTION:h`` / ``n`` / ``p``         helpful / not / ask a person
``SuggestionPick``          ``sg:QUESTION:N``                         "did you mean" candidate N
``MorePassage``             ``mo:QUESTION``                           the whole passage of an answer
``CancelBroadcast``         ``bcx:b:BROADCAST``                       cancel a scheduled broadcast
``CancelVisionSeries``      ``bcx:v:SERIES``                          stop a vision series
``VisionCadence``           ``vis:weekly`` / ``twice`` / ``weekdays``  a new vision series' cadence preset
                            / ``biweekly``
``VisionConfirm``           ``vis:save`` / ``vis:change``             save the cadence previewed / pick again
``GapReply``                ``gap:QUESTION:r``                        a manager replies to an escalation
``GapSaveFaq``              ``gap:QUESTION:f``                        save that reply as an FAQ
``GapAnswerWithFaq``        ``gap:QUESTION:qCHUNK``                   answer with FAQ chunk CHUNK
==========================  ========================================  ====================================

The escalation buttons (``GapReply``, ``GapAnswerWithFaq``) are also stored: the domain queues an
escalation through the outbox with its buttons' data in ``Broadcast.actions`` (migration 0014), and
the domain may not import this edge. So ``bot.questions.gaps`` writes those two strings itself, in
exactly these formats, and ``broadcast_sender`` parses every stored action here before it becomes a
button; ``tests/bot/telegram/test_callbacks.py`` holds the two definitions together.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Final, Self, TypeAlias, TypeVar

from bot.answering.service import MAX_SUGGESTIONS
from ingest.text import LANGUAGES, Language

MAX_DATA_BYTES: Final = 64  # Telegram's limit on a button's callback data
# Twelve digits, as ids have always been carried: far beyond any table's ids, and it keeps the
# longest data (an FAQ answer's) well inside the 64 bytes.
MAX_ID: Final = 999_999_999_999
MAX_SURVEY_QUESTIONS: Final = 100  # question and option indexes are one or two digits
_SEPARATOR: Final = ":"

_ID = re.compile(r"[1-9][0-9]{0,11}")
_INDEX = re.compile(r"0|[1-9][0-9]{0,2}")
_SURVEY_VALUE = re.compile(r"[1-5]|o(?:0|[1-9][0-9]?)|s")
# Chunk ids are the first 20 hex digits of a sha256, "-N" for a repeated passage (ingest/chunk.py).
_CHUNK_ID = re.compile(r"[0-9a-f]{20}(?:-[1-9][0-9]{0,2})?")
_LANGUAGE_BY_CODE: Final[dict[str, Language]] = {code: code for code in LANGUAGES}

_Choice = TypeVar("_Choice", bound=StrEnum)


class CallbackDataError(ValueError):
    """A button was built with values its data cannot carry: a bug in the code building it."""


def _id(part: str) -> int | None:
    return int(part) if _ID.fullmatch(part) else None


def _index(part: str, *, below: int) -> int | None:
    if not _INDEX.fullmatch(part):
        return None
    index = int(part)
    return index if index < below else None


def _choice(choices: type[_Choice], part: str) -> _Choice | None:
    try:
        return choices(part)
    except ValueError:
        return None


class _Button(ABC):
    """What every kind shares: its prefix, its parts, the one encoder and the per-kind parser."""

    __slots__ = ()
    PREFIX: ClassVar[str]

    @abstractmethod
    def _parts(self) -> tuple[str, ...]:
        """The parts after the prefix, each already free of ``:``."""

    @classmethod
    @abstractmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        """The button these parts (after the prefix) name, or None when they name none of this kind."""

    @property
    def data(self) -> str:
        """The callback data to put on the button."""
        data = _SEPARATOR.join((self.PREFIX, *self._parts()))
        # Parsing it back is the check that the values fit: an id of 0, an index out of range, a
        # stray ":" would otherwise reach Telegram and come back as a "stale" button.
        if len(data.encode()) > MAX_DATA_BYTES or parse(data) != self:
            raise CallbackDataError(f"{self!r} cannot be carried as callback data")
        return data

    @classmethod
    def from_data(cls, data: str | None) -> Self | None:
        """``parse``, for a handler that takes only this kind."""
        pressed = parse(data)
        return pressed if isinstance(pressed, cls) else None


@dataclass(frozen=True, slots=True)
class SurveyStart(_Button):
    """Start or resume a survey wave (the invitation's button)."""

    PREFIX: ClassVar[str] = "sv"
    wave_id: int

    def _parts(self) -> tuple[str, ...]:
        return (str(self.wave_id), "go")

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [wave, "go"] if (wave_id := _id(wave)) is not None:
                return cls(wave_id)
        return None


@dataclass(frozen=True, slots=True)
class SurveyRestart(_Button):
    """Go through a finished survey again to change the answers."""

    PREFIX: ClassVar[str] = "sv"
    wave_id: int

    def _parts(self) -> tuple[str, ...]:
        return (str(self.wave_id), "re")

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [wave, "re"] if (wave_id := _id(wave)) is not None:
                return cls(wave_id)
        return None


@dataclass(frozen=True, slots=True)
class SurveyDecline(_Button):
    """Say "not this time" to a survey wave (beside the invitation's Start)."""

    PREFIX: ClassVar[str] = "sv"
    wave_id: int

    def _parts(self) -> tuple[str, ...]:
        return (str(self.wave_id), "no")

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [wave, "no"] if (wave_id := _id(wave)) is not None:
                return cls(wave_id)
        return None


@dataclass(frozen=True, slots=True)
class SurveyAnswer(_Button):
    """One survey question answered by a button; build it with ``rating``, ``option`` or ``skip``."""

    PREFIX: ClassVar[str] = "sv"
    wave_id: int
    index: int  # the question's position in the survey
    value: str  # as bot.surveys.dialogue.option_value reads it: "1"-"5", "oN" (option N), "s" (skip)

    @classmethod
    def rating(cls, wave_id: int, index: int, rating: int) -> Self:
        """A likert rating, 1-5."""
        return cls(wave_id, index, str(rating))

    @classmethod
    def option(cls, wave_id: int, index: int, option: int) -> Self:
        """The choice question's option at position ``option``."""
        return cls(wave_id, index, f"o{option}")

    @classmethod
    def skip(cls, wave_id: int, index: int) -> Self:
        """No answer to an optional question."""
        return cls(wave_id, index, "s")

    def _parts(self) -> tuple[str, ...]:
        return (str(self.wave_id), str(self.index), self.value)

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [wave, question, value] if _SURVEY_VALUE.fullmatch(value):
                wave_id, index = _id(wave), _index(question, below=MAX_SURVEY_QUESTIONS)
                if wave_id is not None and index is not None:
                    return cls(wave_id, index, value)
        return None


@dataclass(frozen=True, slots=True)
class LanguageChoice(_Button):
    """The language the bot speaks to this person (/lang)."""

    PREFIX: ClassVar[str] = "lang"
    language: Language

    def _parts(self) -> tuple[str, ...]:
        return (self.language,)

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [code] if (language := _LANGUAGE_BY_CODE.get(code)) is not None:
                return cls(language)
        return None


class Reaction(StrEnum):
    """What a broadcast's buttons record on one's copy."""

    CLAP = "c"
    ACKNOWLEDGE = "a"  # must-read items only


@dataclass(frozen=True, slots=True)
class BroadcastReaction(_Button):
    """A clap or a must-read acknowledgement on one delivered copy."""

    PREFIX: ClassVar[str] = "bc"
    delivery_id: int
    reaction: Reaction

    def _parts(self) -> tuple[str, ...]:
        return (str(self.delivery_id), self.reaction.value)

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [delivery, raw]:
                delivery_id, reaction = _id(delivery), _choice(Reaction, raw)
                if delivery_id is not None and reaction is not None:
                    return cls(delivery_id, reaction)
        return None


@dataclass(frozen=True, slots=True)
class StoryReview(_Button):
    """A reviewer's decision on a submitted story."""

    PREFIX: ClassVar[str] = "stv"
    story_id: int
    approve: bool

    def _parts(self) -> tuple[str, ...]:
        return (str(self.story_id), "ok" if self.approve else "no")

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [story, ("ok" | "no") as verdict] if (story_id := _id(story)) is not None:
                return cls(story_id, approve=verdict == "ok")
        return None


class StoryChoice(StrEnum):
    """The buttons under a story's preview, and the two quick times offered when scheduling."""

    SEND_NOW = "now"
    SCHEDULE = "sch"  # asks for a time (or one of the two below)
    SUBMIT = "sub"  # for review
    DISCARD = "del"
    TOMORROW_9 = "t1"
    MONDAY_9 = "t2"


@dataclass(frozen=True, slots=True)
class StoryAction(_Button):
    """What the author does with a story they have previewed."""

    PREFIX: ClassVar[str] = "sty"
    story_id: int
    choice: StoryChoice

    def _parts(self) -> tuple[str, ...]:
        return (str(self.story_id), self.choice.value)

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [story, raw]:
                story_id, choice = _id(story), _choice(StoryChoice, raw)
                if story_id is not None and choice is not None:
                    return cls(story_id, choice)
        return None


class Verdict(StrEnum):
    """The buttons under an answer."""

    HELPFUL = "h"
    NOT_HELPFUL = "n"
    ASK_PERSON = "p"


@dataclass(frozen=True, slots=True)
class Feedback(_Button):
    """Helpful, not helpful, or ask a person, on one stored question."""

    PREFIX: ClassVar[str] = "fb"
    question_id: int
    verdict: Verdict

    def _parts(self) -> tuple[str, ...]:
        return (str(self.question_id), self.verdict.value)

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [question, raw]:
                question_id, verdict = _id(question), _choice(Verdict, raw)
                if question_id is not None and verdict is not None:
                    return cls(question_id, verdict)
        return None


@dataclass(frozen=True, slots=True)
class SuggestionPick(_Button):
    """A "did you mean" candidate, by its position among the question's suggestions."""

    PREFIX: ClassVar[str] = "sg"
    question_id: int
    index: int

    def _parts(self) -> tuple[str, ...]:
        return (str(self.question_id), str(self.index))

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [question, position]:
                question_id, index = _id(question), _index(position, below=MAX_SUGGESTIONS)
                if question_id is not None and index is not None:
                    return cls(question_id, index)
        return None


@dataclass(frozen=True, slots=True)
class MorePassage(_Button):
    """The whole passage behind an answer that showed only part of it."""

    PREFIX: ClassVar[str] = "mo"
    question_id: int

    def _parts(self) -> tuple[str, ...]:
        return (str(self.question_id),)

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [question] if (question_id := _id(question)) is not None:
                return cls(question_id)
        return None


@dataclass(frozen=True, slots=True)
class CancelBroadcast(_Button):
    """Cancel a scheduled broadcast (/broadcasts)."""

    PREFIX: ClassVar[str] = "bcx"
    broadcast_id: int

    def _parts(self) -> tuple[str, ...]:
        return ("b", str(self.broadcast_id))

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case ["b", broadcast] if (broadcast_id := _id(broadcast)) is not None:
                return cls(broadcast_id)
        return None


@dataclass(frozen=True, slots=True)
class CancelVisionSeries(_Button):
    """Stop a vision series (/broadcasts)."""

    PREFIX: ClassVar[str] = "bcx"
    series_id: int

    def _parts(self) -> tuple[str, ...]:
        return ("v", str(self.series_id))

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case ["v", series] if (series_id := _id(series)) is not None:
                return cls(series_id)
        return None


class CadencePreset(StrEnum):
    """The cadences /done offers as buttons for a new vision series (bot.telegram.handlers.vision
    says which days and time each is)."""

    WEEKLY = "weekly"
    TWICE_WEEKLY = "twice"
    WEEKDAYS = "weekdays"
    EVERY_OTHER_WEEK = "biweekly"


@dataclass(frozen=True, slots=True)
class VisionCadence(_Button):
    """A preset cadence for the vision series being set up."""

    PREFIX: ClassVar[str] = "vis"
    cadence: CadencePreset

    def _parts(self) -> tuple[str, ...]:
        return (self.cadence.value,)

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [raw] if (cadence := _choice(CadencePreset, raw)) is not None:
                return cls(cadence)
        return None


@dataclass(frozen=True, slots=True)
class VisionConfirm(_Button):
    """Under the preview of a vision series' next sends: save it, or pick the cadence again."""

    PREFIX: ClassVar[str] = "vis"
    save: bool

    def _parts(self) -> tuple[str, ...]:
        return ("save" if self.save else "change",)

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [("save" | "change") as choice]:
                return cls(save=choice == "save")
        return None


@dataclass(frozen=True, slots=True)
class GapReply(_Button):
    """A manager starts typing a reply to an escalated question (stored in the outbox, see above)."""

    PREFIX: ClassVar[str] = "gap"
    question_id: int

    def _parts(self) -> tuple[str, ...]:
        return (str(self.question_id), "r")

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [question, "r"] if (question_id := _id(question)) is not None:
                return cls(question_id)
        return None


@dataclass(frozen=True, slots=True)
class GapSaveFaq(_Button):
    """Save the reply just delivered as an FAQ."""

    PREFIX: ClassVar[str] = "gap"
    question_id: int

    def _parts(self) -> tuple[str, ...]:
        return (str(self.question_id), "f")

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [question, "f"] if (question_id := _id(question)) is not None:
                return cls(question_id)
        return None


@dataclass(frozen=True, slots=True)
class GapAnswerWithFaq(_Button):
    """Answer an escalated question with an FAQ it nearly matched (stored in the outbox, see above).

    The chunk id, not a position: a re-index between the escalation and the tap may drop a
    candidate, and a position would then name a different FAQ than the button showed."""

    PREFIX: ClassVar[str] = "gap"
    question_id: int
    chunk_id: str

    def _parts(self) -> tuple[str, ...]:
        return (str(self.question_id), f"q{self.chunk_id}")

    @classmethod
    def _from_parts(cls, parts: Sequence[str]) -> Self | None:
        match parts:
            case [question, raw] if raw.startswith("q") and _CHUNK_ID.fullmatch(raw[1:]):
                question_id = _id(question)
                if question_id is not None:
                    return cls(question_id, raw[1:])
        return None


Callback: TypeAlias = (
    SurveyStart
    | SurveyRestart
    | SurveyDecline
    | SurveyAnswer
    | LanguageChoice
    | BroadcastReaction
    | StoryReview
    | StoryAction
    | Feedback
    | SuggestionPick
    | MorePassage
    | CancelBroadcast
    | CancelVisionSeries
    | VisionCadence
    | VisionConfirm
    | GapReply
    | GapSaveFaq
    | GapAnswerWithFaq
)
KINDS: Final[tuple[type[Callback], ...]] = (
    SurveyStart,
    SurveyRestart,
    SurveyDecline,
    SurveyAnswer,
    LanguageChoice,
    BroadcastReaction,
    StoryReview,
    StoryAction,
    Feedback,
    SuggestionPick,
    MorePassage,
    CancelBroadcast,
    CancelVisionSeries,
    VisionCadence,
    VisionConfirm,
    GapReply,
    GapSaveFaq,
    GapAnswerWithFaq,
)
_KINDS_BY_PREFIX: Final[dict[str, tuple[type[Callback], ...]]] = {
    prefix: tuple(kind for kind in KINDS if prefix == kind.PREFIX) for prefix in {k.PREFIX for k in KINDS}
}


def parse(data: str | None) -> Callback | None:
    """The button ``data`` names, or None when it names none (forged, garbled, from an old version)."""
    # Every valid data is ASCII, so this also bounds the bytes (and never has to encode a lone
    # surrogate a client put in its JSON).
    if not isinstance(data, str) or len(data) > MAX_DATA_BYTES or not data.isascii():
        return None
    prefix, *parts = data.split(_SEPARATOR)
    for kind in _KINDS_BY_PREFIX.get(prefix, ()):
        pressed = kind._from_parts(parts)
        if pressed is not None:
            return pressed
    return None


def pattern_for(*kinds: type[Callback]) -> str:
    """The ``CallbackQueryHandler`` pattern for a handler of these kinds (which share one prefix).

    Only the prefix: a forged press with a known prefix still reaches its handler, which answers
    "stale" in the presser's language; unknown prefixes fall to ``errors.unknown_button``."""
    prefixes = {kind.PREFIX for kind in kinds}
    if len(prefixes) != 1:
        raise ValueError(f"one handler takes one prefix, not {sorted(prefixes)}")
    return f"^{re.escape(prefixes.pop())}{_SEPARATOR}"
