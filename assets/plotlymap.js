// Points dcc.Graph at the map's own plotly.js (dashboard/plotlymap.py) instead of Dash's full
// one. Dash loads plotly.js from window._dashPlotlyJSURL when a page's first graph appears,
// so a page without a graph never runs it; its renderer sets that address when it starts,
// after this script: the address is kept here and the renderer's is ignored. The bundle's
// address is the head's preload link (none when it was not built: Dash's own then stands).
(function () {
  "use strict";
  var link = document.getElementById("gb-plotly-map");
  if (!link) {
    return;
  }
  Object.defineProperty(window, "_dashPlotlyJSURL", {
    get: function () {
      return link.href;
    },
    set: function () {},
  });
})();
