"""Per-person flood control shared by every process: at most N questions in any 60 seconds.

The window slides by weighting: the count so far this minute plus the previous minute's count scaled
by how much of it still lies within the last 60 seconds. One row per person holds both counts, and one
upsert both checks and counts a question, so a burst spread over several processes is limited as if it
reached one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Float, case, delete, literal
from sqlalchemy.orm import Session, sessionmaker

from bot.questions.models import QuestionFlood
from bot.storage.database import transaction
from bot.storage.upsert import upsert


def count_question(*, session: Session, person_id: int, per_minute: int, now: float) -> bool:
    """Count one question for ``person_id`` at ``now`` (Unix seconds); False when it is over the limit.

    A refused question is not counted, so someone who waits gets through again.
    """
    minute, into = divmod(now, 60.0)
    current = int(minute)
    weight = 1.0 - into / 60.0  # the share of the previous minute still inside the window
    table = QuestionFlood.__table__.c
    # Clocks of different hosts disagree a little: a row stamped a minute "ahead" is still this minute.
    this_minute = case((table.minute >= current, table.questions), else_=0)
    last_minute = case(
        (table.minute >= current, table.previous_questions),
        (table.minute == current - 1, table.questions),
        else_=0,
    )
    statement = upsert(
        session=session,
        model=QuestionFlood,
        values={"person_id": person_id, "minute": current, "questions": 1, "previous_questions": 0},
        keys=["person_id"],
        update={
            "minute": case((table.minute > current, table.minute), else_=current),
            "questions": this_minute + 1,
            "previous_questions": last_minute,
        },
        where=this_minute + 1 + last_minute * literal(weight, Float) <= per_minute,
    ).returning(table.questions)
    return session.execute(statement).first() is not None


def forget_quiet_floods(session: Session, now: datetime) -> int:
    """Delete the rows of people who asked nothing for two minutes (a scheduler chore); returns how many.

    Such a row counts for nothing any more: having no row means the same.
    """
    stale = int(now.timestamp() // 60) - 1
    result = session.execute(delete(QuestionFlood).where(QuestionFlood.minute < stale))
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count


class FloodGate:
    """The limit for one process's handlers: holds the sessions and the setting, asks the database."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        per_minute: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Wall-clock time, not monotonic: the window is shared with other processes and hosts.
        self._sessions = sessions
        self._limit = per_minute
        self._clock = clock

    def allow(self, person_id: int) -> bool:
        """Count one question for ``person_id``; False when it is over the limit (and then it is not counted)."""
        with transaction(self._sessions) as session:
            return count_question(
                session=session, person_id=person_id, per_minute=self._limit, now=self._clock()
            )
