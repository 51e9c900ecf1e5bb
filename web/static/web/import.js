/* つなぐ — 団体名簿の取り込み: while a worker previews or imports a large file, update the
   progress bar every 2 seconds, and reload the page when it is done (no inline script). */
(function () {
  "use strict";
  var bar = document.getElementById("import-progress");
  if (!bar || !bar.dataset.url || !window.fetch) {
    return;
  }
  var state = document.getElementById("import-state");
  var rows = document.getElementById("import-rows");
  var timer = null;

  function show(upload) {
    bar.value = upload.percent_done;
    bar.textContent = upload.percent_done + "%";
    if (state) { state.textContent = upload.status_display; }
    if (rows) {
      rows.textContent = rows.textContent.replace(/^\s*[\d,]+\s*\/\s*[\d,]+/,
        upload.rows_done + " / " + upload.rows_total);
    }
    return !upload.working;
  }

  function poll() {
    fetch(bar.dataset.url, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (upload) {
      if (show(upload)) {
        window.location.reload();  /* the preview, or what the import did */
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
