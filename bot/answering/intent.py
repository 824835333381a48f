"""Whether a passage holds the kind of thing a question asks for.

"周五复盘开多久" wants a duration, "奖多少钱" an amount, "几号发" a date. A passage on the right
topic that holds no duration, number or date does not answer such a question, however well it
matches its words: "每周五下午，变革办公室和各区域教练一起复盘…" is about the review but says
nothing of how long it takes. Questions asking how, why, where or who are not checked: their
answers have no shape a pattern can see.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from ingest.text import fold, light_stem

Want = Literal["duration", "amount", "date"]

_CN_DIGITS: Final = "零〇一二两三四五六七八九十百千万半"
_NUMBER: Final = rf"(?:\d+(?:\.\d+)?|[{_CN_DIGITS}]+)"

# Checked in this order: "多长时间" is a duration before it is an amount.
_ASKS: Final[tuple[tuple[Want, re.Pattern[str]], ...]] = (
    ("duration", re.compile(
        r"多久|多长时间|多长|多会儿|几天|几周|几年|几个月|几小时|几分钟|几耐|"
        r"\bhow long\b|\bhow many (?:days|weeks|hours|minutes|months)\b|\bhow fast\b|\bhow soon\b"
    )),
    ("date", re.compile(
        r"什么时候|啥时候|何时|几时|几号|几点|哪天|哪一天|哪个月|\bwhen\b|\bwhat time\b|\bwhat date\b|\bwhich day\b"
    )),
    ("amount", re.compile(
        r"多少|几个|几次|几家|几成|几多|几位|几名|几条|几项|几张|几份|\bhow (?:many|much)\b|\bwhat percent"
    )),
)  # fmt: skip

_HAS: Final[dict[Want, re.Pattern[str]]] = {
    "duration": re.compile(
        rf"{_NUMBER}\s*(?:个)?(?:分钟|小时|天|日|周|星期|个月|月|年|工作日)|半天|半小时|当天|当周|"
        r"\d+\s*(?:minutes?|hours?|days?|weeks?|months?|years?)\b|\bhalf (?:a|an) (?:day|hour)\b"
    ),
    "date": re.compile(
        rf"{_NUMBER}\s*(?:月|日|号|点)|周[一二三四五六日天]|星期[一二三四五六日天]|每月|每周|月底|月初|"
        rf"上午|下午|晚上|早上|中午|第{_NUMBER}\s*(?:批|周|个工作日|天)|\d{{1,2}}:\d{{2}}|\d{{4}}年|"
        r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|"
        r"june|july|august|september|october|november|december|week|month)\b|\bwave \d|\d{1,2}:\d{2}"
    ),
    "amount": re.compile(rf"\d|[{_CN_DIGITS}](?:个|次|家|成|位|名|条|项|张|份|元|块|倍)|%|百分之"),
}


def wanted(question: str) -> Want | None:
    """What shape of answer ``question`` asks for, if one a pattern can check."""
    text = fold(question).lower()
    for want, pattern in _ASKS:
        if pattern.search(text):
            return want
    return None


def holds(passage: str, want: Want) -> bool:
    """Whether ``passage`` holds something of that shape."""
    return _HAS[want].search(fold(passage).lower()) is not None


# "几家店" counts stores: a passage that holds a number, but no number of stores ("约1小时"),
# does not say how many. The counter is a Chinese measure word after 几/多少, or the English noun
# after "how many".
_COUNTED_ZH: Final = re.compile(r"(?:几|多少)(家|次|人|位|名|批|款|条|项|张|份|个人|个店|个门店)")
_COUNTED_EN: Final = re.compile(r"\bhow many ([a-z]+)")
_EN_COUNT_SKIP: Final = frozenset({"of", "more", "people", "times"})
_EN_NUMBER: Final = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred)"


def counted(question: str) -> str | None:
    """What an amount question counts, when it says: "家" for "几家店", "store" for "how many stores"."""
    text = fold(question).lower()
    found = _COUNTED_ZH.search(text)
    if found:
        return found.group(1)[-1] if found.group(1).startswith("个") else found.group(1)
    found = _COUNTED_EN.search(text)
    if found and found.group(1) not in _EN_COUNT_SKIP:
        return light_stem(found.group(1))
    return None


def counts(passage: str, counter: str) -> bool:
    """Whether ``passage`` gives a number of ``counter`` ("5家", "five pilot stores")."""
    text = fold(passage).lower()
    if counter.isascii():
        # The noun may follow a word or two after the number: "5 pilot stores".
        pattern = rf"\b{_EN_NUMBER}\s+(?:[a-z-]+\s+){{0,2}}{re.escape(counter)}"
        return re.search(pattern, text) is not None
    return re.search(rf"{_NUMBER}\s*(?:个)?{re.escape(counter)}", text) is not None


def unmet(question: str, passage: str) -> bool:
    """True when the question asks for a duration, amount or date and the passage has none (for
    an amount that names what it counts, none of that)."""
    want = wanted(question)
    if want is None:
        return False
    counter = counted(question) if want == "amount" else None
    if counter is not None:
        return not counts(passage, counter)
    return not holds(passage, want)
