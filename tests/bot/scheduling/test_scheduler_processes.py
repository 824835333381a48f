"""Two `changebot scheduler` processes on one database: every occurrence fires once, every wave closes once.

The schedules fall due one after another over a few seconds while both processes poll fast, so the
two really race for the same rows (on PostgreSQL when CHANGEBOT_TEST_POSTGRES is set, else on one
SQLite file). Both must take part, and no (schedule, occurrence) may produce two broadcasts.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Broadcast
from bot.broadcasts.recurring import create_vision_series
from bot.people.models import Membership, Person, Role, Unit
from bot.scheduling.models import Schedule
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.models import SurveyWave, WaveStatus
from tests.conftest import REPO
from tests.utils.patience import EVENTUALLY
from tests.utils.processes import changebot_env, running_changebot

SERIES = 120
WAVES = 12
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRED = re.compile(r"fired schedule (\d+) \(vision\) for (\S+)")


def _seed(sessions: sessionmaker[Session]) -> None:
    """Staff to receive, ``SERIES`` vision series and ``WAVES`` open waves, none due yet."""
    with transaction(sessions) as session:
        store = Unit(name="华东区-12号店")
        session.add(store)
        session.flush()
        people = [Person(telegram_id=900_000 + n, name=f"p{n}", language="zh-Hans") for n in range(3)]
        session.add_all(people)
        session.flush()
        session.add_all(Membership(person_id=p.id, unit_id=store.id, role=Role.STAFF.value) for p in people)
        for n in range(SERIES):
            create_vision_series(
                session=session,
                title=f"愿景 {n}",
                variants=[f"第{n}条：让每家店少跑一趟仓库"],
                cron="0 9 * * *",
                zones=[SHANGHAI],
            )
        for n in range(WAVES):
            session.add(
                SurveyWave(
                    survey_id="resistance-pulse",
                    survey_version=1,
                    status=WaveStatus.OPEN.value,
                    closes_at=utc_now() + timedelta(days=7),
                    salt=f"{n:064x}",
                )
            )


def _fall_due(sessions: sessionmaker[Session]) -> None:
    """Everything falls due in a stream, 25 ms apart, starting a moment from now."""
    start = utc_now() + timedelta(milliseconds=300)
    with transaction(sessions) as session:
        ids = session.scalars(select(Schedule.id).where(Schedule.kind == "vision").order_by(Schedule.id))
        for n, schedule_id in enumerate(ids.all()):
            session.execute(
                update(Schedule)
                .where(Schedule.id == schedule_id)
                .values(next_run_at=start + timedelta(milliseconds=25 * n))
            )
        waves = session.scalars(select(SurveyWave.id).order_by(SurveyWave.id)).all()
        for n, wave_id in enumerate(waves):
            session.execute(
                update(SurveyWave)
                .where(SurveyWave.id == wave_id)
                .values(closes_at=start + timedelta(milliseconds=250 * n))
            )


def test_two_scheduler_processes_fire_each_occurrence_once(
    tmp_path: Path, database_url: str, sessions: sessionmaker[Session]
) -> None:
    _seed(sessions)
    env = changebot_env(
        tmp_path,
        database_url=database_url,
        CHANGEBOT_SCHEDULER_POLL_SECONDS="0.05",
        CHANGEBOT_KNOWLEDGE_DIR=str(REPO / "knowledge"),
        CHANGEBOT_DEFAULT_TIMEZONE="Asia/Shanghai",
        # The rollout's own weekly schedules are not what this test counts.
        CHANGEBOT_ROLLOUT_EVALUATE_CRON="",
        CHANGEBOT_REVIEW_CRON="",
        CHANGEBOT_USAGE_REMINDER_CRON="",
    )
    with (
        running_changebot(tmp_path, "scheduler-a", ["scheduler"], env=env) as first,
        running_changebot(tmp_path, "scheduler-b", ["scheduler"], env=env) as second,
    ):
        for process in (first, second):
            process.wait_for_log("scheduler running", timeout=EVENTUALLY)
        _fall_due(sessions)

        def settled() -> bool:
            with transaction(sessions) as session:
                unfired = session.scalar(
                    select(func.count()).select_from(Schedule).where(Schedule.last_fired_at.is_(None))
                )
                open_waves = session.scalar(
                    select(func.count())
                    .select_from(SurveyWave)
                    .where(SurveyWave.status == WaveStatus.OPEN.value)
                )
            return unfired == 0 and open_waves == 0

        deadline = time.monotonic() + EVENTUALLY
        while not settled():
            assert time.monotonic() < deadline, first.log_text() + second.log_text()
            first.check_alive()
            second.check_alive()
            time.sleep(0.2)
        time.sleep(1.0)  # a late double fire would land now
        logs = {name: process.log_text() for name, process in (("a", first), ("b", second))}

    with transaction(sessions) as session:
        per_occurrence = session.execute(
            select(Broadcast.schedule_id, Broadcast.local_time, func.count())
            .where(Broadcast.schedule_id.is_not(None))
            .group_by(Broadcast.schedule_id, Broadcast.local_time)
        ).all()
        waves = session.scalars(select(SurveyWave)).all()
    assert len({schedule_id for schedule_id, _, _ in per_occurrence}) == SERIES
    assert [row for row in per_occurrence if row[2] != 1] == []
    assert all(wave.status == WaveStatus.CLOSED.value and wave.salt is None for wave in waves)

    fired_by = {name: FIRED.findall(log) for name, log in logs.items()}
    assert fired_by["a"] and fired_by["b"], "both schedulers should have won some of the race"
    assert not set(fired_by["a"]) & set(fired_by["b"])
    assert len(fired_by["a"]) + len(fired_by["b"]) == len(per_occurrence)
    for log in logs.values():
        assert "Traceback" not in log, log
        assert "failed" not in log, log
