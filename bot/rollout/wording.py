"""What the rollout alerts and the weekly review say, per language."""

from __future__ import annotations

from typing import Final

LIGHT_NAMES: Final = {
    "zh-Hans": {"green": "🟢 绿灯", "yellow": "🟡 黄灯", "orange": "🟠 橙灯", "red": "🔴 红灯"},
    "zh-Hant": {"green": "🟢 綠燈", "yellow": "🟡 黃燈", "orange": "🟠 橙燈", "red": "🔴 紅燈"},
    "en": {"green": "🟢 green", "yellow": "🟡 yellow", "orange": "🟠 orange", "red": "🔴 red"},
}
LEVEL_NAMES: Final = {
    "zh-Hans": {"cognitive": "认知层（不理解）", "emotional": "情绪层（不喜欢、担心）", "behavioural": "行为层（不配合）"},
    "zh-Hant": {"cognitive": "認知層（不理解）", "emotional": "情緒層（不喜歡、擔心）", "behavioural": "行為層（不配合）"},
    "en": {"cognitive": "cognitive (don't understand)", "emotional": "emotional (don't like it, worried)",
           "behavioural": "behavioural (won't go along)"},
}  # fmt: skip
LIGHT_ALERT: Final = {
    "zh-Hans": "⚠️ {unit} 本周 {light}（上周 {before}）。\n原因：{reasons}",
    "zh-Hant": "⚠️ {unit} 本週 {light}（上週 {before}）。\n原因：{reasons}",
    "en": "⚠️ {unit} is {light} this week (last week {before}).\nWhy: {reasons}",
}
RESISTANCE_ALERT: Final = {
    "zh-Hans": "⚠️ {unit} 最近一次脉搏调查：{level}抵触偏高。",
    "zh-Hant": "⚠️ {unit} 最近一次脈搏調查：{level}抵觸偏高。",
    "en": "⚠️ {unit}'s latest pulse shows high {level} resistance.",
}
DOMINANT: Final = {
    "zh-Hans": "主要抵触：{level}",
    "zh-Hant": "主要抵觸：{level}",
    "en": "Main resistance: {level}",
}
ESCALATION: Final = {
    "zh-Hans": "🚨 {unit} 已连续 {weeks} 周红灯，按预警规则升级到你这里。{reasons}",
    "zh-Hant": "🚨 {unit} 已連續 {weeks} 週紅燈，依預警規則升級到你這裡。{reasons}",
    "en": "🚨 {unit} has been red for {weeks} weeks in a row; the warning rules escalate it to you. {reasons}",
}
SUGGESTIONS: Final = {"zh-Hans": "建议做法：", "zh-Hant": "建議做法：", "en": "Suggested responses:"}
SOURCE: Final = {"zh-Hans": "来源", "zh-Hant": "來源", "en": "Source"}
NONE_YET: Final = {"zh-Hans": "无", "zh-Hant": "無", "en": "none"}
