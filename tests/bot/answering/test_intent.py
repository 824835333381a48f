"""A passage on the right topic that lacks the duration, amount or date asked for does not answer."""

from __future__ import annotations

import pytest

from bot.answering.intent import holds, unmet, wanted


@pytest.mark.parametrize(
    ("question", "want"),
    [
        ("每周五那个复盘会开多久", "duration"),
        ("培訓要多長時間", "duration"),
        ("培训要几耐", "duration"),
        ("how long is the training?", "duration"),
        ("我们店啥时候切换", "date"),
        ("奖金几号发", "date"),
        ("When does my store switch?", "date"),
        ("服务中台之星奖多少钱", "amount"),
        ("How many stores are in the first wave?", "amount"),
        ("遇到问题找谁", None),
        ("为什么要换系统", None),
        ("how do I log in", None),
    ],
)
def test_what_a_question_asks_for(question: str, want: str | None) -> None:
    assert wanted(question) == want


def test_a_passage_must_hold_what_was_asked() -> None:
    assert unmet("周五复盘开多久", "每周五下午，变革办公室和各区域教练一起复盘。")
    assert not unmet("周五复盘开多久", "变革办公室周五复盘，90分钟，看全部在推门店。")
    assert not unmet("培训要多久", "再加半天的门店现场演练。")
    assert unmet("奖多少钱", "评选标准提前公开，谁都能对照。")
    assert not unmet("奖多少钱", "个人奖金800元。")
    assert not unmet("我们店啥时候切换", "第二批门店在下个月切换。")
    assert not unmet("遇到问题找谁", "先问关键用户。")  # not checked: nothing to see
    assert holds("The review runs for 90 minutes.", "duration")
    assert not holds("The review happens every week.", "amount")


@pytest.mark.parametrize(
    ("question", "passage", "is_unmet"),
    [
        # A number, but not of what was counted: "about an hour a week" does not say how many stores.
        (
            "How many stores are in the pilot?",
            "the pilot stores had cut scheduling to about an hour a week",
            True,
        ),
        ("How many stores are in the pilot?", "Wave 1: 5 pilot stores, run for 8 weeks.", False),
        ("How many stores are in the pilot?", "Five pilot stores went first.", False),
        ("试点有几家店", "试点店长把排班从3小时降到1小时", True),
        ("试点有几家店", "第一批5家试点门店用了8周", False),
        ("一共要推多少次", "每批推广2次", False),
        # What is counted is not said: any number will do, as before.
        ("服务中台之星奖多少钱", "每人奖励500元", False),
        ("how many ways can staff send feedback", "there are 3 ways to send feedback", False),
    ],
)
def test_an_amount_must_count_what_was_asked_about(question: str, passage: str, is_unmet: bool) -> None:
    assert unmet(question, passage) is is_unmet
