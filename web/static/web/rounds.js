/* つなぐ — マッチングラウンド: update the progress every 2 seconds and show the results
   once the round is done (no inline script). */
(function () {
  "use strict";
  var bar = document.getElementById("round-progress");
  if (!bar || !bar.dataset.url || !window.fetch) {
    return;
  }
  var phase = document.getElementById("round-phase");
  var percent = document.getElementById("round-percent");
  var timer = null;

  function show(round) {
    bar.value = round.percent_done;
    bar.textContent = round.percent_done + "%";
    if (percent) { percent.textContent = String(round.percent_done); }
    if (phase) { phase.textContent = round.phase_display; }
    return round.status === "done" || round.status === "failed";
  }

  function poll() {
    fetch(bar.dataset.url, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (round) {
      if (show(round)) {
        window.location.reload();  /* the page renders the results */
      } else {
        timer = window.setTimeout(poll, 2000);
      }
    }).catch(function () {
      timer = window.setTimeout(poll, 10000);
    });
  }

  timer = window.setTimeout(poll, 2000);
  window.addEventListener("pagehide", function () { window.clearTimeout(timer); });
}());
