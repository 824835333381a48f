"""The change team's review queue for FAQs the team wrote: see what managers saved for their own
stores, then promote an entry to everyone, edit it, or retire it. Only admins (the change team)
review; every change rewrites the team FAQ file and returns what to re-index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy.orm import Session

from bot.access.service import Principal
from bot.errors import InvalidInputError, NotFoundError
from bot.library.store import read_file, rewrite_file
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


def team_faqs(*, session: Session) -> list[TeamFaq]:
    """Every FAQ the team wrote: waiting for review first, then by review date."""
    try:
        entries = read_faqs(read_file(session, TEAM_FAQ_FILE))
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
    session: Session,
    principal: Principal,
    entry_id: str,
    action: Action,
    question: str = "",
    answer: str = "",
) -> str:
    """Apply the change team's decision to one team FAQ; returns the library file to re-index.

    Raises:
        AccessDeniedError: not an admin.
        NotFoundError: no such entry.
        InvalidInputError: an edit with an empty or over-long question or answer.
    """
    principal.require_admin()
    if action == "edit":
        question, answer = question.strip(), answer.strip()
        if not question or not answer:
            raise InvalidInputError("an FAQ needs a question and an answer")
        if len(question) > MAX_QUESTION_CHARS or len(answer) > MAX_REPLY_CHARS:
            raise InvalidInputError(
                f"questions are at most {MAX_QUESTION_CHARS} characters, answers {MAX_REPLY_CHARS}"
            )

    def change(text: str | None) -> str | None:
        if action == "retire":
            return remove_faq(text, entry_id=entry_id)
        if action == "promote":
            # Everyone, and reviewed: the change team vouches for it now.
            return update_faq(text, entry_id=entry_id, changes={"scope": "", "status": ""})
        return update_faq(
            text, entry_id=entry_id, changes={"question": question, "answer": answer, "status": ""}
        )

    try:
        # Retiring the last entry removes the file; re-indexing its name then drops it from the index.
        rewrite_file(session, TEAM_FAQ_FILE, change, by=principal.name or "the change team")
    except LoaderError as exc:
        if "no FAQ entry" in str(exc):
            raise NotFoundError(str(exc)) from exc
        raise InvalidInputError(f"the FAQ file would not load: {exc}") from exc
    return TEAM_FAQ_FILE
