/* The grid worker's phone page (/m): a visit id made on the phone for every visit form (so a
   resend is stored once), and the phone's location put into a check-in before it is sent. */
(function () {
  "use strict";

  var LOCATE_MS = 10000; // a check-in waits this long for a location, then goes without one

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

  function giveIds() {
    var fields = document.querySelectorAll("input.gb-m-new-id");
    for (var i = 0; i < fields.length; i += 1) {
      fields[i].value = newId();
    }
  }

  function locateThenSend(form, event) {
    if (form.getAttribute("data-sent") === "1") {
      return;
    }
    event.preventDefault();
    form.setAttribute("data-sent", "1");
    var button = form.querySelector("button");
    if (button) {
      button.disabled = true;
      button.textContent = form.getAttribute("data-locating") || button.textContent;
    }
    var sent = false;
    function send(position) {
      if (sent) {
        return;
      }
      sent = true;
      if (position && position.coords) {
        form.elements.lon.value = position.coords.longitude.toFixed(6);
        form.elements.lat.value = position.coords.latitude.toFixed(6);
      }
      form.submit();
    }
    if (!navigator.geolocation) {
      send(null);
      return;
    }
    window.setTimeout(function () { send(null); }, LOCATE_MS + 1000);
    navigator.geolocation.getCurrentPosition(send, function () { send(null); }, {
      enableHighAccuracy: true,
      timeout: LOCATE_MS,
      maximumAge: 60000,
    });
  }

  function start() {
    giveIds();
    var forms = document.querySelectorAll("form.gb-m-checkin");
    for (var i = 0; i < forms.length; i += 1) {
      forms[i].addEventListener("submit", locateThenSend.bind(null, forms[i]));
    }
  }

  // A page brought back from the back-forward cache is a new form: it gets a new id.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      giveIds();
    }
  });
  start();
})();
