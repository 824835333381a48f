"""One row per person and kind of dialogue in progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UtcDateTime, utc_now


class DialogueState(Base):
    """Which step of a dialogue a Telegram user is on, and the little it needs to carry on.

    ``subject`` names what the dialogue is about (e.g. one survey wave) so that ending the subject can
    end every dialogue about it; ``expires_at`` makes abandoned dialogues disappear.
    """

    __tablename__ = "dialogue_states"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
