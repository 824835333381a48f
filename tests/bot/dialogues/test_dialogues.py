"""The dialogue store: one state per person and kind, replaced on each step, gone when cleared, when
it expires, when its subject ends (a survey wave closing), and when the purge chore runs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.dialogues.models import DialogueState
from bot.dialogues.service import (
    clear_dialogue,
    end_subject,
    get_dialogue,
    purge_expired_dialogues,
    put_dialogue,
)
from bot.people.models import Person
from bot.storage.base import utc_now
from bot.storage.database import make_engine, make_session_factory, transaction
from bot.surveys.definitions import load_surveys
from bot.surveys.waves import close_wave, comment_subject, launch_wave

HOUR = timedelta(hours=1)
PULSE = load_surveys(Path(__file__).resolve().parents[3] / "knowledge" / "surveys")["resistance-pulse"]


def _rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(DialogueState)) or 0)


def test_put_replaces_get_reads_clear_ends(sessions: sessionmaker[Session], database_url: str) -> None:
    with transaction(sessions) as session:
        put_dialogue(
            session=session, telegram_user_id=7, kind="compose", value={"step": "text"}, expires_after=HOUR
        )
        put_dialogue(
            session=session, telegram_user_id=7, kind="replying_to", value={"question": 3}, expires_after=HOUR
        )
        put_dialogue(
            session=session, telegram_user_id=8, kind="compose", value={"step": "text"}, expires_after=HOUR
        )
    with transaction(sessions) as session:
        put_dialogue(
            session=session, telegram_user_id=7, kind="compose", value={"step": "photo", "id": 12}, expires_after=HOUR
        )  # fmt: skip
    other_process = make_engine(database_url)  # what another process reads
    with transaction(make_session_factory(other_process)) as session:
        assert get_dialogue(session=session, telegram_user_id=7, kind="compose") == {
            "step": "photo",
            "id": 12,
        }
        assert get_dialogue(session=session, telegram_user_id=7, kind="replying_to") == {"question": 3}
        assert get_dialogue(session=session, telegram_user_id=9, kind="compose") is None
        clear_dialogue(session=session, telegram_user_id=7, kind="compose")
    other_process.dispose()
    with transaction(sessions) as session:
        assert get_dialogue(session=session, telegram_user_id=7, kind="compose") is None
        assert get_dialogue(session=session, telegram_user_id=8, kind="compose") == {"step": "text"}
    assert _rows(sessions) == 2


def test_abandoned_dialogues_expire_and_are_purged(sessions: sessionmaker[Session]) -> None:
    now = utc_now()
    with transaction(sessions) as session:
        put_dialogue(
            session=session, telegram_user_id=7, kind="compose", value={}, expires_after=HOUR, now=now
        )
        put_dialogue(
            session=session, telegram_user_id=8, kind="compose", value={}, expires_after=3 * HOUR, now=now
        )
    later = now + 2 * HOUR
    with transaction(sessions) as session:
        assert get_dialogue(session=session, telegram_user_id=7, kind="compose", now=later) is None
        assert get_dialogue(session=session, telegram_user_id=8, kind="compose", now=later) == {}
        assert purge_expired_dialogues(session, later) == 1
    assert _rows(sessions) == 1
    with transaction(sessions) as session:  # a step taken starts the expiry again
        put_dialogue(
            session=session, telegram_user_id=8, kind="compose", value={}, expires_after=3 * HOUR, now=later
        )
        assert purge_expired_dialogues(session, now + 4 * HOUR) == 0


def test_closing_a_wave_ends_the_comments_being_typed_for_it(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        session.add(Person(telegram_id=7, name="p", is_admin=True))
        session.flush()
        closing = launch_wave(session=session, survey=PULSE, closes_at=utc_now() + HOUR, selectors=["all"])
        staying = launch_wave(session=session, survey=PULSE, closes_at=utc_now() + HOUR, selectors=["all"])
        for user, wave in ((7, closing), (8, closing), (9, staying)):
            put_dialogue(
                session=session, telegram_user_id=user, kind="survey_typing", value={"wave": wave.id, "question": 1},
                subject=comment_subject(wave.id), expires_after=HOUR,
            )  # fmt: skip
        put_dialogue(session=session, telegram_user_id=7, kind="compose", value={}, expires_after=HOUR)
    with transaction(sessions) as session:
        close_wave(session=session, wave=closing)
    with sessions() as session:
        left = session.execute(select(DialogueState.telegram_user_id, DialogueState.kind)).all()
    assert sorted(map(tuple, left)) == [(7, "compose"), (9, "survey_typing")]
    with transaction(sessions) as session:
        assert end_subject(session=session, subject=comment_subject(staying.id)) == 1
