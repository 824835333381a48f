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
    "zh-Hans": "🚨 {unit} 已连续 {weeks} 周红灯，按预警规则升级到你这里。\n原因：{reasons}",
    "zh-Hant": "🚨 {unit} 已連續 {weeks} 週紅燈，依預警規則升級到你這裡。\n原因：{reasons}",
    "en": "🚨 {unit} has been red for {weeks} weeks in a row; the warning rules escalate it to you.\nWhy: {reasons}",
}
# What changed, in plain words (``alerts.reason_sentence``): the line a usage rate fell below is the
# threshold of the light it fell into.
LINE_NAMES: Final = {
    "zh-Hans": {"orange": "橙灯", "red": "红灯"},
    "zh-Hant": {"orange": "橙燈", "red": "紅燈"},
    "en": {"orange": "orange", "red": "red"},
}
USAGE_BELOW: Final = {
    "zh-Hans": "使用率 {rate}，低于{line}线 {threshold}",
    "zh-Hant": "使用率 {rate}，低於{line}線 {threshold}",
    "en": "usage is {rate}, below the {line} line of {threshold}",
}
USAGE_ONLY: Final = {
    "zh-Hans": "使用率 {rate}（单看使用率是{light}）",
    "zh-Hant": "使用率 {rate}（單看使用率是{light}）",
    "en": "usage is {rate} (on usage alone: {light})",
}
RESISTANCE_FLAG: Final = {
    "zh-Hans": "最近一次脉搏调查显示{levels}抵触偏高，灯色降一级",
    "zh-Hant": "最近一次脈搏調查顯示{levels}抵觸偏高，燈色降一級",
    "en": "the latest pulse shows high {levels} resistance, which makes the light one level worse",
}
UNANSWERED_FLAG: Final = {
    "zh-Hans": "答不上的问题升到 {rate}，灯色降一级",
    "zh-Hant": "答不上的問題升到 {rate}，燈色降一級",
    "en": "unanswered questions are up to {rate}, which makes the light one level worse",
}
LIST_SEPARATOR: Final = {"zh-Hans": "、", "zh-Hant": "、", "en": " and "}
CLAUSE_SEPARATOR: Final = {"zh-Hans": "；", "zh-Hant": "；", "en": "; "}
FULL_STOP: Final = {"zh-Hans": "。", "zh-Hant": "。", "en": "."}
SUGGESTIONS: Final = {"zh-Hans": "建议做法：", "zh-Hant": "建議做法：", "en": "Suggested responses:"}
SOURCE: Final = {"zh-Hans": "来源", "zh-Hant": "來源", "en": "Source"}
NONE_YET: Final = {"zh-Hans": "无", "zh-Hant": "無", "en": "none"}

REVIEW: Final = {
    "zh-Hans": {
        "title": "📋 每周变革复盘 · {week} 这一周",
        "lights": "灯色", "moved": "（上周 {before}）", "no_lights": "本周还没有使用率数据。", "provisional": "（暂定：周一评估后确认）",
        "waves": "批次进展", "wave": "第{number}批：{successes}/{units} 家绿灯或黄灯，目标 {target:.0%} —— {advice}",
        "resistance": "抵触情况（最近一次脉搏调查）", "resistance_line": "{level}：{high} 个单位偏高，{medium} 个中等",
        "no_resistance": "还没有可展示的脉搏调查结果。",
        "gaps": "大家问了但没答上的问题", "gap_line": "“{example}”（{count} 次）", "no_gaps": "没有待解答的问题。",
        "reach": "推送与愿景", "reach_line": "愿景听到 {target} 次以上的同事：{share:.0%}（{reached}/{people}）；上周推送送达 {delivered} 次",
        "actions": "上周定下的行动", "action_open": "⬜ {what}（{owner}，{due} 前）", "action_done": "✅ {what}（{owner}）",
        "no_actions": "没有待办行动。用 /action 内容 | 负责人 | 截止日期 添加。",
        "link": "完整内容：{url}",
    },
    "zh-Hant": {
        "title": "📋 每週變革複盤 · {week} 這一週",
        "lights": "燈色", "moved": "（上週 {before}）", "no_lights": "本週還沒有使用率資料。", "provisional": "（暫定：週一評估後確認）",
        "waves": "批次進展", "wave": "第{number}批：{successes}/{units} 家綠燈或黃燈，目標 {target:.0%} —— {advice}",
        "resistance": "抵觸情況（最近一次脈搏調查）", "resistance_line": "{level}：{high} 個單位偏高，{medium} 個中等",
        "no_resistance": "還沒有可展示的脈搏調查結果。",
        "gaps": "大家問了但沒答上的問題", "gap_line": "「{example}」（{count} 次）", "no_gaps": "沒有待解答的問題。",
        "reach": "推送與願景", "reach_line": "願景聽到 {target} 次以上的同事：{share:.0%}（{reached}/{people}）；上週推送送達 {delivered} 次",
        "actions": "上週定下的行動", "action_open": "⬜ {what}（{owner}，{due} 前）", "action_done": "✅ {what}（{owner}）",
        "no_actions": "沒有待辦行動。用 /action 內容 | 負責人 | 截止日期 新增。",
        "link": "完整內容：{url}",
    },
    "en": {
        "title": "📋 Weekly change review · week of {week}",
        "lights": "Lights", "moved": " (last week {before})", "no_lights": "No usage figures for this week yet.", "provisional": " (provisional until Monday's evaluation)",
        "waves": "Waves", "wave": "Wave {number}: {successes}/{units} green or yellow, target {target:.0%} — {advice}",
        "resistance": "Resistance (latest pulse)", "resistance_line": "{level}: {high} units high, {medium} medium",
        "no_resistance": "No pulse results to show yet.",
        "gaps": "Questions people asked that went unanswered", "gap_line": "“{example}” ({count}×)",
        "no_gaps": "No open questions.",
        "reach": "Broadcasts and the vision",
        "reach_line": "Heard the vision {target}+ times: {share:.0%} ({reached}/{people}); copies delivered last week: {delivered}",
        "actions": "Actions agreed last week", "action_open": "⬜ {what} ({owner}, due {due})", "action_done": "✅ {what} ({owner})",
        "no_actions": "No open actions. Add one with /action what | owner | due date.",
        "link": "Full pack: {url}",
    },
}  # fmt: skip

USAGE_REMINDER: Final = {
    "zh-Hans": "📊 请报告上周服务中台的使用率：回复 /usage 加百分比，例如 /usage 72。",
    "zh-Hant": "📊 請回報上週服務中台的使用率：回覆 /usage 加百分比，例如 /usage 72。",
    "en": "📊 Please report last week's ServiceHub usage: reply /usage with the percentage, e.g. /usage 72.",
}
