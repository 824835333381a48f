"""Words the bot writes into broadcasts and case files itself, per language."""

from __future__ import annotations

from typing import Final

DIGEST_HEADER: Final = {
    "zh-Hans": "📣 本周成功故事",
    "zh-Hant": "📣 本週成功故事",
    "en": "📣 This week's success stories",
}
DIGEST_FOOTER: Final = {
    "zh-Hans": "想了解更多？直接问我，例如“{unit}是怎么做到的？”",
    "zh-Hant": "想了解更多？直接問我，例如「{unit}是怎麼做到的？」",
    "en": "Want to know more? Ask me, e.g. “How did {unit} do it?”",
}
STORY_TITLE: Final = {
    "zh-Hans": "成功故事：{unit}（{date}）",
    "zh-Hant": "成功故事：{unit}（{date}）",
    "en": "Success story: {unit} ({date})",
}
COMPANY: Final = {"zh-Hans": "全公司", "zh-Hant": "全公司", "en": "the company"}

# What heads a copy of each kind (``bot.broadcasts.look`` and ``stories.story_copy``).
MUST_READ_HEADER: Final = {"zh-Hans": "❗ 重要", "zh-Hant": "❗ 重要", "en": "❗ Important"}
STORY_HEADER: Final = {"zh-Hans": "🌟 成功故事", "zh-Hant": "🌟 成功故事", "en": "🌟 Success story"}
STORY_BYLINE: Final = {
    "zh-Hans": "{author}（{unit}）",
    "zh-Hant": "{author}（{unit}）",
    "en": "{author} ({unit})",
}
REMINDER_NOTE: Final = {
    "zh-Hans": "⏰ 提醒：这条必读消息你还没有确认阅读，看完请点 ✅。",
    "zh-Hant": "⏰ 提醒：這條必讀訊息你還沒有確認閱讀，看完請點 ✅。",
    "en": "⏰ Reminder: you haven't marked this must-read as read yet. Please tap ✅ once you have.",
}
