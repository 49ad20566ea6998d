/* LN-CDS trend view: draws the server-built trend JSON (cds/views/trend.py) with Chart.js.
 *
 * Every number comes from the page's <script type="application/json" id="trend-data">; this
 * file only draws it. Four stacked panels share one time axis (same min/max and the same
 * y-axis width, so dates line up vertically): proteinuria, eGFR, treatment courses and the
 * secondary rows (complement, anti-dsDNA, urine sediment). T0, milestones and the as-of date
 * are vertical lines drawn by a small plugin; thresholds and the eGFR stability band too.
 */
(function () {
  "use strict";

  var dataNode = document.getElementById("trend-data");
  var printButton = document.querySelector("[data-action='print']");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
  // A printed page must show the criteria and data notes even when they are collapsed.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) {
      d.setAttribute("open", "");
    });
  });
  if (!dataNode || typeof window.Chart === "undefined") {
    return;
  }
  var trend = JSON.parse(dataNode.textContent);
  var Chart = window.Chart;

  var css = getComputedStyle(document.documentElement);
  function colour(name, fallback) {
    var value = css.getPropertyValue(name);
    return value ? value.trim() : fallback;
  }
  var C = {
    ink: colour("--ink", "#1b1f24"),
    muted: colour("--muted", "#57606a"),
    grid: colour("--grid", "#e4e7eb"),
    protein: colour("--series-protein", "#1f5fa8"),
    egfr: colour("--series-egfr", "#7a3e9d"),
    cr: colour("--line-cr", "#1a7f37"),
    ceiling: colour("--line-ceiling", "#b35900"),
    half: colour("--line-half", "#0f6e8c"),
    band: colour("--band", "rgba(26, 127, 55, 0.10)"),
    t0: colour("--t0", "#1b1f24"),
    milestone: colour("--milestone", "#8250df"),
    flare: colour("--flare", "#cf222e"),
    abnormal: colour("--abnormal", "#cf222e"),
    normal: colour("--normal", "#8c959f"),
    course: {
      MPAA: colour("--course-mpaa", "#2f81f7"),
      CYC: colour("--course-cyc", "#bf3989"),
      CNI: colour("--course-cni", "#1a7f37"),
      biologic: colour("--course-biologic", "#9a6700"),
      glucocorticoid: colour("--course-gc", "#8c959f")
    }
  };

  var Y_AXIS_WIDTH = 56;
  // From this chart width on, threshold lines get short labels in a right margin (outside
  // the plot, so they never cover a point); narrower, the legend alone explains them. Decided
  // per draw, so a panel that is resized (EHR side panel dragged wider) gains or loses them.
  var INLINE_LABEL_MIN_WIDTH = 480;
  var LABEL_MARGIN = 52;
  function inlineLabels(chart) { return chart.width >= INLINE_LABEL_MIN_WIDTH; }
  var DAY = 86400000;
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // "Mar 2025" on the first tick and wherever the year changes, else "May": never "Mar 25",
  // which reads as the 25th of March.
  function tickLabel(ms, index, ticks) {
    var d = new Date(ms);
    var label = MONTHS[d.getUTCMonth()];
    var previous = index > 0 && ticks[index - 1] ? new Date(ticks[index - 1].value) : null;
    if (!previous || previous.getUTCFullYear() !== d.getUTCFullYear()) {
      label += " " + d.getUTCFullYear();
    }
    return label;
  }
  function fmt(value) {
    if (value === null || value === undefined) { return ""; }
    return Math.abs(value) >= 100 ? value.toFixed(0) : String(Number(value.toPrecision(3)));
  }

  // Ticks at month starts, spaced so that at most ~6 fit at side-panel widths.
  function monthTicks(axis) {
    var span = trend.x_max - trend.x_min;
    var months = span / (30.44 * DAY);
    var width = axis.chart.width || 350;
    var maxTicks = Math.max(2, Math.floor(width / 75));
    var steps = [1, 2, 3, 4, 6, 12, 24, 36, 60];
    var step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i += 1) {
      if (months / steps[i] <= maxTicks) { step = steps[i]; break; }
    }
    var start = new Date(trend.x_min);
    var y = start.getUTCFullYear();
    var m = start.getUTCMonth() + 1;
    var ticks = [];
    for (var guard = 0; guard < 400; guard += 1) {
      if (m > 11) { y += Math.floor(m / 12); m %= 12; }
      var t = Date.UTC(y, m, 1);
      if (t > trend.x_max) { break; }
      if (((y * 12 + m) % step) === 0) { ticks.push({ value: t }); }
      m += 1;
    }
    axis.ticks = ticks;
  }

  function xScale(showTicks) {
    return {
      type: "linear",
      min: trend.x_min,
      max: trend.x_max,
      afterBuildTicks: monthTicks,
      grid: { color: C.grid, drawTicks: showTicks },
      ticks: {
        display: showTicks,
        color: C.muted,
        autoSkip: false,
        maxRotation: 0,
        callback: function (value, index, ticks) { return tickLabel(value, index, ticks); }
      },
      border: { color: C.grid }
    };
  }

  function fixedWidth(scale) { scale.width = Y_AXIS_WIDTH; }

  // Draws vertical markers (T0, milestones, as-of), horizontal threshold lines and the eGFR
  // band under the data, and their labels over it (a course bar or a point never hides a
  // label). Options per chart: {hlines: [...], band: {...}, labels: bool}.
  var markers = {
    id: "lnMarkers",
    beforeDatasetsDraw: function (chart, _args, opts) {
      var area = chart.chartArea;
      var ctx = chart.ctx;
      var y = chart.scales.y;
      var inline = inlineLabels(chart);
      chart.$lnPending = [];
      chart.$lnLabels = [];
      chart.$lnRightLabels = [];
      ctx.save();
      if (opts.band && y) {
        var top = y.getPixelForValue(y.max);
        var bottom = y.getPixelForValue(opts.band.lower);
        ctx.fillStyle = C.band;
        ctx.fillRect(area.left, Math.max(top, area.top), area.right - area.left,
          Math.min(bottom, area.bottom) - Math.max(top, area.top));
        drawHLine(chart, opts.band.baseline, C.cr, [2, 3], inline ? "eGFR0" : null);
      }
      (opts.hlines || []).forEach(function (line) {
        drawHLine(chart, line.value, line.colour, line.dash, inline ? line.short : null);
      });
      // as-of: thin grey line at the right end of the data
      drawVLine(chart, trend.t_as_of, C.muted, [1, 3], null);  // in the legend
      trend.milestones.forEach(function (m) {
        var col = m.event.toLowerCase() === "flare" ? C.flare : C.milestone;
        drawVLine(chart, m.t, col, [4, 3], opts.labels ? m.event : null);
      });
      if (trend.index) {
        drawVLine(chart, trend.index.t, C.t0, [6, 3], opts.labels ? "T0" : null, 2);
      }
      ctx.restore();
    },
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      ctx.save();
      (chart.$lnPending || []).forEach(function (label) {
        ctx.font = label.font;
        ctx.textAlign = label.align;
        ctx.textBaseline = label.baseline;
        // A white halo keeps the text readable over a bar, a line or a grid line.
        ctx.lineJoin = "round";
        ctx.lineWidth = 3;
        ctx.strokeStyle = "rgba(255, 255, 255, 0.9)";
        ctx.strokeText(label.text, label.x, label.y);
        ctx.fillStyle = label.colour;
        ctx.fillText(label.text, label.x, label.y);
      });
      ctx.restore();
    }
  };

  function queueLabel(chart, label) {
    (chart.$lnPending || (chart.$lnPending = [])).push(label);
  }

  function drawHLine(chart, value, col, dash, label) {
    var y = chart.scales.y;
    var area = chart.chartArea;
    if (!y || value === null || value === undefined || value < y.min || value > y.max) { return; }
    var py = y.getPixelForValue(value);
    var ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = col;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(dash || []);
    ctx.beginPath();
    ctx.moveTo(area.left, py);
    ctx.lineTo(area.right, py);
    ctx.stroke();
    ctx.restore();
    if (label) {
      var placed = chart.$lnRightLabels || (chart.$lnRightLabels = []);
      var ly = py;
      while (placed.some(function (q) { return Math.abs(q - ly) < 12; })) { ly -= 12; }
      placed.push(ly);
      queueLabel(chart, {
        text: label, x: area.right + 5, y: ly, colour: col,
        font: "11px system-ui, sans-serif", align: "left", baseline: "middle"
      });
    }
  }

  // Labels of vertical lines closer than this (px) are staggered so they stay readable.
  var LABEL_GAP = 30;

  function drawVLine(chart, t, col, dash, label, width) {
    var x = chart.scales.x;
    var area = chart.chartArea;
    if (t < x.min || t > x.max) { return; }
    var px = x.getPixelForValue(t);
    var ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = col;
    ctx.lineWidth = width || 1.5;
    ctx.setLineDash(dash || []);
    ctx.beginPath();
    ctx.moveTo(px, area.top);
    ctx.lineTo(px, area.bottom);
    ctx.stroke();
    ctx.restore();
    if (label) {
      var align = px > area.right - 30 ? "right" : "left";
      var placed = chart.$lnLabels || (chart.$lnLabels = []);
      var row = 0;
      while (placed.some(function (q) { return q.row === row && Math.abs(q.x - px) < LABEL_GAP; })) {
        row += 1;
      }
      placed.push({ x: px, row: row });
      queueLabel(chart, {
        text: label, x: align === "right" ? px - 3 : px + 3, y: area.top + 2 + 13 * row,
        colour: col, font: "bold 11px system-ui, sans-serif", align: align, baseline: "top"
      });
    }
  }

  Chart.register(markers);
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  Chart.defaults.font.size = 11;
  Chart.defaults.color = C.muted;

  var common = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2),
    layout: {
      padding: function (context) {
        return { right: inlineLabels(context.chart) ? LABEL_MARGIN : 8, top: 4 };
      }
    },
    plugins: { legend: { display: false } }
  };

  function merge(base, extra) {
    var out = {};
    Object.keys(base).forEach(function (k) { out[k] = base[k]; });
    Object.keys(extra).forEach(function (k) { out[k] = extra[k]; });
    return out;
  }

  function maxOf(values, floor) {
    return values.reduce(function (a, b) { return Math.max(a, b); }, floor);
  }

  // --- proteinuria ---------------------------------------------------------------------
  var pPoints = trend.proteinuria.points;
  var pLines = trend.proteinuria.lines.map(function (line) {
    var style = {
      complete: { colour: C.cr, dash: [] },
      "partial-ceiling": { colour: C.ceiling, dash: [6, 4] },
      "partial-fraction": { colour: C.half, dash: [2, 3] }
    }[line.kind] || { colour: C.muted, dash: [] };
    return { value: line.value, short: line.short, colour: style.colour, dash: style.dash };
  });
  var pMax = maxOf(pPoints.map(function (p) { return p.value; }).concat(
    trend.proteinuria.lines.map(function (l) { return l.value; })), 0.5);

  new Chart(document.getElementById("chart-proteinuria"), {
    type: "scatter",
    data: {
      datasets: [{
        label: "Proteinuria (g/g)",
        data: pPoints.map(function (p) { return { x: p.t, y: p.value }; }),
        showLine: true,
        borderColor: C.protein,
        backgroundColor: C.protein,
        pointRadius: 4,
        pointHoverRadius: 6,
        borderWidth: 2,
        tension: 0
      }]
    },
    options: merge(common, {
      scales: {
        x: xScale(true),
        y: {
          min: 0,
          suggestedMax: pMax * 1.12,
          afterFit: fixedWidth,
          grid: { color: C.grid },
          border: { color: C.grid },
          ticks: { maxTicksLimit: 6 }
        }
      },
      plugins: {
        legend: { display: false },
        lnMarkers: { hlines: pLines, labels: true },
        tooltip: {
          callbacks: {
            title: function (items) { return pPoints[items[0].dataIndex].date; },
            label: function (item) {
              var p = pPoints[item.dataIndex];
              var text = [fmt(p.value) + " g/g (" + p.kind + ")", "reported: " + p.reported];
              if (p.roles.length) { text.push("used as: " + p.roles.join(", ")); }
              return text;
            }
          }
        }
      }
    })
  });

  // --- eGFR ------------------------------------------------------------------------------
  var ePoints = trend.egfr.points;
  var band = trend.egfr.band;
  var eMax = maxOf(ePoints.map(function (p) { return p.value; }).concat(band ? [band.baseline] : []), 30);
  new Chart(document.getElementById("chart-egfr"), {
    type: "scatter",
    data: {
      datasets: [{
        label: "eGFR",
        data: ePoints.map(function (p) { return { x: p.t, y: p.value }; }),
        showLine: true,
        borderColor: C.egfr,
        backgroundColor: ePoints.map(function (p) { return p.computed ? C.egfr : "#ffffff"; }),
        pointBorderColor: C.egfr,
        pointRadius: 4,
        pointHoverRadius: 6,
        borderWidth: 2
      }]
    },
    options: merge(common, {
      scales: {
        x: xScale(false),
        y: {
          min: 0,
          suggestedMax: eMax * 1.15,
          afterFit: fixedWidth,
          grid: { color: C.grid },
          border: { color: C.grid },
          ticks: { maxTicksLimit: 5 }
        }
      },
      plugins: {
        legend: { display: false },
        lnMarkers: { band: band, labels: false },
        tooltip: {
          callbacks: {
            title: function (items) { return ePoints[items[0].dataIndex].date; },
            label: function (item) {
              var p = ePoints[item.dataIndex];
              var text = [fmt(p.value) + " mL/min/1.73 m²", p.method];
              if (p.roles.length) { text.push("used as: " + p.roles.join(", ")); }
              return text;
            }
          }
        }
      }
    })
  });

  // --- treatment courses (floating bars, one dataset per course, same row per class) ---------
  var rows = trend.course_rows;
  var courseSets = trend.courses.map(function (c) {
    var data = rows.map(function (label) { return label === c.row ? [c.t_start, c.t_end] : null; });
    return {
      label: c.name,
      data: data,
      backgroundColor: C.course[c["class"]] || C.muted,
      borderRadius: 3,
      barPercentage: 0.8,
      categoryPercentage: 1,
      grouped: false,
      course: c
    };
  });
  new Chart(document.getElementById("chart-courses"), {
    type: "bar",
    data: { labels: rows, datasets: courseSets },
    options: merge(common, {
      indexAxis: "y",
      scales: {
        x: xScale(false),
        y: {
          afterFit: fixedWidth,
          grid: { display: false },
          border: { color: C.grid },
          ticks: { autoSkip: false }
        }
      },
      plugins: {
        legend: { display: false },
        lnMarkers: { labels: false },
        tooltip: {
          callbacks: {
            title: function (items) { return items[0].dataset.course.name; },
            label: function (item) {
              var c = item.dataset.course;
              return [c.ingredients.join(", "), c.start + " to " + c.end];
            }
          }
        }
      }
    })
  });

  // --- secondary rows ----------------------------------------------------------------------
  var secondary = trend.secondary;
  var secLabels = secondary.map(function (r) { return r.label; });
  var secPoints = [];
  secondary.forEach(function (row) {
    row.points.forEach(function (p) {
      secPoints.push({ x: p.t, y: row.label, row: row, p: p });
    });
  });
  new Chart(document.getElementById("chart-secondary"), {
    type: "scatter",
    data: {
      datasets: [{
        label: "Secondary results",
        data: secPoints,
        pointRadius: 5,
        pointHoverRadius: 7,
        pointStyle: secPoints.map(function (d) { return d.p.state === "unknown" ? "rectRot" : "circle"; }),
        backgroundColor: secPoints.map(function (d) {
          return d.p.state === "abnormal" ? C.abnormal : "#ffffff";
        }),
        borderColor: secPoints.map(function (d) {
          return d.p.state === "abnormal" ? C.abnormal : C.normal;
        }),
        borderWidth: 1.5
      }]
    },
    options: merge(common, {
      scales: {
        x: xScale(true),
        y: {
          type: "category",
          labels: secLabels,
          offset: true,
          afterFit: fixedWidth,
          grid: { color: C.grid },
          border: { color: C.grid }
        }
      },
      plugins: {
        legend: { display: false },
        lnMarkers: { labels: false },
        tooltip: {
          callbacks: {
            title: function (items) { return secPoints[items[0].dataIndex].p.date; },
            label: function (item) {
              var d = secPoints[item.dataIndex];
              return [d.row.name + ": " + d.p.meaning, "reported: " + d.p.reported];
            }
          }
        }
      }
    })
  });

  document.documentElement.setAttribute("data-trend-ready", "true");
})();
