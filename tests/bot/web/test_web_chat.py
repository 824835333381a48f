"""Staff in the web chat: join with an invite code, ask (attributed, with CSRF), rate an answer, ask a
person; strangers get the join form and no answers."""

from __future__ import annotations

import html
import json
from urllib.parse import unquote

from sqlalchemy import select

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Broadcast
from bot.people.guessing import WRONG_CODES_PER_MINUTE
from bot.people.models import Role
from bot.people.service import create_invite
from bot.questions.models import AskedQuestion
from bot.storage.database import transaction
from bot.web.security import CSRF_HEADER, SESSION_COOKIE
from tests.bot.web.conftest import World, form_token_in, join_with_code
from tests.fakes.confidence import coverage_bands


def test_join_ask_rate_and_escalate(world: World) -> None:
    client = world.client
    client.cookies.clear()
    page = client.get("/")
    assert page.status_code == 200 and 'id="join"' in page.text
    assert client.post("/api/ask", json={"question": "培训要多久？"}).status_code == 401
    with transaction(world.sessions) as session:
        code = create_invite(session=session, unit_name="A店", role=Role.STAFF, uses=2).code
    form_token = form_token_in(page.text)
    # A post from another site (no form cookie of ours, no token) signs nobody in: login CSRF.
    forged = client.post("/chat/join", data={"code": code, "name": "x"}, follow_redirects=False)
    assert (
        forged.status_code == 303
        and "error=" in forged.headers["location"]
        and SESSION_COOKIE not in forged.cookies
    )
    bad = client.post(
        "/chat/join", data={"code": "NOPE", "name": "x", "form_token": form_token}, follow_redirects=False
    )
    assert bad.status_code == 303 and "error=" in bad.headers["location"]
    joined = client.post(
        "/chat/join", data={"code": code, "name": "小王", "form_token": form_token}, follow_redirects=False
    )
    assert joined.status_code == 303 and SESSION_COOKIE in joined.cookies
    chat = client.get("/")
    csrf = chat.text.split('data-csrf="', 1)[1].split('"', 1)[0]
    assert csrf and 'id="ask"' in chat.text

    assert client.post("/api/ask", json={"question": "培训要多久？"}).status_code == 403  # no CSRF token
    answer = client.post("/api/ask", json={"question": "培训要多久？"}, headers={CSRF_HEADER: csrf}).json()
    unknown = client.post(
        "/api/ask", json={"question": "仓库钥匙丢了找谁？"}, headers={CSRF_HEADER: csrf}
    ).json()
    # "I don't know yet, I've passed it on": it went to A店's manager by itself, as in Telegram.
    assert unknown["kind"] == "refused"
    with world.sessions() as session:
        (passed_on,) = session.scalars(select(Broadcast)).all()
        assert passed_on.audience == [f"person:{world.ids['store']}"] and passed_on.actions
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
    # ...and asking for a person again does not tell them twice (the .one() below).
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


def test_guessing_invite_codes_in_the_browser_is_stopped(world: World) -> None:
    client = world.client
    client.cookies.clear()
    with transaction(world.sessions) as session:
        code = create_invite(session=session, unit_name="A店", role=Role.STAFF).code
    said = [
        unquote(join_with_code(client, f"GUESS{n:05d}", "x").headers["location"])
        for n in range(WRONG_CODES_PER_MINUTE + 3)
    ]
    assert "找不到这个邀请码" in said[0] and "输错的次数太多" in said[-1]  # in the reader's language
    refused = join_with_code(client, code, "小王")  # the right code waits a minute too
    assert "输错的次数太多" in unquote(refused.headers["location"]) and SESSION_COOKIE not in refused.cookies


def test_a_pulse_survey_in_the_web_chat(world: World) -> None:
    import shutil
    from datetime import timedelta
    from pathlib import Path

    from bot.people.models import Person
    from bot.storage.base import utc_now
    from bot.surveys.definitions import load_surveys
    from bot.surveys.models import SurveyResponse
    from bot.surveys.waves import launch_wave

    library = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    shutil.copytree(library, settings.knowledge_dir / "surveys", dirs_exist_ok=True)
    client = world.client
    client.cookies.clear()
    with transaction(world.sessions) as session:
        code = create_invite(session=session, unit_name="A店", role=Role.STAFF).code
    join_with_code(client, code, "小李")
    csrf = client.get("/").text.split('data-csrf="', 1)[1].split('"', 1)[0]
    assert client.get("/api/chat/surveys").json() == []
    with transaction(world.sessions) as session:
        person = session.scalars(select(Person).where(Person.name == "小李")).one()
        person.telegram_id = None
        now = utc_now()
        wave = launch_wave(
            session=session, survey=load_surveys(library)["resistance-pulse"], closes_at=now + timedelta(days=1),
            selectors=["unit:A店"], now=now,
        )  # fmt: skip
        wave_id = wave.id
    assert person.telegram_id is None  # web-only staff are invited too
    pending = client.get("/api/chat/surveys").json()
    assert len(pending) == 1 and pending[0]["step"]["index"] == 0 and pending[0]["total"] == 9
    headers = {CSRF_HEADER: csrf}
    step = pending[0]
    for index in range(8):
        step = client.post(
            f"/api/chat/surveys/{wave_id}", json={"index": index, "value": 4}, headers=headers
        ).json()
    assert step["step"]["type"] == "text" and step["step"]["optional"]
    done = client.post(
        f"/api/chat/surveys/{wave_id}", json={"index": 8, "value": "多给点练习时间"}, headers=headers
    ).json()
    assert done["done"] is True
    assert (
        client.post(
            f"/api/chat/surveys/{wave_id}", json={"index": 0, "value": 9}, headers=headers
        ).status_code
        == 422
    )
    assert (
        client.post(f"/api/chat/surveys/{wave_id}", json={"index": 0, "value": 4}).status_code == 403
    )  # CSRF
    again = client.post(f"/api/chat/surveys/{wave_id}", json={"restart": True}, headers=headers).json()
    assert again["step"]["index"] == 0 and again["step"]["current"] == 4
    with world.sessions() as session:
        response = session.scalars(select(SurveyResponse)).one()
        assert response.completed and response.person_id is None


def test_the_per_person_question_limit_holds_in_the_web_chat_too(world: World) -> None:
    client = world.client
    client.cookies.clear()
    with transaction(world.sessions) as session:
        code = create_invite(session=session, unit_name="A店", role=Role.STAFF, uses=1).code
    join_with_code(client, code, "小李")
    page = client.get("/")
    csrf = page.text.split('data-csrf="', 1)[1].split('"', 1)[0]
    assert 'data-flood="问题有点多' in page.text  # what the chat shows on a 429
    limit = client.app.state.settings.questions_per_minute  # type: ignore[attr-defined]
    statuses = [
        client.post(
            "/api/ask", json={"question": f"培训要多久？{n}"}, headers={CSRF_HEADER: csrf}
        ).status_code
        for n in range(limit + 1)
    ]
    assert statuses == [200] * limit + [429]
    refused = client.post("/api/ask", json={"question": "培训要多久？"}, headers={CSRF_HEADER: csrf})
    assert refused.headers["retry-after"] == "60" and "wait a minute" in refused.json()["detail"]
    with world.sessions() as session:  # refused questions are not recorded as asked
        assert len(session.scalars(select(AskedQuestion)).all()) == limit


def test_did_you_mean_in_the_web_chat_answers_from_the_candidate_picked(
    world: World, ingested: KnowledgeCore
) -> None:
    ingested.answerer.confidence_model = coverage_bands(answer_at=0.7, suggest_at=0.3, chit_chat_below=0.05)
    staff, other = _join_chat(world, "小王"), _join_chat(world, "小李")
    client = world.client
    offer = client.post("/api/ask", json={"question": "试点门店上线后红灯怎么办"}, headers=staff).json()
    assert offer["band"] == "suggest" and offer["answered"] is False and offer["kind"] == "suggest"
    labels = [suggestion["label"] for suggestion in offer["suggestions"]]
    paper = labels.index("还能用纸质单据吗？")
    path = f"/api/questions/{offer['question_id']}/choose"
    assert client.post(path, json={"index": paper}, headers=other).status_code == 422  # not theirs
    assert client.post(path, json={"index": 7}, headers=staff).status_code == 422  # no such candidate
    assert client.post(path, json={"index": -1}, headers=staff).status_code == 422
    no_csrf = {"Cookie": staff["Cookie"]}
    assert client.post(path, json={"index": paper}, headers=no_csrf).status_code == 403
    answer = client.post(path, json={"index": paper}, headers=staff).json()
    assert answer["band"] == "answer" and "第二个月起只用系统录单" in answer["answer"]
    assert answer["question_id"] == offer["question_id"]  # the feedback buttons rate this question
    assert not any(source["title"].endswith(".yaml") for source in answer["sources"])
    assert client.post(path, json={"index": paper}, headers=staff).status_code == 422  # once only
    chit_chat = client.post("/api/ask", json={"question": "今天天气怎么样"}, headers=staff).json()
    assert chit_chat["kind"] == "off_topic" and chit_chat["band"] == "unknown"
    with world.sessions() as session:
        picked = session.get(AskedQuestion, offer["question_id"])
        assert picked is not None and picked.chosen_suggestion == paper and picked.status == "closed"
        weather = session.get(AskedQuestion, chit_chat["question_id"])
        assert weather is not None and weather.status == "closed" and weather.band == "unknown"


def _join_chat(world: World, name: str) -> dict[str, str]:
    """Join the web chat with a fresh invite code; returns the cookie and CSRF headers."""
    client = world.client
    client.cookies.clear()
    with transaction(world.sessions) as session:
        code = create_invite(session=session, unit_name="A店", role=Role.STAFF, uses=1).code
    joined = join_with_code(client, code, name)
    cookie = joined.cookies[SESSION_COOKIE]
    page = client.get("/", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    client.cookies.clear()
    csrf = page.text.split('data-csrf="', 1)[1].split('"', 1)[0]
    return {"Cookie": f"{SESSION_COOKIE}={cookie}", CSRF_HEADER: csrf}


def test_a_cited_document_opens_whole_for_those_who_may_read_it(
    world: World, ingested: KnowledgeCore
) -> None:
    from ingest.faq_file import append_faq

    text = append_faq(None, entry_id="team-1", question="仓库钥匙丢了找谁？",
                      answer="先找值班店长拿备用钥匙。", lang="zh-Hans", tags=[], scope="华南区")  # fmt: skip
    text = append_faq(text, entry_id="team-2", question="A店的排班表在哪？",
                      answer="贴在仓库门口。", lang="zh-Hans", tags=[], scope="A店")  # fmt: skip
    (ingested.settings.knowledge_dir / "faqs" / "team.yaml").write_text(text, encoding="utf-8")
    ingested.ingest()
    client = world.client
    client.cookies.clear()
    assert client.get("/chat/documents?source=playbooks/pacing.md", follow_redirects=False).status_code == 303
    staff = _join_chat(world, "小王")
    cited = client.post("/api/ask", json={"question": "1-3-9-27 模型是什么"}, headers=staff).json()
    source = next(s for s in cited["sources"] if s["source"] == "playbooks/pacing.md")
    page = client.get(f"/chat/documents?source={source['source']}", headers=staff)
    assert page.status_code == 200
    assert "<h1>推广节奏与分批上线</h1>" in page.text and "<h2>1-3-9-27 模型</h2>" in page.text
    assert f'id="c-{source["chunk_id"]}"' in page.text and "pacing.md" not in page.text.split("<main", 1)[1]
    traditional = client.get("/chat/documents?source=playbooks/pacing.md&lang=zh-Hant", headers=staff)
    assert "推廣節奏與分批上線" in traditional.text and "回到聊天" in traditional.text
    # The team FAQ file shows A店 its own entry and nothing scoped to another region.
    team = client.get("/chat/documents?source=faqs/team.yaml", headers=staff)
    assert team.status_code == 200 and "贴在仓库门口" in team.text and "备用钥匙" not in team.text
    for missing in ("faqs/nothing.yaml", "../../etc/passwd", "x" * 501):
        gone = client.get("/chat/documents", params={"source": missing}, headers=staff)
        assert gone.status_code in (404, 422)
    assert "不对你开放" in client.get("/chat/documents?source=faqs/nothing.yaml", headers=staff).text


def test_neighbouring_passages_read_once() -> None:
    from bot.library.contents import _without_overlap

    assert _without_overlap("第一句。第二句。", "第二句。第三句。") == "第一句。第二句。第三句。"
    assert _without_overlap("One. Two.", "Three.") == "One. Two.\nThree."


def test_what_sits_under_an_answer_follows_the_answers_language_not_the_pages(world: World) -> None:
    client = world.client
    client.cookies.clear()
    with transaction(world.sessions) as session:
        code = create_invite(session=session, unit_name="A店", role=Role.STAFF).code
    join_with_code(client, code, "Lee")
    page = client.get("/", headers={"accept-language": "zh-CN"})  # a Chinese page...
    assert 'data-thanks="谢谢反馈！"' in page.text
    raw = page.text.split('data-answer-strings="', 1)[1].split('"', 1)[0]
    strings = json.loads(html.unescape(raw))
    csrf = page.text.split('data-csrf="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/api/ask", json={"question": "How long is the training?"}, headers={CSRF_HEADER: csrf}
    ).json()
    # ...and a question in English: the buttons and the thanks under its answer read in English.
    assert answer["language"] == "en"
    assert strings[answer["language"]]["thanks"] == "Thanks for the feedback!"
    assert strings["en"]["helpful"] != strings["zh-Hans"]["helpful"]
    assert set(strings) == {"zh-Hans", "zh-Hant", "en"}


def test_the_chat_answers_at_slash_chat_too(world: World) -> None:
    moved = world.client.get("/chat?lang=en", follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"] == "/?lang=en"
