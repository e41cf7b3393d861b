// Colours the supervisor map and writes its legend from the server's paint message
// (dashboard/mappaint.py: paint_message), so a recolour carries two bytes per area.
// The class rule and number format mirror layers/mapfig.py (class_index, colours);
// tests/browser/test_map.py checks that both give the same figure.
(function () {
  "use strict";

  var NO_DATA = 0;
  var ZERO = 1;
  var FIRST_CLASS = 2;
  var NO_VALUE = -1;
  var ARRAYS = { i1: Int8Array, i2: Int16Array, i4: Int32Array };
  var prefetched = {}; // geometry addresses this page has already asked for

  function decode(spec) {
    var text = atob(spec.bdata);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) {
      bytes[i] = text.charCodeAt(i);
    }
    return new ARRAYS[spec.dtype](bytes.buffer);
  }

  function classOf(number, tops, count) {
    if (number === NO_VALUE) {
      return NO_DATA;
    }
    if (number === 0) {
      return ZERO;
    }
    var rank = 0;
    while (rank < tops.length && tops[rank] < number) {
      rank++;
    }
    return Math.min(FIRST_CLASS + rank, count - 1);
  }

  // 12,345.6 in both languages, as dashboard/i18n.py format_number. One formatter per
  // number of places: toLocaleString with options builds a new one on every call, which
  // took a quarter of a second for the whole city's ten thousand cells.
  function formatter(places) {
    var format = new Intl.NumberFormat("en-US", {
      minimumFractionDigits: places,
      maximumFractionDigits: places,
    }).format;
    var scale = Math.pow(10, places);
    return function (number) {
      return format(number / scale);
    };
  }

  // Each class index i owns the band around i / (n - 1), as layers/classify.py colourscale.
  function colourscale(colours) {
    var n = colours.length;
    if (n === 1) {
      return [[0, colours[0]], [1, colours[0]]];
    }
    var scale = [];
    colours.forEach(function (colour, i) {
      var low = Math.max(0, (i - 0.5) / (n - 1));
      var high = Math.min(1, (i + 0.5) / (n - 1));
      scale.push([low, colour], [high, colour]);
    });
    return scale;
  }

  function element(type, props) {
    return { namespace: "dash_html_components", type: type, props: props };
  }

  function legendRow(kind, colour, label, count, texts) {
    var areas = (count === 1 ? texts.area : texts.areas).replace("{count}", String(count));
    return element("Li", {
      className: "gb-legend-" + kind,
      children: [
        element("Span", { className: "gb-swatch", style: { background: colour } }),
        element("Span", { className: "gb-legend-range", children: label }),
        element("Span", { className: "gb-muted", children: areas }),
      ],
    });
  }

  // Highest class first, then zero and no data, each only if some area is in it.
  function legendBlock(level, z, formatted, texts) {
    var counts = level.colours.map(function () {
      return 0;
    });
    z.forEach(function (index) {
      counts[index]++;
    });
    var rows = [];
    for (var rank = level.tops.length - 1; rank >= 0; rank--) {
      var low = formatted(level.lowers[rank]);
      var high = formatted(level.tops[rank]);
      var label = low === high ? low : low + " – " + high;
      var index = FIRST_CLASS + rank;
      rows.push(legendRow("range", level.colours[index], label, counts[index], texts));
    }
    if (counts[ZERO]) {
      rows.push(legendRow("zero", level.colours[ZERO], texts.zero, counts[ZERO], texts));
    }
    if (counts[NO_DATA]) {
      rows.push(legendRow("no_data", level.colours[NO_DATA], texts.no_data, counts[NO_DATA], texts));
    }
    return element("Div", {
      className: "gb-legend-block",
      "data-level": level.level,
      children: [
        element("Div", { className: "gb-legend-level", children: level.name }),
        element("Ul", { children: rows }),
      ],
    });
  }

  // A message describes the view fields in message.view; one that no longer matches the
  // page's current view (an answer overtaken by a newer choice) must not colour the map.
  function stale(message, current) {
    if (!current || !message.view) {
      return false;
    }
    return Object.keys(message.view).some(function (key) {
      var now = current[key] === undefined ? null : current[key];
      return message.view[key] !== now;
    });
  }

  // The shapes a figure names by address, downloaded at once into the browser's HTTP cache
  // (the geometry route sends them cacheable): plotly asks only once its own script has
  // loaded, and then reads them from that cache. Only downloaded, not parsed: plotly parses
  // them itself, and a second parse of the whole city's cells cost the page's main thread.
  function prefetch(figure) {
    ((figure && figure.data) || []).forEach(function (trace) {
      var url = trace.geojson;
      if (typeof url !== "string" || prefetched[url]) {
        return;
      }
      prefetched[url] = true;
      fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          return response.arrayBuffer();
        })
        .catch(function () {}); // plotly then fetches them itself, and says what went wrong
    });
  }

  // `current` (optional): the page's view, for pages whose view can change under a message;
  // `figure` (optional): the map's figure, whose shapes are fetched at once.
  function paint(message, texts, current, figure) {
    var clientside = window.dash_clientside;
    prefetch(figure);
    if (!message || !texts || stale(message, current)) {
      return [clientside.no_update, clientside.no_update];
    }
    // message.painted: the figure came coloured with it (a new map), only the legend is new.
    var patch = new clientside.Patch();
    var formatted = formatter(message.places);
    var blocks = message.levels.map(function (level, trace) {
      var numbers = Array.from(decode(level.numbers));
      var count = level.colours.length;
      var z = numbers.map(function (number) {
        return classOf(number, level.tops, count);
      });
      if (message.painted) {
        return legendBlock(level, z, formatted, texts);
      }
      var text = numbers.map(function (number) {
        return number === NO_VALUE ? texts.no_data : formatted(number);
      });
      patch.assign(["data", trace, "z"], z);
      patch.assign(["data", trace, "text"], text);
      patch.assign(["data", trace, "colorscale"], colourscale(level.colours));
      patch.assign(["data", trace, "zmin"], 0);
      patch.assign(["data", trace, "zmax"], Math.max(count - 1, 1));
      patch.assign(["data", trace, "hovertemplate"], message.hover);
      return legendBlock(level, z, formatted, texts);
    });
    var notes = [texts.method].concat(message.open_note ? [texts.open_note] : []);
    var legend = [
      element("Div", {
        className: "gb-legend-title",
        "data-view": JSON.stringify(message.view || null),
        children: message.title,
      }),
      element("Div", { className: "gb-muted", children: message.period }),
    ]
      .concat(blocks)
      .concat(
        notes.map(function (note) {
          return element("Div", { className: "gb-legend-note", children: note });
        }),
      );
    return [message.painted ? clientside.no_update : patch.build(), legend];
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridboard: Object.assign({}, (window.dash_clientside || {}).gridboard, { paint: paint }),
  });
})();
