/* The command room's charts (ECharts, served by the application itself) and the wall view's
   refresh every minute. The data comes from a JSON block the page carries; labels are set as
   chart text, never as HTML. */
(function () {
  "use strict";

  function dark() {
    return document.body.classList.contains("command-wall");
  }

  function classes(data) {
    var box = document.getElementById("command-classes");
    if (!box) return null;
    var chart = window.echarts.init(box, dark() ? "dark" : null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      backgroundColor: "transparent",
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: data.classes.map(function (c) { return c.label; }), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.now_label, type: "bar", data: data.classes.map(function (c) { return c.now; }) },
        { name: data.last_year_label, type: "bar", data: data.classes.map(function (c) { return c.last_year; }), itemStyle: { opacity: 0.45 } },
      ],
    });
    box.setAttribute("data-state", "ready");
    return chart;
  }

  function monthly(data) {
    var box = document.getElementById("command-monthly");
    if (!box) return null;
    var chart = window.echarts.init(box, dark() ? "dark" : null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      backgroundColor: "transparent",
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: data.monthly.months },
      yAxis: { type: "value", minInterval: 1 },
      series: data.monthly.series.map(function (s) {
        return { name: s.label, type: "line", data: s.data };
      }),
    });
    box.setAttribute("data-state", "ready");
    return chart;
  }

  function draw() {
    var source = document.getElementById("command-chart-data");
    if (source && typeof window.echarts !== "undefined") {
      var data = JSON.parse(source.textContent);
      var charts = [classes(data), monthly(data)].filter(Boolean);
      window.addEventListener("resize", function () {
        charts.forEach(function (c) { c.resize(); });
      });
    }
    var seconds = parseInt(document.body.getAttribute("data-refresh-seconds") || "0", 10);
    if (seconds > 0) {
      window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
