"""Survey files: the shipped ones load; broken ones are refused naming file and field; scoring."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.errors import InvalidInputError
from bot.surveys.definitions import SurveyFileError, load_surveys, parse_survey
from bot.surveys.scoring import item_score, score

SURVEYS = Path(__file__).resolve().parents[3] / "knowledge" / "surveys"


@pytest.fixture(scope="module")
def shipped() -> dict[str, object]:
    return load_surveys(SURVEYS)  # type: ignore[return-value]


def test_the_shipped_surveys_load(shipped: dict[str, object]) -> None:
    pulse, adkar = load_surveys(SURVEYS)["resistance-pulse"], load_surveys(SURVEYS)["adkar-check"]
    assert pulse.dimensions == ("cognitive", "emotional", "behavioural")
    for dimension in pulse.dimensions:
        assert 2 <= sum(q.dimension == dimension for q in pulse.scored) <= 3
    assert [q.dimension for q in adkar.scored] == [
        "awareness",
        "desire",
        "knowledge",
        "ability",
        "reinforcement",
    ]
    assert not any(q.reverse for q in adkar.scored)
    assert all(q.text.get("zh-Hant") and q.text.get("en") for q in pulse.questions)


def _minimal() -> dict[str, object]:
    text = {"zh-Hans": "题", "zh-Hant": "題", "en": "Q"}
    return {
        "id": "mini",
        "version": 1,
        "scoring": "resistance",
        "dimensions": ["cognitive"],
        "title": text,
        "intro": text,
        "scale": {"zh-Hans": list("12345"), "zh-Hant": list("12345"), "en": list("12345")},
        "questions": [
            {"id": "why", "type": "likert", "dimension": "cognitive", "reverse": True, "text": text}
        ],
    }


def _parse(data: dict[str, object]) -> object:
    return parse_survey(yaml.safe_dump(data, allow_unicode=True), name="mini.yaml")


def test_a_minimal_survey_parses() -> None:
    assert _parse(_minimal())


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["questions"][0].update(dimension="emotional"), "not in dimensions"),
        (lambda d: d["questions"][0].pop("dimension"), "needs a dimension"),
        (lambda d: d["questions"][0]["text"].pop("zh-Hant"), "questions[0].text.zh-Hant"),
        (lambda d: d["questions"].append(dict(d["questions"][0])), "repeated: why"),
        (lambda d: d.update(scoring="happiness"), "scoring"),
        (lambda d: d["scale"].update(en=["a", "b"]), "scale.en"),
        (lambda d: d.update(id="other"), "must match the file name"),
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d["questions"][0].update(type="choice", dimension=None, reverse=False), "2 to 8 options"),
        (lambda d: d.update(dimensions=["cognitive", "emotional"]), "without a question: emotional"),
    ],
)
def test_broken_surveys_name_the_file_and_the_field(change: object, where: str) -> None:
    data = _minimal()
    change(data)  # type: ignore[operator]
    with pytest.raises(SurveyFileError) as error:
        _parse(data)
    assert str(error.value).startswith("mini.yaml: ") and where in str(error.value)


def test_not_yaml_at_all() -> None:
    with pytest.raises(SurveyFileError, match=r"mini.yaml: not valid YAML \(line \d+\)"):
        parse_survey("id: mini\nquestions: [unclosed\n  - x: {", name="mini.yaml")


def test_scoring_turns_reverse_items_round() -> None:
    pulse = load_surveys(SURVEYS)["resistance-pulse"]
    # Agreeing with every item: reverse items (positively worded) count as low resistance.
    agree = {q.id: 5 for q in pulse.scored}
    scores = score(pulse, agree)
    for dimension in pulse.dimensions:
        items = [q for q in pulse.scored if q.dimension == dimension]
        expected = sum(1 if q.reverse else 5 for q in items) / len(items)
        assert scores.dimensions[dimension] == pytest.approx(expected)
    assert scores.barrier is None
    assert item_score(2, reverse=True) == 4 and item_score(2, reverse=False) == 2
    with pytest.raises(InvalidInputError):
        item_score(6, reverse=False)
    with pytest.raises(InvalidInputError, match="not rating questions"):
        score(pulse, {"comment": 3})


def test_adkar_barrier_is_the_first_element_at_three_or_below() -> None:
    adkar = load_surveys(SURVEYS)["adkar-check"]
    ids = [q.id for q in adkar.scored]
    assert score(adkar, dict(zip(ids, [5, 4, 3, 2, 5], strict=True))).barrier == "knowledge"
    assert score(adkar, dict(zip(ids, [4, 4, 4, 4, 4], strict=True))).barrier is None
    assert score(adkar, dict(zip(ids, [2, 1, 1, 1, 1], strict=True))).barrier == "awareness"
    partial = score(adkar, {ids[0]: 5, ids[2]: 1})  # skipped items are left out, not counted as 0
    assert partial.dimensions == {"awareness": 5.0, "knowledge": 1.0} and partial.barrier == "knowledge"
