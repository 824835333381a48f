"""The confidence features mean the same in any library, and the fitted model keeps wrong answers rare."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.answering.calibration import FEATURES, ConfidenceModel, features, fit
from bot.answering.factory import KnowledgeCore


def _named(values: np.ndarray) -> dict[str, float]:
    return dict(zip(FEATURES, values.tolist(), strict=True))


def test_an_answerable_question_and_an_off_topic_one_look_different(ingested: KnowledgeCore) -> None:
    found = _named(features(ingested.answerer.retrieve("培训要多久？")))
    off_topic = _named(features(ingested.answerer.retrieve("明天天气怎么样，火锅哪家好吃")))
    assert found["coverage"] > 0.5 > off_topic["coverage"]
    assert off_topic["unknown_share"] > found["unknown_share"]
    assert found["faq"] == 1.0
    nothing = features(ingested.answerer.retrieve("qqqq zzzz"))
    assert nothing.shape == (len(FEATURES),)


def test_fitted_thresholds_keep_wrong_answers_within_the_limit(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows, correct, answerable = [], [], []
    for n in range(300):
        kind = n % 3  # 0: answered right, 1: answerable but the top passage is wrong, 2: off-topic
        base = {0: 0.8, 1: 0.45, 2: 0.15}[kind]
        rows.append(np.clip(rng.normal(base, 0.15, len(FEATURES)), 0, 1))
        correct.append(kind == 0)
        answerable.append(kind != 2)
    model = fit(rows, correct, [c for c in correct], answerable, fitted_on="synthetic", max_wrong=0.03)
    p = np.array([model.probability(row) for row in rows])
    answered = p >= model.answer_from
    wrong = int((answered & ~np.asarray(correct)).sum())
    assert wrong <= 0.03 * sum(answerable)
    assert answered[np.asarray(correct)].mean() > 0.5  # and most right answers still get through
    assert model.suggest_from <= model.answer_from
    path = tmp_path / "model.json"
    model.save(path)
    assert ConfidenceModel.load(path) == model
