"""Everything the bot says in Telegram, in Simplified Chinese, Traditional Chinese and English."""

from __future__ import annotations

from typing import Final

from bot.surveys.wording import DECLINE
from bot.wording import default_language, say
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
    "manager_welcome": {
        "zh-Hans": "\n\n作为{what}，你还可以：/story 发成功故事，/web 打开控制台，/review 看本周复盘，/invite 生成邀请码。",
        "zh-Hant": "\n\n作為{what}，你還可以：/story 發成功故事，/web 打開控制台，/review 看本週複盤，/invite 產生邀請碼。",
        "en": "\n\nAs {what}, you can also: /story to share a success story, /web for the console, /review for this week's review, /invite for invite codes.",
    },
    "admin_home": {
        "zh-Hans": "你是变革团队的管理员，不属于某个门店。直接提问，或者用 /web 打开控制台。",
        "zh-Hant": "你是變革團隊的管理員，不屬於某個門店。直接提問，或者用 /web 打開控制台。",
        "en": "You're an admin of the change team, not in a store. Ask away, or open the console with /web.",
    },
    "already_member": {
        "zh-Hans": "你已经在「{unit}」了，直接提问吧。",
        "zh-Hant": "你已經在「{unit}」了，直接提問吧。",
        "en": "You're already in {unit}; go ahead and ask.",
    },
    "help": {
        "zh-Hans": "直接发问题给我，我会从变革团队的手册、常见问题和案例里找答案，并注明来源。\n\n"
        "/lang 切换语言\n/stop 暂停推送消息\n/resume 恢复推送\n/tz 设置时区\n/privacy 我们保存哪些信息\n/help 显示本说明",
        "zh-Hant": "直接發問題給我，我會從變革團隊的手冊、常見問題和案例裡找答案，並註明來源。\n\n"
        "/lang 切換語言\n/stop 暫停推送訊息\n/resume 恢復推送\n/tz 設定時區\n/privacy 我們保存哪些資訊\n/help 顯示本說明",
        "en": "Just send me a question; I answer from the change team's playbooks, FAQs and cases, and say where "
        "the answer comes from.\n\n/lang change language\n/stop pause pushed messages\n/resume resume them\n"
        "/tz set your time zone\n/privacy what we store\n/help this help",
    },
    "privacy": {
        "zh-Hans": "我们保存：你的 Telegram 编号、名字、所属门店和语言，用来回答问题和发送通知；你问过的问题和回答，"
        "用来改进知识库（答不上的问题会转给同事）。脉搏调查默认匿名，存储里也无法对应到个人。"
        "发送 /stop 可以暂停推送（“必读”通知和调查除外）。",
        "zh-Hant": "我們保存：你的 Telegram 編號、名字、所屬門店和語言，用來回答問題和發送通知；你問過的問題和回答，"
        "用來改進知識庫（答不上的問題會轉給同事）。脈搏調查預設匿名，儲存裡也無法對應到個人。"
        "發送 /stop 可以暫停推送（「必讀」通知和調查除外）。",
        "en": "We store your Telegram id, name, unit and language, to answer you and send updates; and the questions "
        "you ask with their answers, to improve the library (ones I can't answer go to a colleague). Pulse surveys "
        "are anonymous by default, and in storage too. Send /stop to pause pushed messages (must-read notices and "
        "surveys excepted).",
    },
    "lang_prompt": {"zh-Hans": "请选择语言：", "zh-Hant": "請選擇語言：", "en": "Choose your language:"},
    "lang_set": {
        "zh-Hans": "好的，以后用简体中文回复你。",
        "zh-Hant": "好的，之後用繁體中文回覆你。",
        "en": "OK, I'll reply in English.",
    },
    "stopped": {
        "zh-Hans": "已暂停推送：成功故事、愿景和一般通知不再发给你。“必读”通知和脉搏调查仍会送到，因为变革团队需要每个人都看到、都发声。你仍然可以随时提问；发送 /resume 恢复。",
        "zh-Hant": "已暫停推送：成功故事、願景和一般通知不再發給你。「必讀」通知和脈搏調查仍會送到，因為變革團隊需要每個人都看到、都發聲。你仍然可以隨時提問；發送 /resume 恢復。",
        "en": "Pushed messages paused: no more success stories, vision messages or general updates. Must-read notices and "
        "pulse surveys still reach you, because the change team needs everyone to see them and be heard. You can "
        "still ask anything; send /resume to turn them back on.",
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
    # Under pushed copies (bot/telegram/broadcast_sender.py): the reader's language only.
    "btn_read": {"zh-Hans": "✅ 我已阅读", "zh-Hant": "✅ 我已閱讀", "en": "✅ I've read it"},
    "btn_read_done": {"zh-Hans": "☑️ 已阅读", "zh-Hant": "☑️ 已閱讀", "en": "☑️ Read"},
    "btn_start_survey": {"zh-Hans": "▶️ 开始", "zh-Hant": "▶️ 開始", "en": "▶️ Start"},
    "btn_decline_survey": {language: words["button"] for language, words in DECLINE.items()},
    "read_thanks": {
        "zh-Hans": "已确认阅读，谢谢",
        "zh-Hant": "已確認閱讀，謝謝",
        "en": "Marked as read, thank you",
    },
    "clapped": {"zh-Hans": "👏 已为它鼓掌", "zh-Hant": "👏 已為它鼓掌", "en": "👏 Clapped"},
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
    "more": {"zh-Hans": "📖 看全文", "zh-Hant": "📖 看全文", "en": "📖 More"},
    "escalated": {
        "zh-Hans": "已经转给你的主管，有回复我会第一时间告诉你。",
        "zh-Hant": "已經轉給你的主管，有回覆我會第一時間告訴你。",
        "en": "I've passed your question to your manager; I'll bring you the answer as soon as there is one.",
    },
    "faq_sent": {
        "zh-Hans": "已把这条常见问题的回答发给提问的同事；以后这样问，我会直接回答。",
        "zh-Hant": "已把這條常見問題的回答發給提問的同事；以後這樣問，我會直接回答。",
        "en": "Sent that FAQ's answer to your colleague; asked this way again, I'll answer it myself.",
    },
    "type_reply": {
        "zh-Hans": "请直接输入你的回答（下一条消息会发给提问的同事）：\n\n{question}",
        "zh-Hant": "請直接輸入你的回答（下一條訊息會發給提問的同事）：\n\n{question}",
        "en": "Type your answer (your next message goes to the colleague who asked):\n\n{question}",
    },
    "reply_delivered": {
        "zh-Hans": "已转达。要把这个回答存为常见问题，让下一个人直接得到答案吗？",
        "zh-Hant": "已轉達。要把這個回答存為常見問題，讓下一個人直接得到答案嗎？",
        "en": "On its way to your colleague. Save it as an FAQ so the next person gets the answer straight away?",
    },
    "save_faq": {"zh-Hans": "📚 存为常见问题", "zh-Hant": "📚 存為常見問題", "en": "📚 Save as FAQ"},
    "faq_saved": {
        "zh-Hans": "已存为常见问题，一两分钟内就能回答你负责的门店；变革团队审核后可推广到全公司。",
        "zh-Hant": "已存為常見問題，一兩分鐘內就能回答你負責的門店；變革團隊審核後可推廣到全公司。",
        "en": "Saved as an FAQ: within a minute or two it answers the stores you look after; the change "
        "team can then promote it to everyone.",
    },
    "error": {
        "zh-Hans": "抱歉，出了点问题，请稍后再试。",
        "zh-Hant": "抱歉，出了點問題，請稍後再試。",
        "en": "Sorry, something went wrong. Please try again in a moment.",
    },
    "unavailable": {
        "zh-Hans": "知识库暂时连接不上，请过一分钟再问一次。",
        "zh-Hant": "知識庫暫時連接不上，請過一分鐘再問一次。",
        "en": "The knowledge library is unreachable right now; please ask again in a minute.",
    },
    "help_manager": {
        "zh-Hans": "\n\n店长与管理员：\n/usage 72 报告上周使用率\n/review 本周复盘\n/action 记下行动\n/mute 单位 暂停预警一周\n/story 分享成功故事\n/vision 设置愿景消息系列\n/broadcasts 查看和取消已安排的推送\n/invite 生成邀请码\n/web 打开网页控制台",
        "zh-Hant": "\n\n店長與管理員：\n/usage 72 回報上週使用率\n/review 本週複盤\n/action 記下行動\n/mute 單位 暫停預警一週\n/story 分享成功故事\n/vision 設定願景訊息系列\n/broadcasts 查看和取消已安排的推送\n/invite 產生邀請碼\n/web 開啟網頁控制台",
        "en": "\n\nManagers and admins:\n/usage 72 report last week's usage\n/review this week's review\n/action note an action\n/mute UNIT silence alerts for a week\n/story share a success story\n/vision set up a vision series\n/broadcasts see and cancel what is scheduled\n/invite create an invite code\n/web open the web console",
    },
    "story_prompt": {
        "zh-Hans": "请把成功故事发给我：发生了什么、谁做的、带来了什么变化（数字更有说服力）。可以直接发一张带文字说明的照片。发送 /cancel 放弃。",
        "zh-Hant": "請把成功故事發給我：發生了什麼、誰做的、帶來了什麼變化（數字更有說服力）。可以直接發一張附文字說明的照片。發送 /cancel 放棄。",
        "en": "Send me the success story: what happened, who did it, what changed (numbers convince). You can send a photo with the story as its caption. /cancel to stop.",
    },
    "story_photo_prompt": {
        "zh-Hans": "要配一张照片吗？现在发照片，或发送 /skip 跳过。",
        "zh-Hant": "要配一張照片嗎？現在發照片，或發送 /skip 略過。",
        "en": "Add a photo? Send it now, or /skip.",
    },
    "photo_too_large": {
        "zh-Hans": "这张照片太大（{size} MB，上限 {limit} MB）。请发一张小一点的，或发送 /skip 不配图。",
        "zh-Hant": "這張照片太大（{size} MB，上限 {limit} MB）。請發一張小一點的，或發送 /skip 不配圖。",
        "en": "That photo is too large ({size} MB; the limit is {limit} MB). Send a smaller one, or /skip.",
    },
    "compose_invalid": {
        "zh-Hans": "没能保存：{reason}",
        "zh-Hant": "沒能儲存：{reason}",
        "en": "Couldn't save that: {reason}",
    },
    "story_preview": {
        "zh-Hans": "预览：员工看到的就是下面这条消息。",
        "zh-Hant": "預覽：員工看到的就是下面這則訊息。",
        "en": "Preview: this is exactly what staff will see.",
    },
    "story_actions": {
        "zh-Hans": "接下来怎么做？",
        "zh-Hant": "接下來怎麼做？",
        "en": "What next?",
    },
    "story_actions_review": {
        "zh-Hans": "接下来怎么做？发给 {unit} 需要先审核；审核通过的故事会进入每周精选，发给全公司。",
        "zh-Hant": "接下來怎麼做？發給 {unit} 需要先審核；審核通過的故事會進入每週精選，發給全公司。",
        "en": "What next? Sending to {unit} needs a review first; approved stories go into the weekly digest for everyone.",
    },
    "btn_send_now": {
        "zh-Hans": "📤 现在发给 {unit}",
        "zh-Hant": "📤 現在發給 {unit}",
        "en": "📤 Send to {unit} now",
    },
    "btn_schedule": {
        "zh-Hans": "🕘 定时发送",
        "zh-Hant": "🕘 定時發送",
        "en": "🕘 Schedule",
    },
    "btn_submit": {
        "zh-Hans": "📝 提交审核（进入每周精选）",
        "zh-Hant": "📝 提交審核（進入每週精選）",
        "en": "📝 Submit for the weekly digest",
    },
    "btn_discard": {
        "zh-Hans": "🗑 放弃",
        "zh-Hant": "🗑 放棄",
        "en": "🗑 Discard",
    },
    "story_sending": {
        "zh-Hans": "正在发给 {unit}。发送 /broadcasts 查看送达情况。",
        "zh-Hant": "正在發給 {unit}。發送 /broadcasts 查看送達情況。",
        "en": "Sending to {unit} now. /broadcasts shows delivery.",
    },
    "story_when": {
        "zh-Hans": "什么时候发？按你的当地时间（{tz}）发一个时间，例如 {example}，或选择：",
        "zh-Hant": "什麼時候發？依你的當地時間（{tz}）發一個時間，例如 {example}，或選擇：",
        "en": "When? Send a time in your local time ({tz}), e.g. {example}, or choose:",
    },
    "btn_tomorrow_9": {
        "zh-Hans": "明天 09:00",
        "zh-Hant": "明天 09:00",
        "en": "Tomorrow 09:00",
    },
    "btn_monday_9": {
        "zh-Hans": "下周一 09:00",
        "zh-Hant": "下週一 09:00",
        "en": "Next Monday 09:00",
    },
    "story_scheduled": {
        "zh-Hans": "已安排：{when} 发给 {unit}。发送 /broadcasts 可以取消。",
        "zh-Hant": "已安排：{when} 發給 {unit}。發送 /broadcasts 可以取消。",
        "en": "Scheduled for {when} to {unit}. /broadcasts lets you cancel it.",
    },
    # Added to a send or a schedule while no sender worker is running (bot.broadcasts.senders).
    "no_sender_now": {
        "zh-Hans": "⚠️ 现在没有发送进程在运行，推送还不会送出。请启动 `changebot worker`，或设好 Telegram token 后启动 `changebot serve`。",
        "zh-Hant": "⚠️ 現在沒有傳送程序在執行，推送還不會送出。請啟動 `changebot worker`，或設好 Telegram token 後啟動 `changebot serve`。",
        "en": "⚠️ Nothing is being delivered yet: no sender is running. Start `changebot worker`, "
        "or `changebot serve` with a Telegram token.",
    },
    "no_sender_later": {
        "zh-Hans": "⚠️ 现在没有发送进程在运行：到时间后也要等发送进程启动才会送出。请启动 `changebot worker`，或设好 Telegram token 后启动 `changebot serve`。",
        "zh-Hant": "⚠️ 現在沒有傳送程序在執行：到時間後也要等傳送程序啟動才會送出。請啟動 `changebot worker`，或設好 Telegram token 後啟動 `changebot serve`。",
        "en": "⚠️ No sender is running: it will go out only once one runs. Start `changebot worker`, "
        "or `changebot serve` with a Telegram token.",
    },
    "bad_time": {
        "zh-Hans": "看不懂这个时间，或者它已经过去了。请按 2026-12-01 09:00 的格式发送。",
        "zh-Hant": "看不懂這個時間，或者它已經過去了。請依 2026-12-01 09:00 的格式發送。",
        "en": "I couldn't read that time, or it has passed. Please use the form 2026-12-01 09:00.",
    },
    "story_submitted": {
        "zh-Hans": "已提交给 {count} 位审核人，结果会在这里通知你。",
        "zh-Hant": "已提交給 {count} 位審核人，結果會在這裡通知你。",
        "en": "Sent to {count} reviewer(s); you'll hear back here.",
    },
    "story_auto_approved": {
        "zh-Hans": "已通过（管理员的故事无需审核），会进入下一期每周精选，并加入案例库。",
        "zh-Hant": "已通過（管理員的故事無需審核），會進入下一期每週精選，並加入案例庫。",
        "en": "Approved (an admin's story needs no review): it goes into the next weekly digest and the case library.",
    },
    "story_review_request": {
        "zh-Hans": "新的成功故事待审核，来自 {author}（{unit}）。通过后会进入每周精选（发给全公司）并加入案例库。",
        "zh-Hant": "新的成功故事待審核，來自 {author}（{unit}）。通過後會進入每週精選（發給全公司）並加入案例庫。",
        "en": "A success story from {author} ({unit}) is waiting for review. Approved stories go into the weekly digest for everyone and into the case library.",
    },
    "btn_approve": {
        "zh-Hans": "✅ 通过",
        "zh-Hant": "✅ 通過",
        "en": "✅ Approve",
    },
    "btn_reject": {
        "zh-Hans": "❌ 退回",
        "zh-Hant": "❌ 退回",
        "en": "❌ Reject",
    },
    "story_approved": {
        "zh-Hans": "你的成功故事已通过审核（{reviewer}），会进入下一期每周精选。",
        "zh-Hant": "你的成功故事已通過審核（{reviewer}），會進入下一期每週精選。",
        "en": "Your success story was approved by {reviewer}: it will be in the next weekly digest.",
    },
    "story_rejected": {
        "zh-Hans": "你的成功故事这次没有通过（{reviewer}）。可以修改后用 /story 再发一次。",
        "zh-Hant": "你的成功故事這次沒有通過（{reviewer}）。可以修改後用 /story 再發一次。",
        "en": "Your success story wasn't approved this time ({reviewer}). You can revise it and send it again with /story.",
    },
    "review_done_ok": {
        "zh-Hans": "已通过，已加入案例库。",
        "zh-Hant": "已通過，已加入案例庫。",
        "en": "Approved and added to the case library.",
    },
    "review_done_no": {
        "zh-Hans": "已退回给作者。",
        "zh-Hant": "已退回給作者。",
        "en": "Returned to the author.",
    },
    "story_discarded": {
        "zh-Hans": "已放弃这篇故事。",
        "zh-Hant": "已放棄這篇故事。",
        "en": "Story discarded.",
    },
    "compose_cancelled": {
        "zh-Hans": "已取消。",
        "zh-Hant": "已取消。",
        "en": "Cancelled.",
    },
    "dialogue_cancelled": {
        "zh-Hans": "已取消。接下来你发的消息会当作新问题来回答。",
        "zh-Hant": "已取消。接下來你發的訊息會當作新問題來回答。",
        "en": "Cancelled. Whatever you send next is taken as a new question.",
    },
    "nothing_to_cancel": {
        "zh-Hans": "现在没有要取消的操作。有问题直接发给我就行。",
        "zh-Hant": "現在沒有要取消的操作。有問題直接發給我就行。",
        "en": "There's nothing to cancel. Just send me your question.",
    },
    "vision_prompt": {
        "zh-Hans": "请发送愿景的表述，每条消息是一种说法。建议准备 3 种以上，轮流发送，员工每次看到的说法都不一样。发完后发送 /done，/cancel 放弃。",
        "zh-Hant": "請發送願景的表述，每則訊息是一種說法。建議準備 3 種以上，輪流發送，員工每次看到的說法都不一樣。發完後發送 /done，/cancel 放棄。",
        "en": "Send the vision statement, one wording per message. Three or more work best: they rotate, so people see a different wording each time. /done when finished, /cancel to stop.",
    },
    "vision_variant_added": {
        "zh-Hans": "已保存第 {count} 种说法。继续发，或发送 /done。",
        "zh-Hant": "已儲存第 {count} 種說法。繼續發，或發送 /done。",
        "en": "Wording {count} saved. Send another, or /done.",
    },
    "vision_need_variant": {
        "zh-Hans": "还没有收到任何说法，请先发送愿景的表述。",
        "zh-Hant": "還沒有收到任何說法，請先發送願景的表述。",
        "en": "No wording yet: send the vision statement first.",
    },
    "vision_cadence": {
        "zh-Hans": "多久发一次？（按每个人的当地时间）选一个，或者直接写，例如：周一 周四 09:00 每2周、工作日 8:30、每天 9点。",
        "zh-Hant": "多久發一次？（依每個人的當地時間）選一個，或者直接寫，例如：週一 週四 09:00 每2週、工作日 8:30、每天 9點。",
        "en": "How often? (each person's local time) Choose, or type it, e.g. mon thu 09:00 every 2 weeks, weekdays 8:30, daily 9am.",
    },
    "btn_weekly": {
        "zh-Hans": "每周一 09:00",
        "zh-Hant": "每週一 09:00",
        "en": "Mondays 09:00",
    },
    "btn_twice_weekly": {
        "zh-Hans": "每周一、四 09:00",
        "zh-Hant": "每週一、四 09:00",
        "en": "Mon & Thu 09:00",
    },
    "btn_weekdays": {
        "zh-Hans": "工作日每天 09:00",
        "zh-Hant": "工作日每天 09:00",
        "en": "Weekdays 09:00",
    },
    "btn_every_other_week": {
        "zh-Hans": "每 2 周的周一 09:00",
        "zh-Hant": "每 2 週的週一 09:00",
        "en": "Every other Monday 09:00",
    },
    "vision_preview": {
        "zh-Hans": "{cadence}（每个人的当地时间）。\n接下来五次，按你的时间（{zone}）：\n{times}\n\n就这样设置吗？也可以直接发一个新的频率。",
        "zh-Hant": "{cadence}（每個人的當地時間）。\n接下來五次，依你的時間（{zone}）：\n{times}\n\n就這樣設定嗎？也可以直接發一個新的頻率。",
        "en": "{cadence} (each person's local time).\nThe next five, on your clock ({zone}):\n{times}\n\nSet it up like this? Or send another cadence.",
    },
    "btn_vision_save": {
        "zh-Hans": "✅ 就这样",
        "zh-Hant": "✅ 就這樣",
        "en": "✅ Set it up",
    },
    "btn_vision_change": {
        "zh-Hans": "✏️ 改一下",
        "zh-Hant": "✏️ 改一下",
        "en": "✏️ Change it",
    },
    "bad_cadence": {
        "zh-Hans": "这个频率看不懂：{problem}。可以这样写：周一 周四 09:00 每2周、工作日 8:30、每天 9点。",
        "zh-Hant": "這個頻率看不懂：{problem}。可以這樣寫：週一 週四 09:00 每2週、工作日 8:30、每天 9點。",
        "en": "I couldn't read that cadence: {problem}. Try e.g. mon thu 09:00 every 2 weeks, weekdays 8:30, daily 9am.",
    },
    "cadence_no_days": {
        "zh-Hans": "没有写哪几天",
        "zh-Hant": "沒有寫哪幾天",
        "en": "which days?",
    },
    "cadence_no_time": {
        "zh-Hans": "没有写几点",
        "zh-Hant": "沒有寫幾點",
        "en": "what time of day?",
    },
    "cadence_two_times": {
        "zh-Hans": "只能写一个时间",
        "zh-Hant": "只能寫一個時間",
        "en": "one time of day only",
    },
    "cadence_bad_time": {
        "zh-Hans": "没有 {fragment} 这个时间",
        "zh-Hant": "沒有 {fragment} 這個時間",
        "en": "{fragment} is not a time of day",
    },
    "cadence_bad_weeks": {
        "zh-Hans": "最多每 4 周一次",
        "zh-Hant": "最多每 4 週一次",
        "en": "every 1 to 4 weeks",
    },
    "cadence_unread": {
        "zh-Hans": "不明白“{fragment}”",
        "zh-Hant": "不明白「{fragment}」",
        "en": "“{fragment}” is not a day, a time or every N weeks",
    },
    "vision_created": {
        "zh-Hans": "愿景系列 #{id} 已设置：{count} 种说法，{cadence}（每个人的当地时间），发给 {audience}。下一次：{next}。",
        "zh-Hant": "願景系列 #{id} 已設定：{count} 種說法，{cadence}（每個人的當地時間），發給 {audience}。下一次：{next}。",
        "en": "Vision series #{id} is set: {count} wordings, {cadence} (each person's local time), to {audience}. Next: {next}.",
    },
    "bad_cron": {
        "zh-Hans": "这个周期看不懂：{reason}",
        "zh-Hant": "這個週期看不懂：{reason}",
        "en": "I couldn't use that cadence: {reason}",
    },
    "broadcasts_none": {
        "zh-Hans": "目前没有已安排的推送。",
        "zh-Hant": "目前沒有已安排的推送。",
        "en": "Nothing is scheduled.",
    },
    "broadcasts_header": {
        "zh-Hans": "已安排的推送：",
        "zh-Hant": "已安排的推送：",
        "en": "Scheduled:",
    },
    "btn_cancel_item": {
        "zh-Hans": "取消 #{id}",
        "zh-Hant": "取消 #{id}",
        "en": "Cancel #{id}",
    },
    "item_cancelled": {
        "zh-Hans": "已取消。",
        "zh-Hant": "已取消。",
        "en": "Cancelled.",
    },
    "tz_current": {
        "zh-Hans": "你的时区：{tz}。要更改，发送 /tz 加时区名，例如 /tz Asia/Taipei。",
        "zh-Hant": "你的時區：{tz}。要更改，發送 /tz 加時區名稱，例如 /tz Asia/Taipei。",
        "en": "Your time zone: {tz}. To change it, send /tz with a zone name, e.g. /tz Asia/Taipei.",
    },
    "tz_set": {
        "zh-Hans": "好的，推送会按 {tz} 的时间发送。",
        "zh-Hant": "好的，推送會依 {tz} 的時間發送。",
        "en": "OK: pushes now follow {tz} time.",
    },
    "tz_bad": {
        "zh-Hans": "不认识这个时区。请用 Asia/Shanghai、Asia/Taipei、Asia/Hong_Kong 这样的名称。",
        "zh-Hant": "不認識這個時區。請用 Asia/Shanghai、Asia/Taipei、Asia/Hong_Kong 這樣的名稱。",
        "en": "I don't know that time zone. Use a name such as Asia/Shanghai, Asia/Taipei or Asia/Hong_Kong.",
    },
    "everyone": {
        "zh-Hans": "全体",
        "zh-Hant": "全體",
        "en": "everyone",
    },
    "survey_progress": {
        "zh-Hans": "📋 {title} · {step}/{total}",
        "zh-Hant": "📋 {title} · {step}/{total}",
        "en": "📋 {title} · {step}/{total}",
    },
    "survey_scale": {
        "zh-Hans": "1 = {low} … 5 = {high}",
        "zh-Hant": "1 = {low} … 5 = {high}",
        "en": "1 = {low} … 5 = {high}",
    },
    "survey_skip": {
        "zh-Hans": "跳过",
        "zh-Hant": "略過",
        "en": "Skip",
    },
    "survey_type_comment": {
        "zh-Hans": "直接打字回复即可（匿名），或点「跳过」。",
        "zh-Hant": "直接打字回覆即可（匿名），或點「略過」。",
        "en": "Just type your answer (anonymous), or tap Skip.",
    },
    "survey_done": {
        "zh-Hans": "谢谢！你的回答已匿名保存。截止前可以再点「开始」修改。",
        "zh-Hant": "謝謝！你的回答已匿名儲存。截止前可以再點「開始」修改。",
        "en": "Thank you! Your answers are stored anonymously. Until the survey closes you can tap Start again to change them.",
    },
    "survey_already_done": {
        "zh-Hans": "你已经答完了。要修改答案吗？",
        "zh-Hant": "你已經答完了。要修改答案嗎？",
        "en": "You've already answered. Change your answers?",
    },
    "survey_change": {
        "zh-Hans": "✏️ 修改答案",
        "zh-Hant": "✏️ 修改答案",
        "en": "✏️ Change answers",
    },
    "survey_declined": {language: words["declined"] for language, words in DECLINE.items()},
    "survey_closed": {
        "zh-Hans": "这次调查已经结束，谢谢参与。",
        "zh-Hant": "這次調查已經結束，謝謝參與。",
        "en": "This survey has closed. Thank you.",
    },
    "survey_not_for_you": {
        "zh-Hans": "这份调查不是发给你的。",
        "zh-Hant": "這份調查不是發給你的。",
        "en": "This survey wasn't sent to you.",
    },
    "usage_usage": {
        "zh-Hans": "用法：/usage 72（上周使用率，百分比）；管理多家店时加店名：/usage 72 华东区-12号店",
        "zh-Hant": "用法：/usage 72（上週使用率，百分比）；管理多家門市時加店名：/usage 72 華東區-12號店",
        "en": "Usage: /usage 72 (last week's usage, percent); with several units add the name: /usage 72 East-12",
    },
    "usage_saved": {
        "zh-Hans": "已记录 {unit} {week} 这一周的使用率 {rate}。",
        "zh-Hant": "已記錄 {unit} {week} 這一週的使用率 {rate}。",
        "en": "Saved: {unit}, week of {week}, usage {rate}.",
    },
    "usage_bad": {
        "zh-Hans": "没能记录：{reason}",
        "zh-Hant": "沒能記錄：{reason}",
        "en": "Not saved: {reason}",
    },
    "action_usage": {
        "zh-Hans": "用法：/action 内容 | 负责人 | 截止日期（2026-12-01）；完成后 /action done 编号",
        "zh-Hant": "用法：/action 內容 | 負責人 | 截止日期（2026-12-01）；完成後 /action done 編號",
        "en": "Usage: /action what | owner | due date (2026-12-01); when done: /action done NUMBER",
    },
    "action_saved": {
        "zh-Hans": "已记下行动 #{id}，下周复盘时会显示是否完成。",
        "zh-Hant": "已記下行動 #{id}，下週複盤時會顯示是否完成。",
        "en": "Action #{id} noted; next week's review shows whether it was done.",
    },
    "action_done": {
        "zh-Hans": "行动 #{id} 已完成。",
        "zh-Hant": "行動 #{id} 已完成。",
        "en": "Action #{id} marked done.",
    },
    "mute_usage": {
        "zh-Hans": "用法：/mute 单位名（一周内不再收到这个单位的预警）",
        "zh-Hant": "用法：/mute 單位名稱（一週內不再收到這個單位的預警）",
        "en": "Usage: /mute UNIT (no alerts about that unit for a week)",
    },
    "muted": {
        "zh-Hans": "一周内不再发送 {unit} 的预警（到 {until}）。",
        "zh-Hant": "一週內不再傳送 {unit} 的預警（到 {until}）。",
        "en": "No alerts about {unit} for a week (until {until}).",
    },
    "web_link": {
        "zh-Hans": "打开变革控制台（15 分钟内有效，只能用一次，不要转发）：\n{url}",
        "zh-Hant": "開啟變革控制台（15 分鐘內有效，只能用一次，請勿轉傳）：\n{url}",
        "en": "Open the change console (valid for 15 minutes, once; don't forward it):\n{url}",
    },
    "web_chat_link": {
        "zh-Hans": "在浏览器里提问（15 分钟内有效，只能用一次，不要转发）：\n{url}",
        "zh-Hant": "在瀏覽器裡提問（15 分鐘內有效，只能用一次，請勿轉傳）：\n{url}",
        "en": "Ask in your browser (valid for 15 minutes, once; don't forward it):\n{url}",
    },
}


def text(key: str, language: str | None, **values: object) -> str:
    """The message ``key`` for a reader of ``language``, with placeholders filled."""
    return say(TEXTS[key], language, **values)


def language_from_telegram(code: str | None) -> Language:
    """Map a Telegram client's language_code to one of ours (zh-TW/HK/MO -> Traditional); none of
    ours, or no code: the configured default."""
    if not code:
        return default_language()
    code = code.lower()
    if code.startswith("zh"):
        return "zh-Hant" if any(tag in code for tag in ("tw", "hk", "mo", "hant")) else "zh-Hans"
    if code.startswith("en"):
        return "en"
    return default_language()
