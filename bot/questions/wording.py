"""How a person's reply reads when it reaches the asker outside a Telegram conversation (from the console)."""

from __future__ import annotations

from typing import Final

REPLY_FOR_ASKER: Final = {
    "zh-Hans": "💬 你问的「{question}」，{name} 回复：\n\n{reply}",
    "zh-Hant": "💬 你問的「{question}」，{name} 回覆：\n\n{reply}",
    "en": '💬 About your question "{question}", {name} replied:\n\n{reply}',
}
