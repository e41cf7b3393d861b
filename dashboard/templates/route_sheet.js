// The route sheet's map: drawn from the JSON data island, names set as text, never as HTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("gb-route-data").textContent);
  // Leaflet's default icon would ask for images/marker-icon.png beside the file.
  L.Marker.prototype.options.icon = L.divIcon({ className: "gb-no-icon", html: "" });
  var map = L.map("gb-map", {
    maxZoom: data.maxZoom,
    zoomAnimation: false,
    fadeAnimation: false,
    markerZoomAnimation: false,
    attributionControl: false,
  });

  function badge(className, text) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    return span;
  }

  function icon(className, text, size) {
    return L.divIcon({
      className: className === "gb-hall-badge" ? "gb-hall" : "gb-stop",
      html: badge(className, text),
      iconSize: size,
      iconAnchor: [size[0] / 2, size[1] / 2],
    });
  }

  if (data.line.length >= 2) {
    L.polyline(data.line, { color: "#bfdbfe", weight: 9, opacity: 1, className: "gb-halo" })
      .addTo(map);
    L.polyline(data.line, { color: "#1d4ed8", weight: 4, opacity: 1, className: "gb-path" })
      .addTo(map);
  }
  L.marker(data.hall.at, {
    icon: icon("gb-hall-badge", data.hall.badge, [48, 24]),
    title: data.hall.name,
    zIndexOffset: -100,
  }).addTo(map);
  data.stops.forEach(function (stop) {
    L.marker(stop.at, {
      icon: icon("gb-num", String(stop.number), [28, 28]),
      title: stop.title,
      alt: stop.name,
    }).addTo(map);
  });
  L.control.scale({ imperial: false }).addTo(map);

  var bounds = L.latLngBounds(data.bounds);
  // Refit when the page switches between screen and paper (the box changes size).
  function refit() {
    map.invalidateSize({ animate: false });
    map.fitBounds(bounds, { padding: data.padding, maxZoom: data.maxZoom, animate: false });
  }
  refit();
  window.addEventListener("beforeprint", refit);
  window.addEventListener("afterprint", refit);
  window.addEventListener("resize", refit);
  var print = window.matchMedia("print");
  if (print.addEventListener) {
    print.addEventListener("change", refit);
  }
})();
