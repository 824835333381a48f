""" "Not this time" in Telegram against the fake Bot API: the invitation carries it beside Start, the
press says so and leaves Start at hand, no reminder follows, Start still works, forged or stale
presses change nothing, and close keeps only the count."""

from __future__ import annotations

import shutil
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import Application

from bot.config import Settings
from bot.people.models import Person
from bot.storage.base import utc_now
from bot.storage.database import transaction
from bot.surveys.answers import send_due_reminders
from bot.surveys.models import SurveyInvitation, SurveyResponse, SurveyWave
from bot.surveys.waves import close_wave, get_wave, has_declined, launch_wave
from bot.surveys.wording import DECLINE
from bot.telegram.context import SERVICES_KEY
from tests.bot.telegram.conftest import Org
from tests.bot.telegram.test_scenarios import _join
from tests.bot.telegram.test_survey_in_chat import PULSE, SURVEYS, _buttons, _deliver, _press
from tests.fakes.telegram_api import FakeTelegram

ALICE, BOB, CAROL = 8101, 8102, 8103
DECLINED = DECLINE["zh-Hans"]["declined"]


def _labels(message: dict[str, object]) -> list[str]:
    markup = message["reply_markup"]
    assert isinstance(markup, dict)
    return [b["text"] for row in markup["inline_keyboard"] for b in row]


async def test_not_this_time_in_chat(
    running_bot: Application,  # type: ignore[type-arg]
    fake_telegram: FakeTelegram,
    org: Org,
    settings: Settings,
    sessions: sessionmaker[Session],
) -> None:
    fake = fake_telegram
    shutil.copytree(SURVEYS, settings.knowledge_dir / "surveys", dirs_exist_ok=True)
    for user in (ALICE, BOB, CAROL):
        await _join(fake, user, org.staff_code)
    with transaction(sessions) as session:
        wave_id = launch_wave(
            session=session, survey=PULSE, closes_at=utc_now() + timedelta(days=2), selectors=["unit:华东区"]
        ).id
        alice_id = session.scalars(select(Person.id).where(Person.telegram_id == ALICE)).one()
    await _deliver(running_bot, sessions)
    invitation = [m for m in fake.sent(chat_id=ALICE) if "脉搏调查" in m.get("text", "")][-1]
    assert _buttons(invitation) == [f"sv:{wave_id}:go", f"sv:{wave_id}:no"]
    assert _labels(invitation) == ["▶️ 开始", "这次不参加"]

    answer, shown = await _press(fake, ALICE, f"sv:{wave_id}:no")
    assert shown is not None and shown["text"] == DECLINED and "截止前" in DECLINED  # Start still works
    assert _buttons(shown) == [f"sv:{wave_id}:go"]
    with sessions() as session:
        assert has_declined(session=session, wave_id=wave_id, person_id=alice_id)
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 0

    # Forged and stale presses are refused as any other, and change nothing.
    assert (await _press(fake, ALICE, f"sv:{wave_id}:no:1"))[0] == "这个按钮已失效。"
    assert (await _press(fake, ALICE, f"sv:{wave_id}:NO"))[0] == "这个按钮已失效。"
    assert (await _press(fake, ALICE, "sv:999:no"))[0] == "这个按钮已失效。"
    assert (await _press(fake, 4242, f"sv:{wave_id}:no"))[0] == "这份调查不是发给你的。"  # the admin

    # The reminder skips her; Bob and Carol get it, with both buttons again.
    with transaction(sessions) as session:
        session.execute(update(SurveyWave).values(remind_at=utc_now() - timedelta(minutes=1)))
    key = running_bot.bot_data[SERVICES_KEY].survey_key
    with transaction(sessions) as session:
        assert send_due_reminders(session, utc_now(), surveys={PULSE.id: PULSE}, key=key) == 2
    await _deliver(running_bot, sessions)
    assert not any("提醒" in m.get("text", "") for m in fake.sent(chat_id=ALICE))
    reminder = [m for m in fake.sent(chat_id=BOB) if "提醒" in m.get("text", "")][-1]
    assert _buttons(reminder) == [f"sv:{wave_id}:go", f"sv:{wave_id}:no"]

    # She changes her mind: Start takes her to the first question and her decline is gone.
    _, shown = await _press(fake, ALICE, f"sv:{wave_id}:go")
    assert shown is not None and " · 1/9" in shown["text"]
    with sessions() as session:
        assert not has_declined(session=session, wave_id=wave_id, person_id=alice_id)

    # Bob declines from the reminder; at close only the count stays.
    _, shown = await _press(fake, BOB, f"sv:{wave_id}:no")
    assert shown is not None and shown["text"] == DECLINED
    with transaction(sessions) as session:
        close_wave(session=session, wave=get_wave(session=session, wave_id=wave_id))
    with sessions() as session:
        assert get_wave(session=session, wave_id=wave_id).declined == 1
        flagged = select(func.count()).select_from(SurveyInvitation).where(SurveyInvitation.declined)
        assert session.scalar(flagged) == 0
    answer, _ = await _press(fake, CAROL, f"sv:{wave_id}:no")
    assert answer == "这次调查已经结束，谢谢参与。"
