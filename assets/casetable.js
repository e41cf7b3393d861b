/* The case table (dashboard/panel.py): built once the map is drawn, and a new view empties
   the grid's block cache, so the infinite row model asks the server again for its rows. */
(function () {
  "use strict";

  var POLL_MS = 100;
  var GIVE_UP_MS = 10000; // a map that cannot draw (no WebGL) must not keep the table away

  // The same test as the browser tests' MAP_READY: every source loaded, a layer for each
  // coloured trace, the map standing still.
  function drawn(mapId) {
    var gd = document.querySelector("#" + mapId + " .js-plotly-plot");
    var full = gd && gd._fullLayout && gd._fullLayout.map;
    var map = full && full._subplot && full._subplot.map;
    if (!(map && map.loaded() && !map.isMoving())) {
      return false;
    }
    return gd._fullData.every(function (trace) {
      return trace.type !== "choroplethmap" || !trace.visible ||
        Boolean(map.getLayer("plotly-trace-layer-" + trace.uid + "-fill"));
    });
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridboard_cases: {
      afterMap: function (mapId, startId) {
        var clientside = window.dash_clientside;
        var began = Date.now();
        var timer = setInterval(function () {
          if (drawn(mapId) || Date.now() - began > GIVE_UP_MS) {
            clearInterval(timer);
            clientside.set_props(startId, { data: Date.now() });
          }
        }, POLL_MS);
        return clientside.no_update;
      },
      refresh: function (_view, gridId) {
        if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
          window.dash_ag_grid.getApiAsync(gridId).then(function (api) {
            // Not while the grid draws (AG Grid error #252).
            setTimeout(function () { api.purgeInfiniteCache(); }, 0);
          });
        }
        return window.dash_clientside.no_update;
      },
    },
  });
})();
