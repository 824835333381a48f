"""Run the eval set through the answerer and summarise retrieval, refusal and latency."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.answering.calibration import ConfidenceModel, features, fit
from bot.answering.retrieval import Mode
from bot.answering.service import Answer, Answerer
from bot.evaluation.evalset import EvalQuestion
from ingest.text import LANGUAGES


@dataclass(slots=True)
class EvalResult:
    """One question's outcome."""

    question: EvalQuestion
    answer: Answer
    rank: int | None
    """1-based rank of the first source containing an expected string, within the top k."""

    def to_json(self) -> dict[str, Any]:
        """The ``eval --json`` result object."""
        return {
            "id": self.question.id,
            "question": self.question.question,
            "lang": self.question.lang,
            "kind": self.question.kind,
            "split": self.question.split,
            "answerable": self.question.answerable,
            "answered": self.answer.answered,
            "band": self.answer.band,
            "answer_kind": self.answer.kind,
            "answer": self.answer.answer,
            "confidence": self.answer.confidence,
            "rank": self.rank,
            "sources": [source.to_json() for source in self.answer.sources],
            "latency_ms": round(self.answer.latency_ms, 2),
        }


def run_eval(
    *,
    answerer: Answerer,
    questions: Sequence[EvalQuestion],
    k: int = 3,
    mode: Mode = "hybrid",
    progress: Callable[[int, int], None] | None = None,
) -> list[EvalResult]:
    """Answer every question and find where the expected passage ranked."""
    results = []
    for done, question in enumerate(questions, start=1):
        answer = answerer.answer(question.question, language=question.lang, mode=mode, k=k)
        rank = next(
            (
                position
                for position, source in enumerate(answer.sources[:k], start=1)
                if question.matches(f"{source.section}\n{source.text}")
            ),
            None,
        )
        results.append(EvalResult(question=question, answer=answer, rank=rank))
        if progress is not None:
            progress(done, len(questions))
    return results


def fit_confidence(
    *,
    answerer: Answerer,
    questions: Sequence[EvalQuestion],
    fitted_on: str,
    progress: Callable[[int, int], None] | None = None,
) -> ConfidenceModel:
    """Fit the confidence model on the tuning half of ``questions`` (the held-out half is not read).

    Raises:
        ValueError: the tuning half is too one-sided to fit on (see ``calibration.fit``).
    """
    tuning = [question for question in questions if question.split == "tune"]
    rows, correct, found, answerable = [], [], [], []
    small_talk: list[float | None] = []
    for done, question in enumerate(tuning, start=1):
        retrieval = answerer.retrieve(question.question, language=question.lang, k=5)
        held = [question.matches(f"{hit.chunk.section}\n{hit.chunk.text}") for hit in retrieval.hits[:3]]
        rows.append(features(retrieval))
        correct.append(bool(held) and held[0])
        found.append(any(held))
        answerable.append(question.answerable)
        small_talk.append(answerer.small_talk_margin(retrieval))
        if progress is not None:
            progress(done, len(tuning))
    fitted_with_margins = answerer.small_talk is not None
    return fit(
        rows, correct=correct, found=found, answerable=answerable, fitted_on=fitted_on,
        small_talk=small_talk if fitted_with_margins else None,
    )  # fmt: skip


def _retrieval_metrics(results: Sequence[EvalResult], k: int) -> dict[str, Any]:
    answerable = [r for r in results if r.question.answerable]
    metrics: dict[str, Any] = {"questions": len(results), **_trust_metrics(results)}
    n = len(answerable)
    if not n:
        return {**metrics, "answerable": 0, "hit@1": None, "hit@3": None, f"hit@{k}": None, "mrr": None}
    metrics.update(
        {
            "answerable": n,
            "hit@1": sum(1 for r in answerable if r.rank == 1) / n,
            "hit@3": sum(1 for r in answerable if r.rank is not None and r.rank <= 3) / n,
            "mrr": sum(1.0 / r.rank for r in answerable if r.rank) / n,
        }
    )
    metrics[f"hit@{k}"] = sum(1 for r in answerable if r.rank is not None and r.rank <= k) / n
    return metrics


def _trust_metrics(results: Sequence[EvalResult]) -> dict[str, float | None]:
    """What a staff member feels: answered wrongly with confidence, refused although the answer was
    found, answered although the question was off-topic (shares of answerable / off-topic questions)."""
    answerable = [r for r in results if r.question.answerable]
    off_topic = [r for r in results if not r.question.answerable]
    found = [r for r in answerable if r.rank is not None and r.rank <= 3]
    return {
        # Answered, and none of the top 3 holds the answer.
        "confidently_wrong": (
            sum(1 for r in answerable if r.answer.band == "answer" and (r.rank is None or r.rank > 3))
            / len(answerable)
            if answerable
            else None
        ),
        # Refused or only suggested while the top 3 held it.
        "right_passage_refused": (
            sum(1 for r in found if r.answer.band != "answer") / len(answerable) if answerable else None
        ),
        "off_topic_answered": (
            sum(1 for r in off_topic if r.answer.band == "answer") / len(off_topic) if off_topic else None
        ),
        # Off-topic questions given the friendly reply (not put in the gaps queue for a person).
        "off_topic_recognised": (
            sum(1 for r in off_topic if r.answer.kind == "off_topic") / len(off_topic) if off_topic else None
        ),
        # Answerable questions given the friendly reply: they reach nobody, worse than a refusal.
        "lost_as_chit_chat": (
            sum(1 for r in answerable if r.answer.kind == "off_topic") / len(answerable)
            if answerable
            else None
        ),
        # What the asker got, as shares of all questions: answer, "did you mean", chit-chat reply.
        "answered": sum(1 for r in results if r.answer.band == "answer") / len(results) if results else None,
        "suggested": sum(1 for r in results if r.answer.band == "suggest") / len(results)
        if results
        else None,
        "chit_chat": sum(1 for r in results if r.answer.kind == "off_topic") / len(results)
        if results
        else None,
        # A "did you mean" whose candidates hold the answer: one tap away.
        "suggested_found": (
            sum(1 for r in found if r.answer.band == "suggest") / len(answerable) if answerable else None
        ),
    }


def summarise(results: Sequence[EvalResult], *, k: int = 3) -> dict[str, Any]:
    """hit@1, hit@3, hit@k, MRR, refusal precision/recall, latency p50/p95, overall and per language."""
    summary = _retrieval_metrics(results, k)
    unanswerable = [r for r in results if not r.question.answerable]
    refused = [r for r in results if not r.answer.answered]
    correctly_refused = [r for r in refused if not r.question.answerable]
    answerable = [r for r in results if r.question.answerable]
    summary.update(
        {
            "questions": len(results),
            "unanswerable": len(unanswerable),
            "refusal_precision": len(correctly_refused) / len(refused) if refused else None,
            "refusal_recall": len(correctly_refused) / len(unanswerable) if unanswerable else None,
            "false_refusal_rate": (
                sum(1 for r in answerable if not r.answer.answered) / len(answerable) if answerable else None
            ),
        }
    )
    latencies = np.array([r.answer.latency_ms for r in results], dtype=float)
    summary["latency_ms_p50"] = float(np.percentile(latencies, 50)) if len(latencies) else None
    summary["latency_ms_p95"] = float(np.percentile(latencies, 95)) if len(latencies) else None
    summary["by_language"] = {
        lang: _retrieval_metrics([r for r in results if r.question.lang == lang], k)
        for lang in LANGUAGES
        if any(r.question.lang == lang for r in results)
    }
    kinds = sorted({r.question.kind for r in results if r.question.kind})
    summary["by_kind"] = {
        kind: _retrieval_metrics([r for r in results if r.question.kind == kind], k) for kind in kinds
    }
    summary["by_split"] = {
        split: _retrieval_metrics([r for r in results if r.question.split == split], k)
        for split in ("tune", "held-out")
        if any(r.question.split == split for r in results)
    }
    return summary


def calibrate_threshold(results: Sequence[EvalResult]) -> float | None:
    """The confidence threshold that best separates answerable from out-of-scope questions.

    Maximises balanced accuracy (refusal recall on out-of-scope questions plus answer rate on
    answerable ones); among equally good thresholds it takes the middle of the widest gap, so a
    small shift in scores does not flip decisions. None when the set lacks either kind.
    """
    positives = sorted(r.answer.confidence for r in results if r.question.answerable)
    negatives = sorted(r.answer.confidence for r in results if not r.question.answerable)
    if not positives or not negatives:
        return None
    candidates = sorted(set(positives) | set(negatives) | {0.0, 1.0})
    best_score = -1.0
    best: list[float] = []
    for low, high in zip(candidates, candidates[1:], strict=False):
        threshold = (low + high) / 2
        answered = sum(1 for value in positives if value >= threshold) / len(positives)
        refused = sum(1 for value in negatives if value < threshold) / len(negatives)
        score = answered + refused
        if score > best_score + 1e-12:
            best_score, best = score, [threshold]
        elif abs(score - best_score) <= 1e-12:
            best.append(threshold)
    return round((best[0] + best[-1]) / 2, 4) if best else None
