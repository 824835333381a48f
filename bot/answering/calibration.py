"""Features of one retrieval that tell a found answer from a near miss, and a logistic model over them.

The single hand-tuned threshold of ``confidence`` does not carry across libraries or models: its
inputs (raw BM25 coverage, raw cosine) move with the library's vocabulary and the model's scale.
These features are chosen to mean the same thing in any library: how much of the question the top
passage covers, how far it stands above the next passages, how close it is in meaning, whether
the two retrievers agree on it, and whether it holds the kind of thing asked for (a duration for
"多久", a number for "多少", a date for "几号"; see ``intent``). Two logistic regressions over them, fitted on the tuning half of
one eval set (``changebot eval --fit``), give the probability that the top passage answers the
question and that one of the top three does; thresholds on those pick the band.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from bot.answering import intent
from bot.answering.confidence import coverage
from bot.answering.retrieval import Retrieval
from ingest.chunk import Chunk

FEATURES = (
    "coverage",  # idf share of the question's topic words in the top passage (or its FAQ phrasings)
    "coverage_margin",  # coverage of the top hit minus the best coverage among the next four
    "dense_similarity",  # cosine of the top hit (dense search's last candidate's if it did not rank
    # it; 0 when dense search did not count)
    "agreement",  # 1 when the top hit is in the top 3 of both lexical and dense search
    "intent_unmet",  # 1 when the question asks how long / how many / when and the passage holds none
)
# Left out on purpose, although they help within one library: whether the top hit is an FAQ (a
# library without FAQs would never be answered), the share of the question's words the library has
# never seen and the question's length (both move with the library's size and the set's wording).
# Fitted with them on the sample library, the seed documents got half the answers at the same
# error rate.


def features(retrieval: Retrieval) -> npt.NDArray[np.float64]:
    """The ``FEATURES`` of one retrieval, as a vector (zeros when nothing was found)."""
    values = np.zeros(len(FEATURES), dtype=np.float64)
    if retrieval.snapshot is None or not retrieval.hits:
        return values
    hits = retrieval.hits
    top = hits[0]
    top_coverage = coverage(retrieval, top.row)
    others = [coverage(retrieval, hit.row) for hit in hits[1:5]]
    dense = 0.0
    if retrieval.dense_weight > 0:
        # A top hit dense search did not rank is no closer than its last candidate: 0 would be far
        # below any similarity the model was fitted on, and read as strong evidence either way.
        dense = top.dense_similarity if top.dense_similarity is not None else (retrieval.dense_floor or 0.0)
    for name, value in (
        ("coverage", top_coverage),
        ("coverage_margin", top_coverage - max(others, default=0.0)),
        ("dense_similarity", dense),
        ("agreement", 1.0 if (top.lexical_rank or 99) <= 3 and (top.dense_rank or 99) <= 3 else 0.0),
        ("intent_unmet", 1.0 if intent.unmet(retrieval.question, _answer_text(top.chunk)) else 0.0),
    ):
        values[FEATURES.index(name)] = value
    return values


def _answer_text(chunk: Chunk) -> str:
    """What the asker would read from this chunk: an FAQ's answer, else the passage."""
    return chunk.metadata.get("faq_answer") or chunk.text


@dataclass(frozen=True, slots=True)
class LogisticHead:
    """One logistic regression over standardised ``FEATURES``."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float

    def probability(self, values: npt.NDArray[np.float64]) -> float:
        """The modelled probability for one feature vector."""
        z = (values - np.asarray(self.mean)) / np.asarray(self.scale)
        logit = float(z @ np.asarray(self.coefficients)) + self.intercept
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))

    def to_json(self) -> dict[str, Any]:
        """Plain lists and floats."""
        return {"mean": list(self.mean), "scale": list(self.scale),
                "coefficients": list(self.coefficients), "intercept": self.intercept}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LogisticHead:
        """The inverse of ``to_json``; lengths must match ``FEATURES``."""
        head = cls(
            mean=tuple(float(v) for v in data["mean"]), scale=tuple(float(v) for v in data["scale"]),
            coefficients=tuple(float(v) for v in data["coefficients"]), intercept=float(data["intercept"]),
        )  # fmt: skip
        if not len(head.mean) == len(head.scale) == len(head.coefficients) == len(FEATURES):
            raise ValueError("a head of the wrong length")
        return head


Band = Literal["answer", "suggest", "off_topic", "unknown"]


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """Two heads over ``FEATURES`` and the thresholds that turn them into a band.

    ``answer`` models P(the top passage answers the question); ``found`` models P(one of the top 3
    does), which is what a "did you mean" needs. A question is answered when ``answer`` reaches
    ``answer_from``; otherwise candidates are offered when ``found`` reaches ``suggest_from``; a
    question whose ``found`` is below ``off_topic_below`` (lower than almost any answerable
    question's) gets the friendly "I only know about the change" reply; the rest is "I don't know
    yet", recorded for a person.

    ``small_talk_above``: a question whose ``SmallTalk.margin`` exceeds it is small talk whatever
    the heads say (None: the model was fitted without margins, and the rule is off).
    """

    answer: LogisticHead
    found: LogisticHead
    answer_from: float
    suggest_from: float
    off_topic_below: float
    fitted_on: str = ""
    small_talk_above: float | None = None

    def band(self, values: npt.NDArray[np.float64], *, small_talk: float | None = None) -> tuple[Band, float]:
        """The band for one feature vector (and the question's small-talk margin, if known), and
        P(the top passage answers)."""
        p_answer = self.answer.probability(values)
        if self.is_small_talk(small_talk):
            return "off_topic", p_answer
        if p_answer >= self.answer_from:
            return "answer", p_answer
        p_found = self.found.probability(values)
        if p_found >= self.suggest_from:
            return "suggest", p_answer
        if p_found < self.off_topic_below:
            return "off_topic", p_answer
        return "unknown", p_answer

    def is_small_talk(self, margin: float | None) -> bool:
        """Whether a question with this ``SmallTalk.margin`` is small talk."""
        return margin is not None and self.small_talk_above is not None and margin > self.small_talk_above

    def to_json(self) -> dict[str, Any]:
        """What ``save`` writes."""
        return {
            "features": list(FEATURES), "answer": self.answer.to_json(), "found": self.found.to_json(),
            "answer_from": self.answer_from, "suggest_from": self.suggest_from,
            "off_topic_below": self.off_topic_below, "small_talk_above": self.small_talk_above,
            "fitted_on": self.fitted_on,
        }  # fmt: skip

    def save(self, path: Path) -> None:
        """Write the model as JSON (small, reviewable in a diff)."""
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ConfidenceModel:
        """Read a model ``save`` wrote; the feature list must be this code's.

        Raises:
            ValueError: the file is not such a model, or was fitted on other features.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if tuple(data["features"]) != FEATURES:
                raise ValueError("fitted on other features; fit it again (changebot eval --fit)")
            return cls(
                answer=LogisticHead.from_json(data["answer"]), found=LogisticHead.from_json(data["found"]),
                answer_from=float(data["answer_from"]), suggest_from=float(data["suggest_from"]),
                off_topic_below=float(data["off_topic_below"]), fitted_on=str(data.get("fitted_on", "")),
                small_talk_above=_optional_float(data.get("small_talk_above")),
            )  # fmt: skip
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: not a confidence model: {exc}") from exc


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _head(x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_]) -> LogisticHead:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    std = x.std(axis=0)
    scale = np.where(std > 1e-9, std, 1.0)
    # C=1 keeps the weights small: a few hundred questions, four features, no memorising.
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit((x - mean) / scale, y)
    return LogisticHead(
        mean=tuple(float(v) for v in mean), scale=tuple(float(v) for v in scale),
        coefficients=tuple(float(c) for c in model.coef_[0]), intercept=float(model.intercept_[0]),
    )  # fmt: skip


def fit(
    rows: Sequence[npt.NDArray[np.float64]],
    *,
    correct: Sequence[bool],
    found: Sequence[bool],
    answerable: Sequence[bool],
    fitted_on: str,
    max_wrong: float = 0.05,
    max_off_topic_suggested: float = 0.25,
    max_answerable_off_topic: float = 0.01,
    small_talk: Sequence[float | None] | None = None,
) -> ConfidenceModel:
    """Fit both heads and the three thresholds on tuning questions.

    Args:
        rows: ``features`` of each tuning question.
        correct: whether its top passage holds the answer.
        found: whether its top 3 hold it (a "did you mean" would help).
        answerable: whether the library answers it at all.
        fitted_on: a note of what it was fitted on, kept in the file.
        max_wrong: the most answers whose top passage is wrong (answerable or off-topic), as a share
            of the answerable questions. A wrong answer is worse than a refusal.
        max_off_topic_suggested: the most off-topic questions that get candidates rather than a reply.
        max_answerable_off_topic: the most answerable questions taken for chit-chat (not recorded as
            a gap), as a share of the answerable questions.
        small_talk: each question's ``SmallTalk.margin`` (None where it has none); the rule's
            threshold is fitted only when given.

    Raises:
        ValueError: the rows lack a right and a wrong top passage, or found and not found questions.
    """
    x = np.vstack(rows)
    is_correct = np.asarray(correct, dtype=bool)
    is_found = np.asarray(found, dtype=bool)
    is_answerable = np.asarray(answerable, dtype=bool)
    if is_correct.all() or not is_correct.any() or is_found.all() or not is_found.any():
        raise ValueError("the tuning questions need right and wrong top passages, found and missed ones")
    answer, found_head = _head(x, is_correct), _head(x, is_found)
    p_answer = np.array([answer.probability(row) for row in rows])
    p_found = np.array([found_head.probability(row) for row in rows])
    n_answerable = max(1, int(is_answerable.sum()))
    n_off = max(1, int((~is_answerable).sum()))
    # Answer: the lowest threshold at which wrong answers stay within max_wrong.
    answer_from = 1.0
    for threshold in np.unique(p_answer):
        answered = p_answer >= threshold
        if int((answered & ~is_correct).sum()) <= max_wrong * n_answerable:
            answer_from = float(threshold)
            break
    offered_pool = p_answer < answer_from
    suggest_from = 1.0
    for threshold in np.unique(p_found):
        offered = offered_pool & (p_found >= threshold)
        if int((offered & ~is_answerable).sum()) <= max_off_topic_suggested * n_off:
            suggest_from = float(threshold)
            break
    # Chit-chat: below the found-probability of all but max_answerable_off_topic of the answerable.
    off_topic_below = 0.0
    for threshold in np.unique(p_found)[::-1]:
        if int(((p_found < threshold) & is_answerable).sum()) <= max_answerable_off_topic * n_answerable:
            off_topic_below = float(threshold)
            break
    return ConfidenceModel(
        answer=answer, found=found_head, answer_from=answer_from, suggest_from=suggest_from,
        off_topic_below=min(off_topic_below, suggest_from), fitted_on=fitted_on,
        small_talk_above=_small_talk_threshold(small_talk, is_answerable) if small_talk is not None else None,
    )  # fmt: skip


def _small_talk_threshold(
    margins: Sequence[float | None], is_answerable: npt.NDArray[np.bool_]
) -> float | None:
    """Halfway between the highest margin of an answerable question and the next off-topic one above
    it: no answerable tuning question is taken for small talk (it would never reach a person),
    and the rule stays clear of the nearest one. None when no off-topic question is above them all."""
    answerable = [m for m, yes in zip(margins, is_answerable, strict=True) if yes and m is not None]
    off_topic = [m for m, yes in zip(margins, is_answerable, strict=True) if not yes and m is not None]
    highest = max(answerable, default=None)
    if highest is None:
        return None
    above = [m for m in off_topic if m > highest]
    return (highest + min(above)) / 2 if above else None
