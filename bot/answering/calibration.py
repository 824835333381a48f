"""Features of one retrieval that tell a found answer from a near miss, and a logistic model over them.

The single hand-tuned threshold of ``confidence`` does not carry across libraries or models: its
inputs (raw BM25 coverage, raw cosine) move with the library's vocabulary and the model's scale.
These features are chosen to mean the same thing in any library: how much of the question the top
passage covers, how far the top hit stands above the rest (for both retrievers), whether the two
retrievers agree, and how much of the question the library has never seen a word of. A logistic
regression over them, fitted on the tuning half of one eval set (``changebot eval --fit``), gives
the probability that the top passage answers the question.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.answering.confidence import coverage
from bot.answering.retrieval import Retrieval
from ingest.text import is_intent_word

FEATURES = (
    "coverage",  # idf share of the question's topic words in the top passage (or its FAQ phrasings)
    "coverage_margin",  # coverage of the top hit minus the best coverage among the next four
    "score_margin",  # fused score: (first - second) / first
    "dense_similarity",  # cosine of the top hit (0 when dense search did not count)
    "dense_margin",  # top cosine minus the mean cosine of dense ranks 5-10: stands out, or not
    "agreement",  # 1 when the top hit is in the top 3 of both lexical and dense search
    "unknown_share",  # idf share of the question's topic words the library never uses
    "faq",  # 1 when the top hit is an FAQ entry
    "length",  # log(1 + topic words)
)


def features(retrieval: Retrieval) -> npt.NDArray[np.float64]:
    """The ``FEATURES`` of one retrieval, as a vector."""
    values = np.zeros(len(FEATURES), dtype=np.float64)
    if retrieval.snapshot is None:
        return values
    # What the question is made of counts even when nothing was found.
    lexical = retrieval.snapshot.lexical
    topic = [token for token in dict.fromkeys(retrieval.tokens) if not is_intent_word(token)]
    weights = [
        (
            float(lexical.idf[lexical.vocabulary[token]])
            if token in lexical.vocabulary
            else lexical.unknown_idf
        )
        for token in topic
    ]
    unknown = sum(w for token, w in zip(topic, weights, strict=True) if token not in lexical.vocabulary)
    values[FEATURES.index("unknown_share")] = unknown / sum(weights) if weights else 1.0
    values[FEATURES.index("length")] = math.log1p(len(topic))
    if not retrieval.hits:
        return values
    hits = retrieval.hits
    top = hits[0]
    top_coverage = coverage(retrieval, top.row)
    others = [coverage(retrieval, hit.row) for hit in hits[1:5]]
    second = hits[1].score if len(hits) > 1 else 0.0
    similarities = sorted(
        (hit.dense_similarity for hit in hits if hit.dense_similarity is not None), reverse=True
    )
    dense = top.dense_similarity if top.dense_similarity is not None and retrieval.dense_weight > 0 else 0.0
    background = similarities[4:10]
    for name, value in (
        ("coverage", top_coverage),
        ("coverage_margin", top_coverage - max(others, default=0.0)),
        ("score_margin", (top.score - second) / top.score if top.score > 0 else 0.0),
        ("dense_similarity", dense),
        ("dense_margin", dense - float(np.mean(background)) if dense and background else 0.0),
        ("agreement", 1.0 if (top.lexical_rank or 99) <= 3 and (top.dense_rank or 99) <= 3 else 0.0),
        ("faq", 1.0 if top.chunk.doc_type == "faq" else 0.0),
    ):
        values[FEATURES.index(name)] = value
    return values


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """Logistic regression over ``FEATURES`` (standardised), with the two band thresholds."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    answer_from: float  # probability at or above which the top passage is given as the answer
    suggest_from: float  # at or above which (and below answer_from) candidates are offered
    fitted_on: str = ""

    def probability(self, values: npt.NDArray[np.float64]) -> float:
        """P(the top passage answers the question)."""
        z = (values - np.asarray(self.mean)) / np.asarray(self.scale)
        logit = float(z @ np.asarray(self.coefficients)) + self.intercept
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))

    def to_json(self) -> dict[str, Any]:
        """What ``save`` writes."""
        return {
            "features": list(FEATURES), "mean": list(self.mean), "scale": list(self.scale),
            "coefficients": list(self.coefficients), "intercept": self.intercept,
            "answer_from": self.answer_from, "suggest_from": self.suggest_from, "fitted_on": self.fitted_on,
        }  # fmt: skip

    def save(self, path: Path) -> None:
        """Write the model as JSON (small, reviewable in a diff)."""
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ConfidenceModel:
        """Read a model ``save`` wrote; the feature list must be this code's."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: fitted on other features; fit it again (changebot eval --fit)")
        return cls(
            mean=tuple(data["mean"]), scale=tuple(data["scale"]), coefficients=tuple(data["coefficients"]),
            intercept=float(data["intercept"]), answer_from=float(data["answer_from"]),
            suggest_from=float(data["suggest_from"]), fitted_on=str(data.get("fitted_on", "")),
        )  # fmt: skip


def fit(
    rows: Sequence[npt.NDArray[np.float64]],
    correct: Sequence[bool],
    found: Sequence[bool],
    answerable: Sequence[bool],
    *,
    fitted_on: str,
    max_wrong: float = 0.03,
    max_off_topic_suggested: float = 0.25,
) -> ConfidenceModel:
    """Fit the model and its thresholds.

    Args:
        rows: ``features`` of each tuning question.
        correct: whether its top passage holds the answer.
        found: whether its top 3 hold it (a "did you mean" would help).
        answerable: whether the library answers it at all.
        fitted_on: a note of what it was fitted on, kept in the file.
        max_wrong: the most answerable questions answered wrongly (top passage without the answer).
        max_off_topic_suggested: the most off-topic questions that get candidates rather than
            "I don't know yet".
    """
    from sklearn.linear_model import LogisticRegression

    x = np.vstack(rows)
    y = np.asarray(correct, dtype=int)
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    # C=1 keeps the weights small: a few hundred questions, nine features, no memorising.
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit((x - mean) / scale, y)
    draft = ConfidenceModel(
        mean=tuple(mean), scale=tuple(scale), coefficients=tuple(float(c) for c in model.coef_[0]),
        intercept=float(model.intercept_[0]), answer_from=1.0, suggest_from=1.0, fitted_on=fitted_on,
    )  # fmt: skip
    p = np.array([draft.probability(row) for row in rows])
    is_answerable = np.asarray(answerable, dtype=bool)
    is_correct = np.asarray(correct, dtype=bool)
    n_answerable = max(1, int(is_answerable.sum()))
    n_off = max(1, int((~is_answerable).sum()))
    grid = np.unique(np.round(p, 4))
    # Answer: the lowest threshold at which wrong answers (answerable, top passage wrong; or off
    # topic) stay within max_wrong of the answerable questions. A wrong answer is worse than a refusal.
    answer_from = 1.0
    for threshold in grid:
        answered = p >= threshold
        wrong = int((answered & is_answerable & ~is_correct).sum()) + int((answered & ~is_answerable).sum())
        if wrong <= max_wrong * n_answerable:
            answer_from = float(threshold)
            break
    suggest_from = answer_from
    for threshold in grid[grid < answer_from]:
        offered = (p >= threshold) & (p < answer_from)
        if int((offered & ~is_answerable).sum()) <= max_off_topic_suggested * n_off:
            suggest_from = float(threshold)
            break
    _ = found  # the suggest threshold is bounded by off-topic noise; found questions only gain from it
    return ConfidenceModel(
        mean=draft.mean, scale=draft.scale, coefficients=draft.coefficients, intercept=draft.intercept,
        answer_from=answer_from, suggest_from=min(suggest_from, answer_from), fitted_on=fitted_on,
    )  # fmt: skip
