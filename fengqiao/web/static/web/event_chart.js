/* The indicators page: events received and closed per month (ECharts, served by the application). */
(function () {
  "use strict";

  function draw() {
    var box = document.getElementById("event-chart");
    var source = document.getElementById("event-chart-data");
    if (!box || !source || typeof window.echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.labels.received, type: "bar", data: data.received, itemStyle: { color: "#1d4ed8" } },
        { name: data.labels.closed, type: "bar", data: data.closed, itemStyle: { color: "#067647" } },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
    box.setAttribute("data-state", "ready");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
