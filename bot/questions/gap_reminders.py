"""An escalated question nobody answers does not wait forever: ``after`` hours after it went to its
managers it reminds them, once, and ``after`` hours after that reminder it goes one level up, once:
to the managers of the next unit above that has any, else to the admins (the change team).

A scheduler chore (``send_gap_reminders``, one of the scheduler's ticks), built like the must-read
reminders (``bot.broadcasts.reminders``). Each step is claimed by a compare-and-set on its own
column, ``asked_questions.reminded_at`` or ``escalated_up_at``, in the same statement that picks
the question (``UPDATE ... WHERE reminded_at IS NULL ... RETURNING``): with two schedulers at once,
the second finds the rows the first took already set (PostgreSQL re-checks a row another
transaction changed; SQLite's writers queue), so no step is taken twice, and a tick that fails
rolls its claim back with the messages it would have queued.

A question answered, saved as an FAQ or closed in between is no longer open and waits for nothing.
Each step is an escalation like the first (``gaps.queue_for_managers``: why it came to a person,
the question, what the bot had said, the Reply button) under a note in the reader's language,
through the outbox: quiet hours, /stop and the send rate hold. Who may answer it does not change
with the step up: managers above manage the asker's unit through theirs, admins manage every unit
(``gaps.may_answer``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.people.models import Person
from bot.questions.escalation import Nudge
from bot.questions.gaps import holders_above, question_holders, queue_for_managers
from bot.questions.models import AskedQuestion

logger = logging.getLogger(__name__)

# A step that would come more than this late (the scheduler was down, the feature was just switched
# on over old questions) is left alone: a reminder about a question from weeks ago is noise, and the
# console's gaps queue still shows it.
STALE_AFTER = timedelta(days=7)

# Escalated, by someone still known, and nobody has answered.
_WAITING = (
    AskedQuestion.status == "open",
    AskedQuestion.escalated_at.is_not(None),
    AskedQuestion.reply.is_(None),
    AskedQuestion.person_id.is_not(None),
)


def send_gap_reminders(session: Session, now: datetime, *, after: timedelta | None) -> int:
    """Remind the managers of each escalated question still unanswered ``after`` it went to them,
    and send each one still unanswered ``after`` that reminder one level up; returns how many
    questions took a step. ``after`` None or zero: neither.
    """
    if not after:
        return 0
    # A question reminded in this tick is not due to go up for another ``after``: one step a tick.
    going_up = _claim(
        session, since=AskedQuestion.reminded_at, step=AskedQuestion.escalated_up_at, now=now, after=after
    )
    reminded = _claim(
        session, since=AskedQuestion.escalated_at, step=AskedQuestion.reminded_at, now=now, after=after
    )
    for question_id in going_up:
        _send_up(session, question_id, now=now)
    for question_id in reminded:
        _remind(session, question_id, now=now)
    session.flush()
    return len(going_up) + len(reminded)


def _claim(
    session: Session,
    *,
    since: InstrumentedAttribute[datetime | None],
    step: InstrumentedAttribute[datetime | None],
    now: datetime,
    after: timedelta,
) -> list[int]:
    """Mark ``step`` taken now on every waiting question whose ``since`` is ``after`` old (and not
    stale); returns their ids, each to one caller only."""
    claimed = session.execute(
        update(AskedQuestion)
        .where(
            *_WAITING,
            step.is_(None),
            since.is_not(None),
            since <= now - after,
            since > now - after - STALE_AFTER,
        )
        .values({step.key: now})
        .returning(AskedQuestion.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars().all())


def _question_and_asker(session: Session, question_id: int) -> tuple[AskedQuestion, Person] | None:
    question = session.get(AskedQuestion, question_id)
    asker = session.get(Person, question.person_id) if question and question.person_id else None
    return (question, asker) if question is not None and asker is not None else None


def _remind(session: Session, question_id: int, *, now: datetime) -> None:
    found = _question_and_asker(session, question_id)
    if found is None:
        return
    question, asker = found
    holders = question_holders(session=session, asker=asker)
    told = queue_for_managers(
        session=session, question=question, asker=asker, managers=holders.people, nudge=Nudge.REMINDER,
        send_at=now,
    )  # fmt: skip
    logger.info("question %s: reminder queued for %s managers", question_id, told)


def _send_up(session: Session, question_id: int, *, now: datetime) -> None:
    found = _question_and_asker(session, question_id)
    if found is None:
        return
    question, asker = found
    holders = question_holders(session=session, asker=asker)
    above = holders_above(session=session, asker=asker, holders=holders)
    if above is None or holders.unit is None:  # the change team had it: nobody above them
        logger.info("question %s: still unanswered by the change team, nobody above", question_id)
        return
    told = queue_for_managers(
        session=session, question=question, asker=asker, managers=above.people, nudge=Nudge.UP,
        held_by=holders.unit.name, send_at=now,
    )  # fmt: skip
    logger.info("question %s: sent one level up, queued for %s people", question_id, told)
