"""Results of a wave per unit, rolled up the tree, with the anonymity rules applied.

- A group with fewer than ``min_respondents`` completed responses shows nothing but the reason.
- Free-text comments need ``min_comment_respondents``.
- Differencing: a shown group whose respondents minus those of the shown groups below it would
  leave a small group (1 to min-1 people) is hidden too, as subtracting would reveal that small
  group. "Below" is every shown descendant nearest to it on each branch, through hidden levels: a
  hidden region between a shown company and its shown stores does not stop the company minus those
  stores from singling out the rest. Checked bottom-up, so a group hidden for this reason counts as
  hidden for the ones above it.
- Overlapping audiences: a group (a unit, or the whole wave) whose invitees in another wave of the
  same survey, close in time, differ from its own by 1 to min-1 people is hidden in both (comparing
  the two would single those people out: one store's manager invited to one wave and not the other).

"Not this time": how many declined is shown per wave, once it has closed, under the same threshold
(``declined_figure``); who declined never is, and the results do not use declines at all.

Bands: each dimension's mean is turned into a level of concern (the mean itself for resistance
surveys; 6 - mean for readiness surveys, where low scores are the worry) and banded low / medium /
high at the configured thresholds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.people.models import Membership
from bot.people.service import unit_tree
from bot.surveys.definitions import Scoring, Survey
from bot.surveys.models import SurveyInvitation, SurveyResponse, SurveyWave, WaveStatus

ROOT = "*"


class Band(StrEnum):
    """How worrying a dimension's mean is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Rules:
    """Anonymity thresholds and band limits (from the settings)."""

    min_respondents: int = 5
    min_comment_respondents: int = 10
    band_medium: float = 2.6
    band_high: float = 3.4

    def __post_init__(self) -> None:
        if self.min_respondents < 3:
            raise ValueError("the anonymity threshold is never below 3")


@dataclass(frozen=True, slots=True)
class DimensionResult:
    """One dimension in one group."""

    n: int
    mean: float
    band: Band
    distribution: dict[int, int]  # rounded personal score 1..5 -> people


@dataclass
class GroupResult:
    """A unit (with everything under it), or the whole wave (``unit == "*"``)."""

    unit: str
    depth: int
    invited: int
    respondents: int
    suppressed: str | None = None
    dimensions: dict[str, DimensionResult] = field(default_factory=dict)
    barriers: dict[str, int] = field(default_factory=dict)  # readiness surveys: barrier point -> people
    comments: list[str] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        """Share of the invited who answered (None when hidden or nobody was invited)."""
        if self.suppressed or not self.invited:
            return None
        return min(1.0, self.respondents / self.invited)


def band_of(mean: float, *, scoring: Scoring, rules: Rules) -> Band:
    """The band of a dimension mean."""
    concern = mean if scoring == Scoring.RESISTANCE else 6.0 - mean
    if concern >= rules.band_high:
        return Band.HIGH
    if concern >= rules.band_medium:
        return Band.MEDIUM
    return Band.LOW


def _summarise(group: GroupResult, responses: list[SurveyResponse], survey: Survey, rules: Rules) -> None:
    for dimension in survey.dimensions:
        values = [r.scores[dimension] for r in responses if dimension in r.scores]
        if not values:
            continue
        mean = sum(values) / len(values)
        group.dimensions[dimension] = DimensionResult(
            n=len(values),
            mean=round(mean, 2),
            band=band_of(mean, scoring=survey.scoring, rules=rules),
            distribution=dict(sorted(Counter(min(5, max(1, round(v))) for v in values).items())),
        )
    if survey.scoring == Scoring.READINESS:
        counts = Counter(r.barrier or "none" for r in responses)
        group.barriers = {name: counts[name] for name in [*survey.dimensions, "none"] if counts[name]}
    if len(responses) >= rules.min_comment_respondents:
        text_questions = [q.id for q in survey.questions if q.type == "text"]
        group.comments = sorted(
            str(r.answers[qid]) for r in responses for qid in text_questions if r.answers.get(qid)
        )  # sorted, not in answer order: order could hint at who wrote what


OVERLAP_WINDOW = timedelta(days=14)


def _overlapping_waves(*, session: Session, wave: SurveyWave) -> list[SurveyWave]:
    """Other waves of the same survey open or closed within ``OVERLAP_WINDOW`` of this one."""
    return list(
        session.scalars(
            select(SurveyWave).where(
                SurveyWave.survey_id == wave.survey_id,
                SurveyWave.id != wave.id,
                SurveyWave.status.in_(["open", "closed"]),
                SurveyWave.opens_at <= wave.closes_at + OVERLAP_WINDOW,
                SurveyWave.closes_at >= wave.opens_at - OVERLAP_WINDOW,
            )
        ).all()
    )


def _invitees(session: Session, wave_id: int) -> set[int]:
    return set(
        session.scalars(select(SurveyInvitation.person_id).where(SurveyInvitation.wave_id == wave_id)).all()
    )


def _overlap_reasons(
    *, session: Session, wave: SurveyWave, people_under: dict[int | None, set[int]], rules: Rules
) -> dict[int | None, str]:
    """Why each group must stay hidden because of another wave of the same survey, where it must.

    Two waves close in time whose invitees in one group differ by only a few people could be
    compared to read those few people's answers (opinions change slowly). Invitees, not respondents:
    who answered is not stored (that is the anonymity), and invitees contain them.
    """
    others = _overlapping_waves(session=session, wave=wave)
    if not others:
        return {}
    mine = _invitees(session, wave.id)
    reasons: dict[int | None, str] = {}
    for other in others:
        theirs = _invitees(session, other.id)
        for key, people in people_under.items():
            here, there = mine & people, theirs & people
            if key not in reasons and here & there and 0 < len(here ^ there) < rules.min_respondents:
                reasons[key] = (
                    f"hidden: here the audience differs from wave {other.id}'s by fewer than "
                    f"{rules.min_respondents} people, so comparing the two could reveal their answers"
                )
    return reasons


def wave_results(*, session: Session, wave: SurveyWave, survey: Survey, rules: Rules) -> list[GroupResult]:
    """The whole wave first, then every unit (parents before children), rules applied."""
    responses = list(
        session.scalars(
            select(SurveyResponse).where(
                SurveyResponse.wave_id == wave.id, SurveyResponse.completed.is_(True)
            )
        ).all()
    )
    direct: dict[int | None, list[SurveyResponse]] = defaultdict(list)
    for response in responses:
        direct[response.unit_id].append(response)
    tree = unit_tree(session=session)
    children: dict[int | None, list[int]] = defaultdict(list)
    for _, unit in tree:
        children[unit.parent_id].append(unit.id)
    invited_direct = {int(unit_id): count for unit_id, count in wave.invited_by_unit.items()}

    def under(unit_id: int) -> list[SurveyResponse]:
        found = list(direct.get(unit_id, []))
        for child in children.get(unit_id, []):
            found += under(child)
        return found

    def invited_under(unit_id: int) -> int:
        return invited_direct.get(unit_id, 0) + sum(
            invited_under(child) for child in children.get(unit_id, [])
        )

    members_of: dict[int, set[int]] = defaultdict(set)
    for person_id, unit_id in session.execute(select(Membership.person_id, Membership.unit_id)).all():
        members_of[unit_id].add(person_id)

    def people_below(unit_id: int) -> set[int]:
        found = set(members_of.get(unit_id, set()))
        for child in children.get(unit_id, []):
            found |= people_below(child)
        return found

    people_under: dict[int | None, set[int]] = {
        None: set().union(*members_of.values(), _invitees(session, wave.id))
    }
    people_under.update({unit.id: people_below(unit.id) for _, unit in tree})

    groups: dict[int | None, GroupResult] = {
        None: GroupResult(unit=ROOT, depth=0, invited=wave.invited, respondents=len(responses))
    }
    members: dict[int | None, list[SurveyResponse]] = {None: responses}
    for depth, unit in tree:
        members[unit.id] = under(unit.id)
        groups[unit.id] = GroupResult(
            unit=unit.name, depth=depth + 1, invited=invited_under(unit.id), respondents=len(members[unit.id])
        )

    overlaps = _overlap_reasons(session=session, wave=wave, people_under=people_under, rules=rules)
    for key, group in groups.items():
        if key in overlaps:
            group.suppressed = overlaps[key]
        elif group.respondents < rules.min_respondents:
            group.suppressed = f"fewer than {rules.min_respondents} respondents"

    def nearest_shown(key: int | None) -> list[int]:
        """The shown groups below ``key`` with no shown group between (looking through hidden ones)."""
        found: list[int] = []
        for child in children.get(key, []):
            found += [child] if not groups[child].suppressed else nearest_shown(child)
        return found

    # Differencing, deepest groups first: what a shown group holds beyond the shown groups below it
    # must be either nothing or a group big enough to be shown on its own.
    order = [unit.id for _, unit in sorted(tree, key=lambda item: -item[0])] + [None]
    for key in order:
        group = groups[key]
        if group.suppressed:
            continue
        shown_below = sum(groups[c].respondents for c in nearest_shown(key))
        rest = group.respondents - shown_below
        if 0 < rest < rules.min_respondents and shown_below > 0:
            group.suppressed = (
                f"hidden: subtracting the units shown below it would reveal fewer than "
                f"{rules.min_respondents} respondents"
            )

    ordered = [groups[None]] + [groups[unit.id] for _, unit in tree]
    for group_key, group in [(None, groups[None]), *((unit.id, groups[unit.id]) for _, unit in tree)]:
        if not group.suppressed:
            _summarise(group, members[group_key], survey, rules)
    return ordered


def trend(
    *, session: Session, survey: Survey, rules: Rules, unit: str = ROOT, limit: int = 12
) -> list[tuple[SurveyWave, GroupResult]]:
    """One group's results across the survey's closed waves, oldest first (hidden where the rules say)."""
    closed = session.scalars(
        select(SurveyWave)
        .where(SurveyWave.survey_id == survey.id, SurveyWave.status == "closed")
        .order_by(SurveyWave.closes_at.desc())
        .limit(limit)
    ).all()
    rows = []
    for wave in reversed(closed):
        for group in wave_results(session=session, wave=wave, survey=survey, rules=rules):
            if group.unit == unit:
                rows.append((wave, group))
    return rows


def results_as_dict(groups: list[GroupResult]) -> list[dict[str, object]]:
    """The results as plain data (for JSON and the API); hidden groups carry only the reason."""
    rows: list[dict[str, object]] = []
    for group in groups:
        row: dict[str, object] = {"unit": group.unit, "depth": group.depth, "invited": group.invited}
        if group.suppressed:
            row["suppressed"] = group.suppressed
        else:
            row.update(
                respondents=group.respondents,
                response_rate=None if group.response_rate is None else round(group.response_rate, 3),
                dimensions={
                    name: {
                        "n": result.n,
                        "mean": result.mean,
                        "band": result.band.value,
                        "distribution": {str(k): v for k, v in result.distribution.items()},
                    }
                    for name, result in group.dimensions.items()
                },
            )
            if group.barriers:
                row["barriers"] = group.barriers
            if group.comments:
                row["comments"] = group.comments
        rows.append(row)
    return rows


def declined_figure(*, session: Session, wave: SurveyWave, rules: Rules) -> int | None:
    """How many of a closed wave's invitees said "not this time", or None where the count could tell
    who: while the wave is open (a count going up as people press would), when fewer than
    ``min_respondents`` declined or fewer than that did not (all but a few declined says the rest
    did), and when the whole wave's results are hidden because an overlapping wave's invitees differ
    by a few people (comparing the two counts would tell about those few). Per wave only, never per
    unit: the declines are counted at close, without their units."""
    if wave.status != WaveStatus.CLOSED.value:
        return None
    if not rules.min_respondents <= wave.declined <= wave.invited - rules.min_respondents:
        return None
    everyone = set(session.scalars(select(Membership.person_id)).all()) | _invitees(session, wave.id)
    if None in _overlap_reasons(session=session, wave=wave, people_under={None: everyone}, rules=rules):
        return None
    return wave.declined


def wave_status(*, session: Session, wave: SurveyWave) -> dict[str, object]:
    """How a wave is going: open or closed, invited, finished, response rate (never any answers)."""
    finished = (
        session.scalar(
            select(func.count()).where(SurveyResponse.wave_id == wave.id, SurveyResponse.completed.is_(True))
        )
        or 0
    )
    return {
        "wave": wave.id,
        "survey": wave.survey_id,
        "status": wave.status,
        "anonymous": wave.anonymous,
        "opens_at": wave.opens_at.isoformat(timespec="minutes"),
        "closes_at": wave.closes_at.isoformat(timespec="minutes"),
        "invited": wave.invited,
        "respondents": int(finished),
        "response_rate": round(finished / wave.invited, 3) if wave.invited else None,
        "reminded": wave.reminded,
    }
