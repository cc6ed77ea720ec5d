/* Draw the dashboards' charts with the vendored Apache ECharts.

   Each chart is a <div data-chart-source="ID"> whose figures sit in <script type="application/json"
   id="ID"> (data, not script: the Content-Security-Policy allows no inline script).  The JSON is
   a small description written by xietong/views/dashboards.py:

     {type: "pie", title, unit, items: [{name, value}]}
     {type: "bar", title, unit, categories: [...], series: [{name, data: [...]}], stack?, horizontal?, decimals?}
     {type: "timeline", title, categories: [task numbers], statuses: {id: title},
      points: [{task, taskTitle, name, date: "YYYY-MM-DD", label, status}]}

   ECharts renders tooltips as HTML, and titles come from users: every tooltip here is built by
   a formatter that escapes each piece of text.  Labels on the canvas/SVG are text already.
   When a chart has drawn, its element gets data-chart-drawn="true" (the browser test waits for it). */
(function () {
  "use strict";

  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  var CHINESE = (document.documentElement.lang || "zh").indexOf("zh") === 0;
  var STATUS_COLOURS = { done: "#198754", done_late: "#fd7e14", overdue: "#dc3545", pending: "#0d6efd" };

  function escapeHtml(value) {
    return String(value === null || value === undefined ? "" : value).replace(/[&<>"']/g, function (c) {
      return ENTITIES[c];
    });
  }

  function number(value, decimals) {
    var n = Number(value) || 0;
    return n.toLocaleString(CHINESE ? "zh-CN" : "en", { minimumFractionDigits: decimals || 0, maximumFractionDigits: decimals || 0 });
  }

  function pieOption(spec) {
    return {
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          return escapeHtml(p.name) + (CHINESE ? "：" : ": ") + escapeHtml(number(p.value)) + " " +
            escapeHtml(spec.unit) + (CHINESE ? "（" : " (") + escapeHtml(p.percent) + (CHINESE ? "%）" : "%)");
        }
      },
      legend: { bottom: 0, type: "scroll" },
      series: [{
        name: spec.title, type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
        label: { formatter: "{b}：{c}" }, data: spec.items
      }]
    };
  }

  function barOption(spec) {
    var categoryAxis = { type: "category", data: spec.categories, axisLabel: { interval: 0, width: 120, overflow: "truncate" } };
    var valueAxis = { type: "value", name: spec.unit, minInterval: spec.decimals ? 0 : 1 };
    return {
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (params) {
          var lines = [escapeHtml(params.length ? params[0].name : "")];
          params.forEach(function (p) {
            lines.push(p.marker + escapeHtml(p.seriesName) + (CHINESE ? "：" : ": ") + escapeHtml(number(p.value, spec.decimals)) +
              " " + escapeHtml(spec.unit));
          });
          return lines.join("<br>");
        }
      },
      legend: spec.series.length > 1 ? { bottom: 0 } : undefined,
      grid: { left: spec.horizontal ? 130 : 60, right: 30, top: 30, bottom: spec.series.length > 1 ? 60 : 40 },
      xAxis: spec.horizontal ? valueAxis : categoryAxis,
      yAxis: spec.horizontal ? categoryAxis : valueAxis,
      series: spec.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data, stack: spec.stack ? "total" : undefined, barMaxWidth: 40 };
      })
    };
  }

  function timelineOption(spec) {
    var statuses = Object.keys(spec.statuses);
    return {
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var point = p.data.point;
          return escapeHtml(point.task) + " " + escapeHtml(point.taskTitle) + "<br>" + escapeHtml(point.name) +
            "<br>" + escapeHtml(point.label) + " · " + escapeHtml(spec.statuses[point.status]);
        }
      },
      legend: { bottom: 0, data: statuses.map(function (s) { return spec.statuses[s]; }) },
      grid: { left: 70, right: 30, top: 20, bottom: 60 },
      xAxis: { type: "time" },
      yAxis: { type: "category", data: spec.categories, inverse: true, axisLabel: { interval: 0 } },
      series: statuses.map(function (status) {
        return {
          name: spec.statuses[status], type: "scatter", symbolSize: 12,
          itemStyle: { color: STATUS_COLOURS[status] },
          data: spec.points.filter(function (pt) { return pt.status === status; }).map(function (pt) {
            return { value: [pt.date, pt.task], point: pt };
          })
        };
      })
    };
  }

  var BUILDERS = { pie: pieOption, bar: barOption, timeline: timelineOption };

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart-source"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var build = BUILDERS[spec.type];
    if (!build) { return; }
    if (spec.horizontal && spec.categories.length > 10) {
      element.style.height = (spec.categories.length * 22 + 60) + "px";  // a readable row per unit
    }
    var chart = echarts.init(element, null, { renderer: "svg", locale: CHINESE ? "ZH" : "EN" });
    chart.on("finished", function () { element.setAttribute("data-chart-drawn", "true"); });
    chart.setOption(Object.assign({ aria: { enabled: false }, animation: false }, build(spec)));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    if (typeof echarts === "undefined") { return; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart-source]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
