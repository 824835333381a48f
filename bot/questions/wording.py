"""What the gap loop says through the outbox, in the reader's language: an escalated question as
its managers read it (with its buttons), and a person's reply as the asker reads it. One wording
for questions asked in Telegram and in the web chat."""

from __future__ import annotations

from typing import Final

REPLY_FOR_ASKER: Final = {
    "zh-Hans": "💬 你问的「{question}」，{name} 回复：\n\n{reply}",
    "zh-Hant": "💬 你問的「{question}」，{name} 回覆：\n\n{reply}",
    "en": '💬 About your question "{question}", {name} replied:\n\n{reply}',
}

QUESTION_FOR_MANAGER: Final = {
    "zh-Hans": "❓ {unit} 的 {name} 问了一个我答不上的问题：\n\n{question}\n\n点「回复」直接回答，也可以在控制台「知识库 › 待解答的问题」里回答。",
    "zh-Hant": "❓ {unit} 的 {name} 問了一個我答不上的問題：\n\n{question}\n\n點「回覆」直接回答，也可以在控制台「知識庫 › 待解答的問題」裡回答。",
    "en": "❓ {name} ({unit}) asked something I couldn't answer:\n\n{question}\n\nTap Reply to answer, or answer it in the console under Knowledge › Unanswered questions.",
}

REPLY_BUTTON: Final = {"zh-Hans": "✍️ 回复", "zh-Hant": "✍️ 回覆", "en": "✍️ Reply"}

FAQ_BUTTON: Final = {
    "zh-Hans": "📖 用这条回答：{label}",
    "zh-Hant": "📖 用這條回答：{label}",
    "en": "📖 Answer with: {label}",
}
