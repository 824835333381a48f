"""Everything the bot says in Telegram, in Simplified Chinese, Traditional Chinese and English."""

from __future__ import annotations

from typing import Final

from ingest.text import Language

TEXTS: Final[dict[str, dict[Language, str]]] = {
    "need_code": {
        "zh-Hans": "你好！我是变革助手。要开始使用，请发送你的邀请码（向店长或变革办公室索取），例如：/start ABCD2345EF",
        "zh-Hant": "你好！我是變革助手。要開始使用，請發送你的邀請碼（向店長或變革辦公室索取），例如：/start ABCD2345EF",
        "en": "Hi! I'm the change assistant. To get started, send your invite code (ask your store manager "
        "or the change office), for example: /start ABCD2345EF",
    },
    "bad_code": {
        "zh-Hans": "这个邀请码无效：{reason}。请向店长或变革办公室要一个新的。",
        "zh-Hant": "這個邀請碼無效：{reason}。請向店長或變革辦公室要一個新的。",
        "en": "That invite code didn't work: {reason}. Please ask your store manager or the change office for a new one.",
    },
    "joined": {
        "zh-Hans": "欢迎加入「{unit}」！关于服务中台上线的任何问题，直接发给我就行。发送 /help 查看我能做什么。",
        "zh-Hant": "歡迎加入「{unit}」！關於服務中台上線的任何問題，直接發給我就行。發送 /help 查看我能做什麼。",
        "en": "Welcome to {unit}! Ask me anything about the ServiceHub rollout: just type your question. "
        "Send /help to see what I can do.",
    },
    "already_member": {
        "zh-Hans": "你已经在「{unit}」了，直接提问吧。",
        "zh-Hant": "你已經在「{unit}」了，直接提問吧。",
        "en": "You're already in {unit}; go ahead and ask.",
    },
    "help": {
        "zh-Hans": "直接发问题给我，我会从变革团队的手册、常见问题和案例里找答案，并注明来源。\n\n"
        "/lang 切换语言\n/stop 暂停推送消息\n/resume 恢复推送\n/privacy 我们保存哪些信息\n/help 显示本说明",
        "zh-Hant": "直接發問題給我，我會從變革團隊的手冊、常見問題和案例裡找答案，並註明來源。\n\n"
        "/lang 切換語言\n/stop 暫停推送訊息\n/resume 恢復推送\n/privacy 我們保存哪些資訊\n/help 顯示本說明",
        "en": "Just send me a question; I answer from the change team's playbooks, FAQs and cases, and say where "
        "the answer comes from.\n\n/lang change language\n/stop pause pushed messages\n/resume resume them\n"
        "/privacy what we store\n/help this help",
    },
    "privacy": {
        "zh-Hans": "我们保存：你的 Telegram 编号、名字、所属门店和语言，用来回答问题和发送通知；你问过的问题和回答，"
        "用来改进知识库（答不上的问题会转给同事）。脉搏调查默认匿名，存储里也无法对应到个人。"
        "发送 /stop 可以暂停推送。",
        "zh-Hant": "我們保存：你的 Telegram 編號、名字、所屬門店和語言，用來回答問題和發送通知；你問過的問題和回答，"
        "用來改進知識庫（答不上的問題會轉給同事）。脈搏調查預設匿名，儲存裡也無法對應到個人。"
        "發送 /stop 可以暫停推送。",
        "en": "We store your Telegram id, name, unit and language, to answer you and send updates; and the questions "
        "you ask with their answers, to improve the library (ones I can't answer go to a colleague). Pulse surveys "
        "are anonymous by default, and in storage too. Send /stop to pause pushed messages.",
    },
    "lang_prompt": {"zh-Hans": "请选择语言：", "zh-Hant": "請選擇語言：", "en": "Choose your language:"},
    "lang_set": {
        "zh-Hans": "好的，以后用简体中文回复你。",
        "zh-Hant": "好的，之後用繁體中文回覆你。",
        "en": "OK, I'll reply in English.",
    },
    "stopped": {
        "zh-Hans": "已暂停推送。你仍然可以随时提问；发送 /resume 恢复。",
        "zh-Hant": "已暫停推送。你仍然可以隨時提問；發送 /resume 恢復。",
        "en": "Pushed messages paused. You can still ask anything; send /resume to turn them back on.",
    },
    "resumed": {"zh-Hans": "已恢复推送。", "zh-Hant": "已恢復推送。", "en": "Pushed messages are back on."},
    "flood": {
        "zh-Hans": "问题有点多，请稍等一分钟再发。",
        "zh-Hant": "問題有點多，請稍等一分鐘再發。",
        "en": "That's a lot of questions at once; please wait a minute and try again.",
    },
    "sources": {"zh-Hans": "来源", "zh-Hant": "來源", "en": "Sources"},
    "helpful": {"zh-Hans": "👍 有帮助", "zh-Hant": "👍 有幫助", "en": "👍 Helpful"},
    "not_helpful": {"zh-Hans": "👎 没帮助", "zh-Hant": "👎 沒幫助", "en": "👎 Not helpful"},
    "thanks": {"zh-Hans": "谢谢反馈！", "zh-Hant": "謝謝回饋！", "en": "Thanks for the feedback!"},
    "not_helpful_noted": {
        "zh-Hans": "收到，我会把这个问题转给变革团队的同事。",
        "zh-Hant": "收到，我會把這個問題轉給變革團隊的同事。",
        "en": "Got it; I'll pass this question to the change team.",
    },
    "stale_button": {
        "zh-Hans": "这个按钮已失效。",
        "zh-Hant": "這個按鈕已失效。",
        "en": "This button is no longer valid.",
    },
    "managers_only": {
        "zh-Hans": "这个命令只有店长和管理员可以用。",
        "zh-Hant": "這個命令只有店長和管理員可以用。",
        "en": "Only managers and admins can use this command.",
    },
    "invite_usage": {
        "zh-Hans": "用法：/invite staff 或 /invite manager（可加单位名，例如 /invite staff 华东区-12号店）",
        "zh-Hant": "用法：/invite staff 或 /invite manager（可加單位名，例如 /invite staff 華東區-12號店）",
        "en": "Usage: /invite staff or /invite manager, optionally with a unit name: /invite staff East-12",
    },
    "invite_created": {
        "zh-Hans": "「{unit}」的{role}邀请码：{code}（{uses} 次，{days} 天内有效）\n{link}",
        "zh-Hant": "「{unit}」的{role}邀請碼：{code}（{uses} 次，{days} 天內有效）\n{link}",
        "en": "Invite code for {unit} ({role}): {code} ({uses} use(s), valid {days} days)\n{link}",
    },
    "ask_person": {"zh-Hans": "🙋 问同事", "zh-Hant": "🙋 問同事", "en": "🙋 Ask a person"},
    "escalated": {
        "zh-Hans": "已经转给你的主管，有回复我会第一时间告诉你。",
        "zh-Hant": "已經轉給你的主管，有回覆我會第一時間告訴你。",
        "en": "I've passed your question to your manager; I'll bring you the answer as soon as there is one.",
    },
    "gap_for_manager": {
        "zh-Hans": "❓ {unit} 的 {name} 问了一个我答不上的问题：\n\n{question}",
        "zh-Hant": "❓ {unit} 的 {name} 問了一個我答不上的問題：\n\n{question}",
        "en": "❓ {name} ({unit}) asked something I couldn't answer:\n\n{question}",
    },
    "reply_button": {"zh-Hans": "✍️ 回复", "zh-Hant": "✍️ 回覆", "en": "✍️ Reply"},
    "type_reply": {
        "zh-Hans": "请直接输入你的回答（下一条消息会发给提问的同事）：\n\n{question}",
        "zh-Hant": "請直接輸入你的回答（下一條訊息會發給提問的同事）：\n\n{question}",
        "en": "Type your answer (your next message goes to the colleague who asked):\n\n{question}",
    },
    "answer_from_person": {
        "zh-Hans": "💬 你问的「{question}」，{name} 回复：\n\n{reply}",
        "zh-Hant": "💬 你問的「{question}」，{name} 回覆：\n\n{reply}",
        "en": '💬 About your question "{question}", {name} replied:\n\n{reply}',
    },
    "reply_delivered": {
        "zh-Hans": "已转达。要把这个回答存为常见问题，让下一个人直接得到答案吗？",
        "zh-Hant": "已轉達。要把這個回答存為常見問題，讓下一個人直接得到答案嗎？",
        "en": "Delivered. Save it as an FAQ so the next person gets the answer straight away?",
    },
    "save_faq": {"zh-Hans": "📚 存为常见问题", "zh-Hant": "📚 存為常見問題", "en": "📚 Save as FAQ"},
    "faq_saved": {
        "zh-Hans": "已存为常见问题，并已更新知识库。",
        "zh-Hant": "已存為常見問題，並已更新知識庫。",
        "en": "Saved as an FAQ; the library is updated.",
    },
    "error": {
        "zh-Hans": "抱歉，出了点问题，请稍后再试。",
        "zh-Hant": "抱歉，出了點問題，請稍後再試。",
        "en": "Sorry, something went wrong. Please try again in a moment.",
    },
    "unavailable": {
        "zh-Hans": "知识库暂时连接不上，请过几分钟再问一次。",
        "zh-Hant": "知識庫暫時連接不上，請過幾分鐘再問一次。",
        "en": "The knowledge library is unreachable right now; please ask again in a few minutes.",
    },
}


def text(key: str, language: Language, **values: object) -> str:
    """The message ``key`` in ``language``, with placeholders filled."""
    template = TEXTS[key][language]
    return template.format(**values) if values else template


def language_from_telegram(code: str | None) -> Language:
    """Map a Telegram client's language_code to one of ours (zh-TW/HK/MO -> Traditional)."""
    if not code:
        return "zh-Hans"
    code = code.lower()
    if code.startswith("zh"):
        return "zh-Hant" if any(tag in code for tag in ("tw", "hk", "mo", "hant")) else "zh-Hans"
    if code.startswith("en"):
        return "en"
    return "zh-Hans"
