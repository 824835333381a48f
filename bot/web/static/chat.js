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
      const response = await fetch("/api/ask", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        // No language sent: the answer follows the language the question is written in.
        body: JSON.stringify({ question: question }),
      });
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
