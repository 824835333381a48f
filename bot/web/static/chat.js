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
