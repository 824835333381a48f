"""The console's gaps queue says why each open question is in front of a person (issue 15), in the
reader's language, with the same words the managers' messages use."""

from __future__ import annotations

from bot.answering.service import Answer
from bot.questions.gaps import pass_to_managers
from bot.questions.service import record_feedback, record_question
from bot.storage.database import transaction
from tests.bot.web.conftest import World, sign_in


def _asked(world: World, question: str, answer: str, *, answered: bool) -> int:
    reply = Answer(question=question, answered=answered, answer=answer, confidence=0.5, language="zh-Hans",
                   kind="faq" if answered else "refused")  # fmt: skip
    with transaction(world.sessions) as session:
        return record_question(session=session, answer=reply, channel="web", person_id=world.ids["staff"]).id


def test_each_open_topic_shows_why_it_is_open(world: World) -> None:
    refused = _asked(world, "仓库钥匙丢了找谁", "这个问题我暂时还答不上来。", answered=False)
    unhelpful = _asked(world, "停车位怎么申请", "停车位在前台登记。", answered=True)
    with transaction(world.sessions) as session:
        pass_to_managers(session=session, question_id=refused, asker_id=world.ids["staff"])
        record_feedback(
            session=session, question_id=unhelpful, person_id=world.ids["staff"], verdict="not_helpful"
        )
    headers = sign_in(world, "region")
    world.client.cookies.clear()
    world.client.cookies.set("changebot_session", headers["Cookie"].split("=", 1)[1])
    english = world.client.get("/console/knowledge?lang=en").text
    assert "couldn&#39;t answer" in english and "answer not helpful" in english
    chinese = world.client.get("/console/knowledge?lang=zh-Hans").text
    assert "我答不上" in chinese and "回答没有帮助" in chinese and "想请人回答" not in chinese
