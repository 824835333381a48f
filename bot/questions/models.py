"""Stored questions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utc_now


class AskedQuestion(Base):
    """A question someone asked and what the bot replied."""

    __tablename__ = "asked_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, index=True)
    channel: Mapped[str] = mapped_column(String(20))  # cli, telegram, web
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    language: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    answered: Mapped[bool] = mapped_column(Boolean, index=True)
    # answer, suggest ("did you mean" candidates offered) or unknown (incl. the chit-chat reply)
    band: Mapped[str] = mapped_column(String(10), default="unknown", server_default="unknown", index=True)
    reply_kind: Mapped[str | None] = mapped_column(String(20))  # Answer.kind; None before bands
    suggestions: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)  # [{label, chunk_id}]
    chosen_suggestion: Mapped[int | None] = mapped_column(Integer)  # which candidate the asker picked
    confidence: Mapped[float] = mapped_column(Float)
    sources: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="closed", index=True)  # open, closed
    feedback: Mapped[str | None] = mapped_column(String(20))  # helpful, not_helpful
    feedback_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # While nobody answers it (bot.questions.gap_reminders): when its managers were reminded, and
    # when it went one level up; each once, claimed by a compare-and-set.
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reply: Mapped[str | None] = mapped_column(Text)  # a person's answer, delivered to the asker
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the asker saw ``reply`` in the web chat; None while it is unread there (bot.questions.conversation)
    reply_read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    faq_id: Mapped[str | None] = mapped_column(String(64))  # set once the reply was saved as an FAQ


class QuestionFlood(Base):
    """How many questions a person asked this minute and the minute before (the shared flood window).

    Minutes are counted since the Unix epoch, so every process agrees on them.
    """

    __tablename__ = "question_floods"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, index=True)
    questions: Mapped[int] = mapped_column(Integer, default=0)
    previous_questions: Mapped[int] = mapped_column(Integer, default=0)


class LearnedPhrasing(Base):
    """An asker's wording of a question that an existing FAQ answered (``bot.questions.phrasings``).

    It names the FAQ by ``faq_key`` (file and entry id, or question), not by chunk id, so it
    survives edits of the answer. No person is stored: the wording is all retrieval needs.
    """

    __tablename__ = "learned_phrasings"
    __table_args__ = (UniqueConstraint("faq_key", "text", name="uq_learned_phrasings_faq_text"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    faq_key: Mapped[str] = mapped_column(String(600), index=True)
    faq_question: Mapped[str] = mapped_column(Text)  # as the FAQ read when the wording was learned
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10))
    origin: Mapped[str] = mapped_column(String(20))  # helpful (the asker), manager (answered with it)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("asked_questions.id", ondelete="SET NULL"))
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)  # active, retired
