"""When a wave closes, each manager and admin who may read some of its results gets the headline in
chat: the survey, how many answered, each shown unit's band per dimension, how many of their units
are hidden, and a link to the wave's results page in the console (``/console/surveys/{id}``, which
draws its headline from ``headline_of`` too) with the rest.

A scheduler chore (``announce_closed_waves``, a tick after the one that closes due waves). Each wave
is told once: it is claimed (``surveys.waves.claim_announcement``) in the transaction that queues its
headlines, so a second scheduler tells nobody, and a tick that fails tells nobody either and leaves
the wave to the next round. The headlines are NOTICE broadcasts, one per reader: the outbox sends
them (quiet hours, the send rate, exactly once).

Who reads what is the console's rule, not a second one: ``access.service.visible_groups`` over
``surveys.results.wave_results``. A reader sees their own units (admins: all, and the whole wave),
of those only the groups the anonymity rules show, as bands; hidden groups are counted, never
described; comments stay in the console. Someone none of whose units shows a result is not told;
an admin is told even then, since a wave that closed with too few answers is news to whoever runs
the surveys.

How many answered: the wave's own count, as the console's list of waves shows it, to those that
list shows the wave to (admins, managers of its whole audience); to a manager it does not show it
to (a store manager in a company-wide wave), the counts of their own topmost shown units. Below the
threshold the count is not given ("fewer than 5"), only how many were invited.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.access.service import Principal, may_see_audience, principal_for, visible_groups
from bot.broadcasts.models import BroadcastKind
from bot.broadcasts.service import MAX_TEXT, create_broadcast
from bot.people.models import Membership, Person, Role, Unit
from bot.surveys.definitions import Survey
from bot.surveys.models import SurveyWave
from bot.surveys.results import ROOT, GroupResult, Rules, wave_results
from bot.surveys.waves import claim_announcement, waves_to_announce
from bot.surveys.wording import RESULTS_READY, band_name, dimension_name
from bot.wording import pick
from ingest.text import LANGUAGES, Language

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Headline:
    """What one reader is told of one closed wave: nothing the console does not show them."""

    invited: int
    respondents: int | None  # None: fewer than ``threshold`` answered (how many is not said)
    threshold: int
    shown: tuple[GroupResult, ...]  # parents before children, none repeating a unit below it
    hidden: int  # their units that the anonymity rules hide
    hidden_groups: tuple[GroupResult, ...] = ()  # those units (the console words why each is hidden)


def announce_closed_waves(
    session: Session, now: datetime, *, surveys: Mapping[str, Survey], rules: Rules, console_url: str
) -> int:
    """Queue each newly closed wave's headline to its managers and admins, once; returns how many
    people were told.

    Args:
        console_url: the console's root (``{base_url}/console``); each headline links to the wave there.
    """
    told = 0
    for wave in waves_to_announce(session=session, now=now):
        survey = surveys.get(wave.survey_id)
        if survey is None:
            continue  # not claimed: the library reloads, and a survey file put back is told then
        if not claim_announcement(session=session, wave=wave, now=now):
            continue  # another scheduler has it
        groups = wave_results(session=session, wave=wave, survey=survey, rules=rules)
        parents = parents_of(session)
        link = wave_link(console_url, wave.id)
        readers = 0
        for person in _managers_and_admins(session):
            headline = headline_for(
                session=session, person=person, wave=wave, groups=groups, rules=rules, parents=parents
            )
            if headline is None:
                continue
            texts: dict[str, str] = {
                language: headline_text(headline, survey=survey, language=language, link=link)
                for language in LANGUAGES
            }
            create_broadcast(
                session=session,
                kind=BroadcastKind.NOTICE,
                text=pick(texts, person.language),
                texts=texts,
                selectors=[f"person:{person.id}"],
                send_at=now,
            )
            readers += 1
        logger.info("survey wave %s closed: headline queued for %s managers and admins", wave.id, readers)
        told += readers
    return told


def wave_link(console_url: str, wave_id: int) -> str:
    """The console page of a wave's results (``console_url`` is the console's root)."""
    return f"{console_url}/surveys/{wave_id}"


def headline_for(
    *,
    session: Session,
    person: Person,
    wave: SurveyWave,
    groups: Sequence[GroupResult],
    rules: Rules,
    parents: Mapping[str, str],
) -> Headline | None:
    """What ``person`` is told of ``wave`` (its ``groups`` from ``wave_results``), or None when they
    are not told (no unit of theirs shows a result, and not an admin).

    Args:
        parents: unit name -> its parent's name (``ROOT`` for a unit at the top).
    """
    principal = principal_for(session, person)
    return headline_of(
        session=session, principal=principal, wave=wave, groups=groups, rules=rules, parents=parents
    )


def headline_of(
    *,
    session: Session,
    principal: Principal,
    wave: SurveyWave,
    groups: Sequence[GroupResult],
    rules: Rules,
    parents: Mapping[str, str],
) -> Headline | None:
    """``headline_for`` a principal: the chat's headline and the console's results page say the same.

    Args:
        parents: unit name -> its parent's name (``ROOT`` for a unit at the top).
    """
    visible = visible_groups(session=session, principal=principal, groups=groups)
    shown = [group for group in visible if _is_shown(group)]
    if not shown and not principal.is_admin:
        return None
    children: dict[str, list[GroupResult]] = defaultdict(list)
    for group in groups:
        if group.unit != ROOT:
            children[parents.get(group.unit, ROOT)].append(group)

    def repeats_a_child(group: GroupResult) -> bool:
        # A unit whose whole audience is in one unit below it (a region in a wave sent to one of its
        # stores) would say the same again; the line names the most specific of them.
        return any(
            child.invited == group.invited
            and child.respondents == group.respondents
            and _is_shown(child) == _is_shown(group)
            for child in children.get(group.unit, [])
        )

    if may_see_audience(session=session, principal=principal, selectors=wave.audience):
        everyone = next(group for group in groups if group.unit == ROOT)
        invited, respondents = everyone.invited, everyone.respondents
    else:
        names = {group.unit for group in shown}
        top = [group for group in shown if not names & _ancestors(group.unit, parents)]
        invited, respondents = sum(g.invited for g in top), sum(g.respondents for g in top)
    hidden = tuple(
        group
        for group in visible
        if group.unit != ROOT and group.suppressed and group.invited and not repeats_a_child(group)
    )
    return Headline(
        invited=invited,
        respondents=respondents if respondents >= rules.min_respondents else None,
        threshold=rules.min_respondents,
        shown=tuple(group for group in shown if not repeats_a_child(group)),
        hidden=len(hidden),
        hidden_groups=hidden,
    )


def headline_text(
    headline: Headline, *, survey: Survey, language: Language, link: str, limit: int = MAX_TEXT
) -> str:
    """The headline in ``language``, at most ``limit`` characters: units that do not fit are
    counted in one last line ("…等 3 个单位"), and the link to the rest always comes last."""
    words = pick(RESULTS_READY, language)
    answered = (
        words["answered"].format(invited=headline.invited, respondents=headline.respondents)
        if headline.respondents is not None
        else words["answered_few"].format(invited=headline.invited, threshold=headline.threshold)
    )
    head = [words["title"].format(title=survey.title.get(language)), answered, ""]
    tail = [_counted(words, "hidden", headline.hidden)] if headline.hidden else []
    tail += ["", words["link"].format(url=link)]
    lines = [_line(group, survey=survey, language=language) for group in headline.shown]
    room = limit - len("\n".join(head + tail))  # each unit line costs its length and a line break
    if sum(len(line) + 1 for line in lines) > room:
        reserve = len(_counted(words, "more", len(lines))) + 1  # the widest "more" line there can be
        kept: list[str] = []
        for line in lines:
            if sum(len(k) + 1 for k in kept) + len(line) + 1 + reserve > room:
                break
            kept.append(line)
        lines = [*kept, _counted(words, "more", len(lines) - len(kept))]
    return "\n".join(head + lines + tail)


def _line(group: GroupResult, *, survey: Survey, language: Language) -> str:
    words = pick(RESULTS_READY, language)
    bands = words["separator"].join(
        words["band"].format(
            dimension=dimension_name(dimension, language),
            band=band_name(group.dimensions[dimension].band.value, language),
        )
        for dimension in survey.dimensions
        if dimension in group.dimensions
    )
    return words["line"].format(unit=words["overall"] if group.unit == ROOT else group.unit, bands=bands)


def _counted(words: Mapping[str, str], key: str, count: int) -> str:
    return words[f"{key}_one" if count == 1 else key].format(count=count)


def _is_shown(group: GroupResult) -> bool:
    return group.suppressed is None and bool(group.dimensions)


def parents_of(session: Session) -> dict[str, str]:
    """Unit name -> its parent's name, ``ROOT`` for a unit at the top (result groups go by name)."""
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    return {
        name: names.get(parent_id, ROOT) if parent_id is not None else ROOT
        for name, parent_id in session.execute(select(Unit.name, Unit.parent_id)).all()
    }


def _ancestors(name: str, parents: Mapping[str, str]) -> set[str]:
    found: set[str] = set()
    while (name := parents.get(name, ROOT)) != ROOT and name not in found:
        found.add(name)
    return found


def _managers_and_admins(session: Session) -> Sequence[Person]:
    """Everyone active who manages a unit or is an admin, the people the console is for."""
    managers = select(Membership.person_id).where(Membership.role == Role.MANAGER.value)
    return session.scalars(
        select(Person)
        .where(Person.active.is_(True), or_(Person.is_admin.is_(True), Person.id.in_(managers)))
        .order_by(Person.id)
    ).all()
