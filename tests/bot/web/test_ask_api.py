from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.answering.factory import KnowledgeCore
from bot.answering.small_talk import load_examples
from bot.config import Settings
from bot.questions.models import AskedQuestion
from bot.web.app import create_app
from bot.web.deps import get_sessions
from tests.fakes.embedder import FakeEmbedder
from tests.utils.patience import EVENTUALLY


@pytest.fixture
def client(settings: Settings, ingested: KnowledgeCore) -> Iterator[TestClient]:
    """The web chat open to anyone (kiosk mode); signed-in staff are tested in test_web_chat.py."""
    open_chat = settings.model_copy(update={"web_chat_open": True})
    with TestClient(create_app(open_chat, core=ingested)) as test_client:
        yield test_client


def test_ask_returns_the_cli_contract_and_records_the_question(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "培训要多久？"})
    assert response.status_code == 200
    body = response.json()
    assert body["answered"] is True and body["language"] == "zh-Hans"
    assert body["answer"].startswith("每位员工参加两次各90分钟")
    assert body["sources"][0]["source"] == "faqs/basics.yaml"
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        row = session.scalars(select(AskedQuestion).where(AskedQuestion.id == body["question_id"])).one()
        assert row.channel == "web" and row.status == "closed"


def test_many_questions_at_once_all_get_answers(client: TestClient) -> None:
    # More at once than the database pool has connections and the app has worker threads: a
    # request must never hold a connection while it waits for a thread (it deadlocked once).
    questions = ["培训要多久？", "What happens after two red weeks in a row?", "Who won the match?"] * 40
    with ThreadPoolExecutor(max_workers=len(questions)) as pool:
        futures = [pool.submit(client.post, "/api/ask", json={"question": q}) for q in questions]
        _, waiting = wait(futures, timeout=EVENTUALLY)
        assert not waiting, f"{len(waiting)} of {len(questions)} requests still waiting: a hang"
    assert [future.result().status_code for future in futures] == [200] * len(questions)
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert session.scalar(select(func.count()).select_from(AskedQuestion)) == len(questions)


def test_unknown_question_is_refused_and_left_open(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "Who won the football match last night?"}).json()
    assert body["answered"] is False and body["language"] == "en"
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert session.get(AskedQuestion, body["question_id"]).status == "open"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"question": ""},
        {"question": 12},
        {"question": "x" * 20_001},
        {"question": "hi", "language": "fr"},
    ],
)
def test_bad_requests_get_422_with_a_message(client: TestClient, payload: dict[str, object]) -> None:
    response = client.post("/api/ask", json=payload)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True


class _HungDatabase:
    """A session factory whose database accepts the connection and then never answers."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self) -> _HungDatabase:
        return self

    def __enter__(self) -> _HungDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, *_args: object) -> None:
        self.release.wait(30)


def test_readiness_answers_at_once_when_the_database_hangs(client: TestClient) -> None:
    hung = _HungDatabase()
    client.app.dependency_overrides[get_sessions] = lambda: hung  # type: ignore[attr-defined]
    try:
        response = client.get("/readyz")
    finally:
        hung.release.set()
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": False, "error": "no answer within 3 s"} and checks["index"]["ok"]


def test_readiness_fails_without_an_index(settings: Settings, core: KnowledgeCore) -> None:
    with TestClient(create_app(settings, core=core)) as fresh:
        response = fresh.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["index"]["ok"] is False


@pytest.mark.parametrize(
    ("header", "expected"), [("zh-TW,zh;q=0.9", "繁體"), ("en-GB,en", "Change assistant"), ("", "变革助手")]
)
def test_chat_page_speaks_the_browsers_language(client: TestClient, header: str, expected: str) -> None:
    page = client.get("/", headers={"Accept-Language": header})
    assert page.status_code == 200
    assert expected in page.text
    assert client.get("/static/chat.js").status_code == 200


def test_the_embedding_model_is_loaded_before_the_app_takes_requests(
    settings: Settings, ingested: KnowledgeCore, fake_embedder: FakeEmbedder
) -> None:
    before = fake_embedder.queries_embedded
    with TestClient(create_app(settings, core=ingested)):
        # The warm-up query and the small-talk examples; nobody has asked anything yet.
        assert fake_embedder.queries_embedded == before + 1 + len(load_examples())


def test_a_lone_surrogate_in_a_question_is_a_422_not_a_500(client: TestClient) -> None:
    response = client.post(
        "/api/ask",
        content=b'{"question": "\\ud800 \\u57f9\\u8bad"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert client.post("/api/ask", json={"question": "培训要多久？"}).status_code == 200
