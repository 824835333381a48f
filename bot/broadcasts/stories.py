"""Success stories: a manager writes one, it is reviewed, sent, and kept in the case library.

Lifecycle: draft -> pending -> approved -> scheduled -> sent, or rejected / cancelled on the way.
A manager may send a story to their own unit without review unless the settings say otherwise;
anything wider goes through an admin or a manager higher up. Approved stories go into the weekly
digest for everyone and into ``knowledge/cases/stories/`` so staff can ask about them.
"""

from __future__ import annotations

from datetime import datetime

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.broadcasts.models import Broadcast, BroadcastKind, Story, StoryStatus
from bot.broadcasts.service import cancel_broadcast, check_text, create_broadcast
from bot.broadcasts.wording import COMPANY, STORY_BYLINE, STORY_HEADER, STORY_TITLE
from bot.errors import ConflictError, InvalidInputError, NotFoundError
from bot.library.store import write_file
from bot.people.models import Membership, Person, Role, Unit
from bot.people.service import ancestors, can_manage, managed_units
from bot.storage.base import utc_now
from bot.wording import default_language, pick, reader_language, say
from ingest.text import LANGUAGES

STORIES_FOLDER = "cases/stories"
_OPEN = (
    StoryStatus.DRAFT.value,
    StoryStatus.PENDING.value,
    StoryStatus.APPROVED.value,
    StoryStatus.SCHEDULED.value,
)


# What a story's header (``story_copy``) takes at most: its text leaves this much of Telegram's limit free.
STORY_HEADER_ROOM = 80
_AUTHOR_CHARS, _UNIT_CHARS = 20, 30


def story_copy(*, text: str, author: str | None, unit: str | None, language: str) -> str:
    """A story as staff get it: a "Success story" header, who tells it and from which unit, then the
    story as its author wrote it (the preview shows exactly this)."""
    lines = [say(STORY_HEADER, language)]
    name = _clip(author or "", _AUTHOR_CHARS)
    if name and unit:
        lines.append(say(STORY_BYLINE, language, author=name, unit=_clip(unit, _UNIT_CHARS)))
    elif name or unit:
        lines.append(name or _clip(unit or "", _UNIT_CHARS))
    return "\n".join(lines) + "\n\n" + text.strip()


def _clip(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def story_unit(*, session: Session, author: Person) -> Unit | None:
    """The unit a manager's story is about: the highest unit they manage directly (None for admins)."""
    managed = [m.unit for m in author.memberships if m.role == Role.MANAGER.value]
    if not managed:
        return None
    return min(managed, key=lambda unit: (len(ancestors(unit)), unit.name))


def _get(session: Session, story_id: int) -> Story:
    story = session.get(Story, story_id)
    if story is None:
        raise NotFoundError(f"no story {story_id}")
    return story


def start_story(
    *, session: Session, author: Person, text: str, language: str, photo_file_id: str | None = None
) -> Story:
    """A new draft; only managers and admins write stories."""
    unit = story_unit(session=session, author=author)
    if unit is None and not author.is_admin:
        raise InvalidInputError("only managers and admins can share success stories")
    story = Story(
        author_id=author.id,
        unit_id=unit.id if unit else None,
        text=check_text(text, photo=photo_file_id is not None, room=STORY_HEADER_ROOM),
        language=language,
        photo_file_id=photo_file_id,
        status=StoryStatus.DRAFT.value,
    )
    session.add(story)
    session.flush()
    return story


def attach_photo(*, session: Session, story_id: int, author: Person, photo_file_id: str | None) -> Story:
    """Add (or with None remove) the draft's photo; the text must then fit a caption."""
    story = _own_draft(session, story_id, author)
    check_text(story.text, photo=photo_file_id is not None, room=STORY_HEADER_ROOM)
    story.photo_file_id = photo_file_id
    session.flush()
    return story


def _own_draft(session: Session, story_id: int, author: Person) -> Story:
    story = _get(session, story_id)
    if story.author_id != author.id:
        raise InvalidInputError("that story is not yours")
    if story.status != StoryStatus.DRAFT.value:
        raise ConflictError(f"story {story_id} is already {story.status}")
    return story


def may_send_directly(*, session: Session, story: Story, author: Person, approval_for_own_unit: bool) -> bool:
    """Whether the author may send this story to its unit without a review."""
    if author.is_admin:
        return True
    if approval_for_own_unit or story.unit_id is None:
        return False
    unit = session.get(Unit, story.unit_id)
    return unit is not None and can_manage(session=session, person=author, unit=unit)


def _audience(session: Session, story: Story) -> list[str]:
    unit = session.get(Unit, story.unit_id) if story.unit_id else None
    return [f"unit:{unit.name}"] if unit else ["all"]


def send_story(
    *,
    session: Session,
    story_id: int,
    author: Person,
    approval_for_own_unit: bool,
    send_at: datetime | None = None,
) -> Broadcast:
    """Send (or schedule) the author's draft to its unit, approving it on the author's authority."""
    story = _own_draft(session, story_id, author)
    if not may_send_directly(
        session=session, story=story, author=author, approval_for_own_unit=approval_for_own_unit
    ):
        raise InvalidInputError("this story needs approval first: submit it for review")
    unit = session.get(Unit, story.unit_id) if story.unit_id else None
    texts: dict[str, str] = {
        language: story_copy(
            text=story.text, author=author.name, unit=unit.name if unit else None, language=language
        )
        for language in LANGUAGES
    }
    broadcast = create_broadcast(
        session=session,
        kind=BroadcastKind.STORY,
        text=pick(texts, default_language()),
        texts=texts,
        photo_file_id=story.photo_file_id,
        selectors=_audience(session, story),
        send_at=send_at,
        created_by=author,
    )
    now = utc_now()
    story.status = StoryStatus.SCHEDULED.value
    story.broadcast_id = broadcast.id
    story.reviewed_by_id = author.id
    story.submitted_at = story.submitted_at or now
    story.approved_at = now
    session.flush()
    return broadcast


def story_approvers(*, session: Session, story: Story) -> list[Person]:
    """Who may review a story: managers of the nearest unit above its unit, else the admins."""
    unit = session.get(Unit, story.unit_id) if story.unit_id else None
    for candidate in ancestors(unit) if unit else []:
        managers = session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.unit_id == candidate.id,
                Membership.role == Role.MANAGER.value,
                Person.active.is_(True),
                Person.id != story.author_id,
            )
        ).all()
        if managers:
            return list(managers)
    return list(
        session.scalars(
            select(Person).where(
                Person.is_admin.is_(True), Person.active.is_(True), Person.id != story.author_id
            )
        ).all()
    )


def may_review(*, session: Session, story: Story, reviewer: Person) -> bool:
    """An admin, or a manager of a unit above the story's unit (never one's own story, unless admin)."""
    if reviewer.is_admin:
        return True
    if story.author_id == reviewer.id or story.unit_id is None:
        return False
    unit = session.get(Unit, story.unit_id)
    if unit is None:
        return False
    above = {u.id for u in ancestors(unit)}
    return any(u.id in above for u in managed_units(session=session, person=reviewer))


def submit_story(*, session: Session, story_id: int, author: Person) -> list[Person]:
    """Send a draft for review; returns the reviewers to notify (none: an admin's story is approved)."""
    story = _own_draft(session, story_id, author)
    story.status = StoryStatus.PENDING.value
    story.submitted_at = utc_now()
    if author.is_admin:
        _approve(story, reviewer=author)
        session.flush()
        return []
    session.flush()
    return story_approvers(session=session, story=story)


def _approve(story: Story, *, reviewer: Person) -> None:
    story.status = StoryStatus.APPROVED.value
    story.reviewed_by_id = reviewer.id
    story.approved_at = utc_now()


def review_story(
    *, session: Session, story_id: int, reviewer: Person, approve: bool, note: str | None = None
) -> Story:
    """Approve or reject a pending story."""
    story = _get(session, story_id)
    if not may_review(session=session, story=story, reviewer=reviewer):
        raise InvalidInputError("only an admin or a manager above the story's unit can review it")
    if story.status != StoryStatus.PENDING.value:
        raise InvalidInputError(f"story {story_id} is {story.status}, not waiting for review")
    if approve:
        _approve(story, reviewer=reviewer)
    else:
        story.status = StoryStatus.REJECTED.value
        story.reviewed_by_id = reviewer.id
        story.review_note = (note or "").strip()[:1000] or None
    session.flush()
    return story


def cancel_story(*, session: Session, story_id: int, person: Person) -> Story:
    """Withdraw a story (the author or an admin); a scheduled send is cancelled with it."""
    story = _get(session, story_id)
    if story.author_id != person.id and not person.is_admin:
        raise InvalidInputError("only the author or an admin can cancel a story")
    if story.status not in _OPEN:
        raise ConflictError(f"story {story_id} is already {story.status}")
    if story.status == StoryStatus.SCHEDULED.value and story.broadcast_id is not None:
        broadcast = session.get(Broadcast, story.broadcast_id)
        if broadcast is not None and broadcast.kind == BroadcastKind.STORY.value:
            cancel_broadcast(session=session, broadcast_id=broadcast.id)
    story.status = StoryStatus.CANCELLED.value
    session.flush()
    return story


def case_file_text(*, story: Story, unit_name: str | None) -> str:
    """The story as a case-library Markdown file, with the front matter the loader reads."""
    language = reader_language(story.language)
    unit = unit_name or say(COMPANY, language)
    day = (story.approved_at or story.created_at).date().isoformat()
    title = say(STORY_TITLE, language, unit=unit, date=day)
    front = yaml.safe_dump(
        {
            "title": title,
            "lang": language,
            "type": "case",
            "unit": unit,
            "date": day,
            "tags": ["success-story"],
        },
        allow_unicode=True,
        sort_keys=False,
    )
    return f"---\n{front}---\n# {title}\n\n{story.text.strip()}\n"


def write_case_file(*, session: Session, story_id: int) -> str:
    """Put an approved story into the case library; returns the library file to index."""
    story = _get(session, story_id)
    if story.approved_at is None:
        raise InvalidInputError("only approved stories go into the case library")
    unit = session.get(Unit, story.unit_id) if story.unit_id else None
    source = f"{STORIES_FOLDER}/story-{story.id:05d}.md"
    text = case_file_text(story=story, unit_name=unit.name if unit else None)
    write_file(session, source, text.encode("utf-8"), by=f"story {story.id}")
    story.case_file = source
    session.flush()
    return source
