"""The console's words in Simplified Chinese, Traditional Chinese and English.

The Traditional wording is the Simplified one converted with OpenCC's Taiwan phrases (s2twp:
文件, 資料, 使用者), then corrected where that conversion picks the wrong sense for a console
("审核" is a review here, not an audit); one source of wording keeps the two from drifting.
"""

from __future__ import annotations

from typing import Final

import opencc

from bot.surveys.wording import BAND_NAMES, DIMENSION_NAMES

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
    },
    "en": {
        "scheduled": "scheduled", "sending": "sending", "sent": "sent", "cancelled": "cancelled",
        "open": "open", "closed": "closed",
        "green": "green", "yellow": "yellow", "orange": "orange", "red": "red",
        **BAND_NAMES["en"], **DIMENSION_NAMES["en"],
        "message": "announcement", "story": "success story", "digest": "weekly digest", "vision": "vision",
        "survey": "survey invitation", "alert": "alert", "escalation": "escalated question", "notice": "notice",
        "reminder": "reminder",
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
    ("{n} 周", "{n} 週"),  # a placeholder cuts the phrase short of the s2twp phrase it would be
    ("“", "「"),
    ("”", "」"),
)


def _traditional(text: str) -> str:
    converted = str(_S2TWP.convert(text))
    for wrong, right in _TRADITIONAL_FIXES:
        converted = converted.replace(wrong, right)
    return converted


_S2TWP: Final = opencc.OpenCC("s2twp")
CONSOLE["zh-Hant"] = {key: _traditional(value) for key, value in CONSOLE["zh-Hans"].items()}


def value_label(words: dict[str, str], value: str) -> str:
    """A stored value (a status, a light, a band, a dimension) in the page's words."""
    return words.get(f"v_{value}", value)


def console_text(language: str) -> dict[str, str]:
    """The console words for ``language`` (Simplified Chinese for a language it does not know)."""
    return CONSOLE.get(language, CONSOLE["zh-Hans"])
