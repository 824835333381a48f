"""Web-only staff get the human answer: a question passed to a person says who has it and when to
expect an answer, the manager's reply from the console lands in the asker's web chat inbox (after a
reload, on any device) with an unread count that reading clears, and nobody else can read it."""

from __future__ import annotations

from sqlalchemy import select

from bot.broadcasts.models import Broadcast
from bot.web.security import CSRF_HEADER
from tests.bot.web.conftest import World, sign_in
from tests.bot.web.test_web_chat import _join_chat

UNKNOWN = "仓库钥匙丢了找谁"
REPLY = "先找值班店长拿备用钥匙，再到区域行政登记补配。"


def _answer_in_the_console(world: World, question_id: int, reply: str) -> None:
    manager = sign_in(world, "store")  # A店's manager, in the console
    world.client.cookies.clear()
    sent = world.client.post(
        f"/console/gaps/{question_id}",
        data={"csrf_token": manager[CSRF_HEADER], "reply": reply},
        headers={"Cookie": manager["Cookie"]},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and "error" not in sent.headers["location"], sent.headers["location"]


def test_a_reply_from_the_console_reaches_the_web_chat_inbox_and_reading_clears_it(world: World) -> None:
    asker = _join_chat(world, "小王")  # joined in the browser: no Telegram
    client = world.client
    asked = client.post("/api/ask", json={"question": UNKNOWN}, headers=asker).json()
    assert asked["kind"] == "refused" and asked["escalated"] is True
    question_id = asked["question_id"]

    # Who has it, and roughly when: a message of the conversation, in the reader's language.
    told = client.get(f"/api/chat/conversation/{question_id}", headers=asker).json()
    assert (
        told["handover"]["notice"]
        == "🙋 这个问题已转给A店的store。通常 1 个工作日内会有回复。回复会显示在这里。"
    )
    english = client.get(f"/api/chat/conversation/{question_id}?lang=en", headers=asker).json()
    assert english["handover"]["notice"] == (
        "🙋 Your question is with store (A店). Expect an answer within about one working day. "
        "The reply will appear here."
    )
    traditional = client.get(f"/api/chat/conversation/{question_id}?lang=zh-Hant", headers=asker).json()
    assert traditional["handover"]["notice"].startswith("🙋 這個問題已轉給A店的store。")
    assert client.get("/api/chat/inbox", headers=asker).json() == {"unread": 0, "items": []}

    _answer_in_the_console(world, question_id, REPLY)
    with world.sessions() as session:  # web only: nothing queued for a Telegram they do not have
        replies = [b for b in session.scalars(select(Broadcast)) if not b.actions]
        assert replies == []

    # A reload (or a second device): the page, then its conversation and inbox, show the reply.
    page = client.get("/", headers=asker)
    assert (
        page.status_code == 200 and 'id="inbox"' in page.text and 'data-inbox-one="1 条新回复"' in page.text
    )
    inbox = client.get("/api/chat/inbox", headers=asker).json()
    assert inbox["unread"] == 1 and [item["question_id"] for item in inbox["items"]] == [question_id]
    reply = inbox["items"][0]["reply"]
    assert (reply["text"], reply["by"], reply["unread"]) == (REPLY, "store", True)
    assert reply["label"] == "来自 store 的回复"
    history = client.get("/api/chat/conversation", headers=asker).json()
    assert history["total"] == 1 and history["items"][-1]["reply"]["text"] == REPLY
    assert (
        history["items"][-1]["question"] == UNKNOWN and history["items"][-1]["handover"]["waiting"] is False
    )
    assert client.get("/api/chat/conversation?lang=en", headers=asker).json()["items"][-1]["reply"][
        "label"
    ] == ("Reply from store")

    # Someone else signed in sees none of it and cannot mark it read.
    other = _join_chat(world, "小李")
    assert client.get("/api/chat/inbox", headers=other).json() == {"unread": 0, "items": []}
    assert client.get("/api/chat/conversation", headers=other).json()["total"] == 0
    assert client.get(f"/api/chat/conversation/{question_id}", headers=other).status_code == 404
    marked = client.post("/api/chat/inbox/read", json={"question_ids": [question_id]}, headers=other)
    assert marked.status_code == 200 and marked.json() == {"marked": 0, "unread": 0}
    # ...nor can a manager's console session read a staff member's inbox as theirs.
    manager = sign_in(world, "store")
    client.cookies.clear()
    assert client.get("/api/chat/inbox", headers=manager).json()["unread"] == 0
    # Nobody signed in: refused.
    for path in ("/api/chat/inbox", "/api/chat/conversation", f"/api/chat/conversation/{question_id}"):
        assert client.get(path).status_code == 401, path
    assert client.post("/api/chat/inbox/read", json={"question_ids": [question_id]}).status_code == 401
    # Without the CSRF token the asker's own browser cannot mark it either.
    no_csrf = {"Cookie": asker["Cookie"]}
    assert (
        client.post("/api/chat/inbox/read", json={"question_ids": [question_id]}, headers=no_csrf).status_code
        == 403
    )
    assert client.get("/api/chat/inbox", headers=asker).json()["unread"] == 1

    # The chat showed it: read, on every device.
    read = client.post("/api/chat/inbox/read", json={"question_ids": [question_id]}, headers=asker)
    assert read.status_code == 200 and read.json() == {"marked": 1, "unread": 0}
    assert client.get("/api/chat/inbox", headers=asker).json() == {"unread": 0, "items": []}
    again = client.get("/api/chat/conversation", headers=asker).json()["items"][-1]["reply"]
    assert again["text"] == REPLY and again["unread"] is False


def test_ask_a_person_under_an_answer_is_told_who_has_it(world: World) -> None:
    asker = _join_chat(world, "小王")
    client = world.client
    answered = client.post("/api/ask", json={"question": "培训要多久？"}, headers=asker).json()
    assert answered["answered"] and answered["escalated"] is False
    before = client.get(f"/api/chat/conversation/{answered['question_id']}", headers=asker).json()
    assert before["handover"] is None and "90分钟" in before["answer"] and before["sources"]
    escalated = client.post(f"/api/questions/{answered['question_id']}/escalate", headers=asker)
    assert escalated.status_code == 200
    after = client.get(f"/api/chat/conversation/{answered['question_id']}?lang=en", headers=asker).json()
    assert after["handover"]["unit"] == "A店" and after["handover"]["people"] == ["store"]
    assert after["handover"]["notice"].startswith("🙋 Your question is with store (A店).")


def test_conversation_pages_count_back_from_the_newest(world: World) -> None:
    asker = _join_chat(world, "小王")
    client = world.client
    asked = [
        client.post("/api/ask", json={"question": question}, headers=asker).json()["question_id"]
        for question in ("培训要多久？", "1-3-9-27 模型是什么", "还能用纸质单据吗？")
    ]
    newest = client.get("/api/chat/conversation?limit=2", headers=asker).json()
    assert [item["question_id"] for item in newest["items"]] == asked[1:]
    assert (newest["total"], newest["limit"], newest["offset"]) == (3, 2, 0)
    before = client.get("/api/chat/conversation?limit=2&offset=2", headers=asker).json()
    assert [item["question_id"] for item in before["items"]] == asked[:1]
    assert client.get("/api/chat/conversation?limit=0", headers=asker).status_code == 422
