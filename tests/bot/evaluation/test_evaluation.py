from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answering.factory import KnowledgeCore
from bot.errors import InvalidInputError
from bot.evaluation.evalset import EvalQuestion, load_eval_set
from bot.evaluation.runner import calibrate_threshold, run_eval, summarise
from tests.fakes.confidence import coverage_bands


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    return path


def test_expected_text_matches_across_scripts_and_width() -> None:
    question = EvalQuestion(
        id="q", question="?", expect_any=("使用率低于40%",), answerable=True, lang="zh-Hans"
    )
    assert question.matches("如果使用率低於40％，門店亮紅燈")
    assert not question.matches("使用率高于80%")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"question": "q", "expect_any": ["a"], "answerable": True}, "'id'"),
        ({"id": "a", "question": "", "expect_any": ["a"]}, "'question'"),
        ({"id": "a", "question": "q", "expect_any": "a"}, "'expect_any'"),
        ({"id": "a", "question": "q", "expect_any": [], "answerable": True}, "at least one"),
        ({"id": "a", "question": "q", "expect_any": ["a"], "answerable": "yes"}, "'answerable'"),
        ({"id": "a", "question": "q", "expect_any": ["a"], "lang": "fr"}, "'lang'"),
        ({"id": "a", "question": "q", "expect_any": ["a"], "kind": "gossip"}, "'kind'"),
        ({"id": "a", "question": "q", "expect_any": ["a"], "kind": "oos"}, "'oos'"),
    ],
)
def test_bad_eval_lines_name_the_line_and_field(tmp_path: Path, row: dict[str, object], message: str) -> None:
    path = _write(
        tmp_path / "e.jsonl", [{"id": "ok", "question": "q", "expect_any": ["x"], "answerable": True}, row]
    )
    with pytest.raises(InvalidInputError, match=r"e\.jsonl:2: .*") as error:
        load_eval_set(path)
    assert message in str(error.value)


def test_duplicate_ids_and_broken_json_are_rejected(tmp_path: Path) -> None:
    row = {"id": "a", "question": "q", "expect_any": ["x"]}
    with pytest.raises(InvalidInputError, match="duplicate id"):
        load_eval_set(_write(tmp_path / "d.jsonl", [row, row]))
    (tmp_path / "b.jsonl").write_text('{"id": "a", "question": \n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="b.jsonl:1: not valid JSON"):
        load_eval_set(tmp_path / "b.jsonl")


def test_run_and_summarise_on_the_small_library(ingested: KnowledgeCore, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "e.jsonl",
        [
            {"id": "1", "question": "培训要花多长时间", "expect_any": ["两次各90分钟"], "answerable": True},
            {"id": "2", "question": "1-3-9-27 是怎么扩的", "expect_any": ["再到9家"], "answerable": True},
            {
                "id": "3",
                "question": "What does a red week mean for escalation?",
                "expect_any": ["Two red weeks"],
                "answerable": True,
            },
            {"id": "4", "question": "明天天气怎么样", "expect_any": [], "answerable": False},
        ],
    )
    questions = load_eval_set(path)
    results = run_eval(answerer=ingested.answerer, questions=questions, k=3)
    summary = summarise(results, k=3)
    assert summary["questions"] == 4 and summary["answerable"] == 3
    assert summary["hit@3"] == 1.0
    assert summary["refusal_recall"] == 1.0
    assert set(summary["by_language"]) == {"zh-Hans", "en"}
    assert summary["latency_ms_p95"] >= summary["latency_ms_p50"] > 0
    assert [r.to_json()["id"] for r in results] == ["1", "2", "3", "4"]


def test_calibration_picks_a_threshold_between_the_classes(ingested: KnowledgeCore, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.jsonl",
        [
            {"id": "1", "question": "培训要多久", "expect_any": ["90分钟"], "answerable": True},
            {"id": "2", "question": "还能用纸质单据吗", "expect_any": ["纸质单据"], "answerable": True},
            {"id": "3", "question": "附近哪家火锅好吃", "expect_any": [], "answerable": False},
            {"id": "4", "question": "今天股市怎么样", "expect_any": [], "answerable": False},
        ],
    )
    results = run_eval(answerer=ingested.answerer, questions=load_eval_set(path), k=3)
    threshold = calibrate_threshold(results)
    assert threshold is not None
    positives = [r.answer.confidence for r in results if r.question.answerable]
    negatives = [r.answer.confidence for r in results if not r.question.answerable]
    assert max(negatives) < threshold <= min(positives)


def test_the_tuning_and_held_out_halves_are_fixed_by_id_alone(tmp_path: Path) -> None:
    rows = [{"id": f"q-{n:03d}", "question": "q", "expect_any": ["x"]} for n in range(200)]
    forwards = {q.id: q.split for q in load_eval_set(_write(tmp_path / "a.jsonl", rows))}
    backwards = {q.id: q.split for q in load_eval_set(_write(tmp_path / "b.jsonl", rows[::-1][:150]))}
    assert all(
        forwards[qid] == split for qid, split in backwards.items()
    )  # order and neighbours don't matter
    assert 70 <= sum(1 for split in forwards.values() if split == "tune") <= 130  # about half each


def test_trust_figures_count_wrong_answers_found_refusals_and_answered_off_topic(
    ingested: KnowledgeCore, tmp_path: Path
) -> None:
    rows = [
        {"id": "a", "question": "培训要多久？", "expect_any": ["两次各90分钟"], "kind": "keyword"},
        # Answered from the training FAQ, which does not hold this text: an answer counted as wrong.
        {"id": "b", "question": "培训要多久？", "expect_any": ["不存在的说法"], "kind": "paraphrase"},
        {"id": "c", "question": "明天天气怎么样", "answerable": False, "expect_any": []},
    ]
    questions = load_eval_set(_write(tmp_path / "t.jsonl", rows))
    results = run_eval(answerer=ingested.answerer, questions=questions, k=3)
    summary = summarise(results, k=3)
    assert [r.answer.band for r in results] == ["answer", "answer", "unknown"]
    assert summary["confidently_wrong"] == 0.5 and summary["right_passage_refused"] == 0.0
    assert summary["off_topic_answered"] == 0.0
    assert summary["by_kind"]["paraphrase"]["confidently_wrong"] == 1.0
    assert summary["by_kind"]["oos"]["off_topic_answered"] == 0.0
    payload = results[0].to_json()
    assert payload["band"] == "answer" and "90分钟" in payload["answer"] and payload["kind"] == "keyword"


def test_small_talk_figures_count_friendly_replies_to_off_topic_and_answerable_questions_lost(
    ingested: KnowledgeCore, tmp_path: Path
) -> None:
    ingested.answerer.confidence_model = coverage_bands(answer_at=0.7, suggest_at=0.3, chit_chat_below=0.05)
    rows = [
        {"id": "a", "question": "培训要多久？", "expect_any": ["两次各90分钟"]},
        {"id": "b", "question": "明天天气怎么样", "answerable": False, "expect_any": []},  # no word known
        {"id": "c", "question": "上线", "answerable": False, "expect_any": []},  # every passage has it
        # Answerable, but in words the library lacks: the friendly reply loses it.
        {"id": "d", "question": "电脑趴窝了咋整", "expect_any": ["宕机"]},
    ]
    summary = summarise(
        run_eval(answerer=ingested.answerer, questions=load_eval_set(_write(tmp_path / "s.jsonl", rows)))
    )
    assert summary["off_topic_recognised"] == 0.5
    assert summary["lost_as_chit_chat"] == 0.5
