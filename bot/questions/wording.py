"""What the gap loop says, in the reader's language: an escalated question as its managers read it
(with its buttons, and its reminders), why it is open as the console shows it, who has it as its
asker reads it, and a person's reply as the asker reads it. One wording for questions asked in
Telegram and in the web chat."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from bot.wording import pick, reader_language

if TYPE_CHECKING:
    from bot.questions.conversation import Handover

REPLY_FOR_ASKER: Final = {
    "zh-Hans": "💬 你问的「{question}」，{name} 回复：\n\n{reply}",
    "zh-Hant": "💬 你問的「{question}」，{name} 回覆：\n\n{reply}",
    "en": '💬 About your question "{question}", {name} replied:\n\n{reply}',
}

# An escalated question as the people it goes to read it (``bot.questions.escalation`` puts it
# together): a note when it comes again, why it came to a person (keyed by ``EscalationReason``),
# the question, what the bot had said, and how to answer.
QUESTION_FOR_MANAGER: Final[dict[str, dict[str, str]]] = {
    "zh-Hans": {
        "could_not_answer": "❓ {unit} 的 {name} 问了一个我答不上的问题：",
        "not_helpful": "❓ {unit} 的 {name} 觉得我的回答没有帮助：",
        "asked_for_person": "❓ {unit} 的 {name} 想请人来回答这个问题：",
        "answer": "🤖 我的回答：{answer}", "sources": "📄 来源：{sources}", "offered": "🤖 我给了这些候选：{offered}",
        "joiner": "；",
        "how": "点「回复」直接回答，也可以在控制台「知识库 › 待解答的问题」里回答。",
        "reminder": "⏰ 提醒：这个问题还没有人回复。",
        "up": "⏫ 这个问题转给{unit}的负责人后一直没有人回复，现在转给你。",
    },
    "zh-Hant": {
        "could_not_answer": "❓ {unit} 的 {name} 問了一個我答不上的問題：",
        "not_helpful": "❓ {unit} 的 {name} 覺得我的回答沒有幫助：",
        "asked_for_person": "❓ {unit} 的 {name} 想請人來回答這個問題：",
        "answer": "🤖 我的回答：{answer}", "sources": "📄 來源：{sources}", "offered": "🤖 我給了這些候選：{offered}",
        "joiner": "；",
        "how": "點「回覆」直接回答，也可以在控制台「知識庫 › 待解答的問題」裡回答。",
        "reminder": "⏰ 提醒：這個問題還沒有人回覆。",
        "up": "⏫ 這個問題轉給{unit}的負責人後一直沒有人回覆，現在轉給你。",
    },
    "en": {
        "could_not_answer": "❓ {name} ({unit}) asked something I couldn't answer:",
        "not_helpful": "❓ {name} ({unit}) found my answer not helpful:",
        "asked_for_person": "❓ {name} ({unit}) asked for a person to answer this:",
        "answer": "🤖 My answer: {answer}", "sources": "📄 Sources: {sources}", "offered": "🤖 I offered: {offered}",
        "joiner": "; ",
        "how": "Tap Reply to answer, or answer it in the console under Knowledge › Unanswered questions.",
        "reminder": "⏰ Reminder: nobody has answered this yet.",
        "up": "⏫ This went to the managers of {unit} and nobody has answered it yet, so it comes to you now.",
    },
}  # fmt: skip

# Why an open question is in front of a person, as the console's gaps queue labels it.
GAP_REASON: Final[dict[str, dict[str, str]]] = {
    "zh-Hans": {"could_not_answer": "我答不上", "not_helpful": "回答没有帮助", "asked_for_person": "想请人回答"},
    "zh-Hant": {"could_not_answer": "我答不上", "not_helpful": "回答沒有幫助", "asked_for_person": "想請人回答"},
    "en": {"could_not_answer": "couldn't answer", "not_helpful": "answer not helpful",
           "asked_for_person": "asked for a person"},
}  # fmt: skip

REPLY_BUTTON: Final = {"zh-Hans": "✍️ 回复", "zh-Hant": "✍️ 回覆", "en": "✍️ Reply"}

FAQ_BUTTON: Final = {
    "zh-Hans": "📖 用这条回答：{label}",
    "zh-Hant": "📖 用這條回答：{label}",
    "en": "📖 Answer with: {label}",
}


# Who has an escalated question, and when and where its answer will come, as the asker reads it.
HANDOVER: Final[dict[str, dict[str, str]]] = {
    "zh-Hans": {
        "unit": "🙋 这个问题已转给{unit}的{names}。", "unit_nobody": "🙋 这个问题已转给{unit}的负责人。",
        "team": "🙋 这个问题已转给变革团队。", "more": "{names}等 {total} 人", "joiner": "、",
        "when_one": "通常 1 个工作日内会有回复。", "when": "通常 {days} 个工作日内会有回复。",
        "where_web": "回复会显示在这里。", "where_both": "回复会显示在这里，也会发到你的 Telegram。",
        "where_telegram": "回复会发到这里，网页聊天里也能看到。",
    },
    "zh-Hant": {
        "unit": "🙋 這個問題已轉給{unit}的{names}。", "unit_nobody": "🙋 這個問題已轉給{unit}的負責人。",
        "team": "🙋 這個問題已轉給變革團隊。", "more": "{names}等 {total} 人", "joiner": "、",
        "when_one": "通常 1 個工作日內會有回覆。", "when": "通常 {days} 個工作日內會有回覆。",
        "where_web": "回覆會顯示在這裡。", "where_both": "回覆會顯示在這裡，也會發到你的 Telegram。",
        "where_telegram": "回覆會發到這裡，網頁聊天裡也看得到。",
    },
    "en": {
        "unit": "🙋 Your question is with {names} ({unit}).", "unit_nobody": "🙋 Your question is with the managers of {unit}.",
        "team": "🙋 Your question is with the change team.", "more": "{names} and {others} others", "joiner": ", ",
        "when_one": "Expect an answer within about one working day.",
        "when": "Expect an answer within about {days} working days.",
        "where_web": "The reply will appear here.", "where_both": "The reply will appear here and in Telegram.",
        "where_telegram": "The reply will come here, and shows in the web chat too.",
    },
}  # fmt: skip
NAMES_SHOWN = 3  # managers named in a handover notice; more are counted


def handover_notice(handover: Handover, language: str, *, read_in: Literal["web", "telegram"]) -> str:
    """Who has the question and, while it waits, roughly when the answer comes and where, for an
    asker reading it in the web chat or in Telegram."""
    language = reader_language(language)
    words = pick(HANDOVER, language)
    if handover.unit is None:
        said = [words["team"]]
    elif not handover.people:
        said = [words["unit_nobody"].format(unit=handover.unit)]
    else:
        names = words["joiner"].join(handover.people[:NAMES_SHOWN])
        if len(handover.people) > NAMES_SHOWN:
            names = words["more"].format(
                names=names, total=len(handover.people), others=len(handover.people) - NAMES_SHOWN
            )
        said = [words["unit"].format(unit=handover.unit, names=names)]
    if handover.waiting:
        days = handover.reply_days
        said.append(words["when_one"] if days == 1 else words["when"].format(days=days))
        if read_in == "telegram":
            said.append(words["where_telegram"])
        else:
            said.append(words["where_both"] if "telegram" in handover.reply_to else words["where_web"])
    return (" " if language == "en" else "").join(said)
