"""What the bot says in chat about surveys, per language: the names of the dimensions and bands, the
headline managers get when a wave closes (``bot.reporting.wave_headlines``), and "not this time".

The console shows the same names (``bot/web/console_text.py`` takes them from here; its
Traditional wording is OpenCC's s2twp of the Simplified one): a manager who reads "情绪 高" in chat
finds "情绪 高" on the page the message links to. A dimension a change team named in its own survey file has no name
here and is shown by its id, as the console does.
"""

from __future__ import annotations

from typing import Final

from bot.wording import pick
from ingest.text import Language

DIMENSION_NAMES: Final[dict[Language, dict[str, str]]] = {
    "zh-Hans": {"cognitive": "认知", "emotional": "情绪", "behavioural": "行为",
                "awareness": "知晓", "desire": "意愿", "knowledge": "知识", "ability": "能力", "reinforcement": "巩固"},
    "zh-Hant": {"cognitive": "認知", "emotional": "情緒", "behavioural": "行為",
                "awareness": "知曉", "desire": "意願", "knowledge": "知識", "ability": "能力", "reinforcement": "鞏固"},
    "en": {"cognitive": "cognitive", "emotional": "emotional", "behavioural": "behavioural",
           "awareness": "awareness", "desire": "desire", "knowledge": "knowledge", "ability": "ability",
           "reinforcement": "reinforcement"},
}  # fmt: skip
BAND_NAMES: Final[dict[Language, dict[str, str]]] = {
    "zh-Hans": {"low": "低", "medium": "中", "high": "高"},
    "zh-Hant": {"low": "低", "medium": "中", "high": "高"},
    "en": {"low": "low", "medium": "medium", "high": "high"},
}

# The headline of a closed wave. ``*_one``: English needs a singular; Chinese says it alike.
RESULTS_READY: Final[dict[Language, dict[str, str]]] = {
    "zh-Hans": {
        "title": "📊 调查结果：{title}", "answered": "邀请 {invited} 人，{respondents} 人完成。",
        "answered_few": "邀请 {invited} 人，完成的不足 {threshold} 人。", "overall": "整体",
        "line": "{unit}：{bands}", "band": "{dimension} {band}", "separator": " · ",
        "hidden": "{count} 个单位人数不足，未单独显示", "hidden_one": "{count} 个单位人数不足，未单独显示",
        "more": "…等 {count} 个单位", "more_one": "…等 {count} 个单位", "link": "完整结果：{url}",
    },
    "zh-Hant": {
        "title": "📊 調查結果：{title}", "answered": "邀請 {invited} 人，{respondents} 人完成。",
        "answered_few": "邀請 {invited} 人，完成的不足 {threshold} 人。", "overall": "整體",
        "line": "{unit}：{bands}", "band": "{dimension} {band}", "separator": " · ",
        "hidden": "{count} 個單位人數不足，未單獨顯示", "hidden_one": "{count} 個單位人數不足，未單獨顯示",
        "more": "…等 {count} 個單位", "more_one": "…等 {count} 個單位", "link": "完整結果：{url}",
    },
    "en": {
        "title": "📊 Survey results: {title}", "answered": "{respondents} of {invited} invited answered.",
        "answered_few": "Fewer than {threshold} of {invited} invited answered.", "overall": "Overall",
        "line": "{unit}: {bands}", "band": "{dimension} {band}", "separator": " · ",
        "hidden": "{count} units had too few respondents to show on their own",
        "hidden_one": "{count} unit had too few respondents to show on its own",
        "more": "…and {count} more units", "more_one": "…and {count} more unit", "link": "Full results: {url}",
    },
}  # fmt: skip

# "Not this time" under an invitation (Telegram) and on the web chat's first question, and what a
# person is told after pressing it: one source, so the two chats say the same thing.
DECLINE: Final[dict[Language, dict[str, str]]] = {
    "zh-Hans": {
        "button": "这次不参加",
        "declined": "好的，这次调查不会再提醒你。如果改变主意，截止前随时点「开始」就能参加。",
    },
    "zh-Hant": {
        "button": "這次不參加",
        "declined": "好的，這次調查不會再提醒你。如果改變主意，截止前隨時點「開始」就能參加。",
    },
    "en": {
        "button": "Not this time",
        "declined": "OK, no more reminders about this survey. If you change your mind, tap Start any time "
        "before it closes.",
    },
}


def dimension_name(dimension: str, language: Language) -> str:
    """A dimension in ``language``'s words (its id when the library's survey named it itself)."""
    return pick(DIMENSION_NAMES, language).get(dimension, dimension)


def band_name(band: str, language: Language) -> str:
    """A band (low, medium, high) in ``language``'s words."""
    return pick(BAND_NAMES, language).get(band, band)
