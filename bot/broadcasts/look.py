"""What a delivered copy looks like: the words that head it and the buttons under it, decided here
from what the broadcast is, so that each kind looks like what it is. The chat layer only draws it
(``bot.telegram.broadcast_sender``), with the labels in the reader's language.

- an announcement, a story, the digest, a vision message: 👏, with the count of claps so far once
  anyone has clapped;
- a must-read: a "❗ Important" header and ✅ "I've read it" (beside the 👏 if it is an announcement);
- a reminder of a must-read: the header and ✅ only;
- a survey invitation: its Start button; an escalated question: its own buttons (Reply, "answer
  with this FAQ"), nothing else;
- a rollout alert, a notice to one person (a reply to their question, their review pack): no
  buttons. Nobody claps for a warning.

A story's own header (who wrote it, from where) is part of its text (``stories.story_copy``): it is
written once when the story is sent, not drawn on every copy.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from bot.broadcasts.models import BroadcastKind
from bot.broadcasts.wording import MUST_READ_HEADER
from bot.wording import say

CLAPPED: Final = frozenset(
    {
        BroadcastKind.MESSAGE.value,
        BroadcastKind.STORY.value,
        BroadcastKind.DIGEST.value,
        BroadcastKind.VISION.value,
    }
)


class Control(StrEnum):
    """A button under a copy."""

    CLAP = "clap"
    READ = "read"  # must-reads: "I've read it"
    START_SURVEY = "start_survey"  # ``Broadcast.button`` "survey:WAVE"
    ACTIONS = "actions"  # the broadcast's own buttons (``Broadcast.actions``)


def controls_for(
    *, kind: str, must_read: bool, button: str | None = None, has_actions: bool = False
) -> tuple[Control, ...]:
    """The buttons a copy gets, in the order they are drawn."""
    if has_actions:
        return (Control.ACTIONS,)
    if button is not None:
        return (Control.START_SURVEY,)
    controls = [Control.CLAP] if kind in CLAPPED else []
    if must_read:
        controls.append(Control.READ)
    return tuple(controls)


def copy_text(*, text: str, must_read: bool, language: str | None) -> str:
    """The text as its reader gets it: a must-read opens with the header in their language.

    ``MAX_TEXT`` and ``MAX_CAPTION`` leave room for the header under Telegram's limits.
    """
    if not must_read:
        return text
    return f"{say(MUST_READ_HEADER, language)}\n\n{text}"
