// Charts from their Plotly figure JSON, the re-index progress bar, and the CSRF token on sign-out.
(function () {
  document.querySelectorAll(".chart[data-figure]").forEach(function (node) {
    if (!window.Plotly) { return; }
    var figure = JSON.parse(node.dataset.figure);
    // No mode bar: its buttons sat over the chart, and nobody zooms a weekly heatmap.
    window.Plotly.newPlot(node, figure.data, figure.layout, { displayModeBar: false, responsive: true });
  });

  var signout = document.getElementById("signout");
  if (signout) {
    signout.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch("/auth/logout", { method: "POST", headers: { "X-CSRF-Token": document.body.dataset.csrf } })
        .then(function () { window.location = "/console"; });
    });
  }

  // The vision cadence picker: the next five sends, on the reader's clock and in the page's language,
  // worded by the server (GET /console/vision/preview) as the picker changes, before anything is saved.
  var vision = document.getElementById("vision");
  if (vision) {
    var preview = document.getElementById("vision-preview"), asked = 0;
    var refresh = function () {
      var mine = ++asked;  // answers may come back out of order: only the latest one is drawn
      var query = new URLSearchParams();
      vision.querySelectorAll("input[name=weekday]:checked").forEach(function (box) { query.append("weekday", box.value); });
      query.set("at", vision.elements.at.value);
      query.set("every_weeks", vision.elements.every_weeks.value);
      fetch(vision.dataset.preview + "?" + query.toString(), { credentials: "same-origin" }).then(function (response) {
        return response.json();
      }).then(function (shown) {
        if (mine !== asked) { return; }
        var error = preview.querySelector(".error"), list = preview.querySelector("ol");
        list.textContent = "";
        error.hidden = !shown.error;
        error.textContent = shown.error || "";
        preview.querySelector(".description").textContent = shown.description || "";
        (shown.times || []).forEach(function (moment) {
          var item = document.createElement("li");
          item.textContent = moment;
          list.appendChild(item);
        });
        // Saved with the series, so the every-N-weeks rhythm is the one shown here.
        vision.elements.anchor.value = shown.anchor || "";
      });
    };
    document.getElementById("cadence").addEventListener("change", refresh);
  }

  var box = document.getElementById("progress");
  if (box) {
    var bar = box.querySelector("progress"), text = box.querySelector("output");
    var poll = function () {
      fetch("/api/knowledge/jobs/" + encodeURIComponent(box.dataset.job)).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (job) {
        if (!job) { text.textContent = "?"; return; }
        bar.value = job.state === "done" ? 100 : job.percent;
        // The server words the line (state, place in the queue, progress, about how long, or that no
        // worker is running re-index jobs), in the page's language.
        text.textContent = job.summary;
        box.dataset.state = job.state;
        if (job.no_runner) { box.dataset.noRunner = ""; } else { delete box.dataset.noRunner; }
        if (job.state === "queued" || job.state === "running") { setTimeout(poll, 500); }
      });
    };
    poll();
  }
})();
