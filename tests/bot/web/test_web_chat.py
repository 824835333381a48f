"""Staff in the web chat: join with an invite code, ask (attributed, with CSRF), rate an answer, ask a
person; strangers get the join form and no answers."""

from __future__ import annotations

from sqlalchemy import select

from bot.broadcasts.models import Broadcast
from bot.people.models import Role
from bot.people.service import create_invite
from bot.questions.models import AskedQuestion
from bot.storage.database import transaction
from bot.web.security import CSRF_HEADER, SESSION_COOKIE
from tests.bot.web.conftest import World


def test_join_ask_rate_and_escalate(world: World) -> None:
    client = world.client
    client.cookies.clear()
    page = client.get("/")
    assert page.status_code == 200 and 'id="join"' in page.text
    assert client.post("/api/ask", json={"question": "培训要多久？"}).status_code == 401
    with transaction(world.sessions) as session:
        code = create_invite(session=session, unit_name="A店", role=Role.STAFF, uses=2).code
    bad = client.post("/chat/join", data={"code": "NOPE", "name": "x"}, follow_redirects=False)
    assert bad.status_code == 303 and "error=" in bad.headers["location"]
    joined = client.post("/chat/join", data={"code": code, "name": "小王"}, follow_redirects=False)
    assert joined.status_code == 303 and SESSION_COOKIE in joined.cookies
    chat = client.get("/")
    csrf = chat.text.split('data-csrf="', 1)[1].split('"', 1)[0]
    assert csrf and 'id="ask"' in chat.text

    assert client.post("/api/ask", json={"question": "培训要多久？"}).status_code == 403  # no CSRF token
    answer = client.post("/api/ask", json={"question": "培训要多久？"}, headers={CSRF_HEADER: csrf}).json()
    unknown = client.post(
        "/api/ask", json={"question": "仓库钥匙丢了找谁？"}, headers={CSRF_HEADER: csrf}
    ).json()
    rated = client.post(
        f"/api/questions/{answer['question_id']}/feedback",
        json={"verdict": "not_helpful"},
        headers={CSRF_HEADER: csrf},
    )
    assert rated.status_code == 200 and rated.json()["status"] == "open"
    assert (
        client.post(
            f"/api/questions/{answer['question_id']}/feedback",
            json={"verdict": "meh"},
            headers={CSRF_HEADER: csrf},
        ).status_code
        == 422
    )
    escalated = client.post(f"/api/questions/{unknown['question_id']}/escalate", headers={CSRF_HEADER: csrf})
    assert escalated.status_code == 200 and escalated.json()["notified"] == 1  # the nearest manager: A店's
    with world.sessions() as session:
        rows = session.scalars(select(AskedQuestion).order_by(AskedQuestion.id)).all()
        assert {row.channel for row in rows} == {"web"} and len({row.person_id for row in rows}) == 1
        notice = session.scalars(select(Broadcast)).one()
        assert "仓库钥匙丢了找谁" in notice.text and notice.audience == [f"person:{world.ids['store']}"]
    client.cookies.clear()
    assert (
        client.post(
            f"/api/questions/{answer['question_id']}/feedback", json={"verdict": "helpful"}
        ).status_code
        == 401
    )
