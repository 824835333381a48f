"""Survey waves and responses.

Anonymity lives in the schema: a response row has no person column (in anonymous waves), no
timestamp and no language, and its id is random. While the wave is open it is found again only
through a keyed hash whose key is half in the database (the wave's salt) and half outside it (the
server key, see ``bot.surveys.pairing``); at close the salt is erased and the rows are written
again with random keys in random order, so neither a key nor the storage order (SQLite's rowid,
PostgreSQL's heap) says anything about who answered or when (see ``waves.close_wave``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utc_now


class WaveStatus(StrEnum):
    """Where a wave is: waiting to open, taking answers, closed for good."""

    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class SurveyWave(Base):
    """One round of a survey sent to an audience, open until ``closes_at``."""

    __tablename__ = "survey_waves"
    __table_args__ = (
        UniqueConstraint("schedule_id", "occurrence", name="uq_survey_waves_schedule_occurrence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(60), index=True)
    survey_version: Mapped[int] = mapped_column(Integer)
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default=WaveStatus.SCHEDULED.value, index=True)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    # Half of the key of the respondent hashes (the other half is the server key, outside the
    # database); erased at close so nobody can recompute who answered what.
    salt: Mapped[str | None] = mapped_column(String(64))
    # Waves already open when migration 0017 brought the server key keep the keys they were
    # launched with, HMAC(salt) alone, until they close (see the migration's docstring).
    salt_only_keys: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    invited: Mapped[int] = mapped_column(Integer, default=0)
    invited_by_unit: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # unit id -> people invited
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="SET NULL"))
    occurrence: Mapped[str | None] = mapped_column(String(32))
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Managers were told the results (``reporting.wave_headlines``): set by a compare-and-set, so one
    # headline each whichever scheduler gets there first. Waves closed before 0021 count as told.
    announced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # How many invitees said "not this time", counted at close from the invitations' ``declined``
    # (erased then): after close the count is all that is kept of who declined. 0 while open.
    declined: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SurveyInvitation(Base):
    """Who was asked (not who answered): lets the bot check a button press comes from an invitee.

    ``declined`` is a person's "not this time" while the wave is open: no reminder, and taken back
    when they start after all. It sits here, beside the person, and never beside the answers: a
    decliner has no response row (declining drops a half-finished one), and nothing in this table
    leads to a response. Close counts the flags into ``SurveyWave.declined`` and erases them.
    """

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("wave_id", "person_id", name="uq_survey_invitations_wave_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    declined: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


def _random_id() -> str:
    return uuid.uuid4().hex


class SurveyResponse(Base):
    """One respondent's answers to one wave; in anonymous waves nothing here names them."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("wave_id", "respondent_key", name="uq_survey_responses_wave_respondent"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_id)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True)
    respondent_key: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )  # named waves only
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    answers: Mapped[dict[str, object]] = mapped_column(
        JSON, default=dict
    )  # question id -> 1..5, option id, text, None
    scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)  # dimension -> 1..5
    barrier: Mapped[str | None] = mapped_column(String(60))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    score_total: Mapped[float | None] = mapped_column(Float)
