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

// Type a place's name, choose it from the list, and its official code fills the code field
// (`kesil` -> Kesilir, Wuluhan, Jember -> 35.09.11.2007); the code stays small beside it.
function placeSearches() {
  document.querySelectorAll("input[data-place-search]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var target = document.getElementById(input.dataset.target);
    var chosen = document.getElementById("chosen-" + input.id.replace(/^search-/, ""));
    var timer = null, found = [];
    function pick() {
      var hit = found.filter(function (place) { return place.label === input.value; })[0];
      if (hit && target) {
        if (input.dataset.append) {  // a list of places (a service area): each one picked is added once
          var codes = target.value.split(/[\s,]+/).filter(Boolean);
          if (codes.indexOf(hit.code) < 0) codes.push(hit.code);
          target.value = codes.join(", ");
          input.value = "";
          list.textContent = "";  // the next place is searched afresh
          found = [];
        } else {
          target.value = hit.code;
        }
        if (chosen) chosen.textContent = target.value;
      }
    }
    input.addEventListener("input", function () {
      pick();
      clearTimeout(timer);
      if (input.value.trim().length < 3) return;
      timer = setTimeout(function () {
        fetch("/places/search?level=" + encodeURIComponent(input.dataset.placeSearch) +
              (input.dataset.anywhere ? "&anywhere=1" : "") + "&q=" + encodeURIComponent(input.value.trim()),
              { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (places) {
            found = places;
            list.textContent = "";
            places.forEach(function (place) {
              var option = document.createElement("option");
              option.value = place.label;
              list.appendChild(option);
            });
            pick();
          }).catch(function () { /* the code field still works */ });
      }, 250);
    });
    input.addEventListener("change", pick);
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
      if (document.getElementById("queue") && window.indexedDB) showQueue();
    };
    // navigator.onLine says only whether there is a network at all; a page the service worker
    // served from its copy means the server did not answer, so ask the server itself.
    var check = function () {
      if (!navigator.onLine) { mark(false); return; }
      var controller = new AbortController();
      var timer = setTimeout(function () { controller.abort(); }, 4000);
      fetch("/healthz", { cache: "no-store", signal: controller.signal })
        .then(function (response) {
          mark(response.ok);
          if (response.ok && typeof syncQueue === "function" && document.getElementById("queue")) syncQueue();
        })
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
    if (navigator.onLine) {
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ warm: ["/children/new", "/children/queued/visit"] });
      });
    }
  }
  document.querySelectorAll("form[action='/logout']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // The worker first stops keeping anything (a page it is fetching meanwhile is not kept) and
      // drops what it kept; then it is unregistered and the page drops the rest.
      var told = new Promise(function (resolve) {
        var worker = navigator.serviceWorker.controller;
        if (!worker) { resolve(); return; }
        var channel = new MessageChannel();
        channel.port1.onmessage = function () { resolve(); };
        worker.postMessage("sign-out", [channel.port2]);
        setTimeout(resolve, 2000);
      });
      var forget = [told.then(function () { return navigator.serviceWorker.getRegistrations(); })
        .then(function (registrations) {
          return Promise.all(registrations.map(function (registration) { return registration.unregister(); }));
        })];
      if (window.indexedDB) forget.push(Queue.wipe());
      if (window.caches) {
        forget.push(told.then(function () { return caches.keys(); }).then(function (keys) {
          return Promise.all(keys.map(function (key) { return caches.delete(key); }));
        }));
      }
      Promise.all(forget).catch(function () {}).then(function () { form.submit(); });
    });
  });
}



// The registry's own checks, run in the page before a change leaves the phone (issue 23, point 5),
// so most mistakes are fixed in the field: required fields, dates not in the future, a child under
// 18, hours a day and a week, and the NIK's structure (registry/children/nik.py and rules.py; the
// test `test_the_pages_checks_agree_with_the_registrys` runs both over the same cases). The server
// checks again either way (the kecamatan of a NIK only it can look up).
var Checks = {
  age: function (birth, today) {
    var age = today.getUTCFullYear() - birth.getUTCFullYear();
    if (today.getUTCMonth() < birth.getUTCMonth() ||
        (today.getUTCMonth() === birth.getUTCMonth() && today.getUTCDate() < birth.getUTCDate())) age -= 1;
    return age;
  },
  nik: function (nik, birthIso, sex) {
    if (!/^\d{16}$/.test(nik)) return ["nik.format"];
    var problems = [], birth = new Date(birthIso + "T00:00:00Z");
    var day = Number(nik.slice(6, 8)), month = Number(nik.slice(8, 10)), year = Number(nik.slice(10, 12));
    var female = day > 40;
    if (female) day -= 40;
    var born = isNaN(birth) ? 2000 : birth.getUTCFullYear();
    var century = born % 100 === year ? Math.floor(born / 100) * 100 : 2000;
    var encoded = new Date(Date.UTC(century + year, month - 1, day));
    if (month < 1 || month > 12 || encoded.getUTCDate() !== day || encoded.getUTCMonth() !== month - 1) {
      problems.push("nik.birth_date");
    } else if (!isNaN(birth) && (day !== birth.getUTCDate() || month !== birth.getUTCMonth() + 1 ||
               year !== birth.getUTCFullYear() % 100)) {
      problems.push("nik.birth_date");
    }
    if (female !== (sex === "female")) problems.push("nik.sex");
    if (nik.slice(12) === "0000") problems.push("nik.serial");
    return problems;
  },
  form: function (form, today) {
    var errors = {}, value = function (name) {
      var field = form.elements.namedItem(name);
      return field && field.value !== undefined ? String(field.value).trim() : "";
    };
    var says = JSON.parse(form.dataset.checks || "{}");
    Array.prototype.forEach.call(form.querySelectorAll("[required]"), function (field) {
      if (!field.closest("[hidden]") && !field.disabled && field.type !== "radio" && !String(field.value).trim()) {
        errors[field.name] = says.required;
      }
    });
    ["birth_date", "visited_on", "attending_since"].forEach(function (name) {
      var given = value(name);
      if (given && new Date(given + "T00:00:00Z") > today) errors[name] = says.future;
    });
    var birth = value("birth_date");
    if (birth && !errors.birth_date && Checks.age(new Date(birth + "T00:00:00Z"), today) >= 18) {
      errors.birth_date = says.adult;
    }
    var perDay = value("work.hours_per_day"), perWeek = value("work.hours_per_week");
    var working = form.querySelector("fieldset[data-shown-by]");
    if (!working || !working.hidden) {
      if (perDay && !(Number(perDay) >= 0 && Number(perDay) <= 24)) errors["work.hours_per_day"] = says.hours_day;
      if (perWeek && !(Number(perWeek) >= 0 && Number(perWeek) <= 168)) errors["work.hours_per_week"] = says.hours_week;
      if (perDay && perWeek && Number(perWeek) > 7 * Number(perDay)) errors["work.hours_per_week"] = says.hours_both;
    }
    var nik = value("nik");
    if (nik && birth) {
      var problems = Checks.nik(nik, birth, value("sex"));
      if (problems.length) errors.nik = problems.map(function (code) { return says[code] || code; }).join(" ");
    }
    return errors;
  },
  show: function (form, errors) {
    form.querySelectorAll(".field .error.in-page").forEach(function (old) { old.remove(); });
    form.querySelectorAll(".field.invalid-in-page").forEach(function (field) { field.classList.remove("invalid", "invalid-in-page"); });
    var first = null;
    Object.keys(errors).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field || !field.closest) return;
      var box = field.closest(".field");
      if (!box) return;
      var message = document.createElement("p");
      message.className = "error in-page";
      message.id = "in-page-" + name.replace(".", "-");
      message.textContent = errors[name];
      box.appendChild(message);
      box.classList.add("invalid", "invalid-in-page");
      field.setAttribute("aria-describedby", message.id);
      first = first || field;
    });
    if (first) first.focus();
    return !first;
  },
};

// The queue of changes made without a signal (issue 23). A registration, a visit or an assessment
// saved while the server cannot be reached is kept on the phone in IndexedDB, encrypted with an
// AES-GCM key the browser cannot export, and sent in the order it was made once the server answers
// again (by itself, or with "Send now"). Each change keeps the form's key, which the server takes
// as its Idempotency-Key: a double tap or a sync cut off half-way still records once. A change the
// server refuses stays, with the server's words, until it is fixed or discarded. Signing out, or
// seven days without reaching the server, wipes the queue with everything else kept.
var Queue = (function () {
  var NAME = "sprpa-field", USED = "sprpa-used-form-keys", CONTACT = "sprpa-last-contact";
  var CREATED = "sprpa-created-children";  // a queued registration's id on the phone -> the child's id
  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("changes", { keyPath: "id", autoIncrement: true });
        request.result.createObjectStore("keys");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function run(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode), result;
        Promise.resolve(work(tx.objectStore(store))).then(function (value) { result = value; });
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function asPromise(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  var made = null;
  function key() {
    made = made || run("keys", "readonly", function (store) { return asPromise(store.get("queue")); }).then(function (found) {
      if (found) return found;
      return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"])
        .then(function (fresh) {
          return run("keys", "readwrite", function (store) { store.put(fresh, "queue"); }).then(function () { return fresh; });
        });
    });
    return made;
  }
  function seal(value) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return key().then(function (k) {
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, k, new TextEncoder().encode(JSON.stringify(value)));
    }).then(function (data) { return { iv: iv, data: data }; });
  }
  function unseal(change) {
    return key().then(function (k) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: change.iv }, k, change.data);
    }).then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); });
  }
  function all() {
    return run("changes", "readonly", function (store) { return asPromise(store.getAll()); });
  }
  function used() {
    try { return JSON.parse(localStorage.getItem(USED) || "[]"); } catch (e) { return []; }
  }
  function markUsed(formKey) {
    var keys = used().concat([formKey]).slice(-200);
    localStorage.setItem(USED, JSON.stringify(keys));
  }
  var adding = Promise.resolve();
  function add(kind, action, fields, formKey, dependsOn) {  // one at a time: a double tap sees the first
    adding = adding.catch(function () {}).then(function () {
      return addOnce(kind, action, fields, formKey, dependsOn);
    });
    return adding;
  }
  function addOnce(kind, action, fields, formKey, dependsOn) {
    return all().then(function (changes) {
      if (formKey && changes.some(function (c) { return c.formKey === formKey; })) return false;  // a double tap
      return seal({ action: action, fields: fields }).then(function (sealed) {
        return run("changes", "readwrite", function (store) {
          store.add({ kind: kind, formKey: formKey, made: Date.now(), error: null, dependsOn: dependsOn || null,
                      iv: sealed.iv, data: sealed.data });
        }).then(function () { if (formKey) markUsed(formKey); return true; });
      });
    });
  }
  function remove(id) { return run("changes", "readwrite", function (store) { store.delete(id); }); }
  function setError(id, error) {
    return run("changes", "readwrite", function (store) {
      return asPromise(store.get(id)).then(function (change) { change.error = error; store.put(change); });
    });
  }
  function created() {
    try { return JSON.parse(localStorage.getItem(CREATED) || "{}"); } catch (e) { return {}; }
  }
  function remember(changeId, childId) {
    var known = created();
    known[changeId] = childId;
    localStorage.setItem(CREATED, JSON.stringify(known));
  }
  function get(id) { return run("changes", "readonly", function (store) { return asPromise(store.get(id)); }); }
  function wipe() {
    made = null;
    localStorage.removeItem(CREATED);
    localStorage.removeItem(USED);
    localStorage.removeItem(CONTACT);
    return new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(NAME);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  }
  return { add: add, all: all, remove: remove, setError: setError, unseal: unseal, wipe: wipe, used: used,
           created: created, remember: remember, get: get, CONTACT: CONTACT };
})();

function csrfToken() {
  var meta = document.querySelector("meta[name='csrf']");
  return meta ? meta.content : "";
}

// One pass over the queue, oldest first; resolves to whether the server could be reached.
var syncing = null, duplicatesFound = [];
function syncQueue() {
  if (syncing) return syncing;
  syncing = Queue.all().then(function (changes) {
    return changes.reduce(function (previous, change) {
      return previous.then(function (reachable) {
        if (!reachable) return false;
        return Queue.unseal(change).then(function (saved) {
          return change.dependsOn ? forItsChild(change, saved) : saved;
        }).then(function (saved) {
          if (saved === null) return true;  // its child is not sent yet: it waits
          var body = new URLSearchParams();
          saved.fields.forEach(function (pair) { body.append(pair[0], pair[0] === "csrf" ? csrfToken() : pair[1]); });
          return fetch(saved.action, { method: "POST", body: body, credentials: "same-origin", redirect: "follow",
                                       headers: { "X-Sprpa-Queued": "1" } })
            .then(function (response) {
              localStorage.setItem(Queue.CONTACT, String(Date.now()));
              var path = new URL(response.url).pathname;
              if (path === "/login") return Queue.setError(change.id, "sign-in").then(function () { return false; });
              if (response.ok && response.redirected) {
                if (response.url.indexOf("duplicates=1") >= 0) duplicatesFound.push(path);
                var child = /^\/children\/([0-9a-f-]{36})$/.exec(path);
                if (change.kind === "child" && child) Queue.remember(change.id, child[1]);
                return Queue.remove(change.id).then(function () { return true; });
              }
              return response.text().then(function (html) {
                var page = new DOMParser().parseFromString(html, "text/html");
                var problem = page.querySelector("#problem");
                var fields = Array.prototype.map.call(page.querySelectorAll(".field.invalid"), function (field) {
                  var label = field.querySelector("label"), message = field.querySelector(".error");
                  return (label ? label.textContent.trim() : "") + ": " + (message ? message.textContent.trim() : "");
                });
                var words = [problem ? problem.textContent.trim() : String(response.status)].concat(fields).join(" · ");
                return Queue.setError(change.id, words).then(function () { return true; });
              });
            }, function () { return false; });
        });
      });
    }, Promise.resolve(true));
  }).catch(function () { return false; }).then(function (reachable) {
    syncing = null;
    return showQueue().then(function () { return reachable; });
  });
  return syncing;
}

// A visit recorded for a child registered on the phone goes once the child has its id: to that
// child's form, with the version the registry holds now.
function forItsChild(change, saved) {
  var childId = Queue.created()[change.dependsOn];
  if (!childId) {
    return Queue.get(change.dependsOn).then(function (parent) {
      if (parent) return null;
      return Queue.setError(change.id, "orphan").then(function () { return null; });
    });
  }
  var action = "/children/" + childId + "/visit";
  return fetch(action, { credentials: "same-origin" }).then(function (response) { return response.text(); })
    .then(function (html) {
      var version = new DOMParser().parseFromString(html, "text/html").querySelector("input[name='version']");
      return { action: action, fields: saved.fields.map(function (pair) {
        return pair[0] === "version" ? ["version", version ? version.value : ""] : pair;
      }) };
    });
}

// One drawing at a time, each reading the queue afresh: a slow earlier one never paints over a later one.
var showing = Promise.resolve();
function showQueue() {
  showing = showing.catch(function () {}).then(drawQueue);
  return showing;
}

function drawQueue() {
  var section = document.getElementById("queue");
  if (!section || !window.indexedDB) return Promise.resolve();
  return Queue.all().then(function (changes) {
    var kinds = JSON.parse(section.dataset.kinds || "{}");
    var list = document.getElementById("queue-items");
    list.textContent = "";
    changes.forEach(function (change) {
      var item = document.createElement("li");
      item.dataset.kind = change.kind;
      var what = document.createElement("span");
      what.textContent = (kinds[change.kind] || change.kind) + " · " + new Date(change.made).toLocaleString();
      item.appendChild(what);
      if (change.error) {
        var error = document.createElement("p");
        error.className = "error queue-error";
        error.textContent = change.error === "sign-in" ? section.dataset.signIn
          : change.error === "orphan" ? section.dataset.orphan : section.dataset.refused + " " + change.error;
        item.appendChild(error);
        var fix = document.createElement("button");
        fix.type = "button"; fix.className = "link queue-fix"; fix.textContent = section.dataset.fix;
        fix.addEventListener("click", function () { fixChange(change); });
        item.appendChild(fix);
      }
      if (change.kind === "child" && !change.error) {
        var visit = document.createElement("a");
        visit.href = "/children/queued/visit#" + change.id; visit.className = "queue-visit";
        visit.textContent = section.dataset.visit;
        item.appendChild(visit);
      }
      var discard = document.createElement("button");
      discard.type = "button"; discard.className = "link queue-discard"; discard.textContent = section.dataset.discard;
      discard.addEventListener("click", function () { Queue.remove(change.id).then(showQueue); });
      item.appendChild(discard);
      list.appendChild(item);
    });
    var found = document.getElementById("queue-duplicates");
    if (found) {
      found.textContent = "";
      duplicatesFound.forEach(function (path) {
        var item = document.createElement("li"), link = document.createElement("a");
        link.href = path + "?duplicates=1"; link.textContent = section.dataset.duplicate;
        item.appendChild(link); found.appendChild(item);
      });
    }
    section.hidden = changes.length === 0 && duplicatesFound.length === 0;
    var status = document.getElementById("connection");
    if (status) {
      status.dataset.count = String(changes.length);
      var base = status.classList.contains("offline") ? status.dataset.offline : status.dataset.online;
      status.textContent = base + (changes.length ? " · " + changes.length + " " + status.dataset.waiting : "");
    }
  });
}

// A refused change goes back to its form, filled in as it was saved; saving it again replaces it.
function fixChange(change) {
  Queue.unseal(change).then(function (saved) {
    sessionStorage.setItem("sprpa-fixing", JSON.stringify({ id: change.id, fields: saved.fields }));
    window.location.href = saved.action;
  });
}

function refill(form) {
  var fixing = sessionStorage.getItem("sprpa-fixing");
  if (!fixing) return;
  fixing = JSON.parse(fixing);
  fixing.fields.forEach(function (pair) {
    // A visit or an assessment takes the page's own version: the person sees the child as it is now.
    // A correction keeps the version (and what its form showed) it was made against, so that a
    // change made meanwhile comes back as the conflict screen, for the person to choose.
    if (pair[0] === "csrf" || (pair[0] === "version" && !("keepsVersion" in form.dataset))) return;
    var field = form.elements.namedItem(pair[0]);
    if (!field) return;
    if (field.type === "checkbox") field.checked = true; else field.value = pair[1];
  });
  form.dataset.replaces = String(fixing.id);
  sessionStorage.removeItem("sprpa-fixing");
}

// Every form with the registry's checks runs them first (every role: an operator's typo is a typo too).
function pageChecks() {
  document.querySelectorAll("form[data-checks]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      // today by the server's clock when it is later than the phone's (a phone's clock may lag)
      var today = new Date(Math.max(Date.now(), Date.parse((form.dataset.today || "") + "T23:59:59Z") || 0));
      if (!Checks.show(form, Checks.form(form, today))) {
        event.preventDefault();  // fixed here, before it leaves the phone
        event.stopImmediatePropagation();
      }
    });
  });
}

function offlineForms() {
  if (!window.indexedDB || !window.crypto || !crypto.subtle) return;
  document.querySelectorAll("form[data-offline]").forEach(function (form) {
    var formKey = form.elements.namedItem("form_key");
    if (formKey && Queue.used().indexOf(formKey.value) >= 0) formKey.value = crypto.randomUUID();  // a kept page
    refill(form);
    if ("queuedChild" in form.dataset) {
      var parentId = Number(window.location.hash.slice(1));
      Queue.get(parentId).then(function (parent) { return parent ? Queue.unseal(parent) : null; }).then(function (saved) {
        var name = saved && saved.fields.filter(function (pair) { return pair[0] === "full_name"; })[0];
        var shown = document.getElementById("visit-child");
        if (shown && name) shown.textContent = name[1];
      });
    }
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;  // the page's own checks stopped it
      var status = document.getElementById("connection");
      var parent = "queuedChild" in form.dataset ? Number(window.location.hash.slice(1)) || null : null;
      if (!parent && navigator.onLine && !(status && status.classList.contains("offline"))) {
        if (form.dataset.replaces) Queue.remove(Number(form.dataset.replaces));
        return;  // the page posts as always
      }
      event.preventDefault();
      var fields = [];
      new FormData(form).forEach(function (value, name) { fields.push([name, String(value)]); });
      var replaced = form.dataset.replaces ? Queue.remove(Number(form.dataset.replaces)) : Promise.resolve();
      replaced.then(function () {
        return Queue.add(form.dataset.offline, form.getAttribute("action"), fields, formKey ? formKey.value : null,
                         parent);
      }).then(function () {
        var section = document.getElementById("queue");
        var note = document.getElementById("queue-note");
        if (note && section) note.textContent = section.dataset.saved;
        form.reset();
        if (formKey) formKey.value = crypto.randomUUID();
        delete form.dataset.replaces;
        return showQueue();
      });
    });
  });
  var send = document.getElementById("queue-send");
  if (send) send.addEventListener("click", function () { syncQueue(); });
  window.addEventListener("online", function () { syncQueue(); });
  var days = Number(document.body.dataset.offlineDays || 7);
  var contact = Number(localStorage.getItem(Queue.CONTACT) || Date.now());
  if (Date.now() - contact > days * 86400000) {  // an offline session too old: nothing stays on the phone
    Queue.wipe().then(function () { return window.caches ? caches.keys() : []; }).then(function (keys) {
      return Promise.all(keys.map(function (k) { return caches.delete(k); }));
    }).then(function () { window.location.href = "/login"; });
    return;
  }
  showQueue().then(function () { if (navigator.onLine) syncQueue(); });
  document.body.dataset.fieldReady = "1";  // forms save to the phone from here on
}

document.addEventListener("DOMContentLoaded", function () {
  workToggles(); placePickers(); placeSearches(); consentRequirements(); pageChecks(); fieldApp();
  if (document.body.dataset.app === "field") offlineForms();
});
