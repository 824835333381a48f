"""Scoring one person's answers: a 1-5 score per dimension, reverse items turned round, and for
readiness surveys (ADKAR) the barrier point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.errors import InvalidInputError
from bot.surveys.definitions import Scoring, Survey

BARRIER_AT_OR_BELOW = 3.0  # ADKAR: the first element scored 3 or lower is where people are stuck


@dataclass(frozen=True, slots=True)
class PersonScores:
    """One respondent's scores: dimension -> mean of its answered items (1-5), and the barrier point."""

    dimensions: dict[str, float]
    barrier: str | None


def item_score(value: int, *, reverse: bool) -> int:
    """The item's score on 1-5; a reverse item counts 6 - answer."""
    if not 1 <= value <= 5:
        raise InvalidInputError(f"a rating is 1 to 5, not {value}")
    return 6 - value if reverse else value


def score(survey: Survey, ratings: Mapping[str, int]) -> PersonScores:
    """Score the ratings (question id -> 1..5) one person gave; unanswered items are left out."""
    totals: dict[str, list[int]] = {}
    for question in survey.scored:
        if question.id in ratings:
            assert question.dimension is not None  # noqa: S101  (likert questions have one)
            totals.setdefault(question.dimension, []).append(
                item_score(ratings[question.id], reverse=question.reverse)
            )
    unknown = set(ratings) - {q.id for q in survey.scored}
    if unknown:
        raise InvalidInputError(f"not rating questions of {survey.id!r}: {', '.join(sorted(unknown))}")
    dimensions = {name: sum(values) / len(values) for name, values in totals.items()}
    barrier = barrier_point(survey.dimensions, dimensions) if survey.scoring == Scoring.READINESS else None
    return PersonScores(dimensions=dimensions, barrier=barrier)


def barrier_point(order: Sequence[str], scores: Mapping[str, float]) -> str | None:
    """The first element, in the survey's order (A, D, K, A, R), scored 3 or lower: a person's, or a
    group's from its means. None when every element scored is above 3."""
    for name in order:
        if name in scores and scores[name] <= BARRIER_AT_OR_BELOW:
            return name
    return None
