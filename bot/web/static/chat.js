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

  function showAnswer(item, data) {
    item.textContent = data.answer;
    if (data.note) {
      const note = document.createElement("div");
      note.className = "badge";
      note.textContent = data.note;
      item.appendChild(note);
    }
    if (!data.answered) {
      item.classList.add("unanswered");
      const badge = document.createElement("div");
      badge.className = "badge";
      badge.textContent = root.dataset.unanswered;
      item.appendChild(badge);
      addButtons(item, data);
      return;
    }
    if (data.sources && data.sources.length) {
      const list = document.createElement("ol");
      list.className = "sources";
      list.setAttribute("aria-label", root.dataset.sources);
      data.sources.forEach(function (source) {
        const li = document.createElement("li");
        li.textContent = [source.title, source.section].filter(Boolean).join(" › ") + " (" + source.source + ")";
        list.appendChild(li);
      });
      item.appendChild(list);
    }
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
