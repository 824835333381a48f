"""Alerts to managers when a unit turns orange or red or a resistance level turns high, with two or
three suggested responses retrieved from the library for that situation (each with its source), and
the escalations after two and three red weeks. One alert per unit per change; mutes respected.

The advice is retrieved, not written here: ``SITUATIONS`` only says what to look for, so editing the
playbooks changes what managers are told.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.people.models import Person, Unit
from bot.people.service import managers_of
from bot.rollout.lights import LightRules, flags_of, previous_light, red_streak
from bot.rollout.models import Light, RolloutAlert, UnitLight, UnitMute
from bot.rollout.wording import (
    CLAUSE_SEPARATOR,
    DOMINANT,
    ESCALATION,
    FULL_STOP,
    LEVEL_NAMES,
    LIGHT_ALERT,
    LIGHT_NAMES,
    LINE_NAMES,
    LIST_SEPARATOR,
    NONE_YET,
    RESISTANCE_ALERT,
    RESISTANCE_FLAG,
    SOURCE,
    SUGGESTIONS,
    UNANSWERED_FLAG,
    USAGE_BELOW,
    USAGE_ONLY,
)
from bot.storage.base import utc_now
from bot.wording import pick, reader_language, say
from ingest.text import LANGUAGES

# What to look for in the library in each situation (queries in the library's main language).
SITUATIONS: dict[str, str] = {
    "red": "红灯 使用率低于40% 深入诊断 暂停 重新培训 怎么办",
    "orange": "橙灯 使用率40%到60% 改进计划 教练介入 怎么办",
    "cognitive": "认知层抵触 不理解为什么要换 讲清原因 用数据说话 常见问题",
    "emotional": "情绪层抵触 担心 不喜欢 一对一辅导 快速见效 同伴成功故事",
    "behavioural": "行为层抵触 不配合 明确要求 激励 考核 升级处理",
    # The ADKAR elements, for a closed ADKAR check's results page (``reporting.wave_report``).
    "awareness": "讲清为什么要换 原因 愿景 一句话愿景 反复讲",
    "desire": "不愿意 担心 一对一 同伴成功故事 关键用户 先接住情绪",
    "knowledge": "培训 练习 操作 不会用 常见问题 速查",
    "ability": "店里忙 做不出来 分级辅导 教练 现场辅导 关键用户",
    "reinforcement": "认可 表扬 激励 每周成功故事 坚持 新做法变成习惯",
}
MAX_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A response found in the library."""

    title: str
    source: str
    excerpt: str  # whole sentences of the passage, as the alert quotes them


Search = Callable[[str], Sequence[Suggestion]]
"""Finds suggestions for a situation query (the caller wires it to the knowledge core)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for some people, already worded in their language."""

    person_ids: tuple[int, ...]
    language: str
    text: str


def _suggestions_text(search: Search, situation: str, language: str) -> tuple[str, list[str]]:
    found = list(search(SITUATIONS[situation]))[:MAX_SUGGESTIONS]
    if not found:
        return "", []
    lines = [say(SUGGESTIONS, language)]
    for number, item in enumerate(found, start=1):
        lines.append(
            f"{number}. {item.title}：{item.excerpt}"
            if language != "en"
            else f"{number}. {item.title}: {item.excerpt}"
        )
        lines.append(f"   {say(SOURCE, language)}: {item.source}")
    return "\n".join(lines), [item.source for item in found]


def reason_sentence(row: UnitLight, rules: LightRules, language: str) -> str:
    """Why ``row``'s light is what it is, as a sentence in ``language``: "使用率 45%，低于橙灯线 60%。"
    and what made it a level worse, from the figures and flags the evaluation kept."""
    usage = Light(row.usage_light or row.light)
    rate = f"{row.usage_rate:.0%}"
    thresholds = {Light.ORANGE: rules.yellow_from, Light.RED: rules.orange_from}
    if usage in thresholds:
        clauses = [
            say(
                USAGE_BELOW,
                language,
                rate=rate,
                line=pick(LINE_NAMES, language)[usage.value],
                threshold=f"{thresholds[usage]:.0%}",
            )
        ]
    else:
        clauses = [say(USAGE_ONLY, language, rate=rate, light=pick(LIGHT_NAMES, language)[usage.value])]
    flags = flags_of(row)
    if flags.high_resistance:
        levels = say(LIST_SEPARATOR, language).join(
            pick(LEVEL_NAMES, language).get(level, level) for level in flags.high_resistance
        )
        clauses.append(say(RESISTANCE_FLAG, language, levels=levels))
    if flags.unanswered_rising and row.unanswered_rate is not None:
        clauses.append(say(UNANSWERED_FLAG, language, rate=f"{row.unanswered_rate:.0%}"))
    sentence = say(CLAUSE_SEPARATOR, language).join(clauses) + say(FULL_STOP, language)
    return sentence[:1].upper() + sentence[1:]


def _muted(session: Session, unit_id: int, now: datetime) -> set[int]:
    return set(
        session.scalars(
            select(UnitMute.person_id).where(UnitMute.unit_id == unit_id, UnitMute.until > now)
        ).all()
    )


def _by_language(people: Sequence[Person]) -> dict[str, tuple[int, ...]]:
    grouped: dict[str, list[int]] = {}
    for person in people:
        grouped.setdefault(reader_language(person.language), []).append(person.id)
    return {language: tuple(ids) for language, ids in grouped.items()}


def _last_state(session: Session, unit_id: int, kind: str) -> str | None:
    return session.scalar(
        select(RolloutAlert.state)
        .where(RolloutAlert.unit_id == unit_id, RolloutAlert.kind == kind)
        .order_by(RolloutAlert.week.desc(), RolloutAlert.id.desc())
        .limit(1)
    )


def _admins(session: Session) -> list[Person]:
    return list(
        session.scalars(select(Person).where(Person.is_admin.is_(True), Person.active.is_(True))).all()
    )


def check_alerts(
    *,
    session: Session,
    week: date,
    rules: LightRules,
    search: Search,
    resistance: Mapping[int, Mapping[str, str]] | None = None,
    now: datetime | None = None,
) -> list[Notice]:
    """Decide and record this week's alerts; returns the notices to deliver (nothing twice).

    ``resistance``: unit id -> {dimension: band} from the unit's latest closed pulse.
    """
    now = now or utc_now()
    resistance = resistance or {}
    notices: list[Notice] = []
    for row in session.scalars(select(UnitLight).where(UnitLight.week == week)).all():
        unit = session.get(Unit, row.unit_id)
        if unit is None:
            continue
        light = Light(row.light)
        levels = resistance.get(unit.id, {})
        high = [dimension for dimension, band in levels.items() if band == "high"]
        dominant = high[0] if high else None
        muted = _muted(session, unit.id, now)
        managers = [person for person in managers_of(session=session, unit=unit) if person.id not in muted]

        # The light turned orange or red (or changed between them): one alert per change.
        state = light.value
        if light in (Light.ORANGE, Light.RED) and _last_state(session, unit.id, "light") != state:
            before = previous_light(session=session, unit_id=unit.id, week=week)
            if before is None or before != light:
                headlines: dict[str, str] = {
                    lang: say(
                        LIGHT_ALERT,
                        lang,
                        unit=unit.name,
                        light=pick(LIGHT_NAMES, lang)[light.value],
                        before=pick(LIGHT_NAMES, lang)[before.value] if before else say(NONE_YET, lang),
                        reasons=reason_sentence(row, rules, lang),
                    )
                    + (
                        f"\n{say(DOMINANT, lang, level=pick(LEVEL_NAMES, lang)[dominant])}"
                        if dominant
                        else ""
                    )
                    for lang in LANGUAGES
                }
                notices += _alert(session, unit, week, "light", state, managers, search, state, headlines)
        elif light in (Light.GREEN, Light.YELLOW) and _last_state(session, unit.id, "light") not in (
            None,
            "recovered",
        ):
            session.add(
                RolloutAlert(
                    unit_id=unit.id, week=week, kind="light", state="recovered", text="", recipients=[]
                )
            )

        # A resistance level turned high.
        for dimension in high:
            kind = f"resistance-{dimension}"
            if _last_state(session, unit.id, kind) != "high":
                headlines = {
                    lang: say(
                        RESISTANCE_ALERT, lang, unit=unit.name, level=pick(LEVEL_NAMES, lang)[dimension]
                    )
                    for lang in LANGUAGES
                }
                notices += _alert(session, unit, week, kind, "high", managers, search, dimension, headlines)
        for dimension, band in levels.items():
            kind = f"resistance-{dimension}"
            if band != "high" and _last_state(session, unit.id, kind) == "high":
                session.add(
                    RolloutAlert(unit_id=unit.id, week=week, kind=kind, state=band, text="", recipients=[])
                )

        # Escalation after red weeks in a row.
        streak = red_streak(session=session, unit_id=unit.id, week=week)
        if streak == rules.region_after_red_weeks and unit.parent is not None:
            region = [p for p in managers_of(session=session, unit=unit.parent) if p.id not in muted]
            notices += _escalate(
                session,
                unit,
                week,
                "escalation-region",
                streak,
                region or _admins(session),
                row,
                search,
                rules,
            )
        elif streak == rules.admins_after_red_weeks:
            notices += _escalate(
                session, unit, week, "escalation-admins", streak, _admins(session), row, search, rules
            )
    session.flush()
    return notices


def _alert(
    session: Session,
    unit: Unit,
    week: date,
    kind: str,
    state: str,
    people: Sequence[Person],
    search: Search,
    situation: str,
    headlines: Mapping[str, str],
) -> list[Notice]:
    if session.scalar(
        select(RolloutAlert.id).where(
            RolloutAlert.unit_id == unit.id, RolloutAlert.week == week, RolloutAlert.kind == kind
        )
    ):
        return []  # already decided this week
    notices = []
    texts = []
    for language, ids in _by_language(people).items():
        advice, _ = _suggestions_text(search, situation, language)
        text = pick(headlines, language) + (f"\n\n{advice}" if advice else "")
        notices.append(Notice(person_ids=ids, language=language, text=text))
        texts.append(text)
    session.add(
        RolloutAlert(
            unit_id=unit.id, week=week, kind=kind, state=state, text="\n---\n".join(texts),
            recipients=[person.id for person in people],
        )
    )  # fmt: skip
    return notices


def _escalate(
    session: Session,
    unit: Unit,
    week: date,
    kind: str,
    streak: int,
    people: Sequence[Person],
    row: UnitLight,
    search: Search,
    rules: LightRules,
) -> list[Notice]:
    headlines: dict[str, str] = {
        lang: say(ESCALATION, lang, unit=unit.name, weeks=streak, reasons=reason_sentence(row, rules, lang))
        for lang in LANGUAGES
    }
    return _alert(session, unit, week, kind, f"red x{streak}", people, search, "red", headlines)


def mute_unit(*, session: Session, unit: Unit, person: Person, until: datetime) -> UnitMute:
    """Silence alerts about ``unit`` for ``person`` until ``until``."""
    mute = session.scalar(
        select(UnitMute).where(UnitMute.unit_id == unit.id, UnitMute.person_id == person.id)
    )
    if mute is None:
        mute = UnitMute(unit_id=unit.id, person_id=person.id, until=until)
        session.add(mute)
    mute.until = until
    session.flush()
    return mute
