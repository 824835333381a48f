"""A closed wave's headline in chat (issue 15): each manager and admin who may read some of its
results is told once, in their language, only what the console shows them; nobody else is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcasts.models import Broadcast, BroadcastKind
from bot.broadcasts.service import MAX_TEXT
from bot.people.models import Membership, Person, Role, Unit
from bot.people.service import add_unit
from bot.reporting.wave_headlines import Headline, announce_closed_waves, headline_text
from bot.storage.database import DEFERRED_BEGIN, transaction
from bot.surveys.answers import record_answer
from bot.surveys.definitions import load_surveys
from bot.surveys.pairing import PairingKey
from bot.surveys.results import Band, DimensionResult, GroupResult, Rules
from bot.surveys.waves import claim_announcement, close_due_waves, get_wave, launch_wave, waves_to_announce
from ingest.text import LANGUAGES

SURVEYS = load_surveys(Path(__file__).resolve().parents[3] / "knowledge" / "surveys")
PULSE = SURVEYS["resistance-pulse"]
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CLOSES = NOW + timedelta(days=3)
LATER = CLOSES + timedelta(minutes=1)  # the scheduler's next round
CONSOLE = "https://change.example/console"
TITLE_HANS = "📊 调查结果：脉搏调查：你对服务中台的真实感受"
STORE_A_HANS = "东区-A店：认知 低 · 情绪 高 · 行为 中"  # everyone there rated every item 5


@pytest.fixture
def org(sessions: sessionmaker[Session]) -> dict[str, list[int]]:
    """总部 > 东区 > 东区-A店 (11 staff), 东区-B店 (3 staff); 总部 > 南区 (6 staff). A manager of each
    unit but 总部 (东区's reads English, A店's Traditional Chinese), one more of A店 who has left (not
    active), and an admin in no unit."""
    found: dict[str, list[int]] = {}
    telegram_ids = iter(range(1000, 2000))
    with transaction(sessions) as session:
        add_unit(session=session, name="总部")
        add_unit(session=session, name="东区", parent="总部")
        add_unit(session=session, name="东区-A店", parent="东区")
        add_unit(session=session, name="东区-B店", parent="东区")
        add_unit(session=session, name="南区", parent="总部")

        def person(unit_name: str | None, role: Role, language: str = "zh-Hans", **extra: object) -> int:
            someone = Person(telegram_id=next(telegram_ids), name="p", language=language, **extra)
            session.add(someone)
            session.flush()
            if unit_name is not None:
                unit = session.scalars(select(Unit).where(Unit.name == unit_name)).one()
                session.add(Membership(person_id=someone.id, unit_id=unit.id, role=role.value))
            return someone.id

        for unit_name, size in (("东区-A店", 11), ("东区-B店", 3), ("南区", 6)):
            found[unit_name] = [person(unit_name, Role.STAFF) for _ in range(size)]
        found["east manager"] = [person("东区", Role.MANAGER, "en")]
        found["A manager"] = [person("东区-A店", Role.MANAGER, "zh-Hant")]
        found["B manager"] = [person("东区-B店", Role.MANAGER)]
        found["south manager"] = [person("南区", Role.MANAGER)]
        found["gone manager"] = [person("东区-A店", Role.MANAGER, active=False)]
        found["admin"] = [person(None, Role.STAFF, is_admin=True)]
    return found


def _answer_all(
    session: Session,
    wave_id: int,
    person_id: int,
    rating: int,
    *,
    key: PairingKey,
    comment: str | None = None,
) -> None:
    person = session.get(Person, person_id)
    assert person is not None
    for question in PULSE.questions:
        record_answer(
            session=session, key=key, survey=PULSE, wave_id=wave_id, person=person, question_id=question.id,
            value=rating if question.type == "likert" else comment, now=NOW,
        )  # fmt: skip


def _closed_wave(
    sessions: sessionmaker[Session], key: PairingKey, selectors: list[str], answers: dict[int, int]
) -> int:
    """A wave to ``selectors`` that the people in ``answers`` (person id -> rating) answered, closed
    by the scheduler at ``CLOSES``."""
    with transaction(sessions) as session:
        wave = launch_wave(session=session, survey=PULSE, closes_at=CLOSES, selectors=selectors, now=NOW)
        for person_id, rating in answers.items():
            _answer_all(session, wave.id, person_id, rating, key=key, comment="培训太赶了")
        assert close_due_waves(session, CLOSES) == 1
        return wave.id


def _announce(session: Session, now: datetime = LATER) -> int:
    return announce_closed_waves(session, now, surveys=SURVEYS, rules=Rules(), console_url=CONSOLE)


def _headlines(session: Session) -> dict[int, Broadcast]:
    """Person id -> the headline queued for them."""
    notices = session.scalars(select(Broadcast).where(Broadcast.kind == BroadcastKind.NOTICE.value)).all()
    found = {int(b.audience[0].removeprefix("person:")): b for b in notices}
    assert all(len(b.audience) == 1 for b in notices) and len(found) == len(notices)
    return found


def test_each_manager_hears_the_bands_of_their_own_shown_units_in_their_language(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    # A店 10 of 12 (shown, with comments), B店 2 of 4 (hidden), 南区 5 of 7 (shown); 东区, 总部 and the
    # whole wave are hidden because subtracting the shown units from them would leave B店's two.
    answers = {p: 5 for p in org["东区-A店"][:10]} | {p: 1 for p in org["东区-B店"][:2]}
    wave_id = _closed_wave(sessions, survey_key, ["unit:总部"], answers | {p: 3 for p in org["南区"][:5]})
    link = f"{CONSOLE}/surveys/{wave_id}"
    with transaction(sessions) as session:
        assert _announce(session) == 4
        headlines = _headlines(session)
    (east,), (store_a,), (south,), (admin,) = (
        org["east manager"], org["A manager"], org["south manager"], org["admin"]
    )  # fmt: skip
    # B店's manager sees only a hidden store; the one who left and the staff hear nothing.
    assert set(headlines) == {east, store_a, south, admin}

    # A store manager in a company-wide wave: their store's own count (the console lists the wave
    # only to those who may see its whole audience).
    assert headlines[store_a].text == headlines[store_a].texts["zh-Hant"] == "\n".join([
        "📊 調查結果：脈搏調查：你對服務中台的真實感受", "邀請 12 人，10 人完成。", "",
        "东区-A店：認知 低 · 情緒 高 · 行為 中", "", f"完整結果：{link}",
    ])  # fmt: skip
    # The region: its shown store, and its two hidden units counted, never described.
    assert headlines[east].text == "\n".join([
        "📊 Survey results: Pulse check: how you really feel about ServiceHub", "10 of 12 invited answered.", "",
        "东区-A店: cognitive low · emotional high · behavioural medium",
        "2 units had too few respondents to show on their own", "", f"Full results: {link}",
    ])  # fmt: skip
    assert headlines[south].text == "\n".join(
        [
            TITLE_HANS,
            "邀请 7 人，5 人完成。",
            "",
            "南区：认知 中 · 情绪 中 · 行为 中",
            "",
            f"完整结果：{link}",
        ]
    )
    # The admin: every shown unit, the wave's own count, every hidden unit counted.
    assert headlines[admin].text == "\n".join([
        TITLE_HANS, "邀请 24 人，17 人完成。", "", STORE_A_HANS, "南区：认知 中 · 情绪 中 · 行为 中",
        "3 个单位人数不足，未单独显示", "", f"完整结果：{link}",
    ])  # fmt: skip
    # Every copy in each language, and nowhere a comment (the console shows A店's: 10 respondents).
    for broadcast in headlines.values():
        assert set(broadcast.texts) == {"zh-Hans", "zh-Hant", "en"} and broadcast.must_read is False
        assert not any("培训" in text for text in broadcast.texts.values())


def test_a_wave_to_one_store_names_the_store_once_and_gives_its_count_to_its_managers(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    wave_id = _closed_wave(sessions, survey_key, ["unit:东区-A店"], {p: 5 for p in org["东区-A店"][:10]})
    with transaction(sessions) as session:
        assert _announce(session) == 3
        headlines = _headlines(session)
    assert set(headlines) == {org["A manager"][0], org["east manager"][0], org["admin"][0]}
    # The whole wave, 总部 and 东区 are the same ten people as A店: one line says it, not four.
    assert headlines[org["admin"][0]].text == "\n".join(
        [
            TITLE_HANS,
            "邀请 12 人，10 人完成。",
            "",
            STORE_A_HANS,
            "",
            f"完整结果：{CONSOLE}/surveys/{wave_id}",
        ]
    )
    assert "\n10 of 12 invited answered.\n\n东区-A店: cognitive low" in headlines[org["east manager"][0]].text


def test_a_second_round_and_a_second_scheduler_tell_nobody_again(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    wave_id = _closed_wave(sessions, survey_key, ["unit:东区-A店"], {p: 5 for p in org["东区-A店"][:10]})
    with transaction(sessions) as session:
        # The survey file is missing: the wave waits for it rather than being passed over for good.
        assert announce_closed_waves(session, LATER, surveys={}, rules=Rules(), console_url=CONSOLE) == 0
        assert get_wave(session=session, wave_id=wave_id).announced_at is None

    with sessions() as second:
        # Another scheduler lists the wave as not yet told, before the first one commits its claim.
        second.connection(execution_options={DEFERRED_BEGIN: True})
        (seen,) = waves_to_announce(session=second, now=LATER)
        second.commit()
        with transaction(sessions) as first:
            assert _announce(first) == 3
        with second.begin():
            assert not claim_announcement(session=second, wave=seen, now=LATER)
            assert _announce(second) == 0

    with transaction(sessions) as session:
        assert _announce(session, LATER + timedelta(hours=1)) == 0
        assert len(_headlines(session)) == 3
        assert get_wave(session=session, wave_id=wave_id).announced_at == LATER


def test_a_wave_with_every_group_hidden_tells_only_the_admins_and_no_count_below_the_threshold(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    wave_id = _closed_wave(sessions, survey_key, ["unit:东区-B店"], {p: 1 for p in org["东区-B店"][:2]})
    with transaction(sessions) as session:
        assert _announce(session) == 1
        headlines = _headlines(session)
    # The admin hears that it closed with too few answers; B店's own manager and its region hear nothing.
    assert set(headlines) == {org["admin"][0]}
    assert headlines[org["admin"][0]].text == "\n".join([
        TITLE_HANS, "邀请 4 人，完成的不足 5 人。", "", "1 个单位人数不足，未单独显示", "",
        f"完整结果：{CONSOLE}/surveys/{wave_id}",
    ])  # fmt: skip
    assert "Fewer than 5 of 4 invited answered." in headlines[org["admin"][0]].texts["en"]


def test_a_wave_closed_over_a_week_before_the_scheduler_ran_is_not_told(
    sessions: sessionmaker[Session], org: dict[str, list[int]], survey_key: PairingKey
) -> None:
    _closed_wave(sessions, survey_key, ["unit:东区-A店"], {p: 5 for p in org["东区-A店"][:10]})
    with transaction(sessions) as session:
        assert _announce(session, CLOSES + timedelta(days=8)) == 0
        assert _headlines(session) == {}


def test_a_headline_too_long_for_telegram_counts_the_units_left_out_and_keeps_the_link() -> None:
    bands = {
        name: DimensionResult(n=5, mean=3.0, band=Band.MEDIUM, distribution={3: 5})
        for name in PULSE.dimensions
    }
    stores = tuple(
        GroupResult(unit=f"华东区-{n}号店", depth=2, invited=6, respondents=5, dimensions=bands)
        for n in range(400)
    )
    headline = Headline(invited=2400, respondents=2000, threshold=5, shown=stores, hidden=7)
    link = f"{CONSOLE}/surveys/9"
    link_label = {"zh-Hans": "完整结果：", "zh-Hant": "完整結果：", "en": "Full results: "}
    for language in LANGUAGES:
        text = headline_text(headline, survey=PULSE, language=language, link=link)
        assert len(text) <= MAX_TEXT
        lines = text.split("\n")
        assert lines[-2:] == ["", link_label[language] + link]
        kept = sum(1 for line in lines if "号店" in line)
        assert 50 < kept < 400
        left = 400 - kept
        more = {
            "zh-Hans": f"…等 {left} 个单位",
            "zh-Hant": f"…等 {left} 個單位",
            "en": f"…and {left} more units",
        }
        assert lines[3 + kept] == more[language] and lines[4 + kept].startswith("7 ")
    # Room for every unit: no "more" line.
    short = Headline(invited=12, respondents=10, threshold=5, shown=stores[:3], hidden=0)
    assert "…" not in headline_text(short, survey=PULSE, language="zh-Hans", link=link)
