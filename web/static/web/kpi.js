/* つなぐ — KPI dashboard charts. Reads the data the page hands over in
   <script type="application/json" id="kpi-data"> (Django's json_script) and draws each
   <canvas data-kpi-chart="…"> with Chart.js (vendored, served by the platform: no CDN).
   Every chart has a data table next to it, so nothing is lost without JavaScript. */
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("kpi-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var charts = JSON.parse(source.textContent);
    var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    window.Chart.defaults.font.family = '"Hiragino Sans", "Noto Sans JP", "Yu Gothic", "Meiryo", sans-serif';
    window.Chart.defaults.color = "#1a1a1a";

    document.querySelectorAll("canvas[data-kpi-chart]").forEach(function (canvas) {
      var spec = charts[canvas.getAttribute("data-kpi-chart")];
      if (!spec || !spec.labels.length) {
        canvas.closest("figure").hidden = true;
        return;
      }
      var valueAxis = {
        beginAtZero: true,
        ticks: {
          precision: 0,
          callback: function (value) { return spec.percent ? value + "%" : value; }
        }
      };
      if (spec.percent) {
        valueAxis.max = 100;
      }
      var scales = spec.horizontal ? { x: valueAxis } : { y: valueAxis };
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: spec.labels,
          datasets: [{
            label: spec.series,
            data: spec.values,
            backgroundColor: "#1f4e79",
            borderColor: "#1f4e79",
            borderWidth: 1
          }]
        },
        options: {
          indexAxis: spec.horizontal ? "y" : "x",
          responsive: true,
          maintainAspectRatio: false,
          animation: reduceMotion ? false : undefined,
          plugins: { legend: { display: false } },
          scales: scales
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
