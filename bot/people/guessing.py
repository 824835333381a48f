"""A limit on wrong invite codes per place (a browser's address, a Telegram user), shared by every
process: an invite code is the only key to joining, and without a limit a script could try
hundreds a second.

The window slides as the question limit's does (``bot.questions.flood``): this minute's count plus
the previous minute's, weighted by how much of it still lies within the last 60 seconds. Only wrong
codes count: someone who types their code right the first time is never slowed down.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import case, delete
from sqlalchemy.orm import Session

from bot.people.models import WrongCodeWindow
from bot.storage.upsert import upsert

WRONG_CODES_PER_MINUTE = 5


def _window(now: float) -> tuple[int, float]:
    minute, into = divmod(now, 60.0)
    return int(minute), 1.0 - into / 60.0


def too_many_wrong_codes(*, session: Session, key: str, now: float | None = None) -> bool:
    """Whether ``key`` has tried ``WRONG_CODES_PER_MINUTE`` wrong codes within the last minute."""
    current, weight = _window(time.time() if now is None else now)
    row = session.get(WrongCodeWindow, key)
    if row is None:
        return False
    if row.minute >= current:
        recent = row.wrong + row.previous_wrong * weight
    elif row.minute == current - 1:
        recent = row.wrong * weight
    else:
        recent = 0.0
    return recent >= WRONG_CODES_PER_MINUTE


def count_wrong_code(*, session: Session, key: str, now: float | None = None) -> None:
    """Count one wrong code tried from ``key``."""
    current, _ = _window(time.time() if now is None else now)
    table = WrongCodeWindow.__table__.c
    session.execute(
        upsert(
            session=session,
            model=WrongCodeWindow,
            values={"key": key[:100], "minute": current, "wrong": 1, "previous_wrong": 0},
            keys=["key"],
            update={
                "minute": case((table.minute > current, table.minute), else_=current),
                "wrong": case((table.minute >= current, table.wrong + 1), else_=1),
                "previous_wrong": case(
                    (table.minute >= current, table.previous_wrong),
                    (table.minute == current - 1, table.wrong),
                    else_=0,
                ),
            },
        )
    )


def forget_old_wrong_codes(session: Session, now: datetime) -> int:
    """Delete windows nobody tried a code in for two minutes (a scheduler chore); returns how many."""
    stale = int(now.timestamp() // 60) - 1
    result = session.execute(delete(WrongCodeWindow).where(WrongCodeWindow.minute < stale))
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count
