"""The change team's review queue for FAQs the team wrote: see what managers saved for their own
stores, then promote an entry to everyone, edit it, or retire it. Only admins (the change team)
review; every change rewrites the team FAQ file and returns what to re-index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from bot.access.service import Principal
from bot.errors import InvalidInputError, NotFoundError
from bot.questions.gaps import MAX_REPLY_CHARS, TEAM_FAQ_FILE
from ingest.documents import LoaderError
from ingest.faq_file import read_faqs, remove_faq, update_faq
from ingest.text import restore_cjk_punctuation

Action = Literal["promote", "edit", "retire"]
MAX_QUESTION_CHARS = 500


@dataclass(frozen=True, slots=True)
class TeamFaq:
    """One entry of the team FAQ file, as the queue shows it."""

    entry_id: str
    question: str
    answer: str
    scope: str  # "" = everyone
    owner: str
    created: str
    review_by: str
    waiting: bool  # not reviewed yet

    def overdue(self, today: date) -> bool:
        """Whether its review date has passed."""
        return bool(self.review_by) and date.fromisoformat(self.review_by) < today


def team_faqs(*, knowledge_dir: Path) -> list[TeamFaq]:
    """Every FAQ the team wrote: waiting for review first, then by review date."""
    try:
        entries = read_faqs(knowledge_dir / TEAM_FAQ_FILE)
    except LoaderError:
        return []  # a hand-broken file shows in the ingest report; the queue stays usable
    found = [
        TeamFaq(
            entry_id=e.entry_id,
            # The loader folds punctuation to ASCII for matching; people read it as written.
            question=restore_cjk_punctuation(e.question),
            answer=restore_cjk_punctuation(e.answer),
            scope=e.scope,
            owner=e.owner,
            created=e.created,
            review_by=e.review_by,
            waiting=e.status == "review",
        )  # fmt: skip
        for e in entries
        if e.entry_id
    ]
    return sorted(found, key=lambda f: (not f.waiting, f.review_by or "9999", f.entry_id))


def review_faq(
    *,
    principal: Principal,
    knowledge_dir: Path,
    entry_id: str,
    action: Action,
    question: str = "",
    answer: str = "",
) -> Path:
    """Apply the change team's decision to one team FAQ; returns the path to re-index.

    Raises:
        AccessDeniedError: not an admin.
        NotFoundError: no such entry.
        InvalidInputError: an edit with an empty or over-long question or answer.
    """
    principal.require_admin()
    path = knowledge_dir / TEAM_FAQ_FILE
    try:
        if action == "retire":
            remove_faq(path, entry_id=entry_id)
        elif action == "promote":
            # Everyone, and reviewed: the change team vouches for it now.
            update_faq(path, entry_id=entry_id, changes={"scope": "", "status": ""})
        else:
            question, answer = question.strip(), answer.strip()
            if not question or not answer:
                raise InvalidInputError("an FAQ needs a question and an answer")
            if len(question) > MAX_QUESTION_CHARS or len(answer) > MAX_REPLY_CHARS:
                raise InvalidInputError(
                    f"questions are at most {MAX_QUESTION_CHARS} characters, answers {MAX_REPLY_CHARS}"
                )
            update_faq(
                path, entry_id=entry_id, changes={"question": question, "answer": answer, "status": ""}
            )
    except LoaderError as exc:
        if "no FAQ entry" in str(exc):
            raise NotFoundError(str(exc)) from exc
        raise InvalidInputError(f"the FAQ file would not load: {exc}") from exc
    # Retiring the last entry removes the file: re-read its folder, so the index drops it too.
    return path if path.exists() else path.parent
