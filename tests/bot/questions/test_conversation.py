"""A person's conversation (questions, answers, who has an escalated one, replies from people), the
unread replies and marking them read, and a manager's reply delivered where the asker reads: always
the web chat's inbox, and Telegram through the outbox when they joined there."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.answering.factory import KnowledgeCore
from bot.broadcasts.models import Broadcast
from bot.errors import NotFoundError
from bot.people.models import Person, Role
from bot.people.service import add_unit, create_invite, redeem_invite
from bot.questions.asking import ask
from bot.questions.conversation import (
    conversation,
    count_unread_replies,
    exchange,
    mark_replies_read,
    unread_replies,
)
from bot.questions.gaps import answer_gap, deliver_reply, question_holders, reply_to_question
from bot.questions.service import record_question
from bot.questions.wording import REPLY_FOR_ASKER
from bot.storage.database import transaction

UNKNOWN = "仓库钥匙丢了找谁"  # nothing in the test library answers it: a gap, passed to a person


@pytest.fixture
def org(sessions: sessionmaker[Session]) -> dict[str, int]:
    """A region with a store; the region's manager 李经理; three staff of the store: on the web only,
    on Telegram and the web, and on Telegram only."""
    with transaction(sessions) as session:
        add_unit(session=session, name="华东区")
        add_unit(session=session, name="华东区-12号店", parent="华东区")
        staff = create_invite(session=session, unit_name="华东区-12号店", role=Role.STAFF, uses=5).code
        region = create_invite(session=session, unit_name="华东区", role=Role.MANAGER).code

        def join(code: str, telegram_id: int | None, name: str, language: str = "zh-Hans") -> int:
            joined = redeem_invite(
                session=session, code=code, telegram_id=telegram_id, name=name, language=language
            )
            return joined.person.id

        return {
            "manager": join(region, 900, "李经理"),
            "web": join(staff, None, "小王"),
            "both": join(staff, 901, "小李", "en"),
            "telegram": join(staff, 902, "小张"),
        }


def _asked(
    core: KnowledgeCore, sessions: sessionmaker[Session], person_id: int, text: str, channel: str
) -> int:
    asked = ask(
        sessions=sessions, answerer=core.answerer, question=text, channel=channel, person_id=person_id
    )
    assert asked.question_id is not None
    return asked.question_id


def _answer(
    sessions: sessionmaker[Session], question_id: int, manager_id: int, reply: str, tmp_path: Path
) -> None:
    with transaction(sessions) as session:
        manager = session.get(Person, manager_id)
        assert manager is not None
        answer_gap(
            session=session, question_id=question_id, responder=manager, reply=reply, save_as_faq=False
        )


def _replies_queued(sessions: sessionmaker[Session]) -> list[Broadcast]:
    with sessions() as session:
        return [b for b in session.scalars(select(Broadcast).order_by(Broadcast.id)) if not b.actions]


def test_the_conversation_is_newest_last_paged_and_a_reply_is_unread_until_marked(
    ingested: KnowledgeCore, sessions: sessionmaker[Session], org: dict[str, int], tmp_path: Path
) -> None:
    web = org["web"]
    gap = _asked(ingested, sessions, web, UNKNOWN, "web")
    answered = _asked(ingested, sessions, web, "培训要多久？", "web")
    later = _asked(ingested, sessions, web, "1-3-9-27 模型是什么", "web")
    with sessions() as session:
        page = conversation(session=session, person_id=web, reply_days=2)
        assert [e.question_id for e in page.items] == [gap, answered, later] and page.total == 3
        first = page.items[0]
        assert first.question == UNKNOWN and first.kind == "refused" and first.reply is None
        assert first.handover is not None and first.handover.waiting
        # Who has it: the nearest managers up from the asker's store, and roughly when.
        assert (first.handover.unit, first.handover.people, first.handover.reply_days) == (
            "华东区",
            ("李经理",),
            2,
        )
        assert first.handover.reply_to == ("web",)  # no Telegram: the answer comes to the web chat
        assert page.items[1].answered and "90分钟" in page.items[1].answer and page.items[1].handover is None
        assert page.items[1].sources and page.items[1].sources[0]["title"]
        assert unread_replies(session=session, person_id=web, reply_days=2).total == 0

    _answer(sessions, gap, org["manager"], "找值班店长拿备用钥匙。", tmp_path)
    with sessions() as session:
        # The reply brings its question to the end, where the asker looks for something new.
        page = conversation(session=session, person_id=web, reply_days=2)
        assert [e.question_id for e in page.items] == [answered, later, gap]
        replied = page.items[-1]
        assert replied.reply is not None and replied.reply.text == "找值班店长拿备用钥匙。"
        assert replied.reply.by == "李经理" and replied.reply.unread
        assert replied.handover is not None and not replied.handover.waiting
        # Pages count back from the newest, each page newest last.
        newest = conversation(session=session, person_id=web, reply_days=2, limit=2)
        before = conversation(session=session, person_id=web, reply_days=2, limit=2, offset=2)
        assert [e.question_id for e in newest.items] == [later, gap] and newest.total == 3
        assert [e.question_id for e in before.items] == [answered]
        inbox = unread_replies(session=session, person_id=web, reply_days=2)
        assert inbox.total == 1 and [e.question_id for e in inbox.items] == [gap]
        # Nobody else's conversation shows it.
        assert conversation(session=session, person_id=org["both"], reply_days=2).total == 0
        with pytest.raises(NotFoundError):
            exchange(session=session, person_id=org["both"], question_id=gap, reply_days=2)

    with transaction(sessions) as session:
        assert (
            mark_replies_read(session=session, person_id=org["both"], question_ids=[gap]) == 0
        )  # not theirs
        assert unread_replies(session=session, person_id=web, reply_days=2).total == 1
        assert mark_replies_read(session=session, person_id=web, question_ids=[gap, answered]) == 1
        assert mark_replies_read(session=session, person_id=web, question_ids=[gap]) == 0  # once
        assert count_unread_replies(session=session, person_id=web) == 0
    with sessions() as session:
        assert unread_replies(session=session, person_id=web, reply_days=2).total == 0
        seen = exchange(session=session, person_id=web, question_id=gap, reply_days=2)
        assert seen.reply is not None and not seen.reply.unread

    # A second answer to the same question is news again.
    _answer(sessions, gap, org["manager"], "备用钥匙在值班店长那里，登记后领取。", tmp_path)
    with sessions() as session:
        inbox = unread_replies(session=session, person_id=web, reply_days=2)
        assert inbox.total == 1 and inbox.items[0].reply is not None
        assert inbox.items[0].reply.text.startswith("备用钥匙在值班店长那里")


def test_a_reply_reaches_each_asker_where_they_read(
    ingested: KnowledgeCore, sessions: sessionmaker[Session], org: dict[str, int], tmp_path: Path
) -> None:
    web_only = _asked(ingested, sessions, org["web"], UNKNOWN, "web")
    both = _asked(ingested, sessions, org["both"], "Who has the spare warehouse key?", "web")
    telegram_only = _asked(ingested, sessions, org["telegram"], UNKNOWN, "telegram")
    for question_id in (web_only, both, telegram_only):
        _answer(sessions, question_id, org["manager"], f"回复 {question_id}", tmp_path)

    queued = _replies_queued(sessions)
    # Web only: the inbox alone, nothing queued for a Telegram they do not have.
    assert [b.audience for b in queued] == [[f"person:{org['both']}"], [f"person:{org['telegram']}"]]
    # Telegram and the web: Telegram through the outbox, in their language, and the inbox.
    assert queued[0].text == REPLY_FOR_ASKER["en"].format(
        question="Who has the spare warehouse key?", name="李经理", reply=f"回复 {both}"
    )
    # Telegram only: Telegram as before.
    assert queued[1].text == REPLY_FOR_ASKER["zh-Hans"].format(
        question=UNKNOWN, name="李经理", reply=f"回复 {telegram_only}"
    )
    with sessions() as session:
        for who, question_id in (("web", web_only), ("both", both), ("telegram", telegram_only)):
            inbox = unread_replies(session=session, person_id=org[who], reply_days=1)
            assert [e.question_id for e in inbox.items] == [question_id], who
        told = exchange(session=session, person_id=org["both"], question_id=both, reply_days=1)
        assert told.handover is not None and told.handover.reply_to == ("web", "telegram")


def test_deliver_reply_names_its_channels_and_nobody_known_gets_nothing(
    ingested: KnowledgeCore, sessions: sessionmaker[Session], org: dict[str, int]
) -> None:
    with transaction(sessions) as session:
        manager = session.get(Person, org["manager"])
        assert manager is not None
        rows = {
            who: record_question(
                session=session,
                answer=ingested.answerer.answer(UNKNOWN),
                channel="web",
                person_id=org[who] if who != "kiosk" else None,
            )  # fmt: skip
            for who in ("web", "both", "kiosk")
        }
        channels = {}
        for who, row in rows.items():
            if who != "kiosk":
                reply_to_question(session=session, question_id=row.id, responder=manager, reply="好的")
            else:
                row.reply = "好的"
            channels[who] = deliver_reply(session=session, question=row, responder=manager)
    assert channels == {"web": ("web",), "both": ("web", "telegram"), "kiosk": ()}
    assert [b.audience for b in _replies_queued(sessions)] == [[f"person:{org['both']}"]]


def test_who_has_a_question(sessions: sessionmaker[Session], org: dict[str, int]) -> None:
    with transaction(sessions) as session:
        store_manager = create_invite(session=session, unit_name="华东区-12号店", role=Role.MANAGER).code
        lone = redeem_invite(
            session=session, code=store_manager, telegram_id=903, name="周店长", language="zh-Hans"
        )
        staff = session.get(Person, org["web"])
        assert staff is not None
        holders = question_holders(session=session, asker=staff)
        assert holders.unit is not None and holders.unit.name == "华东区-12号店"
        assert [p.name for p in holders.people] == ["周店长"]
        # The store's only manager asking goes to the manager above, not to nobody.
        up = question_holders(session=session, asker=lone.person)
        assert up.unit is not None and up.unit.name == "华东区" and [p.name for p in up.people] == ["李经理"]
        # Nobody above: the change team (the admins).
        admin = Person(telegram_id=1, name="变革办", is_admin=True)
        session.add(admin)
        session.flush()
        region = session.get(Person, org["manager"])
        assert region is not None
        team = question_holders(session=session, asker=region)
        assert team.unit is None and [p.name for p in team.people] == ["变革办"]
