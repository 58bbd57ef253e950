// Progressive enhancement only: every page works without this script.
"use strict";

// The work fieldset shows when its checkbox ("the child works") is ticked.
function workToggles() {
  document.querySelectorAll("fieldset[data-shown-by]").forEach(function (set) {
    var box = document.getElementById(set.dataset.shownBy);
    if (!box) return;
    var sync = function () { set.hidden = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  });
}

// Cascading province -> kabupaten -> kecamatan -> desa pickers filling the desa code field.
function placePickers() {
  document.querySelectorAll("[data-picker]").forEach(function (picker) {
    var target = picker.parentElement.querySelector("[data-picker-target]");
    var levels = Array.prototype.slice.call(picker.querySelectorAll("select[data-level]"));
    if (!target || levels.length !== 4) return;
    function fill(index, parent) {
      var select = levels[index];
      var url = "/places" + (parent ? "?parent=" + encodeURIComponent(parent) : "");
      fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      }).then(function (places) {
        while (select.options.length > 1) select.remove(1);
        places.forEach(function (place) { select.add(new Option(place.name, place.code)); });
        select.closest(".picker-level").hidden = false;
      }).catch(function () { /* the code field still works */ });
    }
    levels.forEach(function (select, index) {
      select.addEventListener("change", function () {
        for (var later = index + 1; later < levels.length; later++) {
          while (levels[later].options.length > 1) levels[later].remove(1);
          levels[later].closest(".picker-level").hidden = true;
        }
        if (index === levels.length - 1) { target.value = select.value; return; }
        if (select.value) fill(index + 1, select.value);
      });
    });
    fill(0, null);
  });
}

// A guardian's consent names who gave it and how they are related: both become required when the
// basis says so (the server checks it either way).
function consentRequirements() {
  var basis = document.querySelector("select[name='consent.basis']");
  if (!basis) return;
  var needed = ["consent.given_by", "consent.relation"].map(function (name) {
    return document.querySelector("[name='" + name + "']");
  }).filter(Boolean);
  var sync = function () {
    needed.forEach(function (field) { field.required = basis.value === "guardian"; });
  };
  basis.addEventListener("change", sync);
  sync();
}

// The field app (issue 23): on a cadre's pages the service worker keeps what she has seen for
// when the signal goes; every page says whether it is online. Signing out drops what was kept.
function fieldApp() {
  var status = document.getElementById("connection");
  if (status) {
    var mark = function (online) {
      status.textContent = online ? status.dataset.online : status.dataset.offline;
      status.classList.toggle("offline", !online);
    };
    // navigator.onLine says only whether there is a network at all; a page the service worker
    // served from its copy means the server did not answer, so ask the server itself.
    var check = function () {
      if (!navigator.onLine) { mark(false); return; }
      var controller = new AbortController();
      var timer = setTimeout(function () { controller.abort(); }, 4000);
      fetch("/healthz", { cache: "no-store", signal: controller.signal })
        .then(function (response) { mark(response.ok); })
        .catch(function () { mark(false); })
        .then(function () { clearTimeout(timer); });
    };
    window.addEventListener("online", check);
    window.addEventListener("offline", check);
    check();
  }
  if (!("serviceWorker" in navigator)) return;
  if (document.body.dataset.app === "field") {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* the pages work without it */ });
  }
  document.querySelectorAll("form[action='/logout']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var forget = [navigator.serviceWorker.getRegistrations().then(function (registrations) {
        return Promise.all(registrations.map(function (registration) { return registration.unregister(); }));
      })];
      if (window.caches) {
        forget.push(caches.keys().then(function (keys) {
          return Promise.all(keys.map(function (key) { return caches.delete(key); }));
        }));
      }
      Promise.all(forget).catch(function () {}).then(function () { form.submit(); });
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  workToggles(); placePickers(); consentRequirements(); fieldApp();
});
