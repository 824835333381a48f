"""A small organisation behind the web app for the API tests, and ways to call it as each kind of user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access.service import create_api_token, create_sign_in_link
from bot.answering.factory import KnowledgeCore
from bot.config import Settings
from bot.people.models import Membership, Person, Role, Unit
from bot.people.service import add_unit
from bot.storage.database import transaction
from bot.web.app import create_app
from bot.web.security import CSRF_HEADER, SESSION_COOKIE


@dataclass
class World:
    client: TestClient
    sessions: sessionmaker[Session]
    ids: dict[str, int]


@pytest.fixture
def world(settings: Settings, ingested: KnowledgeCore) -> Iterator[World]:
    app = create_app(settings, core=ingested, run_scheduler=False)
    with TestClient(app) as client:
        sessions: sessionmaker[Session] = app.state.sessions
        ids: dict[str, int] = {}
        with transaction(sessions) as session:
            add_unit(session=session, name="总部")
            for name, parent in (("华东区", "总部"), ("A店", "华东区"), ("华南区", "总部")):
                ids[name] = add_unit(session=session, name=name, parent=parent).id
            for key, unit, role in (
                ("region", "华东区", Role.MANAGER), ("store", "A店", Role.MANAGER),
                ("south", "华南区", Role.MANAGER), ("staff", "A店", Role.STAFF),
            ):  # fmt: skip
                person = Person(telegram_id=len(ids) + 10, name=key)
                session.add(person)
                session.flush()
                session.add(Membership(person_id=person.id, unit_id=ids[unit], role=role.value))
                ids[key] = person.id
            admin = Person(telegram_id=1, name="admin", is_admin=True)
            session.add(admin)
            session.flush()
            ids["admin"] = admin.id
        yield World(client=client, sessions=sessions, ids=ids)


def form_token_in(html: str) -> str:
    """The form token a page before signing in carries in its hidden field."""
    return html.split('name="form_token" value="', 1)[1].split('"', 1)[0]


def join_with_code(client: TestClient, code: str, name: str) -> httpx.Response:
    """Join the web chat as a browser does: open the join page (which sets its form token), post it."""
    page = client.get("/")
    form_token = form_token_in(page.text)
    return client.post(
        "/chat/join", data={"code": code, "name": name, "form_token": form_token}, follow_redirects=False
    )


def follow_link(client: TestClient, secret: str) -> httpx.Response:
    """Open a sign-in link and press its button, as a browser does (the GET alone signs nobody in)."""
    page = client.get(f"/auth/link?token={secret}")
    assert page.status_code == 200, page.text
    form_token = form_token_in(page.text)
    return client.post("/auth/link", data={"token": secret, "form_token": form_token}, follow_redirects=False)


def sign_in(world: World, who: str) -> dict[str, str]:
    """Follow a fresh sign-in link; returns the headers a browser script would send (cookie + CSRF)."""
    with transaction(world.sessions) as session:
        person = session.get(Person, world.ids[who])
        assert person is not None
        secret = create_sign_in_link(session=session, person=person)
    client = world.client
    client.cookies.clear()
    response = follow_link(client, secret)
    assert response.status_code == 303, response.text
    cookie = response.cookies[SESSION_COOKIE]
    assert (
        "httponly" in response.headers["set-cookie"].lower()
        and "samesite=lax" in response.headers["set-cookie"].lower()
    )
    client.cookies.clear()
    me = client.get("/api/me", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}).json()
    return {"Cookie": f"{SESSION_COOKIE}={cookie}", CSRF_HEADER: me["csrf_token"]}


def api_token(world: World, unit: str | None) -> dict[str, str]:
    with transaction(world.sessions) as session:
        admin = session.get(Person, world.ids["admin"])
        assert admin is not None
        scope = session.scalars(select(Unit).where(Unit.name == unit)).one() if unit else None
        _, secret = create_api_token(session=session, creator=admin, name=f"test {unit}", unit=scope)
    return {"Authorization": f"Bearer {secret}"}
