// Web chat: posts questions to /api/ask and shows the answer with its sources; shows the person's
// conversation (from any device, after a reload), who has a question passed to a person, and replies
// from people, with a badge when one arrives (polled; read once shown). No framework, no CDN.
(function () {
  const root = document.querySelector(".chat");
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const input = document.getElementById("question");
  const badge = document.getElementById("inbox");
  const earlier = document.getElementById("earlier");
  const lang = encodeURIComponent(root.dataset.lang || "");
  const signedIn = Boolean(root.dataset.csrf);
  const PAGE = 20;
  const POLL_MS = 30000;
  const title = document.title;
  let loaded = 0;  // conversation entries drawn from the server's pages, for "earlier"
  const replies = new Map();  // question id -> the reply time drawn
  const fresh = [];  // question ids whose reply was drawn unread on this page and not yet pointed out
  const unseen = new Set();  // replies drawn but not yet marked read (the page was hidden)
  const answerStrings = JSON.parse(root.dataset.answerStrings || "{}");

  // A string under one answer, in that answer's language (someone may ask in English on a Chinese page).
  function said(key, data) {
    const strings = answerStrings[(data && data.language) || ""] || answerStrings[root.dataset.lang] || {};
    return strings[key] || "";
  }

  function message(kind, text, questionId) {
    const item = document.createElement("li");
    item.className = "msg " + kind;
    if (text) item.textContent = text;  // textContent, never innerHTML: answers quote documents verbatim
    if (questionId) item.dataset.question = String(questionId);
    return item;
  }

  function add(kind, text) {
    const item = message(kind, text);
    log.appendChild(item);
    item.scrollIntoView({ behavior: "smooth", block: "end" });
    return item;
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf || "" },
      body: JSON.stringify(body || {}),
    });
  }

  async function getJson(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  // The same three buttons as in Telegram, for signed-in staff.
  function addButtons(item, data) {
    if (!signedIn || !data.question_id) return;
    if (data.kind === "refused") return;  // "I don't know yet" has gone to a person already
    const bar = document.createElement("div");
    bar.className = "feedback";
    const choices = data.answered
      ? [["helpful", said("helpful", data)], ["not_helpful", said("not_helpful", data)], ["person", said("ask_person", data)]]
      : [["person", said("ask_person", data)]];
    choices.forEach(function (choice) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.choice = choice[0];
      button.textContent = choice[1];
      button.addEventListener("click", async function () {
        bar.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        const path = "/api/questions/" + data.question_id + (choice[0] === "person" ? "/escalate" : "/feedback");
        const response = await post(path, choice[0] === "person" ? {} : { verdict: choice[0] });
        const note = document.createElement("span");
        note.className = "badge";
        note.textContent = response.ok ? (choice[0] === "person" ? said("escalated", data) : said("thanks", data)) : root.dataset.error;
        bar.appendChild(note);
        if (response.ok && choice[0] === "person") showHandover(item, data.question_id);
      });
      bar.appendChild(button);
    });
    item.appendChild(bar);
  }

  // Who has a question passed to a person, and roughly when to expect the answer: a message of its
  // own, right under the answer, as the conversation shows it after a reload.
  async function showHandover(after, questionId) {
    try {
      const entry = await getJson("/api/chat/conversation/" + questionId + "?lang=" + lang);
      if (!entry.handover || log.querySelector('.handover[data-question="' + questionId + '"]')) return;
      const notice = handoverMessage(entry);
      after.after(notice);
      notice.scrollIntoView({ behavior: "smooth", block: "end" });
    } catch (error) {
      // The answer above already says the question was passed on; the notice comes with the next load.
    }
  }

  function handoverMessage(entry) {
    return message("bot handover", entry.handover.notice, entry.question_id);
  }

  // "Did you mean": one button per candidate; a tap answers from it (and tells us which one fitted).
  function addSuggestions(item, data) {
    const bar = document.createElement("div");
    bar.className = "suggestions";
    data.suggestions.forEach(function (suggestion, index) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = suggestion.label;
      button.disabled = !signedIn || !data.question_id;
      button.addEventListener("click", async function () {
        bar.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        button.classList.add("chosen");
        const pending = add("bot", root.dataset.thinking);
        pending.dataset.question = String(data.question_id);
        try {
          const response = await post("/api/questions/" + data.question_id + "/choose", { index: index });
          if (!response.ok) throw new Error(String(response.status));
          showAnswer(pending, await response.json());
        } catch (error) {
          pending.textContent = root.dataset.error;
        }
      });
      bar.appendChild(button);
    });
    item.appendChild(bar);
  }

  // "More": the whole passage in place of the short answer, and back.
  function addMore(item, text, data) {
    if (!data.full_answer) return;
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "more";
    toggle.textContent = said("more", data);
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", function () {
      const open = toggle.getAttribute("aria-expanded") === "true";
      text.textContent = open ? data.answer : data.full_answer;
      toggle.textContent = open ? said("more", data) : said("less", data);
      toggle.setAttribute("aria-expanded", open ? "false" : "true");
    });
    item.appendChild(toggle);
  }

  function addSources(item, sources, data) {
    if (!sources || !sources.length) return;
    const list = document.createElement("ol");
    list.className = "sources";
    list.setAttribute("aria-label", said("sources", data));
    sources.forEach(function (source) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      // The whole document, as this reader may see it, opened at the passage cited.
      link.href = "/chat/documents?source=" + encodeURIComponent(source.source) +
        "&lang=" + lang + "#c-" + encodeURIComponent(source.chunk_id);
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = [source.title, source.section].filter(Boolean).join(" › ");
      li.appendChild(link);
      list.appendChild(li);
    });
    item.appendChild(list);
  }

  function addText(item, text) {
    const div = document.createElement("div");
    div.className = "text";
    div.textContent = text;
    item.appendChild(div);
    return div;
  }

  function showAnswer(item, data) {
    item.textContent = "";
    if (data.question_id) item.dataset.question = String(data.question_id);
    const text = addText(item, data.answer);
    if (data.note) {
      const note = document.createElement("div");
      note.className = "badge";
      note.textContent = data.note;
      item.appendChild(note);
    }
    if (data.band === "suggest" && data.suggestions && data.suggestions.length) {
      addSuggestions(item, data);
      addButtons(item, data);
      return;
    }
    if (!data.answered) {
      item.classList.add("unanswered");
      // Chit-chat is not waiting for anyone; a question passed to a person gets its own notice below.
      if (data.kind !== "off_topic" && !data.escalated) {
        const badge = document.createElement("div");
        badge.className = "badge";
        badge.textContent = said("unanswered", data);
        item.appendChild(badge);
      }
      addButtons(item, data);
      if (data.escalated) showHandover(item, data.question_id);
      return;
    }
    addSources(item, data.sources, data);
    addMore(item, text, data);
    addButtons(item, data);
  }

  // One question of the conversation as it stands: the question, the bot's answer, who has it, and
  // the reply from a person (marked as such), in that order.
  function exchangeMessages(entry) {
    const id = entry.question_id;
    const drawn = [message("user", entry.question, id)];
    const answer = message("bot" + (entry.answered ? "" : " unanswered"), "", id);
    addText(answer, entry.answer);
    if (entry.band === "suggest" && entry.suggestions.length) addSuggestions(answer, entry);
    if (entry.answered) addSources(answer, entry.sources, entry);  // a refusal's near misses are no sources
    drawn.push(answer);
    if (entry.handover) drawn.push(handoverMessage(entry));
    if (entry.reply) {
      const reply = message("person reply", "", id);
      const heading = document.createElement("div");
      heading.className = "from";
      heading.textContent = entry.reply.label;
      if (entry.reply.unread) {
        const tag = document.createElement("span");
        tag.className = "new";
        tag.textContent = root.dataset.newReply;
        heading.appendChild(tag);
        reply.classList.add("unread");
      }
      reply.appendChild(heading);
      addText(reply, entry.reply.text);
      drawn.push(reply);
      replies.set(id, entry.reply.at);
      if (entry.reply.unread) {
        unseen.add(id);
        if (fresh.indexOf(id) < 0) fresh.push(id);
      }
    }
    return drawn;
  }

  // A question drawn again (a reply arrived) moves to the end, where the conversation puts it.
  function drawAtEnd(entry) {
    log.querySelectorAll('[data-question="' + entry.question_id + '"]').forEach(function (old) { old.remove(); });
    exchangeMessages(entry).forEach(function (item) { log.appendChild(item); });
  }

  async function loadConversation(offset) {
    const page = await getJson("/api/chat/conversation?limit=" + PAGE + "&offset=" + offset + "&lang=" + lang);
    const items = page.items.filter(function (entry) {
      return !log.querySelector('[data-question="' + entry.question_id + '"]');
    });
    const drawn = document.createDocumentFragment();
    items.forEach(function (entry) { exchangeMessages(entry).forEach(function (item) { drawn.appendChild(item); }); });
    log.insertBefore(drawn, log.firstChild);
    loaded = offset + page.items.length;
    earlier.hidden = loaded >= page.total;
    return items.length;
  }

  function showBadge() {
    const count = fresh.length;
    badge.hidden = count === 0;
    badge.textContent = count === 1 ? root.dataset.inboxOne : root.dataset.inboxMany.replace("{n}", String(count));
    document.title = count && document.visibilityState !== "visible" ? "(" + count + ") " + title : title;
  }

  // Replies drawn while the page is in view have been shown: they are read, here and on every device.
  async function markShown() {
    if (!unseen.size || document.visibilityState !== "visible") return;
    const ids = Array.from(unseen);
    const response = await post("/api/chat/inbox/read", { question_ids: ids });
    if (response.ok) ids.forEach(function (id) { unseen.delete(id); });
  }

  async function checkInbox() {
    let inbox;
    try {
      inbox = await getJson("/api/chat/inbox?lang=" + lang);
    } catch (error) {
      return;  // signed out, or the server is away for a moment: the next poll tries again
    }
    inbox.items.forEach(function (entry) {
      if (replies.get(entry.question_id) !== entry.reply.at) drawAtEnd(entry);
    });
    showBadge();
    await markShown();
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    fresh.length = 0;
    showBadge();
    const asked = add("user", question);
    input.value = "";
    const button = form.querySelector("button");
    button.disabled = true;
    const pending = add("bot", root.dataset.thinking);
    try {
      // No language sent: the answer follows the language the question is written in.
      const response = await post("/api/ask", { question: question });
      if (response.status === 503) {
        // The library's vector store is down for a moment: say so, and that asking again will work.
        pending.textContent = root.dataset.unavailable;
        return;
      }
      if (response.status === 429) {
        // The per-person question limit (the same one as in Telegram): wait a minute.
        pending.textContent = root.dataset.flood;
        return;
      }
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      if (data.question_id) asked.dataset.question = String(data.question_id);
      showAnswer(pending, data);
    } catch (error) {
      pending.textContent = root.dataset.error;
    } finally {
      button.disabled = false;
      input.focus();
    }
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  if (!signedIn) return;  // an open kiosk has no conversation to keep

  badge.addEventListener("click", function () {
    const first = fresh.length && log.querySelector('.reply[data-question="' + fresh[0] + '"]');
    if (first) first.scrollIntoView({ behavior: "smooth", block: "center" });
    fresh.length = 0;
    showBadge();
  });
  earlier.addEventListener("click", function () { loadConversation(loaded).catch(function () {}); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    showBadge();
    checkInbox();
  });
  loadConversation(0)
    .then(function () {
      const last = log.lastElementChild;
      if (last) last.scrollIntoView({ block: "end" });
    })
    .catch(function () {})
    .then(checkInbox);
  setInterval(checkInbox, POLL_MS);
})();

// Pulse surveys sent to this person: one question at a time, the same path as in Telegram.
(function () {
  const root = document.querySelector(".chat");
  const panel = document.getElementById("pulse");
  if (!root || !panel || !root.dataset.csrf) return;

  function button(label, onClick, extra) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (extra) b.className = extra;
    b.addEventListener("click", onClick);
    return b;
  }

  async function send(wave, body) {
    const response = await fetch("/api/chat/surveys/" + wave, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf },
      body: JSON.stringify(body),
    });
    if (response.ok) render(await response.json());
  }

  function render(item) {
    panel.hidden = false;
    panel.replaceChildren();
    const title = document.createElement("h2");
    title.textContent = item.title + (item.step ? " · " + (item.step.index + 1) + "/" + item.total : "");
    panel.appendChild(title);
    if (item.declined) {
      // "Not this time" was said; Start still takes part until the wave closes.
      const declined = document.createElement("p");
      declined.className = "done";
      declined.textContent = root.dataset.surveyDeclined;
      panel.appendChild(declined);
      panel.appendChild(button(root.dataset.start, function () { send(item.wave, {}); }));
      return;
    }
    if (!item.step) {
      const done = document.createElement("p");
      done.className = "done";
      done.textContent = root.dataset.surveyDone;
      panel.appendChild(done);
      panel.appendChild(button(root.dataset.change, function () { send(item.wave, { restart: true }); }, "secondary"));
      return;
    }
    const step = item.step;
    if (step.index === 0) {
      // Said before the first answer, not only after the last: people answer honestly when they know.
      const anonymous = document.createElement("p");
      anonymous.className = "anonymous";
      anonymous.textContent = root.dataset.surveyAnonymous;
      panel.appendChild(anonymous);
    }
    const text = document.createElement("p");
    text.className = "question";
    text.textContent = step.text;
    panel.appendChild(text);
    const row = document.createElement("div");
    row.className = "choices";
    if (step.type === "likert") {
      [1, 2, 3, 4, 5].forEach(function (n) {
        const b = button(String(n), function () { send(item.wave, { index: step.index, value: n }); });
        b.title = step.scale[n - 1];
        if (step.current === n) b.classList.add("chosen");
        row.appendChild(b);
      });
      const legend = document.createElement("small");
      legend.textContent = "1 = " + step.scale[0] + " … 5 = " + step.scale[4];
      panel.appendChild(row);
      panel.appendChild(legend);
    } else if (step.type === "choice") {
      step.options.forEach(function (option) {
        const b = button(option.text, function () { send(item.wave, { index: step.index, value: option.id }); });
        if (step.current === option.id) b.classList.add("chosen");
        row.appendChild(b);
      });
      panel.appendChild(row);
    } else {
      const box = document.createElement("textarea");
      box.rows = 2;
      box.maxLength = 1000;
      box.value = typeof step.current === "string" ? step.current : "";
      panel.appendChild(box);
      row.appendChild(button(root.dataset.sendComment, function () {
        if (box.value.trim()) send(item.wave, { index: step.index, value: box.value.trim() });
      }));
      panel.appendChild(row);
    }
    if (step.optional) {
      row.appendChild(button(root.dataset.skip, function () { send(item.wave, { index: step.index, value: null }); }, "secondary"));
    }
    if (!step.started) {
      const decline = button(root.dataset.decline, function () { send(item.wave, { decline: true }); }, "secondary decline");
      panel.appendChild(decline);
    }
  }

  // A survey to take first; one declined only when there is none (so its Start stays at hand).
  fetch("/api/chat/surveys").then(function (response) { return response.ok ? response.json() : []; })
    .then(function (items) {
      const pending = items.filter(function (item) { return !item.declined; });
      const shown = pending.length ? pending[0] : items[0];
      if (shown) render(shown);
    });
})();
