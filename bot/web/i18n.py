"""UI strings of the web pages in Simplified Chinese, Traditional Chinese and English."""

from __future__ import annotations

from typing import Final

from bot.surveys.wording import DECLINE
from bot.wording import default_language
from ingest.text import LANGUAGES, Language

UI: Final[dict[Language, dict[str, str]]] = {
    "zh-Hans": {
        "skip": "跳过",
        "survey_done": "谢谢！你的回答已匿名保存。",
        "survey_anonymous": "🔒 这份调查是匿名的：答案不会和你的名字一起保存，结果只按人数够多的组汇总显示。",
        "change": "修改答案",
        "start": "开始",
        "decline": DECLINE["zh-Hans"]["button"],
        "survey_declined": DECLINE["zh-Hans"]["declined"],
        "send_comment": "提交",
        "join_title": "加入变革助手",
        "form_expired": "这个页面已过期，请重新输入邀请码。",
        "code_unknown": "找不到这个邀请码，请核对后再输入。",
        "code_expired": "这个邀请码已过期，请找店长要一个新的。",
        "code_used_up": "这个邀请码已经用完了，请找店长要一个新的。",
        "code_too_many": "输错的次数太多了，请一分钟后再试。",
        "signin_title": "登录变革助手",
        "signin_text": "点下面的按钮完成登录。这个链接只能用一次，几分钟后失效。",
        "signin": "登录",
        "join_text": "输入店长或变革办公室给你的邀请码。也可以在 Telegram 里给变革助手发送 /web 获取登录链接。",
        "code": "邀请码",
        "name": "你的名字",
        "join": "加入",
        "helpful": "👍 有帮助",
        "not_helpful": "👎 没帮助",
        "ask_person": "🙋 问同事",
        "more": "📖 看全文",
        "less": "收起",
        "thanks": "谢谢反馈！",
        "escalated": "已转交",
        "reply_from": "来自 {name} 的回复",
        "someone": "同事",
        "new_reply": "新",
        "inbox_one": "1 条新回复",
        "inbox_many": "{n} 条新回复",
        "earlier": "显示更早的对话",
        "title": "变革助手",
        "intro": "关于服务中台上线的问题，都可以问我。答案来自变革团队的手册、常见问题和案例。",
        "placeholder": "输入你的问题……",
        "send": "发送",
        "sources": "来源",
        "no_document": "这份文档已不在知识库里，或者不对你开放。",
        "back_to_chat": "← 回到聊天",
        "thinking": "正在查找……",
        "error": "暂时无法回答，请稍后再试。",
        "unavailable": "知识库暂时连接不上，请过一分钟再问一次。",
        "flood": "问题有点多，请稍等一分钟再发。",
        "unanswered": "已转给变革团队",
    },
    "zh-Hant": {
        "skip": "略過",
        "survey_done": "謝謝！你的回答已匿名儲存。",
        "survey_anonymous": "🔒 這份調查是匿名的：答案不會和你的名字一起儲存，結果只按人數夠多的組彙總顯示。",
        "change": "修改答案",
        "start": "開始",
        "decline": DECLINE["zh-Hant"]["button"],
        "survey_declined": DECLINE["zh-Hant"]["declined"],
        "send_comment": "送出",
        "join_title": "加入變革助手",
        "form_expired": "這個頁面已過期，請重新輸入邀請碼。",
        "code_unknown": "找不到這個邀請碼，請核對後再輸入。",
        "code_expired": "這個邀請碼已過期，請找店長要一個新的。",
        "code_used_up": "這個邀請碼已經用完了，請找店長要一個新的。",
        "code_too_many": "輸錯的次數太多了，請一分鐘後再試。",
        "signin_title": "登入變革助手",
        "signin_text": "點下面的按鈕完成登入。這個連結只能用一次，幾分鐘後失效。",
        "signin": "登入",
        "join_text": "輸入店長或變革辦公室給你的邀請碼。也可以在 Telegram 裡給變革助手發送 /web 取得登入連結。",
        "code": "邀請碼",
        "name": "你的名字",
        "join": "加入",
        "helpful": "👍 有幫助",
        "not_helpful": "👎 沒幫助",
        "ask_person": "🙋 問同事",
        "more": "📖 看全文",
        "less": "收起",
        "thanks": "謝謝回饋！",
        "escalated": "已轉交",
        "reply_from": "來自 {name} 的回覆",
        "someone": "同事",
        "new_reply": "新",
        "inbox_one": "1 則新回覆",
        "inbox_many": "{n} 則新回覆",
        "earlier": "顯示更早的對話",
        "title": "變革助手",
        "intro": "關於服務中台上線的問題，都可以問我。答案來自變革團隊的手冊、常見問題和案例。",
        "placeholder": "輸入你的問題……",
        "send": "送出",
        "sources": "來源",
        "no_document": "這份文件已不在知識庫裡，或者不對你開放。",
        "back_to_chat": "← 回到聊天",
        "thinking": "正在查找……",
        "error": "暫時無法回答，請稍後再試。",
        "unavailable": "知識庫暫時連接不上，請過一分鐘再問一次。",
        "flood": "問題有點多，請稍等一分鐘再發。",
        "unanswered": "已轉給變革團隊",
    },
    "en": {
        "skip": "Skip",
        "survey_done": "Thank you! Your answers are stored anonymously.",
        "survey_anonymous": "🔒 This survey is anonymous: your answers are not stored with your name, and results are shown only for groups large enough.",
        "change": "Change answers",
        "start": "Start",
        "decline": DECLINE["en"]["button"],
        "survey_declined": DECLINE["en"]["declined"],
        "send_comment": "Send",
        "join_title": "Join the change assistant",
        "form_expired": "This page had expired; please enter your invite code again.",
        "code_unknown": "That invite code is not known; please check it and try again.",
        "code_expired": "That invite code has expired; ask your manager for a new one.",
        "code_used_up": "That invite code has been used up; ask your manager for a new one.",
        "code_too_many": "Too many wrong codes; please try again in a minute.",
        "signin_title": "Sign in to the change assistant",
        "signin_text": "Press the button to finish signing in. The link works once and expires in a few minutes.",
        "signin": "Sign in",
        "join_text": "Enter the invite code from your store manager or the change office, or send /web to the change assistant in Telegram for a sign-in link.",
        "code": "Invite code",
        "name": "Your name",
        "join": "Join",
        "helpful": "👍 Helpful",
        "not_helpful": "👎 Not helpful",
        "ask_person": "🙋 Ask a person",
        "more": "📖 More",
        "less": "Less",
        "thanks": "Thanks for the feedback!",
        "escalated": "Passed on",
        "reply_from": "Reply from {name}",
        "someone": "a colleague",
        "new_reply": "New",
        "inbox_one": "1 new reply",
        "inbox_many": "{n} new replies",
        "earlier": "Show earlier messages",
        "title": "Change assistant",
        "intro": "Ask me anything about the ServiceHub rollout. Answers come from the change team's playbooks, FAQs and cases.",
        "placeholder": "Type your question…",
        "send": "Send",
        "sources": "Sources",
        "no_document": "This document is no longer in the library, or not open to you.",
        "back_to_chat": "← Back to the chat",
        "thinking": "Looking it up…",
        "error": "I can't answer right now; please try again shortly.",
        "unavailable": "The knowledge library is unreachable right now; please ask again in a minute.",
        "flood": "That's a lot of questions at once; please wait a minute and try again.",
        "unanswered": "Passed to the change team",
    },
}


def pick_language(*, query: str | None, accept_language: str) -> Language:
    """``?lang=`` if valid, else the first supported language in Accept-Language, else the configured default."""
    if query in LANGUAGES:
        return query
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-Hant" if any(key in tag for key in ("hant", "tw", "hk", "mo")) else "zh-Hans"
        if tag.startswith("en"):
            return "en"
    return default_language()


def ui_text(language: Language) -> dict[str, str]:
    """The UI strings for ``language``."""
    return UI[language]


# What sits under one answer in the chat: it follows the language of that answer, not of the page,
# so someone who asks in English on a Chinese page gets "Thanks for the feedback!", as in Telegram.
ANSWER_STRINGS: Final = (
    "helpful", "not_helpful", "ask_person", "more", "less", "thanks", "escalated", "sources", "unanswered",
)  # fmt: skip


def answer_strings() -> dict[Language, dict[str, str]]:
    """The strings under an answer, in every language (the chat picks by the answer's language)."""
    return {language: {key: UI[language][key] for key in ANSWER_STRINGS} for language in LANGUAGES}
