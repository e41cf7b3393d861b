// The command-centre wall (dashboard/pages/wall.py): rotation, clock and stale banner, all in
// the browser. The rotation restyles outline layers and moves the camera: no geometry is sent.
(function () {
  "use strict";

  var CAMERA_SIZE = [1000, 700]; // layers/wall.py CAMERA_SIZE
  var OUTLINE = ["#9fb3c8", 1.2]; // layers/wall.py OUTLINE
  var HIGHLIGHT = ["#ffd166", 5.0]; // layers/wall.py HIGHLIGHT

  function element(type, props) {
    return { namespace: "dash_html_components", type: type, props: props };
  }

  function number(value) {
    return Number(value || 0).toLocaleString("en-US");
  }

  // The camera's zoom was fitted to CAMERA_SIZE; correct it for the map's real size.
  function zoomFor(stop) {
    var graph = document.getElementById("wall-map");
    var box = graph ? graph.getBoundingClientRect() : null;
    if (!box || !box.width || !box.height) {
      return stop.zoom;
    }
    var scale = Math.min(box.width / CAMERA_SIZE[0], box.height / CAMERA_SIZE[1]);
    return Math.min(stop.zoom + Math.log2(scale), 18);
  }

  function spotlight(stop, stats, texts) {
    var figures = (stats || {})[stop.code] || {};
    var rows = [
      element("Div", { className: "gb-wall-spot-name", children: stop.name }),
      element("Div", {
        className: "gb-wall-spot-figures",
        children: [
          element("Span", { children: texts.open + " " + number(figures.open) }),
          element("Span", {
            className: "gb-wall-bad",
            children: texts.overdue + " " + number(figures.overdue),
          }),
        ],
      }),
    ];
    if (figures.rank) {
      rows.push(
        element("Div", {
          className: "gb-wall-spot-rank",
          children: texts.rank.replace("{rank}", String(figures.rank)),
        }),
      );
    }
    return rows;
  }

  function rotate(tick, stats, stops, config) {
    var clientside = window.dash_clientside;
    if (!stops || !stops.length || !config) {
      return [clientside.no_update, clientside.no_update];
    }
    var index = config.rotate && tick ? tick % stops.length : 0;
    var stop = stops[index];
    var patch = new clientside.Patch();
    patch.assign(["layout", "map", "center"], stop.center);
    patch.assign(["layout", "map", "zoom"], zoomFor(stop));
    patch.assign(["layout", "uirevision"], "wall-" + index);
    stops.forEach(function (other) {
      if (other.layer < 0) {
        return;
      }
      var style = other.layer === stop.layer ? HIGHLIGHT : OUTLINE;
      patch.assign(["layout", "map", "layers", other.layer, "color"], style[0]);
      patch.assign(["layout", "map", "layers", other.layer, "line", "width"], style[1]);
    });
    return [patch.build(), spotlight(stop, stats, config.texts)];
  }

  function seen(refreshed) {
    return Date.now();
  }

  function clock() {
    return new Date().toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }

  // Stale: no successful refresh seen for 1.5 refresh periods (a failed one sends nothing).
  function tick(n, seenAt, refreshed, config) {
    var period = ((config && config.refresh) || 30) * 1000;
    var last = seenAt || window.performance.timing.navigationStart || Date.now();
    var stale = Date.now() - last > 1.5 * period;
    var texts = (config && config.texts) || {};
    var updated = refreshed ? (texts.updated || "{time}").replace("{time}", refreshed.text) : "";
    return [clock(), updated, stale ? "gb-wall-stale gb-wall-stale-on" : "gb-wall-stale"];
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridboard_wall: { rotate: rotate, seen: seen, tick: tick },
  });
})();
