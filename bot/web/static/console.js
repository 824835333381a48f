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
