// Draws the reference's charts with plotly.js (served by the app itself) from the JSON block
// beside each chart; the chart's table stays in place wherever plotly cannot draw it.
(function () {
  "use strict";
  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-figure"));
    if (!source || !window.Plotly) return;
    var figure = JSON.parse(source.textContent);
    var meta = figure.layout.meta || {};
    // A phone gets the chart's compact layout (smaller type, shorter lines).
    if (box.parentNode.clientWidth < 600 && meta.compact) figure = meta.compact;
    var layout = figure.layout;
    delete layout.meta;
    delete layout.width; // the page decides the width
    layout.autosize = true;
    box.hidden = false;
    window.Plotly.newPlot(box, figure.data, layout, {
      displayModeBar: false, responsive: true, scrollZoom: false,
    }).then(function () {
      var table = box.parentNode.querySelector(".chart-table");
      if (table) table.classList.add("chart-drawn");
    }, function () { box.hidden = true; });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".chart-plot[data-figure]"), draw);
})();
