"""An escalated question nobody answers (issue 15): one reminder to its managers after the hours,
one step up after as many again (the next unit's managers, or the admins at the top), each once
however many schedulers tick; nothing for a question answered in between, nothing when switched
off; and migration 0022 that adds the two marks, and takes them away again."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.service import Answer
from bot.broadcasts.models import Broadcast, BroadcastKind, Delivery
from bot.broadcasts.service import enqueue_due
from bot.config import Settings
from bot.people.models import Person, Role
from bot.people.service import add_unit, create_invite, redeem_invite
from bot.questions.gap_reminders import send_gap_reminders
from bot.questions.gaps import may_answer, pass_to_managers, reply_action, reply_to_question
from bot.questions.models import AskedQuestion
from bot.questions.service import record_question
from bot.runtime import build_scheduler
from bot.storage.database import MIGRATIONS, transaction
from tests.conftest import make_settings

# Fixed, and before the first occurrence of any schedule the scheduler sets up (from the real clock).
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
HOUR = timedelta(hours=1)


@pytest.fixture
def people(sessions: sessionmaker[Session]) -> dict[str, int]:
    """华东区 (李经理, Amy) › 华东区-12号店 (张店长; 小王 asks); 华南区 (陈经理) › 华南区-3号店 (小陈
    asks); 西区 with nobody managing it (小赵 asks); and the change team's admin."""
    with transaction(sessions) as session:
        add_unit(session=session, name="华东区")
        add_unit(session=session, name="华东区-12号店", parent="华东区")
        add_unit(session=session, name="华南区")
        add_unit(session=session, name="华南区-3号店", parent="华南区")
        add_unit(session=session, name="西区")
        joined = [
            ("staff", "华东区-12号店", Role.STAFF, "小王", "zh-Hans"),
            ("store", "华东区-12号店", Role.MANAGER, "张店长", "zh-Hans"),
            ("region", "华东区", Role.MANAGER, "李经理", "zh-Hans"),
            ("amy", "华东区", Role.MANAGER, "Amy", "en"),
            ("south", "华南区", Role.MANAGER, "陈经理", "zh-Hans"),
            ("south_staff", "华南区-3号店", Role.STAFF, "小陈", "zh-Hans"),
            ("west_staff", "西区", Role.STAFF, "小赵", "zh-Hans"),
        ]
        ids: dict[str, int] = {}
        for telegram_id, (key, unit, role, name, language) in enumerate(joined, start=1):
            code = create_invite(session=session, unit_name=unit, role=role).code
            ids[key] = redeem_invite(
                session=session, code=code, telegram_id=telegram_id, name=name, language=language
            ).person.id
        admin = Person(telegram_id=99, name="变革团队", language="zh-Hant", is_admin=True)
        session.add(admin)
        session.flush()
        ids["admin"] = admin.id
    return ids


def _escalated(session: Session, asker_id: int, *, at: datetime = NOW) -> int:
    """A question the library could not answer, passed to the asker's managers ``at``."""
    answer = Answer(question="仓库的消防演练多久一次？", answered=False, answer="这个问题我暂时还答不上来。",
                    confidence=0.1, language="zh-Hans", kind="refused")  # fmt: skip
    question = record_question(session=session, answer=answer, channel="telegram", person_id=asker_id)
    pass_to_managers(session=session, question_id=question.id, asker_id=asker_id)
    question.escalated_at = at
    session.flush()
    return question.id


def _escalations(session: Session, question_id: int) -> list[Broadcast]:
    """Every message queued to managers about the question, oldest first."""
    queued = session.scalars(
        select(Broadcast).where(Broadcast.kind == BroadcastKind.ESCALATION.value).order_by(Broadcast.id)
    )
    return [b for b in queued if b.actions and b.actions[0][1] == reply_action(question_id)]


def _to(broadcast: Broadcast) -> set[int]:
    return {int(selector.removeprefix("person:")) for selector in broadcast.audience}


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    assert person is not None
    return person


def test_one_reminder_after_the_hours_then_one_step_up(
    sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        qid = _escalated(session, people["staff"])
        (first,) = _escalations(session, qid)
        assert _to(first) == {people["store"]}  # the store's own manager
        assert send_gap_reminders(session, NOW + DAY - HOUR, after=DAY) == 0  # not yet
        assert send_gap_reminders(session, NOW + DAY, after=DAY) == 1
        assert send_gap_reminders(session, NOW + DAY + HOUR, after=DAY) == 0  # once
        _, reminder = _escalations(session, qid)
        assert _to(reminder) == {people["store"]} and reminder.send_at == NOW + DAY
        assert reminder.text == f"⏰ 提醒：这个问题还没有人回复。\n\n{first.text}"
        assert reminder.actions == [["✍️ 回复", reply_action(qid)]]  # the same Reply button
        # Through the outbox like the first: a copy for the store manager.
        enqueue_due(session=session, now=NOW + DAY)
        copies = session.scalars(select(Delivery.person_id).where(Delivery.broadcast_id == reminder.id))
        assert list(copies) == [people["store"]]

        assert send_gap_reminders(session, NOW + 2 * DAY - HOUR, after=DAY) == 0
        assert send_gap_reminders(session, NOW + 2 * DAY, after=DAY) == 1
        assert send_gap_reminders(session, NOW + 5 * DAY, after=DAY) == 0  # each step once
        stepped_up = {min(_to(b)): b for b in _escalations(session, qid)[2:]}  # one per language
        assert sorted(stepped_up) == sorted([people["region"], people["amy"]])
        chinese, english = stepped_up[people["region"]], stepped_up[people["amy"]]
        assert _to(chinese) == {people["region"]} and _to(english) == {people["amy"]}
        assert chinese.text.startswith(
            "⏫ 这个问题转给华东区-12号店的负责人后一直没有人回复，现在转给你。\n\n"
        )
        assert english.text.startswith("⏫ This went to the managers of 华东区-12号店 and nobody has")
        assert "❓ 小王 (华东区-12号店) asked something I couldn't answer:" in english.text
        assert english.actions == [["✍️ Reply", reply_action(qid)]]
        # Whoever it went up to may answer it, as the store's manager may; the manager of another
        # region still may not.
        question = session.get(AskedQuestion, qid)
        assert question is not None
        for who, allowed in (("region", True), ("amy", True), ("store", True), ("south", False)):
            assert (
                may_answer(session=session, person=_person(session, people[who]), question=question)
                is allowed
            )
        reply_to_question(
            session=session, question_id=qid, responder=_person(session, people["amy"]), reply="每季度一次。"
        )
        session.expire_all()
        question = session.get(AskedQuestion, qid)
        assert question is not None
        assert (question.reminded_at, question.escalated_up_at) == (NOW + DAY, NOW + 2 * DAY)


def test_from_the_top_unit_it_goes_up_to_the_admins_and_from_them_nowhere(
    sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        south = _escalated(session, people["south_staff"])
        west = _escalated(session, people["west_staff"])  # nobody manages 西区: the admins have it
        assert send_gap_reminders(session, NOW + DAY, after=DAY) == 2
        assert [_to(b) for b in _escalations(session, south)] == [{people["south"]}] * 2
        assert [_to(b) for b in _escalations(session, west)] == [{people["admin"]}] * 2
        assert _escalations(session, west)[1].text.startswith(
            "⏰ 提醒：這個問題還沒有人回覆。"
        )  # zh-Hant admin
        assert send_gap_reminders(session, NOW + 2 * DAY, after=DAY) == 2  # both step up, once
        assert send_gap_reminders(session, NOW + 3 * DAY, after=DAY) == 0
        up = _escalations(session, south)[-1]
        assert _to(up) == {people["admin"]} and up.text.startswith("⏫ 這個問題轉給华南区的負責人後")
        assert len(_escalations(session, west)) == 2  # the admins had it already: nobody above them
        question = session.get(AskedQuestion, south)
        assert question is not None
        assert may_answer(session=session, person=_person(session, people["admin"]), question=question)


def test_a_question_answered_in_between_waits_for_nothing(
    sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        answered = _escalated(session, people["staff"])
        reminded = _escalated(session, people["south_staff"])
        store, south = _person(session, people["store"]), _person(session, people["south"])
        reply_to_question(session=session, question_id=answered, responder=store, reply="每季度一次。")
        assert send_gap_reminders(session, NOW + DAY, after=DAY) == 1  # only the one still waiting
        assert len(_escalations(session, answered)) == 1 and len(_escalations(session, reminded)) == 2
        reply_to_question(session=session, question_id=reminded, responder=south, reply="每半年一次。")
        assert send_gap_reminders(session, NOW + 2 * DAY, after=DAY) == 0  # answered after its reminder
        assert len(_escalations(session, reminded)) == 2


def test_asking_for_a_person_again_does_not_put_the_reminder_off(
    sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        qid = _escalated(session, people["staff"])
        pass_to_managers(session=session, question_id=qid, asker_id=people["staff"])  # pressed again
        question = session.get(AskedQuestion, qid)
        assert question is not None and question.escalated_at == NOW
        assert send_gap_reminders(session, NOW + DAY, after=DAY) == 1
        assert len(_escalations(session, qid)) == 2  # the first and the reminder, no second first


def test_two_schedulers_at_once_queue_one_reminder(
    sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        qid = _escalated(session, people["staff"])
    counts: list[int] = []
    start = threading.Barrier(3)

    def scheduler() -> None:
        start.wait()
        with transaction(sessions) as session:
            counts.append(send_gap_reminders(session, NOW + DAY, after=DAY))

    threads = [threading.Thread(target=scheduler) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 0, 1]
    with transaction(sessions) as session:
        assert send_gap_reminders(session, NOW + DAY + HOUR, after=DAY) == 0  # a later run: still one
        assert len(_escalations(session, qid)) == 2


def test_old_questions_are_not_reminded_when_it_is_switched_on(
    sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        qid = _escalated(session, people["staff"], at=NOW - timedelta(days=10))
        assert send_gap_reminders(session, NOW, after=DAY) == 0
        assert len(_escalations(session, qid)) == 1


def test_the_setting_and_zero_switch_it_off(
    sessions: sessionmaker[Session],
    people: dict[str, int],
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).gap_reminder_hours == 24
    monkeypatch.setenv("CHANGEBOT_GAP_REMINDER_HOURS", "0")
    assert Settings(_env_file=None).gap_reminder_hours == 0
    monkeypatch.delenv("CHANGEBOT_GAP_REMINDER_HOURS")
    with transaction(sessions) as session:
        qid = _escalated(session, people["staff"])
        assert send_gap_reminders(session, NOW + DAY, after=None) == 0
        assert send_gap_reminders(session, NOW + DAY, after=timedelta(0)) == 0
    # As bot/runtime.py registers it among the scheduler's ticks.
    switched_off = make_settings(tmp_path, database_url=database_url, gap_reminder_hours=0)
    build_scheduler(sessions=sessions, settings=switched_off).run_once(now=NOW + DAY)
    with transaction(sessions) as session:
        assert len(_escalations(session, qid)) == 1
    build_scheduler(sessions=sessions, settings=make_settings(tmp_path, database_url=database_url)).run_once(
        now=NOW + DAY
    )
    with transaction(sessions) as session:
        assert len(_escalations(session, qid)) == 2


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_migration_0022_adds_the_marks_and_takes_them_away(
    sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        qid = _escalated(session, people["staff"])
        assert send_gap_reminders(session, NOW + DAY, after=DAY) == 1
    engine = sessions.kw["bind"]
    _migrate(engine, "0021", down=True)
    columns = {column["name"] for column in inspect(engine).get_columns("asked_questions")}
    assert {"reminded_at", "escalated_up_at"}.isdisjoint(columns) and "escalated_at" in columns
    _migrate(engine, "head")
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(AskedQuestion)) == 1  # kept, in place
        question = session.get(AskedQuestion, qid)
        assert question is not None and question.escalated_at == NOW
        assert (question.reminded_at, question.escalated_up_at) == (None, None)
        # Unmarked again, it is reminded again: what an upgrade over waiting questions does.
        assert send_gap_reminders(session, NOW + DAY, after=DAY) == 1
