"""The CLI and its JSON contracts, run in-process with the fake embedder."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot import cli
from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.cli import common
from bot.config import Settings
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.pairing import PairingKey
from tests.fakes.embedder import FakeEmbedder
from tests.utils.databases import sessions_for


@pytest.fixture
def run(settings: Settings, library: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Invoke the CLI with settings in tmp_path and the fake embedder."""
    monkeypatch.setattr(common, "_settings", lambda: settings)
    embedder = FakeEmbedder()

    def core(s: Settings) -> KnowledgeCore:
        return build_knowledge_core(s, sessions=sessions_for(s), embedder=embedder)

    monkeypatch.setattr(common, "_core", core)
    monkeypatch.setattr(common, "_ENGINES", {})  # each test its own database and engines
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        """(exit code, stdout); a failing command's stderr (where it says why) follows its stdout."""
        result = runner.invoke(cli.app, list(args))
        return result.exit_code, result.stdout if result.exit_code == 0 else result.stdout + result.stderr

    yield invoke
    common._dispose_engines()


def test_ingest_then_ask_json_contract(run) -> None:  # type: ignore[no-untyped-def]
    code, output = run("ingest", "--json")
    assert code == 0, output
    report = json.loads(output)
    assert report["failed"] == [] and len(report["added"]) == 3
    code, output = run("ask", "培训要多久？", "--json")
    assert code == 0
    payload = json.loads(output)
    assert list(payload) == [
        "answered",
        "answer",
        "confidence",
        "sources",
        "latency_ms",
        "band",
        "suggestions",
        "full_answer",
    ]
    assert payload["answered"] is True
    assert isinstance(payload["confidence"], float) and isinstance(payload["latency_ms"], float)
    assert set(payload["sources"][0]) == {
        "title",
        "source",
        "section",
        "doc_type",
        "text",
        "score",
        "chunk_id",
    }


def test_ask_plain_prints_answer_and_numbered_sources(run) -> None:  # type: ignore[no-untyped-def]
    run("ingest")
    code, output = run("ask", "What happens after two red weeks in a row?")
    assert code == 0
    assert "regional manager" in output
    assert "[1] Warning lights" in output


def test_ingest_reports_bad_files_and_exits_nonzero(run, library: Path) -> None:  # type: ignore[no-untyped-def]
    (library / "playbooks" / "broken.docx").write_bytes(b"not a zip")
    code, output = run("ingest")
    assert code == 1
    assert "playbooks/broken.docx" in output
    assert "3 added" in output


def test_ingest_of_a_missing_path_is_a_usage_error(run) -> None:  # type: ignore[no-untyped-def]
    code, _ = run("ingest", "/no/such/folder")
    assert code == 2


def test_eval_json_contract(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("ingest")
    eval_file = tmp_path / "e.jsonl"
    eval_file.write_text(
        '{"id": "a", "question": "培训多久", "expect_any": ["90分钟"], "answerable": true}\n'
        '{"id": "b", "question": "今天股市怎么样", "expect_any": [], "answerable": false}\n',
        encoding="utf-8",
    )
    code, output = run("eval", str(eval_file), "--json", "--k", "3")
    assert code == 0, output
    payload = json.loads(output)
    for key in (
        "hit@1",
        "hit@3",
        "mrr",
        "refusal_precision",
        "refusal_recall",
        "latency_ms_p50",
        "latency_ms_p95",
    ):
        assert key in payload["summary"]
    first = payload["results"][0]
    assert {"id", "question", "answered", "sources", "latency_ms"} <= set(first)
    assert len(first["sources"]) <= 3


def test_eval_rejects_a_malformed_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    code, _ = run("eval", str(bad))
    assert code == 2


def test_stats_json(run) -> None:  # type: ignore[no-untyped-def]
    code, _ = run("stats")
    assert code == 1  # nothing indexed yet
    run("ingest")
    code, output = run("stats", "--json")
    info = json.loads(output)
    assert info["files"] == 3 and info["chunks"] == info["vectors"] > 0
    assert info["files_by_type"] == {"faq": 1, "playbook": 2}


def test_admin_units_and_invites(run) -> None:  # type: ignore[no-untyped-def]
    assert run("admin", "add-unit", "港湾零售")[0] == 0
    assert run("admin", "add-unit", "华东区", "--parent", "港湾零售")[0] == 0
    code, output = run("admin", "add-unit", "华东区", "--parent", "港湾零售")
    assert code == 1
    code, output = run("admin", "list-units")
    assert output.splitlines() == ["港湾零售", "  华东区"]
    code, output = run(
        "admin", "create-invite", "--unit", "华东区", "--role", "manager", "--uses", "3", "--json"
    )
    assert code == 0
    payload = json.loads(output)
    assert set(payload) == {"code", "link"} and len(payload["code"]) == 10
    assert payload["link"] is None  # no bot username configured
    code, _ = run("admin", "create-invite", "--unit", "火星区")
    assert code == 1
    code, _ = run("admin", "create-invite", "--unit", "华东区", "--role", "boss")
    assert code == 2


def test_bot_without_a_token_explains_and_exits(run) -> None:  # type: ignore[no-untyped-def]
    code, _ = run("bot")
    assert code == 2


def test_a_damaged_survey_key_file_stops_every_process_at_start(  # type: ignore[no-untyped-def]
    run, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import SecretStr
    from telegram.ext import Application

    from bot.cli import serving

    def never(*args: object, **kwargs: object) -> None:
        raise SystemExit(99)  # it started, with a damaged survey key

    monkeypatch.setattr("uvicorn.run", never)
    monkeypatch.setattr(serving, "_run_until_stopped", never)
    monkeypatch.setattr(Application, "run_polling", never)
    with_token = settings.model_copy(update={"telegram_token": SecretStr("123456:not-a-real-token")})
    monkeypatch.setattr(common, "_settings", lambda: with_token)
    settings.survey_key_file.parent.mkdir(parents=True, exist_ok=True)
    settings.survey_key_file.write_text("not a key at all\n")
    for command in ("serve", "bot", "worker", "scheduler"):
        code, output = run(command)
        said = " ".join(output.split())  # as Rich wrapped it
        assert code == 1, (command, output)
        assert "is damaged" in said and "restore it from where it was kept" in said, (command, output)
    assert settings.survey_key_file.read_text() == "not a key at all\n"


def test_gaps_lists_open_questions_by_topic(run) -> None:  # type: ignore[no-untyped-def]
    run("ingest")
    code, output = run("gaps")
    assert code == 0 and "No open questions" in output
    for question in ("仓库的消防演练多久一次？", "仓库消防演练谁负责", "停车位怎么申请"):
        run("ask", question)
    code, output = run("gaps", "--json")
    groups = json.loads(output)
    assert [g["count"] for g in groups] == [2, 1]


def test_broadcast_commands(run) -> None:  # type: ignore[no-untyped-def]
    code, output = run("broadcast", "send", "--text", "每周成功故事", "--audience", "all", "--json")
    assert code == 0
    broadcast_id = json.loads(output)["id"]
    code, output = run("broadcast", "status", str(broadcast_id), "--json")
    assert json.loads(output) == {
        "recipients": 0,
        "delivered": 0,
        "failed": 0,
        "blocked": 0,
        "reactions": 0,
        "acknowledged": 0,
    }
    code, output = run("broadcast", "send", "--text", "x", "--at", "2026-12-01T09:00")
    assert code == 1
    code, output = run("broadcast", "send", "--text", "x", "--audience", "team:1")
    assert code == 1
    later = run("broadcast", "send", "--text", "周一愿景", "--at", "2030-01-06T09:00+08:00", "--json")[1]
    code, output = run("broadcast", "list")
    assert "周一愿景" in output and "scheduled" in output
    assert run("broadcast", "cancel", str(json.loads(later)["id"]))[0] == 0
    assert run("broadcast", "cancel", "99999")[0] == 1
    assert run("worker")[0] == 2  # no token configured


def test_vision_and_report_commands(run) -> None:  # type: ignore[no-untyped-def]
    assert run("admin", "add-unit", "华东区")[0] == 0
    code, output = run(
        "vision", "add", "--text", "让顾客少等", "--text", "让门店更轻松", "--cron", "0 9 * * mon",
        "--audience", "unit:华东区", "--title", "2027 愿景", "--json",
    )  # fmt: skip
    assert code == 0, output
    created = json.loads(output)
    assert created["next"].endswith("T09:00")
    code, output = run("vision", "list")
    assert "2027 愿景" in output and "0 9 * * mon" in output
    assert run("vision", "add", "--text", "x", "--cron", "whenever")[0] == 1
    assert run("vision", "add", "--text", "x", "--cron", "0 9 * * *", "--audience", "unit:火星店")[0] == 1
    code, output = run("report", "--json")
    assert code == 0
    figures = json.loads(output)
    assert figures["vision_target"] == 10
    assert [row["unit"] for row in figures["vision_exposure"]] == ["*", "华东区"]
    assert figures["questions_last_7_days"]["questions"] == 0
    assert figures["questions_last_7_days"]["answered_share"] is None
    code, output = run("report")
    assert "Vision exposure" in output and "Questions, last 7 days" in output
    assert run("vision", "stop", str(created["id"]))[0] == 0
    assert run("vision", "stop", str(created["id"]))[0] == 1
    # JSON is written as it is: a name that looks like Rich markup is not eaten on the way out.
    assert run("admin", "add-unit", "[bold]华南区[/bold]")[0] == 0
    units = [row["unit"] for row in json.loads(run("report", "--json")[1])["vision_exposure"]]
    assert "[bold]华南区[/bold]" in units


def test_survey_commands(run, settings: Settings, survey_key: PairingKey) -> None:  # type: ignore[no-untyped-def]
    import csv
    import shutil

    from bot.people.models import Membership, Person
    from bot.people.service import add_unit
    from bot.storage.database import make_engine, make_session_factory, transaction, upgrade_database
    from bot.surveys.answers import record_answer
    from bot.surveys.definitions import load_surveys

    shutil.copytree(
        Path(__file__).resolve().parents[3] / "knowledge" / "surveys", settings.knowledge_dir / "surveys"
    )
    engine = make_engine(settings.database)
    upgrade_database(engine)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        store = add_unit(session=session, name="12号店")
        people = []
        for n in range(6):
            person = Person(telegram_id=100 + n, name=f"p{n}")
            session.add(person)
            session.flush()
            session.add(Membership(person_id=person.id, unit_id=store.id, role="staff"))
            people.append(person.id)

    assert run("survey", "send", "no-such-survey")[0] == 1
    assert run("survey", "send", "resistance-pulse", "--closes", "next friday")[0] == 1
    code, output = run("survey", "send", "resistance-pulse", "--audience", "unit:12号店", "--json")
    assert code == 0, output
    wave = json.loads(output)["wave"]
    status = json.loads(run("survey", "status", str(wave), "--json")[1])
    assert status["invited"] == 6 and status["respondents"] == 0 and status["status"] == "open"
    code, output = run("survey", "results", str(wave))
    assert code == 1  # not while it is open

    pulse = load_surveys(settings.knowledge_dir / "surveys")["resistance-pulse"]
    with transaction(sessions) as session:
        for person_id in people[:5]:
            person = session.get(Person, person_id)
            assert person is not None
            for question in pulse.questions:
                value = 4 if question.type == "likert" else None
                record_answer(
                    session=session,
                    survey=pulse,
                    wave_id=wave,
                    person=person,
                    question_id=question.id,
                    value=value,
                    key=survey_key,
                )
    engine.dispose()
    assert run("survey", "close", str(wave))[0] == 0
    code, output = run("survey", "results", str(wave), "--json")
    assert code == 0
    results = json.loads(output)
    by_unit = {row["unit"]: row for row in results["units"]}
    assert by_unit["12号店"]["respondents"] == 5 and set(by_unit["12号店"]["dimensions"]) == {
        "cognitive", "emotional", "behavioural",
    }  # fmt: skip
    assert run("survey", "results", str(wave))[0] == 0
    target = settings.data_dir / "wave.csv"
    assert run("survey", "export", str(wave), "--csv", str(target))[0] == 0
    with target.open(encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert {row["dimension"] for row in rows if row["unit"] == "12号店"} == {
        "cognitive",
        "emotional",
        "behavioural",
    }
    assert "person" not in "".join(rows[0].keys())
    assert "resistance-pulse" in run("survey", "list")[1]
    trend = json.loads(run("survey", "trend", "resistance-pulse", "--unit", "12号店", "--json")[1])
    assert [row["wave"] for row in trend] == [wave] and trend[0]["respondents"] == 5
    # Closed by hand just now, days before it was due to: the trend says when it did close.
    assert datetime.fromisoformat(trend[0]["closed"]) <= utc_now()
    assert run("survey", "trend", "resistance-pulse")[0] == 0
    assert (
        run("survey", "schedule", "resistance-pulse", "--cron", "0 10 * * mon", "--audience", "unit:12号店")[
            0
        ]
        == 0
    )
    assert run("survey", "schedule", "resistance-pulse", "--cron", "sometimes")[0] == 1


def test_rollout_commands(run, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    plan = json.loads(run("rollout", "plan", "--units", "200", "--coaches", "50", "--json")[1])
    assert [wave["units"] for wave in plan] == [5, 15, 45, 135]
    assert run("rollout", "plan", "--units", "0", "--coaches", "3")[0] != 0
    for name, parent in (("华东区", None), ("A店", "华东区"), ("B店", "华东区")):
        assert run("admin", "add-unit", name, *(["--parent", parent] if parent else []))[0] == 0
    assert run("rollout", "wave-add", "1", "--starts", "2026-09-01", "--name", "试点")[0] == 0
    assert run("rollout", "wave-add", "1", "--starts", "2026-09-01")[0] == 1  # exists
    code, output = run("rollout", "wave-add", "2", "--starts", "soon")
    assert code == 1 and "not a date" in output
    code, output = run("rollout", "wave-add", "2", "--starts", "2026-12-01", "--target", "80")
    assert code == 1 and "share between 0 and 1" in output  # the real reason, not "not a date"
    assert run("rollout", "assign", "1", "A店", "B店")[0] == 0
    assert run("rollout", "assign", "1", "火星店")[0] == 1

    bad = settings.data_dir / "bad.csv"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text(
        "unit,week,usage_rate\nA店,2026-11-16,72\nB店,2026-11-16,140\n火星店,2026-11-16,50\n",
        encoding="utf-8",
    )
    code, _ = run("rollout", "import", str(bad))
    assert code == 1
    good = settings.data_dir / "good.json"
    good.write_text(
        json.dumps(
            [
                {"unit": "A店", "week": "2026-11-16", "usage_rate": 85},
                {"unit": "B店", "week": "2026-11-16", "usage_rate": 0.35},
            ]
        ),
        encoding="utf-8",
    )
    assert run("rollout", "import", str(good))[0] == 0
    code, output = run("rollout", "evaluate", "--week", "2026-11-18")
    assert code == 0 and "2 unit(s) lit" in output
    status = json.loads(run("rollout", "status", "--week", "2026-11-16", "--json")[1])
    assert [(row["unit"], row["light"]) for row in status["lights"]] == [("B店", "red"), ("A店", "green")]
    assert status["waves"][0]["successes"] == 1 and status["waves"][0]["pause_next"] is True
    assert "Week of 2026-11-16" in run("rollout", "status", "--week", "2026-11-16")[1]
    assert run("review", "--week", "2026-11-16")[0] == 0
    assert run("review", "--manager", "12345")[0] == 1


def test_console_link_for_first_set_up(run, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    code, output = run("admin", "console-link", "--new-admin", "变革办")
    assert code == 0 and "/auth/link?token=" in output
    assert run("admin", "console-link", "--telegram-id", "424242")[0] == 1
    assert run("admin", "console-link")[0] == 2


def test_an_unreachable_database_is_one_clear_message_not_a_traceback(tmp_path: Path) -> None:
    import subprocess

    from tests.utils.processes import changebot_command, changebot_env

    env = changebot_env(tmp_path, database_url="postgresql+psycopg://postgres:secret@127.0.0.1:1/changebot")
    done = subprocess.run(  # noqa: S603  (our own entry point, no shell)
        changebot_command("report"), env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "Cannot reach the database" in output and "CHANGEBOT_DATABASE_URL" in output
    assert "Traceback" not in output and "secret" not in output  # and the password stays out of it


def test_broadcast_status_lists_who_has_not_read_a_must_read_per_unit(  # type: ignore[no-untyped-def]
    run, sessions: sessionmaker[Session]
) -> None:
    from sqlalchemy import select, update

    from bot.broadcasts.models import Delivery, DeliveryState
    from bot.broadcasts.service import create_broadcast, enqueue_due, react_to_delivery
    from bot.people.models import Membership, Person, Role
    from bot.people.service import add_unit

    with transaction(sessions) as session:
        add_unit(session=session, name="华东区")
        unit = add_unit(session=session, name="A店", parent="华东区")
        for telegram_id, name in ((31, "小王"), (32, "小李")):
            person = Person(telegram_id=telegram_id, name=name)
            session.add(person)
            session.flush()
            session.add(Membership(person_id=person.id, unit_id=unit.id, role=Role.STAFF.value))
        broadcast_id = create_broadcast(
            session=session, text="周五前完成培训", selectors=["unit:A店"], must_read=True
        ).id
        enqueue_due(session=session)
        session.execute(update(Delivery).values(state=DeliveryState.SENT.value, sent_at=utc_now()))
        reader = session.scalars(
            select(Delivery).join(Person, Person.id == Delivery.person_id).where(Person.name == "小王")
        ).one()
        react_to_delivery(
            session=session, delivery_id=reader.id, person_id=reader.person_id, kind="acknowledge"
        )
    code, output = run("broadcast", "status", str(broadcast_id), "--json")
    assert code == 0, output
    figures = json.loads(output)
    assert figures["acknowledged"] == 1 and figures["unread"] == 1
    assert figures["unread_by_unit"] == [{"unit": "A店", "unread": 1}]
    assert figures["unread_people"] == [{"name": "小李", "unit": "A店", "state": "sent"}]
    code, output = run("broadcast", "status", str(broadcast_id))
    assert code == 0 and "Not read yet, per unit" in output and "小李" in output and "小王" not in output
