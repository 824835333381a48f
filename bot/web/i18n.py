"""UI strings of the web pages in Simplified Chinese, Traditional Chinese and English."""

from __future__ import annotations

from typing import Final

from ingest.text import LANGUAGES, Language

UI: Final[dict[Language, dict[str, str]]] = {
    "zh-Hans": {
        "title": "变革助手",
        "intro": "关于服务中台上线的问题，都可以问我。答案来自变革团队的手册、常见问题和案例。",
        "placeholder": "输入你的问题……",
        "send": "发送",
        "sources": "来源",
        "thinking": "正在查找……",
        "error": "暂时无法回答，请稍后再试。",
        "unanswered": "已转给变革团队",
    },
    "zh-Hant": {
        "title": "變革助手",
        "intro": "關於服務中台上線的問題，都可以問我。答案來自變革團隊的手冊、常見問題和案例。",
        "placeholder": "輸入你的問題……",
        "send": "送出",
        "sources": "來源",
        "thinking": "正在查找……",
        "error": "暫時無法回答，請稍後再試。",
        "unanswered": "已轉給變革團隊",
    },
    "en": {
        "title": "Change assistant",
        "intro": "Ask me anything about the ServiceHub rollout. Answers come from the change team's playbooks, FAQs and cases.",
        "placeholder": "Type your question…",
        "send": "Send",
        "sources": "Sources",
        "thinking": "Looking it up…",
        "error": "I can't answer right now; please try again shortly.",
        "unanswered": "Passed to the change team",
    },
}


def pick_language(*, query: str | None, accept_language: str) -> Language:
    """``?lang=`` if valid, else the first supported language in Accept-Language, else Simplified Chinese."""
    if query in LANGUAGES:
        return query
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-Hant" if any(key in tag for key in ("hant", "tw", "hk", "mo")) else "zh-Hans"
        if tag.startswith("en"):
            return "en"
    return "zh-Hans"


def ui_text(language: Language) -> dict[str, str]:
    """The UI strings for ``language``."""
    return UI[language]
