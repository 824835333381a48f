"""Fixtures shared across the suite: settings in a temp dir, a small library, the knowledge core."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore, build_knowledge_core
from bot.config import Settings
from bot.storage import database
from bot.surveys.pairing import PairingKey
from bot.wording import FALLBACK, set_default_language
from tests.fakes.embedder import FakeEmbedder
from tests.utils.databases import dispose_engines, sessions_for

REPO = Path(__file__).resolve().parents[1]

# Application code that begins a transaction on an event loop fails its test (it would stall, and on
# SQLite can wedge, the whole process): every coroutine goes through in_transaction / in_thread.
database.STRICT_EVENT_LOOP = True

PACING_MD = textwrap.dedent(
    """\
    ---
    title: 推广节奏与分批上线
    lang: zh-Hans
    tags: [推广节奏]
    ---
    # 推广节奏与分批上线

    ## 为什么要分批
    一次性全面铺开，支持团队根本顾不过来，很多门店只能自生自灭。分批上线让每一批都有人手跟进。

    ## 1-3-9-27 模型
    第一批只上1家试点门店，跑通后扩到3家，再到9家、27家。每一批的成功率达到目标，才进入下一批。
    """
)

LIGHTS_MD = textwrap.dedent(
    """\
    ---
    title: Warning lights
    lang: en
    ---
    # Warning lights

    ## The four colours
    Each store gets a colour every week from its usage rate. Green means usage above 80 percent.
    Yellow is 60 to 80 percent. Orange is 40 to 60 percent. Red means usage below 40 percent.

    ## Escalation
    Two red weeks in a row notify the regional manager. Three red weeks notify head office.
    """
)

FAQ_YAML = textwrap.dedent(
    """\
    lang: zh-Hans
    faqs:
      - id: training-length
        question: 培训要多久？
        alternatives: [培训时间有多长]
        answer: 每位员工参加两次各90分钟的实操培训，之后关键用户会在店里陪练一周。
        tags: [培训]
      - id: paper-forms
        question: 还能用纸质单据吗？
        answer: 上线后的第一个月纸质单据和系统并行，第二个月起只用系统录单。
    """
)


def write_library(root: Path) -> Path:
    """A small knowledge library: two playbooks (zh, en) and one FAQ file."""
    (root / "playbooks").mkdir(parents=True, exist_ok=True)
    (root / "faqs").mkdir(parents=True, exist_ok=True)
    (root / "playbooks" / "pacing.md").write_text(PACING_MD, encoding="utf-8")
    (root / "playbooks" / "lights.md").write_text(LIGHTS_MD, encoding="utf-8")
    (root / "faqs" / "basics.yaml").write_text(FAQ_YAML, encoding="utf-8")
    return root


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings isolated in ``tmp_path``, ignoring any developer ``.env``."""
    # No quiet hours and no digest unless a test asks: tests run at any hour and must not wait for 08:00.
    # No CHANGEBOT_SURVEY_KEY from the environment either: the survey key is the file in the test's
    # own data dir (made on first use), unless a test passes ``survey_key``.
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "knowledge_dir": tmp_path / "knowledge",
        "quiet_hours": "",
        "story_digest_cron": "",
        "survey_key": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# CHANGEBOT_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1 runs every database test on a fresh
# PostgreSQL database of its own (CI does both); unset, each test gets a SQLite file in its tmp_path.
POSTGRES = os.environ.get("CHANGEBOT_TEST_POSTGRES", "").rstrip("/")


@pytest.fixture(autouse=True)
def _built_in_default_language() -> Iterator[None]:
    """The default language is process-wide (``bot.wording``): a test that starts an app or a command
    with another one does not hand it to the next test."""
    yield
    set_default_language(FALLBACK)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """The test's own empty database."""
    if not POSTGRES:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with fresh_postgres_database(POSTGRES) as url:
        yield url


@contextmanager
def fresh_postgres_database(server: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL ``server`` (a URL without a database), dropped after."""
    name = f"cbt_{uuid.uuid4().hex[:16]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(autouse=True)
def _test_engines() -> Iterator[None]:
    """Engines a test opened through ``sessions_for`` (its fixtures, the cores it built) close at its end."""
    yield
    dispose_engines()


@pytest.fixture
def sessions(database_url: str) -> sessionmaker[Session]:
    """The test's database, migrated; the cores the test builds share its engine."""
    return sessions_for(database_url)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url=database_url)


@pytest.fixture
def survey_key() -> PairingKey:
    """A server survey key for tests that call the wave services themselves, with no entry point."""
    return PairingKey(b"a test survey key, not a secret, 32 bytes or more")


@pytest.fixture
def library(settings: Settings) -> Path:
    return write_library(settings.knowledge_dir)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def core(settings: Settings, fake_embedder: FakeEmbedder) -> KnowledgeCore:
    return build_knowledge_core(settings, sessions=sessions_for(settings), embedder=fake_embedder)


@pytest.fixture
def ingested(core: KnowledgeCore, library: Path) -> KnowledgeCore:
    report = core.ingest()
    assert not report.failed, report.failed
    return core
