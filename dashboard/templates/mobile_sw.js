/* The phone page's service worker: /m opens without signal (the page as last loaded, its
   script, stylesheet and Leaflet); records made offline wait in the page's own store. */
"use strict";

var CACHE = "gridboard-m-v1";
var PAGE = "/m";
var ASSETS = ["/m/mobile.js", "/m/mobile.css", "/m/leaflet.js", "/m/leaflet.css"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(ASSETS).then(function () {
        // the page as it is now, so that it opens offline before the next visit
        return fetch(PAGE, { credentials: "same-origin" }).then(function (response) {
          return keepable(response) ? cache.put(PAGE, response) : null;
        }, function () { return null; });
      });
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("gridboard-m") === 0 && k !== CACHE; })
        .map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keepable(response) {
  // the page itself, as the worker saw it: not a sign-in page or an error
  return response && response.ok && response.type === "basic" && !response.redirected;
}

function page(request) {
  var url = new URL(request.url);
  return fetch(request).then(function (response) {
    if (keepable(response) && !url.searchParams.has("stop")) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(PAGE, copy); });
    }
    return response;
  }, function () {
    return caches.match(PAGE).then(function (kept) {
      return kept || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
    });
  });
}

function asset(request) {
  // from the cache at once, refreshed behind it for the next load
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request.url).then(function (kept) {
      var fresh = fetch(request).then(function (response) {
        if (keepable(response)) {
          cache.put(request.url, response.clone());
        }
        return response;
      });
      if (kept) {
        fresh.catch(function () {}); // offline: the kept copy serves
        return kept;
      }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname === PAGE && request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(asset(request));
  }
});
