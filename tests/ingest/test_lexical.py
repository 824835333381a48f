import numpy as np
import pytest

from ingest.lexical import LexicalIndex


@pytest.fixture
def index() -> LexicalIndex:
    return LexicalIndex.build([["门店", "上线", "培训"], ["培训", "时长"], ["红灯", "升级", "区域经理"], []])


def test_scores_rank_documents_with_rarer_terms_higher(index: LexicalIndex) -> None:
    scores = index.scores(["红灯"])
    assert int(np.argmax(scores)) == 2
    assert scores[0] == scores[1] == scores[3] == 0
    both = index.scores(["培训", "时长"])
    assert both[1] > both[0] > 0


def test_unknown_terms_score_nothing_and_count_against_coverage(index: LexicalIndex) -> None:
    assert not index.scores(["天气"]).any()
    assert index.coverage(["培训", "时长"], 1) == pytest.approx(1.0)
    partial = index.coverage(["培训", "天气"], 1)
    assert 0 < partial < 0.5  # the unknown word weighs more than the common one
    assert index.coverage([], 1) == 0.0


def test_intent_words_rank_but_do_not_count_toward_coverage() -> None:
    index = LexicalIndex.build([["培训", "多久"], ["培训", "上班", "时间"], ["红灯", "多久"]])
    scores = index.scores(["培训", "多久"])
    assert scores[0] > scores[1] > 0
    # The paid-time FAQ covers "培训要多久" as fully as the training-length one: 多久 is not topic.
    assert index.coverage(["培训", "多久"], 1) == pytest.approx(1.0)
    # An intent word plus an unknown topic is not half-covered by a passage that says 多久.
    assert index.coverage(["火锅", "多久"], 0) == 0.0
    assert index.coverage(["多久"], 0) == 0.0


def test_save_and_load_round_trip(index: LexicalIndex, tmp_path) -> None:  # type: ignore[no-untyped-def]
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    assert loaded.vocabulary == index.vocabulary
    np.testing.assert_allclose(loaded.scores(["培训", "红灯"]), index.scores(["培训", "红灯"]))
