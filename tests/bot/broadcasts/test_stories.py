"""Success stories: who may write, send and review them; the case library; the weekly digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Broadcast, BroadcastKind, Delivery, Story, StoryStatus
from bot.broadcasts.recurring import ensure_digest_schedule, fire_digest
from bot.broadcasts.service import cancel_broadcast, enqueue_due, finish_completed
from bot.broadcasts.stories import (
    attach_photo,
    cancel_story,
    review_story,
    send_story,
    start_story,
    story_approvers,
    submit_story,
    write_case_file,
)
from bot.errors import InvalidInputError
from bot.library.store import read_file
from bot.people.models import Person
from bot.storage.base import utc_now
from bot.storage.database import transaction
from ingest.loaders import load_file
from tests.bot.broadcasts.conftest import People

STORY = "12号店用服务中台排班，店长每周少花两小时，顾客回访率从40%升到65%。"


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    assert person is not None
    return person


def test_staff_cannot_write_stories(sessions: sessionmaker[Session], people: People) -> None:
    with transaction(sessions) as session, pytest.raises(InvalidInputError, match="managers"):
        start_story(
            session=session, author=_person(session, people.store_staff[0]), text=STORY, language="zh-Hans"
        )


def test_a_store_manager_sends_to_their_own_store_without_review(
    sessions: sessionmaker[Session], people: People
) -> None:
    with transaction(sessions) as session:
        manager = _person(session, people.store_manager)
        story = start_story(session=session, author=manager, text=STORY, language="zh-Hans")
        broadcast = send_story(
            session=session, story_id=story.id, author=manager, approval_for_own_unit=False
        )
        assert broadcast.audience == ["unit:华东区-12号店"] and broadcast.kind == BroadcastKind.STORY.value
        assert story.status == StoryStatus.SCHEDULED.value and story.approved_at is not None
        enqueue_due(session=session)
        recipients = set(
            session.scalars(select(Delivery.person_id).where(Delivery.broadcast_id == broadcast.id)).all()
        )
        assert recipients == {people.store_manager, *people.store_staff}


def test_when_the_settings_require_it_even_the_own_unit_needs_review(
    sessions: sessionmaker[Session], people: People
) -> None:
    with transaction(sessions) as session:
        manager = _person(session, people.store_manager)
        story = start_story(session=session, author=manager, text=STORY, language="zh-Hans")
        with pytest.raises(InvalidInputError, match="approval"):
            send_story(session=session, story_id=story.id, author=manager, approval_for_own_unit=True)
        assert story.status == StoryStatus.DRAFT.value


def test_review_goes_up_the_tree_and_nobody_reviews_their_own(
    sessions: sessionmaker[Session], people: People, tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        manager = _person(session, people.store_manager)
        story = start_story(session=session, author=manager, text=STORY, language="zh-Hans")
        reviewers = submit_story(session=session, story_id=story.id, author=manager)
        assert [r.id for r in reviewers] == [people.region_manager]
        assert story.status == StoryStatus.PENDING.value
        for outsider in (people.store_manager, people.store_staff[0], people.south_staff[0]):
            with pytest.raises(InvalidInputError):
                review_story(
                    session=session, story_id=story.id, reviewer=_person(session, outsider), approve=True
                )
        review_story(
            session=session, story_id=story.id, reviewer=_person(session, people.region_manager), approve=True
        )
        assert story.status == StoryStatus.APPROVED.value
        with pytest.raises(InvalidInputError, match="not waiting"):
            review_story(
                session=session, story_id=story.id, reviewer=_person(session, people.admin), approve=False
            )
        source = write_case_file(session=session, story_id=story.id)
        content = read_file(session, source)
    assert content is not None and source.startswith("cases/stories/")
    path = tmp_path / source
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    loaded = load_file(path, root=tmp_path, max_bytes=1_000_000)
    assert loaded.doc_type.value == "case" and loaded.lang == "zh-Hans"
    assert "华东区-12号店" in loaded.title
    assert any("回访率从40%升到65%" in block.text for block in loaded.blocks)


def test_a_region_managers_story_goes_to_the_admins(sessions: sessionmaker[Session], people: People) -> None:
    with transaction(sessions) as session:
        story = start_story(
            session=session, author=_person(session, people.region_manager), text=STORY, language="zh-Hans"
        )
        assert [p.id for p in story_approvers(session=session, story=story)] == [people.admin]


def test_an_admins_story_is_approved_on_submission(sessions: sessionmaker[Session], people: People) -> None:
    with transaction(sessions) as session:
        admin = _person(session, people.admin)
        story = start_story(session=session, author=admin, text=STORY, language="zh-Hans")
        assert submit_story(session=session, story_id=story.id, author=admin) == []
        assert story.status == StoryStatus.APPROVED.value


def test_rejection_and_cancellation(sessions: sessionmaker[Session], people: People) -> None:
    with transaction(sessions) as session:
        manager = _person(session, people.store_manager)
        rejected = start_story(session=session, author=manager, text=STORY, language="zh-Hans")
        submit_story(session=session, story_id=rejected.id, author=manager)
        review_story(
            session=session,
            story_id=rejected.id,
            reviewer=_person(session, people.region_manager),
            approve=False,
            note="请补充数据来源",
        )
        assert rejected.status == StoryStatus.REJECTED.value and rejected.review_note == "请补充数据来源"

        scheduled = start_story(session=session, author=manager, text=STORY, language="zh-Hans")
        broadcast = send_story(
            session=session,
            story_id=scheduled.id,
            author=manager,
            approval_for_own_unit=False,
            send_at=utc_now() + timedelta(days=1),
        )
        with pytest.raises(InvalidInputError, match="author or an admin"):
            cancel_story(
                session=session, story_id=scheduled.id, person=_person(session, people.region_manager)
            )
        cancel_story(session=session, story_id=scheduled.id, person=manager)
        assert broadcast.status == "cancelled" and scheduled.status == StoryStatus.CANCELLED.value


def test_a_photo_caption_must_fit(sessions: sessionmaker[Session], people: People) -> None:
    with transaction(sessions) as session:
        manager = _person(session, people.store_manager)
        long_story = start_story(
            session=session, author=manager, text="很长的故事。" * 200, language="zh-Hans"
        )
        with pytest.raises(InvalidInputError, match="caption"):
            attach_photo(session=session, story_id=long_story.id, author=manager, photo_file_id="AgAD-photo")
        short = start_story(session=session, author=manager, text=STORY, language="zh-Hans")
        attach_photo(session=session, story_id=short.id, author=manager, photo_file_id="AgAD-photo")
        broadcast = send_story(
            session=session, story_id=short.id, author=manager, approval_for_own_unit=False
        )
        assert broadcast.photo_file_id == "AgAD-photo"


def _approved(session: Session, people: People, text: str, approved_at: datetime) -> Story:
    manager = _person(session, people.store_manager)
    story = start_story(session=session, author=manager, text=text, language="zh-Hans")
    submit_story(session=session, story_id=story.id, author=manager)
    review_story(
        session=session, story_id=story.id, reviewer=_person(session, people.region_manager), approve=True
    )
    story.approved_at = approved_at
    return story


def test_the_weekly_digest_carries_last_weeks_approved_stories_once(
    sessions: sessionmaker[Session], people: People
) -> None:
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
    with transaction(sessions) as session:
        fresh = _approved(session, people, "本周：排班省时两小时。", now - timedelta(days=2))
        stale = _approved(session, people, "上个月的旧闻。", now - timedelta(days=20))
        schedule = ensure_digest_schedule(
            session=session,
            cron="0 9 * * mon",
            zones=[ZoneInfo("Asia/Shanghai")],
            now=now - timedelta(days=1),
        )
        assert schedule is not None
        fire_digest(session, schedule, datetime(2026, 11, 23, 9, 0), now)
        digest = session.scalars(select(Broadcast).where(Broadcast.kind == BroadcastKind.DIGEST.value)).one()
        assert fresh.status == StoryStatus.SCHEDULED.value and fresh.broadcast_id == digest.id
        assert stale.status == StoryStatus.APPROVED.value
        assert "排班省时两小时" in digest.text and "旧闻" not in digest.text
        assert digest.texts["en"].startswith("📣 This week's success stories")
        assert digest.texts["zh-Hant"].startswith("📣 本週成功故事")

        fire_digest(session, schedule, datetime(2026, 11, 30, 9, 0), now + timedelta(days=7))  # nothing new
        assert (
            session.scalar(select(Broadcast.id).where(Broadcast.kind == "digest", Broadcast.id != digest.id))
            is None
        )

        enqueue_due(session=session, now=now)
        # Each reader gets the digest in their language; English readers get the English header.
        english = session.scalars(
            select(Delivery).where(
                Delivery.broadcast_id == digest.id, Delivery.person_id == people.south_staff[0]
            )
        ).one()
        assert english.text is not None and english.text.startswith("📣 This week's")
        session.execute(Delivery.__table__.update().values(state="sent"))
        finish_completed(session=session)
        assert fresh.status == StoryStatus.SENT.value


def test_a_cancelled_digest_hands_its_stories_to_the_next(
    sessions: sessionmaker[Session], people: People
) -> None:
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        story = _approved(session, people, "本周：排班省时两小时。", now - timedelta(days=1))
        schedule = ensure_digest_schedule(
            session=session, cron="0 9 * * mon", zones=[ZoneInfo("Asia/Shanghai")]
        )
        assert schedule is not None
        fire_digest(session, schedule, datetime(2026, 11, 23, 9, 0), now)
        cancel_broadcast(session=session, broadcast_id=story.broadcast_id or 0)
        assert story.status == StoryStatus.APPROVED.value and story.broadcast_id is None
