/* The grid worker's phone page (/m): check-ins with the phone's location, and every visit, case
   report and case action kept on the phone (IndexedDB) and sent when there is a connection, each
   with an id made here so that a resend is stored once; the round's small map; the service
   worker that lets the page open without signal. */
(function () {
  "use strict";

  var LOCATE_MS = 10000; // a check-in waits this long for a location, then goes without one
  var RETRY_MS = 30000; // records waiting are sent again this often while the page is open
  var PHOTO_SIDE = 1600; // a photo's longer side after shrinking on the phone
  var PHOTO_QUALITY = 0.85;
  var DB_NAME = "gridboard-m";
  var OUTBOX = "outbox";
  var NOTICES = "notices";
  var QUEUE_HEADER = "X-Gridboard-Queue";
  var root = document.querySelector("main.gb-m");
  var sending = false;
  var dirty = false; // a form is being filled in: do not reload under the worker's thumb
  var flashed = []; // notices shown once, on this page view
  var picked = null; // the marker of a place tapped on the map for a report

  // --- ids -------------------------------------------------------------------------------
  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map
      .call(b, function (x) { return (x + 256).toString(16).slice(1); })
      .join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function giveIds(scope) {
    var fields = (scope || document).querySelectorAll("input.gb-m-new-id");
    for (var i = 0; i < fields.length; i += 1) {
      fields[i].value = newId();
    }
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : all;
    });
  }

  // --- location --------------------------------------------------------------------------
  function locate() {
    return new Promise(function (resolve) {
      var done = false;
      function give(position) {
        if (!done) {
          done = true;
          resolve(position && position.coords ? position.coords : null);
        }
      }
      if (!navigator.geolocation) {
        give(null);
        return;
      }
      window.setTimeout(function () { give(null); }, LOCATE_MS + 1000);
      navigator.geolocation.getCurrentPosition(give, function () { give(null); }, {
        enableHighAccuracy: true,
        timeout: LOCATE_MS,
        maximumAge: 0, // where the worker is now, not where they were a minute ago
      });
    });
  }

  function metres(lon1, lat1, lon2, lat2) {
    var rad = Math.PI / 180;
    var p1 = lat1 * rad;
    var p2 = lat2 * rad;
    var dp = p2 - p1;
    var dl = (lon2 - lon1) * rad;
    var a = Math.pow(Math.sin(dp / 2), 2) + Math.cos(p1) * Math.cos(p2) * Math.pow(Math.sin(dl / 2), 2);
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  // --- check-in: the visit form for a stop, filled here (it works without signal) ----------
  function checkIn(form, event) {
    event.preventDefault();
    var stop = form.closest("li.gb-m-stop");
    var button = form.querySelector("button");
    var label = button.textContent;
    button.disabled = true;
    button.textContent = form.getAttribute("data-locating") || label;
    locate().then(function (coords) {
      button.disabled = false;
      button.textContent = label;
      showVisitForm(stop, coords);
    });
  }

  function showVisitForm(stop, coords) {
    var card = document.getElementById("m-checkin");
    var visit = document.getElementById("m-visit");
    var households = stop.getAttribute("data-households");
    card.setAttribute("data-stop", stop.getAttribute("data-stop"));
    document.getElementById("m-checkin-title").textContent = fill(card.getAttribute("data-text-at"), {
      name: stop.getAttribute("data-name"),
    });
    document.getElementById("m-households-label").textContent = fill(
      card.getAttribute("data-text-households"), { n: households }
    );
    visit.elements.households_reached.max = households;
    visit.elements.building.value = stop.getAttribute("data-building");
    showTagged(visit, stop.getAttribute("data-building"));
    visit.elements.stop.value = stop.getAttribute("data-stop");
    visit.elements.lon.value = coords ? coords.longitude.toFixed(6) : "";
    visit.elements.lat.value = coords ? coords.latitude.toFixed(6) : "";
    showDistance(card, stop, coords);
    giveIds(visit);
    card.hidden = false;
    card.scrollIntoView({ block: "start" });
  }

  function showTagged(visit, building) {
    // only the chosen building's tagged households are shown and sent
    var sets = visit.querySelectorAll("fieldset.gb-m-tagged");
    for (var i = 0; i < sets.length; i += 1) {
      var mine = sets[i].getAttribute("data-building") === building;
      sets[i].hidden = !mine;
      sets[i].disabled = !mine;
    }
  }

  function showDistance(card, stop, coords) {
    var line = document.getElementById("m-distance");
    var near = Number(card.getAttribute("data-near"));
    if (!coords) {
      line.className = "gb-m-flag";
      line.setAttribute("data-flagged", "1");
      line.removeAttribute("data-metres");
      line.textContent = card.getAttribute("data-text-none");
      return;
    }
    var m = Math.round(metres(
      coords.longitude, coords.latitude,
      Number(stop.getAttribute("data-lon")), Number(stop.getAttribute("data-lat"))
    ));
    var flagged = m > near;
    line.className = flagged ? "gb-m-flag" : "gb-m-near";
    line.setAttribute("data-flagged", flagged ? "1" : "0");
    line.setAttribute("data-metres", String(m));
    line.textContent = fill(card.getAttribute(flagged ? "data-text-far" : "data-text-near"), { m: m });
  }

  // --- the phone's store: records waiting to be sent, and what the worker must be told -----
  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore(OUTBOX, { keyPath: "id" });
        db.createObjectStore(NOTICES, { keyPath: "key", autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () {
          db.close();
          resolve(result && "result" in result ? result.result : undefined);
        };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function mine() {
    // The records this signed-in account made: a phone shared by two workers sends each
    // one's records only under their own sign-in.
    var login = root.getAttribute("data-login");
    return all(OUTBOX).then(function (records) {
      return records.filter(function (r) { return r.login === login; });
    });
  }

  function all(name) {
    return withStore(name, "readonly", function (store) { return store.getAll(); });
  }

  function put(name, value) {
    return withStore(name, "readwrite", function (store) { return store.put(value); });
  }

  function remove(name, key) {
    return withStore(name, "readwrite", function (store) { return store.delete(key); });
  }

  // --- a form becomes a record ------------------------------------------------------------
  function shrink(file) {
    // JPEG or PNG (HEIC where the phone can read it) shrunk and re-encoded as JPEG; a file the
    // phone cannot read goes as it is and the server says what is wrong with it.
    if (!file || !file.size) {
      return Promise.resolve(null);
    }
    if (typeof window.createImageBitmap !== "function") {
      return Promise.resolve({ blob: file, name: file.name, shrunk: false });
    }
    return window.createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? { blob: blob, name: "photo.jpg", shrunk: true } : { blob: file, name: file.name, shrunk: false });
        }, "image/jpeg", PHOTO_QUALITY);
      });
    }, function () {
      return { blob: file, name: file.name, shrunk: false };
    });
  }

  function recordOf(form) {
    var fields = [];
    var file = null;
    var data = new FormData(form);
    data.forEach(function (value, key) {
      if (typeof value === "string") {
        fields.push([key, value]);
      } else if (value && value.size) {
        file = value;
      }
    });
    var idField = form.querySelector("input.gb-m-new-id");
    var kind = form.getAttribute("data-kind");
    return shrink(file).then(function (photo) {
      return {
        id: idField ? idField.value : newId(),
        kind: kind,
        url: form.getAttribute("action"),
        fields: fields,
        photo: photo,
        login: root.getAttribute("data-login"),
        at: Date.now(),
      };
    });
  }

  function needsLocation(form) {
    // a report placed neither on the map nor at a chosen building goes where the phone is
    var report = form.getAttribute("data-kind") === "report";
    return report && !form.elements.lon.value && !form.elements.building.value;
  }

  function keep(form, event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var located = needsLocation(form) ? locate() : Promise.resolve(null);
    located.then(function (coords) {
      if (coords) {
        form.elements.lon.value = coords.longitude.toFixed(6);
        form.elements.lat.value = coords.latitude.toFixed(6);
      }
      return recordOf(form);
    }).then(function (record) {
      return put(OUTBOX, record).then(function () { return record; });
    }).then(function (record) {
      if (record.photo && !record.photo.shrunk) {
        notify(texts("unreadable"), "problem", false);
      }
      form.reset();
      if (record.kind === "report") {
        form.elements.lon.value = "";
        form.elements.lat.value = "";
        document.getElementById("m-report-place").hidden = true;
        if (picked) {
          picked.remove();
          picked = null;
        }
      }
      giveIds(form);
      dirty = false;
      button.disabled = false;
      if (record.kind === "visit") {
        document.getElementById("m-checkin").hidden = true;
      }
      notify(texts("kept"), "kept", false);
      return showQueue().then(send);
    }).catch(function (error) {
      button.disabled = false;
      notify(String(error), "problem", false);
    });
  }

  // --- sending ----------------------------------------------------------------------------
  function bodyOf(record) {
    // The form's token from this page: a record made before a new sign-in goes with the
    // session sending it (records of another account are never sent: see mine()).
    var token = document.querySelector("input[name=csrf_token]");
    var body = new FormData();
    record.fields.forEach(function (pair) {
      body.append(pair[0], pair[0] === "csrf_token" && token ? token.value : pair[1]);
    });
    if (record.photo) {
      body.append("photo", record.photo.blob, record.photo.name);
    }
    return body;
  }

  function sendOne(record) {
    // What the server made of one record: {status, message}; a network failure rejects.
    var headers = {};
    headers[QUEUE_HEADER] = "1";
    return window.fetch(record.url, {
      method: "POST",
      body: bodyOf(record),
      credentials: "same-origin",
      headers: headers,
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.status === 413) {
        return { status: "refused", message: texts("tooLarge") };
      }
      if (type.indexOf("application/json") === -1) {
        return { status: "signin", message: "" }; // the sign-in page: the session ended
      }
      return response.json();
    });
  }

  function send() {
    if (sending) {
      return Promise.resolve();
    }
    sending = true;
    var stored = 0;
    var stopped = null;
    return mine().then(function (records) {
      records.sort(function (a, b) { return a.at - b.at; });
      return records.reduce(function (chain, record) {
        return chain.then(function () {
          if (stopped) {
            return null;
          }
          return sendOne(record).then(function (answer) {
            return settle(record, answer).then(function (outcome) {
              if (outcome === "stored") {
                stored += 1;
              } else if (outcome) {
                stopped = outcome;
              }
            });
          }, function () {
            stopped = "offline";
          });
        });
      }, Promise.resolve());
    }).then(function () {
      sending = false;
      if (stored && !stopped && !dirty) {
        // the round, the cases and what was sent, as the server now has them
        var lang = encodeURIComponent(root.getAttribute("data-lang"));
        window.location.replace(window.location.pathname + "?lang=" + lang);
        return null;
      }
      return showQueue(stopped);
    }, function () {
      sending = false;
    });
  }

  function settle(record, answer) {
    // Stored (again or the first time): gone from the outbox. Refused or a conflict: gone too,
    // and kept as a notice until the worker dismisses it. Signed out: it waits.
    var what = texts("kind-" + record.kind) + (answer.message ? " — " + answer.message : "");
    if (answer.status === "stored" || answer.status === "already") {
      return remove(OUTBOX, record.id).then(function () {
        return put(NOTICES, { text: fill(texts("sent"), { what: what }), tone: "sent", once: true });
      }).then(function () { return "stored"; });
    }
    if (answer.status === "refused" || answer.status === "conflict") {
      return remove(OUTBOX, record.id).then(function () {
        return put(NOTICES, { text: fill(texts("problem"), { what: what }), tone: answer.status, once: false });
      }).then(function () { return null; });
    }
    return Promise.resolve("signin");
  }

  // --- what the worker sees of it -----------------------------------------------------------
  function texts(name) {
    var notices = document.getElementById("m-notices");
    var map = { tooLarge: "data-too-large" };
    return notices.getAttribute(map[name] || "data-" + name) || "";
  }

  function showQueue(stopped) {
    var badge = document.getElementById("m-queue");
    return mine().then(function (records) {
      badge.hidden = records.length === 0;
      badge.setAttribute("data-count", String(records.length));
      document.getElementById("m-queue-count").textContent = String(records.length);
      var offline = stopped === "offline" || navigator.onLine === false;
      var key = stopped === "signin" ? "data-signin" : offline ? "data-offline" : "data-waiting";
      document.getElementById("m-queue-text").textContent = fill(badge.getAttribute(key), { n: records.length });
      return showNotices();
    });
  }

  function showNotices() {
    // Notices kept until dismissed (refusals, conflicts), and those shown once (what was
    // sent): these leave the phone's store when first shown and stay on this page view.
    var list = document.getElementById("m-notices");
    return all(NOTICES).then(function (notices) {
      var once = notices.filter(function (n) { return n.once; });
      flashed = flashed.concat(once);
      list.textContent = "";
      flashed.concat(notices.filter(function (n) { return !n.once; })).forEach(function (notice) {
        list.appendChild(noticeItem(notice));
      });
      return Promise.all(once.map(function (n) { return remove(NOTICES, n.key); }));
    });
  }

  function noticeItem(notice) {
    var item = document.createElement("li");
    item.className = "gb-m-notice gb-m-notice-" + notice.tone;
    item.setAttribute("data-tone", notice.tone);
    var text = document.createElement("span");
    text.textContent = notice.text;
    item.appendChild(text);
    if (!notice.once) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "gb-m-dismiss";
      button.textContent = texts("dismiss");
      button.addEventListener("click", function () {
        remove(NOTICES, notice.key).then(showNotices);
      });
      item.appendChild(button);
    }
    return item;
  }

  function notify(text, tone, persist) {
    if (persist) {
      put(NOTICES, { text: text, tone: tone, once: false }).then(showNotices);
      return;
    }
    var item = document.createElement("li");
    item.className = "gb-m-notice gb-m-notice-" + tone;
    item.setAttribute("data-tone", tone);
    item.textContent = text;
    document.getElementById("m-notices").appendChild(item);
  }

  // --- the round's small map: the walking line, the hall and numbered stops; no tiles --------
  // Leaflet writes a string tooltip as HTML: words go in as a text node, never as markup.
  function plainText(text) {
    var span = document.createElement("span");
    span.textContent = String(text || "");
    return span;
  }

  function drawMap() {
    var box = document.getElementById("m-map");
    var source = document.getElementById("m-map-data");
    if (!box || !source || !window.L) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var map = window.L.map(box, { zoomControl: true, attributionControl: false });
    map.fitBounds(data.bounds, { padding: [12, 12], maxZoom: data.maxZoom || 18 }); // view first
    if (data.line && data.line.length > 1) {
      window.L.polyline(data.line, { color: "#1c7ed6", weight: 4, opacity: 0.8 }).addTo(map);
    }
    if (data.hall) {
      window.L.circleMarker(data.hall.at, { radius: 7, color: "#2b8a3e", fillOpacity: 0.9 })
        .bindTooltip(plainText(data.hall.badge)).addTo(map);
    }
    var next = document.querySelector("#m-stops li.gb-m-next");
    var nextNumber = next ? next.querySelector(".gb-m-num").textContent : "";
    (data.stops || []).forEach(function (stop) {
      var icon = window.L.divIcon({
        className: "gb-m-pin" + (String(stop.number) === nextNumber ? " gb-m-pin-next" : ""),
        html: "",
        iconSize: [26, 26],
      });
      var marker = window.L.marker(stop.at, { icon: icon, title: stop.title, keyboard: false });
      marker.addTo(map);
      marker.getElement().textContent = String(stop.number);
    });
    map.on("click", function (event) { pickPlace(map, event.latlng); });
  }

  function pickPlace(map, at) {
    // A tap on the map places the next case report there (the server checks it lies in one
    // of the worker's own cells).
    var form = document.getElementById("m-report-form");
    form.elements.lon.value = at.lng.toFixed(6);
    form.elements.lat.value = at.lat.toFixed(6);
    if (picked) {
      picked.setLatLng(at);
    } else {
      picked = window.L.circleMarker(at, { radius: 9, color: "#e8590c", weight: 3, fillOpacity: 0.3 }).addTo(map);
    }
    var said = document.getElementById("m-report-place");
    said.textContent = fill(said.getAttribute("data-text"), { lon: at.lng.toFixed(5), lat: at.lat.toFixed(5) });
    said.hidden = false;
  }

  // --- start -------------------------------------------------------------------------------
  function registerWorker() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/m/sw.js", { scope: "/m" }).catch(function () {});
    }
  }

  function forgetPageOnLogout(form) {
    // The page kept for offline use shows the worker's round: it goes when they sign out
    // (records waiting to be sent stay until they are sent).
    form.addEventListener("submit", function (event) {
      if (!window.caches || form.getAttribute("data-cleared") === "1") {
        return;
      }
      event.preventDefault();
      window.caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("gridboard-m") === 0; })
          .map(function (k) { return window.caches.delete(k); }));
      }).then(function () {
        form.setAttribute("data-cleared", "1");
        form.submit();
      });
    });
  }

  function start() {
    if (!root) {
      return;
    }
    giveIds();
    var checkins = document.querySelectorAll("form.gb-m-checkin");
    for (var i = 0; i < checkins.length; i += 1) {
      checkins[i].addEventListener("submit", checkIn.bind(null, checkins[i]));
    }
    var forms = document.querySelectorAll("form.gb-m-send");
    for (var j = 0; j < forms.length; j += 1) {
      forms[j].addEventListener("submit", keep.bind(null, forms[j]));
      forms[j].addEventListener("input", function () { dirty = true; });
    }
    var logout = document.querySelector("form.gb-m-logout");
    if (logout) {
      forgetPageOnLogout(logout);
    }
    try {
      drawMap();
    } catch (error) {
      // the list is the round; a map that cannot be drawn leaves it usable
    }
    window.addEventListener("online", send);
    window.setInterval(function () {
      if (!sending) {
        send();
      }
    }, RETRY_MS);
    registerWorker();
    window.gridboardPhone = { outbox: mine, sendOne: sendOne, send: send };
    return showQueue().then(send);
  }

  // A page brought back from the back-forward cache is a new form: it gets a new id.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      giveIds();
    }
  });
  var started = start();
  document.documentElement.setAttribute("data-m-ready", "1");
  if (started && started.catch) {
    started.catch(function () {});
  }
})();
