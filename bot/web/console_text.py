"""The console's words in Simplified Chinese, Traditional Chinese and English.

The Traditional wording is the Simplified one converted with OpenCC's Taiwan phrases (s2twp:
文件, 資料, 使用者), then corrected where that conversion picks the wrong sense for a console
("审核" is a review here, not an audit); one source of wording keeps the two from drifting.
"""

from __future__ import annotations

import re
from typing import Final

import opencc

from bot.surveys.wording import BAND_NAMES, DIMENSION_NAMES
from bot.wording import pick

CONSOLE: Final[dict[str, dict[str, str]]] = {
    "zh-Hans": {
        "console": "变革控制台", "overview": "总览", "knowledge": "知识库", "broadcasts": "推送", "surveys": "脉搏调查",
        "people": "人员与单位", "sign_out": "退出", "signed_in_as": "当前用户",
        "sign_in_title": "请先登录", "sign_in_text": "在 Telegram 里给变革助手发送 /web，点开它回复的链接即可登录（15 分钟内有效，只能用一次）。",
        "people_count": "在册员工", "active_askers": "本周提问的人", "questions": "本周提问", "answer_rate": "直接回答",
        "answered_band": "已回答", "suggested_band": "给了候选", "unknown_band": "暂答不上", "chit_chat": "其中闲聊",
        "helpful_of": "觉得有用（{n} 条评价）", "not_rated": "还没有评价",
        "delivered": "本周推送送达", "reactions": "点赞", "vision": "愿景达标", "vision_hint": "听到愿景 {n} 次以上的人",
        "heatmap": "抵触热力图（最近一次脉搏调查）", "no_heatmap": "还没有可展示的脉搏调查结果（需已结束且每组不少于门槛人数）。",
        "lights": "上周灯色", "no_lights": "上周还没有使用率数据。", "unit": "单位", "light": "灯色", "usage": "使用率", "why": "原因",
        "trend": "近 8 周趋势", "trend_questions": "提问数", "upload": "上传文件", "folder": "目录", "file": "文件",
        "upload_button": "上传并更新索引", "reindex": "重新建立索引", "progress": "索引进度", "documents": "文档",
        "title": "标题", "type": "类型", "chunks": "片段", "try": "试问一个问题", "ask": "试问", "answer": "回答",
        "sources": "来源", "score": "得分", "gaps": "待解答的问题", "no_gaps": "没有待解答的问题。", "times": "次",
        "reply": "回答", "save_faq": "同时存为常见问题", "send_reply": "发送回答", "compose": "新建推送", "text": "内容",
        "audience": "受众（每行一个，如 unit:华东区、all、lang:en）", "send_at": "发送时间（留空 = 现在）", "must_read": "需要确认已读",
        "send": "发送", "status": "状态", "recipients": "收件人", "failed": "失败", "blocked": "已屏蔽", "acks": "已读",
        "cancel": "取消", "waves": "调查批次", "launch": "发起调查", "survey": "调查", "closes": "截止", "invited": "邀请",
        "responded": "已完成", "declined": "这次不参加", "declined_hint": "调查结束后才显示，而且只在不参加和参加的人都够多、看不出是谁时显示",
        "rate": "完成率", "results": "结果", "dimension": "维度", "mean": "均值", "band": "等级",
        "suppressed": "已隐藏", "units": "单位", "invite": "生成邀请码", "role": "角色", "uses": "可用次数", "create": "生成",
        "code": "邀请码", "done": "完成", "submit": "提交",
        "team_faqs": "团队写的常见问题（审核）", "waiting_review": "待审核", "review_overdue": "该复查了", "scope": "适用范围",
        "everyone": "全公司", "owner": "作者", "created": "写于", "review_by": "复查日期", "promote": "推广到全公司",
        "retire": "下线", "edit": "修改", "save": "保存", "no_team_faqs": "还没有团队写的常见问题。",
        "or_faq": "或者直接用已有的常见问题回答（它会记住这种问法）：", "learned": "助手学到的问法",
        "learned_hint": "员工点了“有用”，或管理者用已有常见问题回答时，员工的原话会记成那条常见问题的另一种问法，下次同样问就直接回答。不合适的请下线。",
        "no_learned": "还没有学到新的问法。", "from_helpful": "提问人觉得有用", "from_manager": "管理者用它回答",
        "restore": "恢复", "retired": "已下线", "learned_for": "对应问题", "wording": "员工的原话",
        "story": "成功故事", "story_text": "发生了什么、谁做的、带来了什么变化", "preview": "预览（员工看到的就是这样）",
        "write_story": "写好了，预览", "send_now": "现在发给本单位", "schedule": "定时发送", "submit_review": "提交审核（进入每周精选）",
        "discard": "放弃", "pending_review": "待审核的故事", "approve": "通过", "reject": "退回", "vision_series": "愿景系列",
        "variants": "几种说法（每种之间空一行）", "cadence": "频率（每个人的当地时间）", "stop": "停止", "next": "下一次",
        "days": "哪几天", "time_of_day": "几点", "every_week": "每周", "every_n_weeks": "每 {n} 周",
        "preview_times": "预览接下来五次", "next_sends": "接下来五次（按你的时间）",
        "zone_hint": "在 Telegram 里给变革助手发送 /tz 可以修改时区", "closes_at": "截止时间（留空 = 按上面的小时数）",
        "broadcast": "推送详情", "unread": "未读", "unread_by_unit": "各单位未读人数", "unread_people": "还没确认阅读的人",
        "all_read": "收到的人都已确认阅读。", "name": "姓名", "copy_state": "送达情况", "no_unit": "（无单位）",
        "back_to_list": "返回推送列表", "state_sent": "已送达", "state_queued": "待发送", "state_claimed": "待发送",
        "state_sending": "发送中", "state_failed": "发送失败", "state_blocked": "已屏蔽机器人", "state_uncertain": "不确定是否送达",
        # Added to a send or a schedule while no sender worker is running (bot.broadcasts.senders).
        "no_sender_now": "注意：现在没有发送进程在运行，推送还不会送出。请启动 `changebot worker`，或设好 Telegram token 后启动 `changebot serve`。",
        "no_sender_later": "注意：现在没有发送进程在运行：到时间后也要等发送进程启动才会送出。请启动 `changebot worker`，或设好 Telegram token 后启动 `changebot serve`。",
        # A closed wave's results page (/console/surveys/{id}).
        "r_back": "全部调查批次", "r_closed": "{date} 结束", "r_overall": "整体",
        "r_answered": "邀请 {invited} 人，{respondents} 人完成", "r_answered_few": "邀请 {invited} 人，完成的不足 {threshold} 人",
        "r_bands": "各单位的等级",
        "r_bands_resistance": "分数越高，抵触越强。颜色是等级：绿 = 低，黄 = 中，红 = 高；格子里是均值（1-5 分）。",
        "r_bands_readiness": "分数越高，准备得越好；等级看的是还差多少（6 - 均值）。颜色：绿 = 低，黄 = 中，红 = 高；格子里是均值（1-5 分）。",
        "r_hidden": "为保护匿名，不单独显示的单位", "r_why_few": "完成的不足 {threshold} 人",
        "r_why_differencing": "减去下面已显示的单位后，剩下的不足 {threshold} 人，可能被认出来",
        "r_why_overlap": "受众和同一调查的另一批只差几个人，两批一对比就能看出他们的答案",
        "r_no_groups": "你的单位都没有参加这批调查，没有可以给你看的结果。",
        "r_only_hidden": "你的单位都因为人数太少而不显示，所以这里没有数字。",
        "r_open": "这批调查还在进行中，{closes} 截止。结果在截止后才出：进行中就看结果，可能看出谁答了什么。",
        "r_scheduled": "这批调查还没开始（{opens} 开始，{closes} 截止），截止后才有结果。",
        "r_cancelled": "这批调查已取消，没有结果。", "r_not_found": "没有这批调查。",
        "r_no_survey": "这批调查用的问卷已经不在知识库里，无法显示结果。",
        "r_questions": "逐题看回答", "r_questions_hint": "每个已显示单位的回答分布；人数不足的单位不显示。",
        "r_reverse": "正向说法 · 反向计分", "r_reverse_hint": "同意得分低：计分时按 6 减去回答",
        "r_question_few": "{n} 个单位回答这道题的不足 {threshold} 人，未显示", "r_mean_answer": "平均回答",
        "r_people": "{n} 人", "r_person": "{n} 人", "r_trend": "趋势",
        "r_trend_hint": "这份问卷已结束的各批（到这一批为止）每个维度的均值（1-5 分）；浅色带是中、高等级的范围，空缺是那一批这个单位没有显示。",
        "r_no_trend": "这是这份问卷第一批结束的调查，还没有趋势。", "r_barrier": "卡点（ADKAR）",
        "r_barrier_hint": "按知晓 → 意愿 → 知识 → 能力 → 巩固的顺序，第一个均值在 3 分或以下的要素。",
        "r_barrier_at": "卡在「{element}」（均值 {mean}）", "r_no_barrier": "没有卡点：各要素的均值都高于 3 分",
        "r_barrier_people": "按个人看", "r_no_barrier_person": "没有卡点", "r_comments": "留言",
        "r_comments_hint": "只有已显示单位的留言；随机排列，不带时间，也不说来自下面哪个单位。",
        "r_comments_few": "{n} 条留言未显示：这里完成的不足 {threshold} 人（留言的门槛）。",
        "r_comments_differencing": "{n} 条留言未显示：减去下面已显示留言的单位后，剩下的不足 {threshold} 人。",
        "r_comments_hidden_units": "不显示的单位，留言也一律不显示。", "r_no_comments": "没有留言。",
        "r_advice": "下一步怎么做", "r_advice_hint": "等级为中或高的维度，知识库里的建议。",
        "r_advice_units": "{band}：{units}", "r_advice_none": "知识库里还没有这方面的建议。",
        "r_all_low": "各维度都是低等级，暂时不需要额外行动。", "r_source": "来源",
    },
    "en": {
        "console": "Change console", "overview": "Overview", "knowledge": "Knowledge", "broadcasts": "Broadcasts",
        "surveys": "Surveys", "people": "People and units", "sign_out": "Sign out", "signed_in_as": "Signed in as",
        "sign_in_title": "Please sign in", "sign_in_text": "Send /web to the change assistant in Telegram and open the link it replies with (valid for 15 minutes, once).",
        "people_count": "Staff", "active_askers": "Asked this week", "questions": "Questions this week",
        "answer_rate": "Answered at once", "answered_band": "answered", "suggested_band": "did you mean",
        "unknown_band": "don't know yet", "chit_chat": "chit-chat", "helpful_of": "found it helpful ({n} rated)",
        "not_rated": "no ratings yet", "delivered": "Copies delivered this week", "reactions": "Claps",
        "vision": "Vision target reached", "vision_hint": "people who heard the vision {n}+ times",
        "heatmap": "Resistance heatmap (latest pulse)", "no_heatmap": "No pulse results to show yet (closed, and every group above the threshold).",
        "lights": "Last week's lights", "no_lights": "No usage figures for last week yet.", "unit": "Unit", "light": "Light",
        "usage": "Usage", "why": "Why", "trend": "Last 8 weeks", "trend_questions": "Questions", "upload": "Upload a file",
        "folder": "Folder", "file": "File", "upload_button": "Upload and index", "reindex": "Re-index the library",
        "progress": "Indexing", "documents": "Documents", "title": "Title", "type": "Type", "chunks": "Chunks",
        "try": "Try a question", "ask": "Ask", "answer": "Answer", "sources": "Sources", "score": "Score",
        "gaps": "Unanswered questions", "no_gaps": "No open questions.", "times": "×", "reply": "Answer",
        "save_faq": "Also save as a FAQ", "send_reply": "Send the answer", "compose": "New broadcast", "text": "Text",
        "audience": "Audience (one per line: unit:East, all, lang:en)", "send_at": "Send at (empty = now)",
        "must_read": "Ask to acknowledge", "send": "Send", "status": "Status", "recipients": "Recipients",
        "failed": "Failed", "blocked": "Blocked", "acks": "Read", "cancel": "Cancel", "waves": "Waves", "launch": "Launch a survey",
        "survey": "Survey", "closes": "Closes", "invited": "Invited", "responded": "Finished", "declined": "Not this time",
        "declined_hint": "Shown once the wave has closed, and only when enough people declined, and enough did not, that nobody is singled out",
        "rate": "Rate",
        "results": "Results", "dimension": "Dimension", "mean": "Mean", "band": "Band", "suppressed": "Hidden",
        "units": "Units", "invite": "Create an invite code", "role": "Role", "uses": "Uses", "create": "Create",
        "code": "Code", "done": "Done", "submit": "Submit",
        "team_faqs": "FAQs the team wrote (review)", "waiting_review": "waiting for review", "review_overdue": "review due",
        "scope": "Answers for", "everyone": "everyone", "owner": "Written by", "created": "Written", "review_by": "Review by",
        "promote": "Promote to everyone", "retire": "Retire", "edit": "Edit", "save": "Save",
        "no_team_faqs": "No FAQs written by the team yet.",
        "or_faq": "Or answer with an existing FAQ (it learns this wording):", "learned": "Wordings the bot learned",
        "learned_hint": "When someone finds an FAQ answer helpful, or a manager answers with an existing FAQ, the asker's words become another way of asking that FAQ, answered straight away next time. Retire any that don't fit.",
        "no_learned": "Nothing learned yet.", "from_helpful": "the asker found it helpful", "from_manager": "a manager answered with it",
        "restore": "Restore", "retired": "retired", "learned_for": "FAQ", "wording": "The asker's words",
        "story": "Success story", "story_text": "What happened, who did it, what changed", "preview": "Preview (exactly what staff will see)",
        "write_story": "Preview it", "send_now": "Send to my unit now", "schedule": "Schedule", "submit_review": "Submit for the weekly digest",
        "discard": "Discard", "pending_review": "Stories waiting for review", "approve": "Approve", "reject": "Reject",
        "vision_series": "Vision series", "variants": "Wordings (a blank line between them)", "cadence": "Cadence (each person's local time)",
        "stop": "Stop", "next": "Next",
        "days": "Days", "time_of_day": "Time of day", "every_week": "every week", "every_n_weeks": "every {n} weeks",
        "preview_times": "Preview the next five", "next_sends": "The next five (on your clock)",
        "zone_hint": "Send /tz to the change assistant in Telegram to change your time zone",
        "closes_at": "Closes at (empty = after the hours above)",
        "broadcast": "Broadcast", "unread": "Not read", "unread_by_unit": "Not read yet, per unit",
        "unread_people": "Who has not read it yet", "all_read": "Everyone it reached has marked it read.", "name": "Name",
        "copy_state": "Their copy", "no_unit": "(no unit)", "back_to_list": "Back to broadcasts",
        "state_sent": "delivered", "state_queued": "waiting to go", "state_claimed": "waiting to go", "state_sending": "going out",
        "state_failed": "failed", "state_blocked": "blocked the bot", "state_uncertain": "may not have arrived",
        "no_sender_now": "Nothing is being delivered yet: no sender is running. Start `changebot worker`, or `changebot serve` with a Telegram token.",
        "no_sender_later": "No sender is running: it will go out only once one runs. Start `changebot worker`, or `changebot serve` with a Telegram token.",
        "r_back": "All waves", "r_closed": "closed {date}", "r_overall": "Overall",
        "r_answered": "{respondents} of {invited} invited answered",
        "r_answered_few": "Fewer than {threshold} of {invited} invited answered", "r_bands": "Bands by unit",
        "r_bands_resistance": "Higher scores mean more resistance. The colour is the band: green = low, yellow = medium, red = high; each cell shows the mean (1-5).",
        "r_bands_readiness": "Higher scores mean more ready; the band is how far there is to go (6 - mean). Green = low, yellow = medium, red = high; each cell shows the mean (1-5).",
        "r_hidden": "Not shown on their own, to keep answers anonymous", "r_why_few": "fewer than {threshold} people answered",
        "r_why_differencing": "subtracting the units shown below it would leave fewer than {threshold} people, who could be recognised",
        "r_why_overlap": "its audience differs from another wave of this survey by only a few people; comparing the two would show their answers",
        "r_no_groups": "None of your units took part in this wave, so there are no results to show you.",
        "r_only_hidden": "Each of your units had too few answers to show, so there are no figures here.",
        "r_open": "This wave is still open until {closes}. Results come once it closes: watching them while people answer could show who said what.",
        "r_scheduled": "This wave has not started yet (opens {opens}, closes {closes}); results come once it closes.",
        "r_cancelled": "This wave was cancelled; it has no results.", "r_not_found": "There is no such wave.",
        "r_no_survey": "This wave's survey is no longer in the library, so its results cannot be shown.",
        "r_questions": "Answers per question", "r_questions_hint": "How each shown unit answered; units with too few answers are left out.",
        "r_reverse": "positively worded · reverse-scored", "r_reverse_hint": "Agreeing scores low: counted as 6 minus the answer",
        "r_question_few": "Left out: {n} units where fewer than {threshold} answered this question", "r_mean_answer": "Mean answer",
        "r_people": "{n} people", "r_person": "{n} person", "r_trend": "Trend",
        "r_trend_hint": "Each dimension's mean (1-5) in this survey's closed waves up to this one; the shaded bands are the medium and high ranges, and a gap is a wave that did not show the unit.",
        "r_no_trend": "This is the survey's first closed wave: there is no trend yet.", "r_barrier": "Barrier point (ADKAR)",
        "r_barrier_hint": "The first element, in the order awareness → desire → knowledge → ability → reinforcement, whose mean is 3 or lower.",
        "r_barrier_at": "stuck at {element} (mean {mean})", "r_no_barrier": "no barrier point: every element's mean is above 3",
        "r_barrier_people": "Person by person", "r_no_barrier_person": "no barrier point", "r_comments": "Comments",
        "r_comments_hint": "Comments of shown units only, in random order, without times or which unit below they came from.",
        "r_comments_few": "Comments not shown: {n}. Fewer than {threshold} people answered here (the threshold for comments).",
        "r_comments_differencing": "Comments not shown: {n}. Subtracting the units below whose comments are shown would leave fewer than {threshold} people.",
        "r_comments_hidden_units": "Units that are not shown never have their comments shown either.", "r_no_comments": "No comments.",
        "r_advice": "What to do", "r_advice_hint": "From the library, for each dimension in the medium or high band.",
        "r_advice_units": "{band}: {units}", "r_advice_none": "The library has nothing on this yet.",
        "r_all_low": "Every dimension is in the low band: nothing extra to do for now.", "r_source": "Source",
    },
}  # fmt: skip


# Stored values a page shows (statuses, lights, bands, survey dimensions), by language: a page
# shows ``value_label(t, value)``, the value itself only for one it does not know (a dimension a
# change team named in its own survey file).
_VALUES: Final[dict[str, dict[str, str]]] = {
    "zh-Hans": {
        "scheduled": "待发送", "sending": "发送中", "sent": "已发送", "cancelled": "已取消",
        "open": "进行中", "closed": "已结束",
        "green": "绿灯", "yellow": "黄灯", "orange": "橙灯", "red": "红灯",
        **BAND_NAMES["zh-Hans"], **DIMENSION_NAMES["zh-Hans"],  # the chat's words for them, one source
        "message": "推送", "story": "成功故事", "digest": "每周精选", "vision": "愿景", "survey": "调查邀请",
        "alert": "预警", "escalation": "转交的问题", "notice": "通知", "reminder": "提醒",
        "draft": "草稿", "pending": "待审核", "approved": "已通过", "rejected": "已退回",
        "staff": "员工", "manager": "主管", "none_delivered": "还没有送到任何人：送到之后，这里列出谁还没确认阅读。",
        "people_staff": "员工 {n} 人", "people_managers": "主管：{names}", "everywhere": "全公司", "hours": "小时",
    },
    "en": {
        "scheduled": "scheduled", "sending": "sending", "sent": "sent", "cancelled": "cancelled",
        "open": "open", "closed": "closed",
        "green": "green", "yellow": "yellow", "orange": "orange", "red": "red",
        **BAND_NAMES["en"], **DIMENSION_NAMES["en"],
        "message": "announcement", "story": "success story", "digest": "weekly digest", "vision": "vision",
        "survey": "survey invitation", "alert": "alert", "escalation": "escalated question", "notice": "notice",
        "reminder": "reminder",
        "draft": "draft", "pending": "waiting for review", "approved": "approved", "rejected": "rejected",
        "staff": "staff", "manager": "manager",
        "none_delivered": "Not delivered to anyone yet: once it is, who has not marked it read shows here.",
        "people_staff": "{n} staff", "people_managers": "managers: {names}", "everywhere": "everyone", "hours": "hours",
    },
}  # fmt: skip
for _language, _values in _VALUES.items():
    CONSOLE[_language].update({f"v_{value}": label for value, label in _values.items()})

# Where s2twp's Taiwan phrase is the wrong word in a console.
_TRADITIONAL_FIXES: Final = (
    ("稽核", "審核"),  # a review of an FAQ or a story, not an audit
    ("型別", "類型"),  # a document's type, not a programming type
    ("點贊", "按讚"),
    ("遮蔽", "封鎖"),  # a person who blocked the bot
    ("“", "「"),
    ("”", "」"),
)


# Weeks after a number or a placeholder ("8 周", "{n} 周"): s2twp writes 週 only inside phrases it knows.
_WEEKS_AFTER_A_NUMBER: Final = re.compile(r"([0-9}] ?)周")


def _traditional(text: str) -> str:
    converted = _WEEKS_AFTER_A_NUMBER.sub(r"\1週", str(_S2TWP.convert(text)))
    for wrong, right in _TRADITIONAL_FIXES:
        converted = converted.replace(wrong, right)
    return converted


_S2TWP: Final = opencc.OpenCC("s2twp")
CONSOLE["zh-Hant"] = {key: _traditional(value) for key, value in CONSOLE["zh-Hans"].items()}


def value_label(words: dict[str, str], value: str) -> str:
    """A stored value (a status, a light, a band, a dimension) in the page's words."""
    return words.get(f"v_{value}", value)


def console_text(language: str) -> dict[str, str]:
    """The console words for ``language`` (the configured default for a language it does not know)."""
    return pick(CONSOLE, language)
