"""How a person's reply reads when it reaches the asker outside a Telegram conversation (from the console)."""

from __future__ import annotations

from typing import Final

REPLY_FOR_ASKER: Final = {
    "zh-Hans": "💬 你问的「{question}」，{name} 回复：\n\n{reply}",
    "zh-Hant": "💬 你問的「{question}」，{name} 回覆：\n\n{reply}",
    "en": '💬 About your question "{question}", {name} replied:\n\n{reply}',
}

QUESTION_FOR_MANAGER: Final = {
    "zh-Hans": "🙋 {asker} 在网页上问了一个没答好的问题：\n「{question}」\n请在控制台「知识库 › 待解答的问题」里回答。",
    "zh-Hant": "🙋 {asker} 在網頁上問了一個沒答好的問題：\n「{question}」\n請在控制台「知識庫 › 待解答的問題」裡回答。",
    "en": "🙋 {asker} asked in the web chat and needs a person:\n“{question}”\nAnswer it in the console under Knowledge › Unanswered questions.",
}
