// Uptime bars and response-time charts: keyboard and pointer, on server-rendered HTML and SVG.
// Without this script the bars still show their words on hover and to screen readers, and each chart
// has its values as a table. No inline script or style: the Content-Security-Policy allows neither, so
// positions are set through the CSSOM (element.style), which it does allow.
(function () {
  "use strict";

  // A tooltip inside its container, never past the window's edges (phones are narrow).
  function keepInside(tip) {
    tip.style.marginLeft = "0px";
    var box = tip.getBoundingClientRect();
    var room = document.documentElement.clientWidth;
    if (box.left < 4) {
      tip.style.marginLeft = (4 - box.left) + "px";
    } else if (box.right > room - 4) {
      tip.style.marginLeft = (room - 4 - box.right) + "px";
    }
  }

  // Uptime bars: one tab stop per bar (today's part, tabindex 0); the arrow keys, Home and End move to the
  // other parts (a roving tabindex), whose words show on focus as on hover. A click or tap focuses a part.
  function bar(list) {
    var parts = Array.prototype.slice.call(list.children);
    function move(to) {
      parts.forEach(function (part) { part.tabIndex = -1; });
      to.tabIndex = 0;
      to.focus();
    }
    list.addEventListener("keydown", function (event) {
      var at = parts.indexOf(document.activeElement);
      if (at < 0) { return; }
      var to = {ArrowLeft: at - 1, ArrowUp: at - 1, ArrowRight: at + 1, ArrowDown: at + 1,
                Home: 0, End: parts.length - 1}[event.key];
      if (to === undefined) { return; }
      event.preventDefault();
      move(parts[Math.max(0, Math.min(parts.length - 1, to))]);
    });
    list.addEventListener("click", function (event) {
      var part = event.target.closest("li");
      if (part && part.parentNode === list) { move(part); }
    });
    parts.forEach(function (part) {
      var tip = part.querySelector(".tip");
      if (!tip) { return; }
      part.addEventListener("focus", function () { keepInside(tip); });
      part.addEventListener("mouseenter", function () { keepInside(tip); });
    });
  }

  // Charts: the plot becomes a slider over the hours told. Hover picks the nearest hour; so do the arrow
  // keys (Page Up and Down: six hours; Home, End). The hour's words show beside a line across the plot
  // and are the slider's value text, which screen readers read.
  function chart(plot) {
    var points;
    try { points = JSON.parse(plot.getAttribute("data-points")) || []; } catch (error) { return; }
    if (!points.length) { return; }
    var tip = plot.querySelector(".chart-tip");
    var cursor = plot.querySelector(".cursor");
    var svg = plot.querySelector("svg");
    var width = svg.viewBox.baseVal.width;
    var current = points.length - 1;
    plot.setAttribute("role", "slider");
    plot.setAttribute("tabindex", "0");
    plot.setAttribute("aria-valuemin", "0");
    plot.setAttribute("aria-valuemax", String(points.length - 1));
    if (plot.getAttribute("data-keys")) {
      plot.setAttribute("aria-label", plot.getAttribute("aria-label") + ". " + plot.getAttribute("data-keys"));
    }
    function show(index) {
      current = index;
      var point = points[index];
      tip.textContent = point[2];
      tip.hidden = false;
      tip.style.left = point[0] + "%";
      tip.style.top = (point[1] === null ? 50 : point[1]) + "%";
      tip.classList.toggle("to-left", point[0] > 50);
      keepInside(tip);
      var x = String(point[0] / 100 * width);
      cursor.setAttribute("x1", x);
      cursor.setAttribute("x2", x);
      cursor.setAttribute("visibility", "visible");
      plot.setAttribute("aria-valuenow", String(index));
      plot.setAttribute("aria-valuetext", point[2]);
    }
    function hide() {
      if (document.activeElement === plot) { return; }
      tip.hidden = true;
      cursor.setAttribute("visibility", "hidden");
    }
    function nearest(clientX) {
      var box = plot.getBoundingClientRect();
      var at = (clientX - box.left) / box.width * 100;
      var best = 0;
      points.forEach(function (point, index) {
        if (Math.abs(point[0] - at) < Math.abs(points[best][0] - at)) { best = index; }
      });
      return best;
    }
    plot.addEventListener("pointermove", function (event) { show(nearest(event.clientX)); });
    plot.addEventListener("pointerdown", function (event) { show(nearest(event.clientX)); });
    plot.addEventListener("pointerleave", hide);
    plot.addEventListener("focus", function () { show(current); });
    plot.addEventListener("blur", function () { tip.hidden = true; cursor.setAttribute("visibility", "hidden"); });
    plot.addEventListener("keydown", function (event) {
      var to = {ArrowLeft: current - 1, ArrowDown: current - 1, ArrowRight: current + 1, ArrowUp: current + 1,
                PageDown: current - 6, PageUp: current + 6, Home: 0, End: points.length - 1}[event.key];
      if (to === undefined) { return; }
      event.preventDefault();
      show(Math.max(0, Math.min(points.length - 1, to)));
    });
    plot.setAttribute("aria-valuenow", String(current));
    plot.setAttribute("aria-valuetext", points[current][2]);
  }

  document.querySelectorAll("ol.bars").forEach(bar);
  document.querySelectorAll(".chart-plot[data-points]").forEach(chart);
})();
