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

document.addEventListener("DOMContentLoaded", function () { workToggles(); placePickers(); consentRequirements(); });
