"""What an escalated question tells the people it goes to: why it came to a person, what the bot had
said (its answer shortened, with the sources it came from as people name them, or the candidates
it offered) and, when it comes again, why. One wording for every way a question reaches a person:
passed on by itself, after "not helpful", after "ask a person", reminded, sent one level up.

Everything is read from the stored question, so the first message, its reminder and the console's
gaps queue always agree on why a question is open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.answering.extractive import best_window
from bot.questions.models import AskedQuestion
from bot.questions.wording import QUESTION_FOR_MANAGER
from bot.wording import pick

MAX_QUOTED_QUESTION = 1000
# The bot's answer as quoted to a manager: enough to see what it said, short enough to read on a
# phone above the question's buttons; the asker got the whole of it.
MAX_QUOTED_ANSWER = 300
MAX_SOURCES = 3


class EscalationReason(StrEnum):
    """Why a question is in front of a person."""

    COULD_NOT_ANSWER = "could_not_answer"  # "I don't know yet": passed on by itself
    NOT_HELPFUL = "not_helpful"  # the asker said the answer did not help
    ASKED_FOR_PERSON = "asked_for_person"  # "ask a person" under an answer, candidates or chit-chat


class Nudge(StrEnum):
    """Why an escalated question comes to someone again (``bot.questions.gap_reminders``)."""

    REMINDER = "reminder"  # to the managers who have it, still unanswered
    UP = "up"  # to the next level up, unanswered after the reminder too


def escalation_reason(question: AskedQuestion) -> EscalationReason:
    """Why ``question`` went to a person, from what is stored with it: the one place that decides,
    for the message to its managers, its reminders and the console's gaps queue."""
    if question.feedback == "not_helpful":
        return EscalationReason.NOT_HELPFUL
    # The friendly reply to chit-chat is "unknown" too, but the bot did not fail there: a question
    # that reaches a person from it was sent on by its asker.
    if question.band == "unknown" and question.reply_kind != "off_topic":
        return EscalationReason.COULD_NOT_ANSWER
    return EscalationReason.ASKED_FOR_PERSON


@dataclass(frozen=True, slots=True)
class BotSaid:
    """What the bot had replied, as a manager reads it: its answer shortened with the passages it
    came from, or the candidates it offered; nothing after "I don't know yet" or chit-chat."""

    answer: str = ""
    sources: tuple[str, ...] = ()
    offered: tuple[str, ...] = ()


def bot_said(question: AskedQuestion) -> BotSaid:
    """What the bot had replied to ``question`` (a picked candidate's answer counts as its answer)."""
    if question.answered and question.answer.strip():
        return BotSaid(answer=shortened(question.answer), sources=source_names(question.sources or []))
    if question.band == "suggest":
        labels = (" ".join(str(s.get("label") or "").split()) for s in question.suggestions or [])
        return BotSaid(offered=tuple(label for label in labels if label))
    return BotSaid()


def shortened(answer: str, *, max_chars: int = MAX_QUOTED_ANSWER) -> str:
    """``answer``'s first whole sentences within ``max_chars``, with "…" when something was left out;
    a first sentence longer than that is cut after a clause, never inside a word."""
    answer = answer.strip()
    if len(answer) <= max_chars:
        return answer
    # No question words to weigh by: the window starts at the first sentence and grows forwards.
    short = best_window(answer, query_tokens=[], idf={}, max_chars=max_chars - 2)
    if short.endswith("…"):
        return short
    return f"{short} …" if short[-1:].isascii() else f"{short}…"  # "percent. …", "复盘。…"


def source_names(sources: Sequence[dict[str, object]]) -> tuple[str, ...]:
    """The passages an answer came from as people name them ("title › section", as the asker saw
    them), each once; never a file's path."""
    names: list[str] = []
    for source in sources:
        parts = (" ".join(str(source.get(key) or "").split()) for key in ("title", "section"))
        name = " › ".join(part for part in parts if part)
        if name and name not in names:
            names.append(name)
    return tuple(names[:MAX_SOURCES])


def manager_message(
    question: AskedQuestion,
    language: str,
    *,
    asker: str,
    unit: str,
    nudge: Nudge | None = None,
    held_by: str = "",
) -> str:
    """``question`` as a manager reading ``language`` gets it: a note when it comes again (``held_by``:
    the unit whose managers had it, for a step up), why it came to a person and from whom, the
    question, what the bot had said, and how to answer."""
    words = pick(QUESTION_FOR_MANAGER, language)
    parts: list[str] = []
    if nudge is Nudge.REMINDER:
        parts.append(words["reminder"])
    elif nudge is Nudge.UP:
        parts.append(words["up"].format(unit=held_by or "—"))
    reason = escalation_reason(question)
    parts.append(words[reason.value].format(name=asker or "—", unit=unit or "—"))
    parts.append(question.text[:MAX_QUOTED_QUESTION])
    said = bot_said(question)
    if said.answer:
        lines = [words["answer"].format(answer=said.answer)]
        if said.sources:
            lines.append(words["sources"].format(sources=words["joiner"].join(said.sources)))
        parts.append("\n".join(lines))
    elif said.offered:
        parts.append(words["offered"].format(offered=words["joiner"].join(said.offered)))
    parts.append(words["how"])
    return "\n\n".join(parts)
