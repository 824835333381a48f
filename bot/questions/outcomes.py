"""What askers got over a period: answered, offered "did you mean", or "I don't know yet" (with the
chit-chat replies apart), and how they rated it. The answer rate alone hides the other two."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.questions.models import AskedQuestion


@dataclass(frozen=True, slots=True)
class AnswerOutcomes:
    """Counts over one period; the shares are None when there is nothing to divide by."""

    questions: int = 0
    askers: int = 0  # different people who asked
    answered: int = 0  # band "answer"
    suggested: int = 0  # band "suggest"
    suggestion_picked: int = 0  # of those, the asker tapped a candidate
    unknown: int = 0  # band "unknown": "I don't know yet" and chit-chat
    chit_chat: int = 0  # of those, the friendly reply to an off-topic question (no gap)
    helpful: int = 0
    not_helpful: int = 0

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def answered_share(self) -> float | None:
        """Answered at once, of all questions."""
        return self._share(self.answered, self.questions)

    @property
    def suggested_share(self) -> float | None:
        """Offered "did you mean", of all questions."""
        return self._share(self.suggested, self.questions)

    @property
    def unknown_share(self) -> float | None:
        """ "I don't know yet" or the chit-chat reply, of all questions."""
        return self._share(self.unknown, self.questions)

    @property
    def helpful_share(self) -> float | None:
        """Rated helpful, of the rated answers (a picked candidate counts as helpful)."""
        return self._share(self.helpful + self.suggestion_picked, self.rated)

    @property
    def rated(self) -> int:
        """Answers that got a verdict: a helpful / not helpful press, or a candidate picked."""
        return self.helpful + self.not_helpful + self.suggestion_picked

    def to_json(self) -> dict[str, int | float | None]:
        """Counts and shares, rounded for people."""

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "questions": self.questions, "askers": self.askers, "answered": self.answered, "suggested": self.suggested,
            "suggestion_picked": self.suggestion_picked, "unknown": self.unknown, "chit_chat": self.chit_chat,
            "helpful": self.helpful, "not_helpful": self.not_helpful,
            "answered_share": rounded(self.answered_share), "suggested_share": rounded(self.suggested_share),
            "unknown_share": rounded(self.unknown_share), "helpful_share": rounded(self.helpful_share),
        }  # fmt: skip


def answer_outcomes(
    *, session: Session, since: datetime, person_ids: Collection[int] | None = None
) -> AnswerOutcomes:
    """The outcomes of questions asked since ``since`` (by ``person_ids`` when given; None = everyone)."""
    query = select(
        AskedQuestion.person_id,
        AskedQuestion.band,
        AskedQuestion.reply_kind,
        AskedQuestion.chosen_suggestion,
        AskedQuestion.feedback,
    ).where(AskedQuestion.asked_at >= since)
    if person_ids is not None:
        query = query.where(AskedQuestion.person_id.in_(list(person_ids)))
    counts = {"answer": 0, "suggest": 0, "unknown": 0}
    picked = chit_chat = helpful = not_helpful = 0
    rows = session.execute(query).all()
    for _person, band, kind, chosen, feedback in rows:
        counts[band if band in counts else "unknown"] += 1
        picked += chosen is not None
        chit_chat += kind == "off_topic"
        helpful += feedback == "helpful"
        not_helpful += feedback == "not_helpful"
    return AnswerOutcomes(
        questions=len(rows), askers=len({row.person_id for row in rows if row.person_id is not None}),
        answered=counts["answer"], suggested=counts["suggest"], suggestion_picked=picked,
        unknown=counts["unknown"], chit_chat=chit_chat, helpful=helpful, not_helpful=not_helpful,
    )  # fmt: skip
