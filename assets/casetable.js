/* The case table (dashboard/panel.py): a new view empties the grid's block cache, so the
   infinite row model asks the server again for the new view's rows. */
(function () {
  "use strict";
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridboard_cases: {
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
