// Web chat: posts questions to /api/ask and shows the answer with its sources. No framework, no CDN.
(function () {
  const root = document.querySelector(".chat");
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const input = document.getElementById("question");

  function add(kind, text) {
    const item = document.createElement("li");
    item.className = "msg " + kind;
    item.textContent = text;  // textContent, never innerHTML: answers quote documents verbatim
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

  // The same three buttons as in Telegram, for signed-in staff.
  function addButtons(item, data) {
    if (!root.dataset.csrf || !data.question_id) return;
    if (data.kind === "refused") return;  // "I don't know yet" has gone to a person already
    const bar = document.createElement("div");
    bar.className = "feedback";
    const choices = data.answered
      ? [["helpful", root.dataset.helpful], ["not_helpful", root.dataset.notHelpful], ["person", root.dataset.askPerson]]
      : [["person", root.dataset.askPerson]];
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
        note.textContent = response.ok ? (choice[0] === "person" ? root.dataset.escalated : root.dataset.thanks) : root.dataset.error;
        bar.appendChild(note);
      });
      bar.appendChild(button);
    });
    item.appendChild(bar);
  }

  // "Did you mean": one button per candidate; a tap answers from it (and tells us which one fitted).
  function addSuggestions(item, data) {
    const bar = document.createElement("div");
    bar.className = "suggestions";
    data.suggestions.forEach(function (suggestion, index) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = suggestion.label;
      button.disabled = !root.dataset.csrf || !data.question_id;
      button.addEventListener("click", async function () {
        bar.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        button.classList.add("chosen");
        const pending = add("bot", root.dataset.thinking);
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
    toggle.textContent = root.dataset.more;
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", function () {
      const open = toggle.getAttribute("aria-expanded") === "true";
      text.textContent = open ? data.answer : data.full_answer;
      toggle.textContent = open ? root.dataset.more : root.dataset.less;
      toggle.setAttribute("aria-expanded", open ? "false" : "true");
    });
    item.appendChild(toggle);
  }

  function showAnswer(item, data) {
    item.textContent = "";
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = data.answer;
    item.appendChild(text);
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
      if (data.kind !== "off_topic") {  // chit-chat is not waiting for the change team
        const badge = document.createElement("div");
        badge.className = "badge";
        badge.textContent = root.dataset.unanswered;
        item.appendChild(badge);
      }
      addButtons(item, data);
      return;
    }
    if (data.sources && data.sources.length) {
      const list = document.createElement("ol");
      list.className = "sources";
      list.setAttribute("aria-label", root.dataset.sources);
      data.sources.forEach(function (source) {
        const li = document.createElement("li");
        const link = document.createElement("a");
        // The whole document, as this reader may see it, opened at the passage cited.
        link.href = "/chat/documents?source=" + encodeURIComponent(source.source) +
          "&lang=" + encodeURIComponent(root.dataset.lang) + "#c-" + encodeURIComponent(source.chunk_id);
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = [source.title, source.section].filter(Boolean).join(" › ");
        li.appendChild(link);
        list.appendChild(li);
      });
      item.appendChild(list);
    }
    addMore(item, text, data);
    addButtons(item, data);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    add("user", question);
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
      showAnswer(pending, await response.json());
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
    if (!item.step) {
      const done = document.createElement("p");
      done.className = "done";
      done.textContent = root.dataset.surveyDone;
      panel.appendChild(done);
      panel.appendChild(button(root.dataset.change, function () { send(item.wave, { restart: true }); }, "secondary"));
      return;
    }
    const step = item.step;
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
  }

  fetch("/api/chat/surveys").then(function (response) { return response.ok ? response.json() : []; })
    .then(function (items) { if (items.length) render(items[0]); });
})();
