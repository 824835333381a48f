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
