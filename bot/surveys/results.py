"""Results of a wave per unit, rolled up the tree, with the anonymity rules applied.

- A group with fewer than ``min_respondents`` completed responses shows nothing but the reason.
- Free-text comments need ``min_comment_respondents``, and the same differencing at that threshold:
  a group's comments minus those of the groups below it whose comments are shown must leave none or
  at least ``min_comment_respondents`` people's, or its comments are withheld.
- Per question: the spread of a shown group's answers, where at least ``min_respondents`` of its
  people answered that question; hidden groups have none, so the same differencing protects them.
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
from collections.abc import Collection, Mapping
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


class Hidden(StrEnum):
    """Why a group's results, or only its comments, are not shown (pages word it; ``suppressed`` is
    the same in English for the API and the CLI)."""

    FEW = "few"  # fewer than min_respondents answered
    DIFFERENCING = "differencing"  # subtracting the groups shown below it would single people out
    OVERLAP = "overlap"  # another wave of the survey close in time had nearly the same audience
    COMMENTS_FEW = "comments-few"  # shown, but fewer than min_comment_respondents answered
    COMMENTS_DIFFERENCING = "comments-differencing"  # its comments minus those shown below: too few people


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
    hidden_because: Hidden | None = None  # set with ``suppressed``
    dimensions: dict[str, DimensionResult] = field(default_factory=dict)
    barriers: dict[str, int] = field(default_factory=dict)  # readiness surveys: barrier point -> people
    # Per question, shown groups only: likert question -> answer 1..5 -> people; choice -> option -> people.
    ratings: dict[str, dict[int, int]] = field(default_factory=dict)
    choices: dict[str, dict[str, int]] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    comments_written: int = 0  # shown groups: how many comments its people wrote, shown or not
    comments_hidden_because: Hidden | None = None  # shown groups whose comments are withheld

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
    """A shown group's figures; its comments are only counted here (``_decide_comments`` shows them)."""
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
    for question in survey.questions:
        given = [r.answers.get(question.id) for r in responses]
        if question.type == "likert":
            ratings = [v for v in given if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5]
            if len(ratings) >= rules.min_respondents:  # an optional item few answered shows nothing
                group.ratings[question.id] = {value: ratings.count(value) for value in range(1, 6)}
        elif question.type == "choice":
            picked = [v for v in given if isinstance(v, str)]
            if len(picked) >= rules.min_respondents:
                group.choices[question.id] = {o.id: picked.count(o.id) for o in question.options}
    group.comments_written = len(_comments(responses, survey))


def _comments(responses: list[SurveyResponse], survey: Survey) -> list[str]:
    text_questions = [q.id for q in survey.questions if q.type == "text"]
    return sorted(
        str(r.answers[qid]) for r in responses for qid in text_questions if r.answers.get(qid)
    )  # sorted, not in answer order: order could hint at who wrote what


Key = int | None  # a unit id, or None for the whole wave


def _differenced(
    *,
    order: list[Key],
    children: Mapping[Key, list[int]],
    shown: dict[Key, bool],
    respondents: Mapping[Key, int],
    threshold: int,
) -> list[Key]:
    """The shown groups to hide so that none, minus the shown groups nearest below it on each branch
    (looking through hidden ones), leaves 1 to ``threshold - 1`` people; ``order`` is deepest first,
    so a group hidden here counts as hidden for those above it. Updates ``shown``."""

    def nearest_shown(key: Key) -> list[int]:
        found: list[int] = []
        for child in children.get(key, []):
            found += [child] if shown[child] else nearest_shown(child)
        return found

    hidden: list[Key] = []
    for key in order:
        if not shown[key]:
            continue
        shown_below = sum(respondents[c] for c in nearest_shown(key))
        rest = respondents[key] - shown_below
        if 0 < rest < threshold and shown_below > 0:
            shown[key] = False
            hidden.append(key)
    return hidden


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


def _respondents_by_unit(session: Session, wave_id: int) -> dict[int | None, int]:
    """Completed answers per unit of one wave (the unit is stored with each answer; the person is not)."""
    rows = session.execute(
        select(SurveyResponse.unit_id, func.count())
        .where(SurveyResponse.wave_id == wave_id, SurveyResponse.completed.is_(True))
        .group_by(SurveyResponse.unit_id)
    ).all()
    return {unit_id: int(count) for unit_id, count in rows}


def _overlap_reasons(
    *,
    session: Session,
    wave: SurveyWave,
    people_under: dict[int | None, set[int]],
    units_under: dict[int | None, set[int] | None],
    rules: Rules,
) -> dict[int | None, str]:
    """Why each group must stay hidden because of another wave of the same survey, where it must.

    Two waves close in time that one group took part in could be compared to read a few people's
    answers (opinions change slowly): where the invitees differ by only a few people, or where the
    respondents do (mostly the same people asked, but a few more or fewer answered). Who answered is not
    stored (that is the anonymity): invitees are compared by person, respondents by their number.
    ``units_under``: the units each group holds (None: every unit, the whole wave).
    """
    others = _overlapping_waves(session=session, wave=wave)
    if not others:
        return {}
    mine = _invitees(session, wave.id)
    answered_here = _respondents_by_unit(session, wave.id)

    def respondents(counts: dict[int | None, int], key: int | None) -> int:
        units = units_under.get(key)
        return sum(counts.values()) if units is None else sum(counts.get(unit, 0) for unit in units)

    reasons: dict[int | None, str] = {}
    for other in others:
        theirs = _invitees(session, other.id)
        answered_there = _respondents_by_unit(session, other.id)
        for key, people in people_under.items():
            here, there = mine & people, theirs & people
            if key in reasons or not here & there:
                continue
            if 0 < len(here ^ there) < rules.min_respondents:
                reasons[key] = (
                    f"hidden: here the audience differs from wave {other.id}'s by fewer than "
                    f"{rules.min_respondents} people, so comparing the two could reveal their answers"
                )
            elif (
                # Enough people asked both times that the two sets of answers could be mostly the
                # same people's; with fewer in common, the waves asked different groups.
                len(here & there) >= rules.min_respondents
                and 0
                < abs(respondents(answered_here, key) - respondents(answered_there, key))
                < rules.min_respondents
            ):
                reasons[key] = (
                    f"hidden: here the respondents differ from wave {other.id}'s by fewer than "
                    f"{rules.min_respondents}, so comparing the two could reveal their answers"
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

    def units_below(unit_id: int) -> set[int]:
        found = {unit_id}
        for child in children.get(unit_id, []):
            found |= units_below(child)
        return found

    units_under: dict[int | None, set[int] | None] = {None: None}
    units_under.update({unit.id: units_below(unit.id) for _, unit in tree})
    overlaps = _overlap_reasons(
        session=session, wave=wave, people_under=people_under, units_under=units_under, rules=rules
    )
    for key, group in groups.items():
        if key in overlaps:
            group.suppressed, group.hidden_because = overlaps[key], Hidden.OVERLAP
        elif group.respondents < rules.min_respondents:
            group.suppressed = f"fewer than {rules.min_respondents} respondents"
            group.hidden_because = Hidden.FEW

    # Differencing, deepest groups first: what a shown group holds beyond the shown groups below it
    # must be either nothing or a group big enough to be shown on its own.
    order: list[Key] = [unit.id for _, unit in sorted(tree, key=lambda item: -item[0])] + [None]
    respondents = {key: group.respondents for key, group in groups.items()}
    shown = {key: not group.suppressed for key, group in groups.items()}
    for key in _differenced(
        order=order, children=children, shown=shown, respondents=respondents, threshold=rules.min_respondents
    ):
        groups[key].suppressed = (
            f"hidden: subtracting the units shown below it would reveal fewer than "
            f"{rules.min_respondents} respondents"
        )
        groups[key].hidden_because = Hidden.DIFFERENCING

    keys: list[Key] = [None, *(unit.id for _, unit in tree)]
    for key in keys:
        if not groups[key].suppressed:
            _summarise(groups[key], members[key], survey, rules)
    _decide_comments(groups, members, survey=survey, rules=rules, order=order, children=children)
    return [groups[key] for key in keys]


def _decide_comments(
    groups: Mapping[Key, GroupResult],
    members: Mapping[Key, list[SurveyResponse]],
    *,
    survey: Survey,
    rules: Rules,
    order: list[Key],
    children: Mapping[Key, list[int]],
) -> None:
    """Comments for the shown groups big enough for them, differenced at the comment threshold: a
    group's comments minus those of the groups below it would otherwise be a small group's."""
    shown = {
        key: not g.suppressed and g.respondents >= rules.min_comment_respondents for key, g in groups.items()
    }
    for key, group in groups.items():
        if not group.suppressed and not shown[key]:
            group.comments_hidden_because = Hidden.COMMENTS_FEW
    respondents = {key: group.respondents for key, group in groups.items()}
    for key in _differenced(
        order=order, children=children, shown=shown, respondents=respondents,
        threshold=rules.min_comment_respondents,
    ):  # fmt: skip
        groups[key].comments_hidden_because = Hidden.COMMENTS_DIFFERENCING
    for key, group in groups.items():
        if shown[key]:
            group.comments = _comments(members[key], survey)


def trend(
    *, session: Session, survey: Survey, rules: Rules, unit: str = ROOT, limit: int = 12
) -> list[tuple[SurveyWave, GroupResult]]:
    """One group's results across the survey's closed waves, oldest first (hidden where the rules say)."""
    return trends(session=session, survey=survey, rules=rules, units=[unit], limit=limit)[unit]


def trends(
    *,
    session: Session,
    survey: Survey,
    rules: Rules,
    units: Collection[str],
    until: SurveyWave | None = None,
    limit: int = 12,
) -> dict[str, list[tuple[SurveyWave, GroupResult]]]:
    """Several groups' results across the survey's closed waves, oldest first, each wave's results
    worked out once (hidden where that wave's rules say).

    Args:
        units: the groups by name (``ROOT`` for the whole wave).
        until: only this wave and those that closed before it.
    """
    query = select(SurveyWave).where(SurveyWave.survey_id == survey.id, SurveyWave.status == "closed")
    if until is not None:
        query = query.where(SurveyWave.closes_at <= until.closes_at)
    closed = session.scalars(
        query.order_by(SurveyWave.closes_at.desc(), SurveyWave.id.desc()).limit(limit)
    ).all()
    rows: dict[str, list[tuple[SurveyWave, GroupResult]]] = {unit: [] for unit in units}
    for wave in reversed(closed):
        for group in wave_results(session=session, wave=wave, survey=survey, rules=rules):
            if group.unit in rows:
                rows[group.unit].append((wave, group))
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
            if group.ratings:
                row["questions"] = {
                    qid: {str(k): v for k, v in counts.items()} for qid, counts in group.ratings.items()
                }
            if group.choices:
                row["choices"] = group.choices
            if group.comments:
                row["comments"] = group.comments
        rows.append(row)
    return rows


def declined_figure(*, session: Session, wave: SurveyWave, rules: Rules) -> int | None:
    """How many of a closed wave's invitees said "not this time", or None where the count could tell
    who: while the wave is open (a count going up as people press would), when fewer than
    ``min_respondents`` declined or fewer than that did not (all but a few declined says the rest
    did), and when the whole wave's results are hidden because an overlapping wave's invitees or
    respondents differ by a few people (comparing the two counts would tell about those few). Per wave only, never per
    unit: the declines are counted at close, without their units."""
    if wave.status != WaveStatus.CLOSED.value:
        return None
    if not rules.min_respondents <= wave.declined <= wave.invited - rules.min_respondents:
        return None
    everyone = set(session.scalars(select(Membership.person_id)).all()) | _invitees(session, wave.id)
    hidden = _overlap_reasons(
        session=session, wave=wave, people_under={None: everyone}, units_under={None: None}, rules=rules
    )
    if None in hidden:
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
