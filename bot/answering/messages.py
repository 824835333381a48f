"""What the answerer says in each language. Wording lives here, not in the logic; ``bot.wording.say``
looks it up."""

from __future__ import annotations

from typing import Final

from ingest.text import Language

DONT_KNOW: Final[dict[Language, str]] = {
    # Who it went to is not the answerer's to know (the asker's manager, or the change team): the
    # chat says that beside this, from the escalation itself.
    "zh-Hans": "这个问题我暂时还答不上来。我已经把它记下来，转给了能回答的同事，会有人尽快回复你。",
    "zh-Hant": "這個問題我暫時還答不上來。我已經把它記下來，轉給了能回答的同事，會有人盡快回覆你。",
    "en": "I don't know the answer to that yet. I've noted your question and passed it on to a colleague "
    "who can answer it; you'll hear back soon.",
}

DID_YOU_MEAN: Final[dict[Language, str]] = {
    "zh-Hans": "我不太确定你问的是哪一条。你是想问下面这些吗？点一下就能看到答案；都不是的话，可以点“问同事”。",
    "zh-Hant": "我不太確定你問的是哪一條。你是想問下面這些嗎？點一下就能看到答案；都不是的話，可以點「問同事」。",
    "en": 'I\'m not sure which of these you mean. Tap one to see its answer, or tap "Ask a person" '
    "if none of them fits.",
}

OFF_TOPIC: Final[dict[Language, str]] = {
    "zh-Hans": "这个我帮不上忙：我只懂这次变革和推广相关的事，比如什么时候上线、怎么培训、遇到问题找谁。"
    "如果你的问题和这些有关，换个说法再问我一次，或者点“问同事”。",
    "zh-Hant": "這個我幫不上忙：我只懂這次變革和推廣相關的事，比如什麼時候上線、怎麼培訓、遇到問題找誰。"
    "如果你的問題和這些有關，換個說法再問我一次，或者點「問同事」。",
    "en": "I can't help with that one: I only know about the change we're rolling out, such as when "
    "your store switches, training, and who to ask. If your question is about that, try asking it "
    'another way, or tap "Ask a person".',
}

EMPTY_QUESTION: Final[dict[Language, str]] = {
    "zh-Hans": "请输入你的问题，例如：“我们店什么时候上线？”",
    "zh-Hant": "請輸入你的問題，例如：「我們店什麼時候上線？」",
    "en": 'Please type a question, for example: "When does my store switch over?"',
}

TRUNCATED: Final[dict[Language, str]] = {
    "zh-Hans": "（你的问题较长，我只读了前 {limit} 个字。）",
    "zh-Hant": "（你的問題較長，我只讀了前 {limit} 個字。）",
    "en": "(Your question was long; I read the first {limit} characters.)",
}

OTHER_LANGUAGE_SOURCE: Final[dict[Language, str]] = {
    "zh-Hans": "",
    "zh-Hant": "",
    "en": "The closest passage in the library is in Chinese:",
}
