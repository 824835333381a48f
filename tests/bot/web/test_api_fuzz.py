"""Property test of the JSON API against its own OpenAPI schema: whatever schemathesis sends, as an
admin, no route answers with a 500, and every status a route answers is one its schema declares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from bot.access.service import create_api_token
from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.people.models import Person
from bot.people.service import add_unit
from bot.storage.database import transaction
from bot.web.app import create_app


@pytest.fixture
def api_app(settings: Settings, ingested: KnowledgeCore) -> Iterator[FastAPI]:
    app = create_app(settings, core=ingested, run_scheduler=False)
    with TestClient(app):  # runs the lifespan: database, core
        with transaction(app.state.sessions) as session:
            add_unit(session=session, name="总部")
            add_unit(session=session, name="A店", parent="总部")
            session.add(Person(telegram_id=1, name="admin", is_admin=True))
        yield app


def _admin_token(app: FastAPI) -> dict[str, str]:
    """A fresh token for each route: the fuzzer may well revoke the one it was given."""
    with transaction(app.state.sessions) as session:
        admin = session.query(Person).filter(Person.is_admin.is_(True)).one()
        _, secret = create_api_token(session=session, creator=admin, name="fuzz")
    return {"Authorization": f"Bearer {secret}"}


def test_no_route_answers_500(api_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    statuses: Counter[int] = Counter()
    tried = []
    auth: dict[str, str] = {}

    declared: set[str] = set()

    def check(case: Any) -> None:
        response = case.call(headers=dict(auth))
        statuses[response.status_code // 100] += 1
        assert response.status_code < 500, (case.method, case.path, response.text[:500])
        assert str(response.status_code) in declared, (case.method, case.path, response.status_code)

    for result in schema.get_all_operations():
        operation = result.ok()
        declared.clear()
        declared.update(str(code) for code in operation.definition.raw["responses"])
        auth.clear()
        auth.update(_admin_token(api_app))
        no_500 = given(case=operation.as_strategy())(check)
        no_500 = settings(
            max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )(no_500)
        no_500()
        tried.append(f"{operation.method.upper()} {operation.path}")
    assert "POST /api/broadcasts" in tried and "POST /api/rollout/figures" in tried and len(tried) >= 15
    assert statuses[2] > 50 and statuses[4] > 0  # the fuzzer got through, and was refused when it should be
