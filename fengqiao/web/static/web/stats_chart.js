/* The collection statistics' bar chart (ECharts, served by the application itself). */
(function () {
  "use strict";

  function draw() {
    var box = document.getElementById("collection-chart");
    var source = document.getElementById("collection-chart-data");
    if (!box || !source || typeof window.echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var colours = { people: "#1d4ed8", houses: "#067647", organisations: "#b54708" };
    var series = [];
    data.series.forEach(function (s) {
      series.push({ name: s.label, type: "bar", data: s.current, itemStyle: { color: colours[s.kind] } });
      series.push({
        name: s.label + " (" + data.last_year_label + ")",
        type: "bar",
        data: s.last_year,
        itemStyle: { color: colours[s.kind], opacity: 0.35 },
      });
    });
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 48, containLabel: true },
      xAxis: { type: "category", data: data.periods },
      yAxis: { type: "value", minInterval: 1 },
      series: series,
    });
    window.addEventListener("resize", function () { chart.resize(); });
    box.setAttribute("data-state", "ready");
    box.setAttribute("data-series", String(series.length));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
