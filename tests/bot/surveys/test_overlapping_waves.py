"""Two waves of one survey close in time (issue 16, item 4): a group is hidden where comparing them
would tell about a few people, whether the invitees differ by a few or only the respondents do."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.storage.database import transaction
from bot.surveys.pairing import PairingKey
from bot.surveys.results import GroupResult, Hidden, wave_results
from bot.surveys.waves import close_wave, get_wave
from tests.bot.surveys.test_survey_declines import CLOSES, PULSE, RULES, _answer, _launch, staff  # noqa: F401

EVERY_QUESTION = len(PULSE.questions)


def _groups(session: Session, wave_id: int) -> dict[str, GroupResult]:
    return {
        g.unit: g
        for g in wave_results(
            session=session, wave=get_wave(session=session, wave_id=wave_id), survey=PULSE, rules=RULES
        )
    }


def _two_waves(
    sessions: sessionmaker[Session],
    staff: dict[str, list[int]],  # noqa: F811
    key: PairingKey,
    *,
    first: int,
    second: int,
    second_selectors: tuple[str, ...] = ("unit:门店A",),
) -> tuple[int, int]:
    with transaction(sessions) as session:
        one, two = _launch(session), _launch(session, second_selectors)
        for wave, answering in ((one, first), (two, second)):
            for person_id in staff["门店A"][:answering]:
                _answer(session, wave, person_id, key, questions=EVERY_QUESTION)
            close_wave(session=session, wave=wave, now=CLOSES)
        return one.id, two.id


def test_the_same_people_asked_but_a_few_more_answered_is_hidden_in_both(
    sessions: sessionmaker[Session],
    staff: dict[str, list[int]],  # noqa: F811
    survey_key: PairingKey,
) -> None:
    one, two = _two_waves(sessions, staff, survey_key, first=10, second=8)  # two answers apart
    with sessions() as session:
        for wave_id, other in ((one, two), (two, one)):
            store = _groups(session, wave_id)["门店A"]
            assert store.hidden_because == Hidden.OVERLAP and not store.dimensions
            assert f"respondents differ from wave {other}'s" in store.suppressed


def test_waves_far_enough_apart_in_respondents_are_both_shown(
    sessions: sessionmaker[Session],
    staff: dict[str, list[int]],  # noqa: F811
    survey_key: PairingKey,
) -> None:
    for first, second in ((10, 10), (10, 5)):  # the same count tells nothing; five apart is a group
        one, two = _two_waves(sessions, staff, survey_key, first=first, second=second)
        with sessions() as session:
            for wave_id in (one, two):
                store = _groups(session, wave_id)["门店A"]
                assert not store.suppressed and store.dimensions, (first, second, store.suppressed)


def test_invitees_a_few_apart_are_hidden_where_they_differ(
    sessions: sessionmaker[Session],
    staff: dict[str, list[int]],  # noqa: F811
    survey_key: PairingKey,
) -> None:
    # The second wave asks the whole company: 门店B's two more people at 总部, the same people at 门店A.
    one, two = _two_waves(sessions, staff, survey_key, first=10, second=10, second_selectors=("unit:总部",))
    with sessions() as session:
        company = _groups(session, two)["总部"]
        assert company.hidden_because == Hidden.OVERLAP and "audience differs" in company.suppressed
        store = _groups(session, two)["门店A"]
        assert not store.suppressed and store.dimensions  # same invitees, same number of answers
