"""A closed wave's results for one reader, as the console's results page shows them: the headline,
each shown unit's band per dimension, the answers to each question, the trend across the survey's
closed waves, the ADKAR barrier point, the comments, and what to do about the worrying dimensions.

Nothing here decides what may be shown. ``surveys.results.wave_results`` does (the threshold,
differencing, overlapping waves, the comment threshold), ``access.service.visible_groups`` decides
whose groups a reader gets, and ``wave_headlines.headline_of`` picks among them as the chat's
headline does. This module only gathers the figures of those shown groups, so the per-question
answers, the comments and the trends can be no finer than the dimension results: a hidden group has
none of them, and a group hidden so that nobody can subtract their way to a small one is hidden
here too.

The advice is retrieved from the library with the rollout alerts' ``Search`` and their situation
queries, and quoted in whole sentences, as the alerts quote it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.access.service import Principal, visible_groups
from bot.errors import ConflictError, NotFoundError
from bot.reporting.wave_headlines import Headline, headline_of, parents_of
from bot.rollout.alerts import SITUATIONS, Search, Suggestion
from bot.surveys.definitions import Question, Scoring, Survey
from bot.surveys.models import SurveyWave, WaveStatus
from bot.surveys.results import ROOT, Band, GroupResult, Hidden, Rules, trends, wave_results
from bot.surveys.scoring import barrier_point
from bot.surveys.waves import get_wave
from ingest.chunk import join_sentences, split_sentences

ADVICE_SENTENCES = 3  # per dimension: a manager reads two or three sentences, not a passage
TREND_WAVES = 12


class ResultsNotReadyError(ConflictError):
    """The wave has not closed (or never will): results are shown only once it has closed."""

    def __init__(self, wave: SurveyWave) -> None:
        super().__init__(f"survey wave {wave.id} is {wave.status}: results are shown once it closes")
        self.status = WaveStatus(wave.status)
        self.opens_at = wave.opens_at
        self.closes_at = wave.closes_at


class SurveyMissingError(NotFoundError):
    """The wave's survey is no longer in the library, so its answers cannot be read."""


@dataclass(frozen=True, slots=True)
class QuestionRow:
    """One shown group's answers to one question."""

    unit: str
    counts: tuple[int, ...]  # likert: people per answer 1..5; choice: per option, in the survey's order
    mean: float | None  # likert: the mean answer as given (before any reverse scoring)

    @property
    def n(self) -> int:
        """How many answered."""
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """A rating or single-choice question and each shown group's answers."""

    question: Question
    rows: tuple[QuestionRow, ...]
    too_few: int  # shown groups left out because too few of them answered this (optional) question


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One group in one closed wave (hidden ones carry only why)."""

    wave_id: int
    closes_at: datetime
    group: GroupResult


@dataclass(frozen=True, slots=True)
class UnitTrend:
    """One shown group across the survey's closed waves up to this one, oldest first."""

    unit: str
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True, slots=True)
class BarrierResult:
    """ADKAR: where a shown group is stuck, from its means, and person by person."""

    unit: str
    element: str | None  # the first element whose mean is 3 or lower; None: none is
    mean: float | None
    people: Mapping[str, int]  # each person's barrier point ("none": theirs is none) -> people


@dataclass(frozen=True, slots=True)
class CommentsResult:
    """One shown group's comments, shuffled, and how many of them are left out and why."""

    unit: str
    texts: tuple[str, ...]
    left_out: int
    because: Hidden | None


@dataclass(frozen=True, slots=True)
class Advice:
    """What the library suggests for a dimension in the medium or high band."""

    dimension: str
    band: Band  # the worst band it has in a shown group
    units: tuple[tuple[str, Band], ...]  # the shown groups where it is medium or high, and which
    suggestions: tuple[Suggestion, ...]  # their excerpts together are at most ADVICE_SENTENCES sentences


@dataclass(frozen=True)
class WaveReport:
    """Everything the results page shows one reader of one closed wave."""

    wave_id: int
    survey: Survey
    closes_at: datetime
    rules: Rules
    headline: Headline | None  # None: none of their groups is shown (how many answered is not said)
    groups: tuple[GroupResult, ...]  # their shown groups, parents first
    hidden: tuple[GroupResult, ...]  # their groups the rules hide (with ``hidden_because``)
    questions: tuple[QuestionResult, ...]
    trends: tuple[UnitTrend, ...]
    barriers: tuple[BarrierResult, ...]
    comments: tuple[CommentsResult, ...]
    advice: tuple[Advice, ...]

    @property
    def visible(self) -> bool:
        """Whether any group of the reader's took part (else the page says so, and nothing else)."""
        return bool(self.groups or self.hidden)

    @property
    def earlier_waves(self) -> int:
        """How many closed waves of the survey before this one the trend goes back over."""
        return max((len(t.points) for t in self.trends), default=1) - 1


def wave_report(
    *,
    session: Session,
    principal: Principal,
    wave_id: int,
    surveys: Mapping[str, Survey],
    rules: Rules,
    search: Search,
) -> WaveReport:
    """The results page of ``wave_id`` for ``principal``.

    Raises ``NotFoundError`` for no such wave (``SurveyMissingError`` when its survey file is gone)
    and ``ResultsNotReadyError`` for a wave that has not closed.

    Args:
        search: finds advice in the library (``rollout.service.knowledge_search``).
    """
    wave = get_wave(session=session, wave_id=wave_id)
    if wave.status != WaveStatus.CLOSED.value:
        raise ResultsNotReadyError(wave)
    survey = surveys.get(wave.survey_id)
    if survey is None:
        raise SurveyMissingError(f"the survey {wave.survey_id!r} of wave {wave.id} is not in the library")
    results = wave_results(session=session, wave=wave, survey=survey, rules=rules)
    headline = headline_of(
        session=session,
        principal=principal,
        wave=wave,
        groups=results,
        rules=rules,
        parents=parents_of(session),
    )
    if headline is not None:
        shown, hidden = headline.shown, headline.hidden_groups
    else:
        visible = visible_groups(session=session, principal=principal, groups=results)
        shown, hidden = (), tuple(g for g in visible if g.unit != ROOT and g.suppressed and g.invited)
    everyone = results[0]
    if principal.is_admin and everyone.suppressed and not any(_same(g, everyone) for g in results[1:]):
        hidden = (everyone, *hidden)  # news to whoever runs the surveys, unless a unit says it (总部)
    return WaveReport(
        wave_id=wave.id,
        survey=survey,
        closes_at=wave.closes_at,
        rules=rules,
        headline=headline,
        groups=shown,
        hidden=hidden,
        questions=_questions(survey, shown),
        trends=_trends(session=session, survey=survey, rules=rules, wave=wave, groups=shown),
        barriers=_barriers(survey, shown),
        comments=_comments(wave.id, shown),
        advice=_advice(survey, shown, search),
    )


def _same(group: GroupResult, other: GroupResult) -> bool:
    """Whether two groups hold the same people (a head office above every store, and the whole wave)."""
    return group.invited == other.invited and group.respondents == other.respondents


def _questions(survey: Survey, groups: Sequence[GroupResult]) -> tuple[QuestionResult, ...]:
    found: list[QuestionResult] = []
    for question in survey.questions:
        rows: list[QuestionRow] = []
        for group in groups:
            if question.type == "likert" and question.id in group.ratings:
                counts = tuple(group.ratings[question.id].get(value, 0) for value in range(1, 6))
                total = sum(counts)
                mean = round(sum(v * c for v, c in zip(range(1, 6), counts, strict=True)) / total, 2)
                rows.append(QuestionRow(unit=group.unit, counts=counts, mean=mean))
            elif question.type == "choice" and question.id in group.choices:
                picked = group.choices[question.id]
                rows.append(
                    QuestionRow(
                        unit=group.unit,
                        counts=tuple(picked.get(o.id, 0) for o in question.options),
                        mean=None,
                    )
                )
        if question.type in ("likert", "choice"):
            found.append(QuestionResult(question=question, rows=tuple(rows), too_few=len(groups) - len(rows)))
    return tuple(found)


def _trends(
    *, session: Session, survey: Survey, rules: Rules, wave: SurveyWave, groups: Sequence[GroupResult]
) -> tuple[UnitTrend, ...]:
    if not groups:
        return ()
    rows = trends(
        session=session,
        survey=survey,
        rules=rules,
        units=[g.unit for g in groups],
        until=wave,
        limit=TREND_WAVES,
    )
    return tuple(
        UnitTrend(
            unit=group.unit,
            points=tuple(
                TrendPoint(wave_id=w.id, closes_at=w.closes_at, group=g) for w, g in rows[group.unit]
            ),
        )
        for group in groups
    )


def _barriers(survey: Survey, groups: Sequence[GroupResult]) -> tuple[BarrierResult, ...]:
    if survey.scoring != Scoring.READINESS:
        return ()
    found = []
    for group in groups:
        means = {name: result.mean for name, result in group.dimensions.items()}
        element = barrier_point(survey.dimensions, means)
        found.append(
            BarrierResult(
                unit=group.unit,
                element=element,
                mean=means[element] if element else None,
                people=dict(group.barriers),
            )
        )
    return tuple(found)


def _comments(wave_id: int, groups: Sequence[GroupResult]) -> tuple[CommentsResult, ...]:
    found = []
    for group in groups:
        if not group.comments_written:
            continue
        texts = list(group.comments)  # sorted by the results: nothing of the order they came in
        # Shuffled, so the page does not read alphabetically; seeded by the wave and the group so a
        # reload shows the same order. The order in is sorted, so the order out tells nothing either.
        random.Random(f"{wave_id}:{group.unit}").shuffle(texts)  # noqa: S311  (an order, not a secret)
        found.append(
            CommentsResult(
                unit=group.unit,
                texts=tuple(texts),
                left_out=group.comments_written - len(texts),
                because=group.comments_hidden_because,
            )
        )
    return tuple(found)


def _advice(survey: Survey, groups: Sequence[GroupResult], search: Search) -> tuple[Advice, ...]:
    found: list[Advice] = []
    for dimension in survey.dimensions:
        worrying = [
            (group.unit, group.dimensions[dimension].band)
            for group in groups
            if dimension in group.dimensions and group.dimensions[dimension].band != Band.LOW
        ]
        if not worrying:
            continue
        band = Band.HIGH if any(b == Band.HIGH for _, b in worrying) else Band.MEDIUM
        query = SITUATIONS.get(dimension)  # a dimension a change team named itself has no query
        suggestions = _in_sentences(list(search(query))) if query else ()
        found.append(Advice(dimension=dimension, band=band, units=tuple(worrying), suggestions=suggestions))
    found.sort(key=lambda advice: advice.band != Band.HIGH)  # high first, each in the survey's order
    return tuple(found)


# A list item's marker inside a passage ("- ", "1. ", "2、"): the playbooks' lists, flattened into text.
# Only where an item can start (the start, after a sentence or a lead-in): a dash in a sentence stays.
_LIST_MARKER = re.compile(
    r"(?:^|(?<=[:：;；。！？])|(?<=[:;.!?]\s))\s*(?:[-*•]|\d{1,2}[.)、])(?!\d)\s*(?=\S)"
)


def _sentences(excerpt: str) -> list[str]:
    """An excerpt's sentences, a list's items each one of them, without their markers."""
    items = [item.strip() for item in _LIST_MARKER.split(excerpt)]
    return [sentence for item in items if item for sentence in split_sentences(item) if sentence.strip()]


def _in_sentences(found: Sequence[Suggestion], limit: int = ADVICE_SENTENCES) -> tuple[Suggestion, ...]:
    """The suggestions' first whole sentences, best first, at most ``limit`` sentences in all."""
    kept: list[Suggestion] = []
    left = limit
    for item in found:
        if left <= 0:
            break
        sentences = _sentences(item.excerpt)[:left]
        if not sentences:
            continue
        kept.append(Suggestion(title=item.title, source=item.source, excerpt=join_sentences(sentences)))
        left -= len(sentences)
    return tuple(kept)
