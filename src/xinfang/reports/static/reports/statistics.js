/* Statistics charts. The numbers come from each chart's data-chart attribute (JSON written by
   the server); nothing inline, so the Content-Security-Policy stays strict. The table beside
   each chart holds the same numbers for people who read them, and prints. */
(function () {
  "use strict";

  function option(spec) {
    var horizontal = spec.type === "bar";
    var base = {
      animation: false,
      tooltip: { trigger: spec.type === "pie" ? "item" : "axis" },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true }
    };
    if (spec.type === "pie") {
      base.series = [{
        type: "pie", radius: ["35%", "70%"],
        data: spec.labels.map(function (label, i) { return { name: label, value: spec.values[i] }; })
      }];
      return base;
    }
    // Rows of a bar chart each keep their name; along a time axis a narrow screen has no room
    // for every day or week, so labels that would overlap are left out (the table has them all).
    var labels = horizontal
      ? { interval: 0, overflow: "truncate", width: 120 }
      : { interval: "auto", hideOverlap: true };
    var categories = { type: "category", data: spec.labels, axisLabel: labels };
    var numbers = { type: "value", minInterval: 1 };
    base.xAxis = horizontal ? numbers : categories;
    base.yAxis = horizontal ? Object.assign({ inverse: true }, categories) : numbers;
    base.series = [{ name: spec.series, type: spec.type, data: spec.values, smooth: false, areaStyle: spec.type === "line" ? {} : undefined }];
    return base;
  }

  function draw() {
    if (!window.echarts) return;
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var spec;
      try { spec = JSON.parse(node.getAttribute("data-chart")); } catch (e) { return; }
      if (!spec.values || !spec.values.length) { node.classList.add("chart--empty"); return; }
      if (spec.type === "bar") node.classList.add("chart--rows-" + Math.min(spec.values.length, 20));
      var chart = window.echarts.init(node, null, { renderer: "canvas" });
      chart.setOption(option(spec));
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    // Printing: draw at the paper's width so the chart is not cut off.
    window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
