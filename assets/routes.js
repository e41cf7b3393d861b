// The stop numbers over the visit route's map (dashboard/pages/routes.py), drawn as HTML
// labels that follow the map: MapLibre text would fetch fonts from the network.
(function () {
  "use strict";

  function numbers(figure, boxId) {
    function labelsOf(gd) {
      const labels = [];
      (gd._fullData || []).filter((tr) => tr.meta === "hall" || tr.meta === "stops")
        .forEach((tr) => (tr.customdata || []).forEach((c, i) => {
          const text = String(c[c.length - 1] || "");
          if (text) { labels.push([text, tr.lon[i], tr.lat[i], tr.meta]); }
        }));
      return labels;
    }
    function attach(tries) {
      const box = document.getElementById(boxId);
      const gd = box && box.querySelector(".js-plotly-plot");
      const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
      const map = sub && sub.map;
      if (!map) {
        if (tries > 0) { setTimeout(() => attach(tries - 1), 100); }
        return;
      }
      if (!map._gbNumbers) {
        const layer = document.createElement("div");
        layer.className = "gb-route-numbers";
        map.getContainer().appendChild(layer);
        map._gbNumbers = () => {
          const stops = labelsOf(gd);
          const key = JSON.stringify(stops);
          if (layer.dataset.key !== key) {
            layer.replaceChildren(...stops.map((s) => {
              const label = document.createElement("span");
              label.className = s[3] === "hall" ? "gb-route-hall-label"
                : "gb-route-num";
              label.textContent = String(s[0]);
              return label;
            }));
            layer.dataset.key = key;
          }
          const placed = [];  // labels that would overlap move aside, rightwards
          stops.forEach((s, i) => {
            const p = map.project([s[1], s[2]]);
            const el = layer.children[i];
            const width = Math.max(el.offsetWidth, 22);
            let x = p.x;
            while (placed.some((q) => Math.abs(q[1] - p.y) < 20
                && x < q[0] + q[2] / 2 + width / 2 + 2
                && x > q[0] - q[2] / 2 - width / 2 - 2)) {
              x += 4;
            }
            placed.push([x, p.y, width]);
            el.style.transform = `translate(${x}px, ${p.y}px) translate(-50%, -50%)`;
          });
        };
        map.on("render", map._gbNumbers);
      }
      map._gbNumbers();
    }
    attach(100);
    return window.dash_clientside.no_update;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gridboard_routes: { numbers: numbers },
  });
})();
