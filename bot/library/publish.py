"""Putting a success story into the case library: the one way every edge does it.

The case file is written to the library (``bot.library.store``) and its re-index queued in the
caller's transaction, so the person who approved or sent the story gets their confirmation at once
(no waiting on the embedding model), the console's job view shows the re-index like any other, and
a story whose transaction rolls back leaves neither file nor job behind. A re-index that fails is
retried by the job queue like any other, and the story is still sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from bot.broadcasts.stories import write_case_file


class ReindexQueue(Protocol):
    """Queues re-indexes (``bot.library.jobs.IngestJobs``)."""

    def start(self, sources: Sequence[str] | None = None, *, session: Session | None = None) -> object:
        """Queue a re-index of library files ``sources``; in ``session`` it starts once that commits."""
        ...


def publish_story(*, session: Session, story_id: int, jobs: ReindexQueue) -> str:
    """Write an approved story to the case library and queue its re-index; returns the file's name.

    Raises:
        InvalidInputError: the story is not approved.
        NotFoundError: no such story.
    """
    source = write_case_file(session=session, story_id=story_id)
    jobs.start([source], session=session)
    return source
