"""Publishing a story to the case library: the file is written and its re-index queued in the same
transaction, never run inline (the person who pressed the button is answered at once)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.stories import send_story, start_story
from bot.errors import InvalidInputError
from bot.library.publish import publish_story
from bot.library.store import read_file
from bot.people.models import Person
from bot.storage.database import transaction
from tests.bot.broadcasts.conftest import People, people  # noqa: F401  (the fixture)


class RecordingQueue:
    """A ``ReindexQueue`` that remembers what it was asked to queue, and in which transaction."""

    def __init__(self) -> None:
        self.queued: list[tuple[list[str], Session | None]] = []

    def start(self, sources: Sequence[str] | None = None, *, session: Session | None = None) -> object:
        self.queued.append((list(sources or []), session))
        return object()


def test_a_published_story_is_written_and_queued_in_the_callers_transaction(
    sessions: sessionmaker[Session],
    people: People,  # noqa: F811
    tmp_path: Path,
) -> None:
    queue = RecordingQueue()
    with transaction(sessions) as session:
        manager = session.get(Person, people.store_manager)
        assert manager is not None
        draft = start_story(
            session=session, author=manager, text="12号店排班每周省两小时。", language="zh-Hans"
        )
        with pytest.raises(InvalidInputError, match="approved"):
            publish_story(session=session, story_id=draft.id, jobs=queue)
        assert queue.queued == []  # nothing queued for a story that may not be published
        send_story(session=session, story_id=draft.id, author=manager, approval_for_own_unit=False)
        source = publish_story(session=session, story_id=draft.id, jobs=queue)
        content = read_file(session, source)
        assert source.startswith("cases/stories/") and content is not None
        assert "12号店排班" in content.decode("utf-8")
        assert queue.queued == [([source], session)]


def test_a_story_whose_transaction_rolls_back_leaves_no_file_in_the_library(
    sessions: sessionmaker[Session],
    people: People,  # noqa: F811
) -> None:
    queue = RecordingQueue()
    with transaction(sessions) as session:
        manager = session.get(Person, people.store_manager)
        assert manager is not None
        story = start_story(session=session, author=manager, text="5号店的排班省了时间。", language="zh-Hans")
        send_story(session=session, story_id=story.id, author=manager, approval_for_own_unit=False)
    written: list[str] = []

    def publish_then_fail() -> None:
        with transaction(sessions) as session:
            written.append(publish_story(session=session, story_id=story.id, jobs=queue))
            raise RuntimeError("the request failed after the file was written")

    with pytest.raises(RuntimeError, match="after the file"):
        publish_then_fail()
    [source] = written
    with sessions() as session:
        assert read_file(session, source) is None
