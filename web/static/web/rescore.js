/* つなぐ — 全体の再計算: update the progress bar every 2 seconds (no inline script). */
(function () {
  "use strict";
  var bar = document.getElementById("rescore-progress");
  if (!bar || !bar.dataset.url || bar.dataset.finished === "1" || !window.fetch) {
    return;
  }
  var state = document.getElementById("rescore-state");
  var percent = document.getElementById("rescore-percent");
  var timer = null;

  function show(run) {
    bar.value = run.percent_done;
    bar.textContent = run.percent_done + "%";
    if (percent) { percent.textContent = String(run.percent_done); }
    if (state) { state.textContent = run.status_display; }
    return run.status === "done" || run.status === "failed";
  }

  function poll() {
    fetch(bar.dataset.url, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (run) {
      if (!show(run)) { timer = window.setTimeout(poll, 2000); }
    }).catch(function () {
      /* Keep the last value; the page still shows the percentage on reload. */
      timer = window.setTimeout(poll, 10000);
    });
  }

  timer = window.setTimeout(poll, 2000);
  window.addEventListener("pagehide", function () { window.clearTimeout(timer); });
}());
