"""Answers people can read on a phone: whole sentences within the limit, lists on their own lines,
and the whole passage one tap away."""

from __future__ import annotations

from bot.answering.extractive import as_lines, best_window

PASSAGE = (
    "2019年,我们在3家门店试用新系统,效率提升了35%。管理层据此决定3个月内让全部门店同时切换。"
    "半年后系统使用率只有38%,投诉多了23%。事后复盘,问题集中在五处: 1.太快:3个月切完所有门店。"
    "2.一刀切:强店弱店一个标准。3.无视抵触:约60%的店长心里是怀疑的。4.培训走过场:每家店只培训1天。"
    "5.没有激励:员工只感到多了活。"
)


def test_a_window_is_whole_sentences_within_the_limit() -> None:
    window = best_window(PASSAGE, query_tokens=["使用率"], idf={"使用率": 5.0}, max_chars=60)
    assert "38%" in window and len(window) <= 60
    assert window.endswith("。") and not window.endswith("…")
    assert PASSAGE.find(window) >= 0  # consecutive sentences, word for word


def test_a_sentence_longer_than_the_limit_is_cut_after_a_clause() -> None:
    sentence = "切换当天" + "，门店先完成数据备份" * 12 + "。"
    window = best_window(sentence, query_tokens=[], idf={}, max_chars=50)
    assert window.endswith("…") and len(window) <= 50
    assert window[:-1].endswith("数据备份")  # after a clause, not inside a word


def test_numbers_in_the_answer_are_never_split() -> None:
    sentence = "Usage of ServiceHub in the pilot rose from 38 percent to 1234567 orders a week in total."
    window = best_window(sentence, query_tokens=[], idf={}, max_chars=60)
    assert "123456" not in window or "1234567" in window


def test_list_items_go_back_on_their_own_lines() -> None:
    lines = as_lines(PASSAGE).splitlines()
    assert lines[0].endswith("问题集中在五处:")
    assert [line[:2] for line in lines[1:]] == ["1.", "2.", "3.", "4.", "5."]
    assert as_lines("价格是3.5元，版本1.2。") == "价格是3.5元，版本1.2。"  # decimals are no list
    assert as_lines("打服务台热线(每天7:00–23:00)。") == "打服务台热线(每天7:00–23:00)。"  # nor times


def test_a_long_passage_answer_is_short_and_keeps_the_whole_passage(ingested) -> None:  # type: ignore[no-untyped-def]
    ingested.answerer.answer_max_chars = 80
    answer = ingested.answerer.answer("red weeks in a row notify whom?")
    assert answer.answered and len(answer.answer) <= 80 and "regional manager" in answer.answer
    assert answer.full_answer.startswith("Two red weeks") and len(answer.full_answer) > len(answer.answer)
    short = ingested.answerer.answer("培训要多久？")
    assert short.full_answer == ""  # all of it is shown: no "more"


def test_an_english_answer_starts_where_a_sentence_starts() -> None:
    # The passage begins inside a sentence (chunks overlap), and ";" is no sentence end in English.
    passage = (
        "about three hours a week spent building the rota in a spreadsheet; and two complaints from "
        "customers who had been promised a call back that never came. Then she showed him how the pilot "
        "stores had cut scheduling to about an hour a week. That was a cognitive objection, and it needed "
        "facts rather than pressure. The manager asked to spend a day at the nearest pilot store."
    )
    for tokens in (["complaint"], ["pilot", "store"], ["rota"]):
        window = best_window(passage, query_tokens=tokens, idf=dict.fromkeys(tokens, 3.0), max_chars=200)
        assert window[:1].isupper(), (tokens, window)
        assert passage.find(window) >= 0 and len(window) <= 200
    # A passage that is one long English sentence with ";" in it is not split there either.
    window = best_window(passage, query_tokens=["complaint"], idf={"complaint": 3.0}, max_chars=130)
    assert not window.startswith("and ")


def test_an_answer_that_opens_with_a_verdict_keeps_it() -> None:
    faq = (
        "Yes. All of it counts as paid working time and your manager puts it on the rota. "
        "For the first four weeks after go-live a regional coach keeps checking in, so you are not "
        "left on your own after the course."
    )
    window = best_window(faq, query_tokens=["rota"], idf={"rota": 5.0}, max_chars=200)
    assert window.startswith("Yes. All of it counts") and len(window) <= 200
    chinese = "不会。服务中台上线不会裁员，省下来的时间用在顾客身上。试点店一个人都没有减。每家店都按原编制排班，区域经理每月核对一次。"
    assert best_window(chinese, query_tokens=["裁员"], idf={"裁员": 5.0}, max_chars=36).startswith(
        "不会。服务中台"
    )
