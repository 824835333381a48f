"""Typed dialogue state (bot/telegram/dialogue_states.py): each state is stored as the JSON rows in
the database already carry, reads back as itself, and an unreadable row reads as no dialogue. The
source scan keeps handlers from reaching the raw rows again."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogues.service import end_subject, get_dialogue, put_dialogue
from bot.scheduling.cadence import Cadence
from bot.storage.database import transaction
from bot.surveys.waves import comment_subject
from bot.telegram.dialogue_states import (
    COMPOSE,
    REPLYING_TO,
    SURVEY_COMMENT,
    DialogueKind,
    ReplyingTo,
    StoryNeedsPhoto,
    StoryNeedsText,
    StoryNeedsTime,
    SurveyComment,
    VisionDraft,
    VisionStep,
)

HOUR = timedelta(hours=1)
TELEGRAM = Path(__file__).resolve().parents[3] / "bot" / "telegram"

# The stored forms, written out: rows of these shapes are in the database from before the states
# were typed, and a dialogue in progress must carry on after a deploy.
STORED: list[tuple[DialogueKind[Any], object, dict[str, Any]]] = [
    (SURVEY_COMMENT, SurveyComment(wave_id=12, index=3), {"wave": 12, "question": 3}),
    (SURVEY_COMMENT, SurveyComment(wave_id=12, index=0), {"wave": 12, "question": 0}),
    (REPLYING_TO, ReplyingTo(question_id=41), {"question": 41}),
    (COMPOSE, StoryNeedsText(), {"kind": "story", "step": "text"}),
    (COMPOSE, StoryNeedsPhoto(story_id=5), {"kind": "story", "step": "photo", "id": 5}),
    (COMPOSE, StoryNeedsTime(story_id=5), {"kind": "story", "step": "when", "id": 5}),
    (COMPOSE, VisionDraft(VisionStep.VARIANTS), {"kind": "vision", "step": "variants", "variants": []}),
    (
        COMPOSE,
        VisionDraft(VisionStep.CADENCE, ("一起向前", "同一个目标")),
        {"kind": "vision", "step": "cadence", "variants": ["一起向前", "同一个目标"]},
    ),
    (
        COMPOSE,
        VisionDraft(
            VisionStep.CONFIRM,
            ("一起向前",),
            Cadence(weekdays=(0, 3), at=time(9), every_weeks=2, anchor=date(2027, 3, 22)),
        ),
        {
            "kind": "vision",
            "step": "confirm",
            "variants": ["一起向前"],
            "cadence": {"days": [0, 3], "at": "09:00", "every": 2, "anchor": "2027-03-22"},
        },
    ),
    (
        COMPOSE,
        VisionDraft(VisionStep.CONFIRM, ("一起向前",), Cadence(weekdays=(4,), at=time(17, 30))),
        {
            "kind": "vision",
            "step": "confirm",
            "variants": ["一起向前"],
            "cadence": {"days": [4], "at": "17:30", "every": 1, "anchor": None},
        },
    ),
]

UNREADABLE: list[tuple[DialogueKind[Any], dict[str, Any]]] = [
    (SURVEY_COMMENT, {}),
    (SURVEY_COMMENT, {"wave": "12", "question": 3}),
    (SURVEY_COMMENT, {"wave": 12, "question": -1}),
    (SURVEY_COMMENT, {"wave": 0, "question": 1}),
    (SURVEY_COMMENT, {"wave": True, "question": 1}),
    (REPLYING_TO, {"question": None}),
    (REPLYING_TO, {"question": 4.5}),
    (COMPOSE, {}),
    (COMPOSE, {"step": "text"}),  # no kind
    (COMPOSE, {"kind": "poem", "step": "text"}),
    (COMPOSE, {"kind": "story", "step": "photo"}),  # no story
    (COMPOSE, {"kind": "story", "step": "when", "id": "5"}),
    (COMPOSE, {"kind": "story", "step": "done", "id": 5}),
    (COMPOSE, {"kind": "vision", "step": "variants"}),  # no variants
    (COMPOSE, {"kind": "vision", "step": "variants", "variants": [1, 2]}),
    (COMPOSE, {"kind": "vision", "step": ["cadence"], "variants": []}),
    (COMPOSE, {"kind": "vision", "step": "Cadence", "variants": []}),
    (COMPOSE, {"kind": "vision", "step": "confirm", "variants": []}),  # no cadence to confirm
    (COMPOSE, {"kind": "vision", "step": "confirm", "variants": [], "cadence": {"days": [], "at": "09:00", "every": 1}}),
    (COMPOSE, {"kind": "vision", "step": "confirm", "variants": [], "cadence": {"days": [0], "at": "9am", "every": 1}}),
    (COMPOSE, {"kind": "vision", "step": "confirm", "variants": [], "cadence": {"days": [0], "at": "09:00", "every": True}}),
    (COMPOSE, {"kind": "vision", "step": "confirm", "variants": [],
               "cadence": {"days": [0], "at": "09:00", "every": 2, "anchor": "2027-03-24"}}),  # not a Monday
]  # fmt: skip


@pytest.mark.parametrize(("kind", "state", "stored"), STORED, ids=repr)
def test_each_state_is_stored_as_before_and_reads_back_as_itself(
    kind: DialogueKind[Any], state: Any, stored: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    assert state.to_json() == stored
    with transaction(sessions) as session:
        kind.write(session, 7, state, expires_after=HOUR)
    with transaction(sessions) as session:
        assert get_dialogue(session=session, telegram_user_id=7, kind=kind.name) == stored
        assert kind.read(session, 7) == state
        kind.end(session, 7)
    with transaction(sessions) as session:
        assert kind.read(session, 7) is None


@pytest.mark.parametrize(("kind", "stored"), UNREADABLE, ids=repr)
def test_a_row_that_is_not_its_state_reads_as_no_dialogue(
    kind: DialogueKind[Any], stored: dict[str, Any], sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        put_dialogue(session=session, telegram_user_id=7, kind=kind.name, value=stored, expires_after=HOUR)
        assert kind.read(session, 7) is None


def test_the_kinds_keep_to_their_own_rows(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        COMPOSE.write(session, 7, StoryNeedsPhoto(5), expires_after=HOUR)
        REPLYING_TO.write(session, 7, ReplyingTo(41), expires_after=HOUR)
        COMPOSE.write(session, 8, VisionDraft(VisionStep.VARIANTS, ("一起向前",)), expires_after=HOUR)
    with transaction(sessions) as session:
        assert COMPOSE.read(session, 7) == StoryNeedsPhoto(5)
        assert REPLYING_TO.read(session, 7) == ReplyingTo(41)
        assert SURVEY_COMMENT.read(session, 7) is None
        assert COMPOSE.read(session, 8) == VisionDraft(VisionStep.VARIANTS, ("一起向前",))
        COMPOSE.write(session, 7, StoryNeedsTime(5), expires_after=HOUR)  # moved on: replaced
        assert COMPOSE.read(session, 7) == StoryNeedsTime(5)


def test_a_survey_comment_ends_with_its_wave(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        SURVEY_COMMENT.write(session, 7, SurveyComment(12, 3), expires_after=HOUR)
        SURVEY_COMMENT.write(session, 8, SurveyComment(13, 3), expires_after=HOUR)
        assert end_subject(session=session, subject=comment_subject(12)) == 1
        assert SURVEY_COMMENT.read(session, 7) is None
        assert SURVEY_COMMENT.read(session, 8) == SurveyComment(13, 3)


# Reading or writing a dialogue row, or indexing its JSON: only in dialogue_states.py. (/cancel's
# clear_dialogues ends every kind at once and reads no state, so it may stay where it is.)
_RAW_ACCESS = re.compile(r"\b(?:get_dialogue|put_dialogue|clear_dialogue)\b|\bstate\[|\bstate\.get\(")


def test_no_telegram_module_but_dialogue_states_touches_the_raw_rows() -> None:
    offending = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(TELEGRAM.rglob("*.py"))
        if path.name != "dialogue_states.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _RAW_ACCESS.search(line)
    ]
    assert offending == []
    assert _RAW_ACCESS.search('question_id = int(state["question"])')
    assert _RAW_ACCESS.search("clear_dialogue(session=session, telegram_user_id=user.id, kind=TYPING)")
