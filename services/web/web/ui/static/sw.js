// SPRPA's service worker (issue 23): a village cadre's pages stay readable without a signal.
// Pages are fetched from the network first and kept when they are the cadre's (the desa's list,
// a child's page and its forms); without a signal the kept copy is shown, or the offline page.
// Nothing is kept for other paths, nothing but GET, and everything is dropped on sign-out.
"use strict";

const VERSION = "sprpa-field-4";
const SHELL = ["/static/app.css", "/static/app.js", "/offline", "/icons/192.png"];
const KEPT = /^\/children(\/new|\/queued\/visit|\/[0-9a-f-]{36}(\/(visit|assess|edit))?)?$/;

let signedOut = false;  // after sign-out nothing more is kept, not even a fetch already under way

function keep(request, response) {
  if (signedOut) return Promise.resolve();
  const copy = response.clone();
  return caches.open(VERSION).then(function (cache) { return cache.put(request, copy); });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key !== VERSION; })
      .map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  if (event.data && Array.isArray(event.data.warm)) {  // the cadre's forms, kept before she needs them
    event.waitUntil(Promise.all(event.data.warm.filter(function (path) { return KEPT.test(path); })
      .map(function (path) {
        return fetch(path, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) return keep(new Request(path), response);
        }).catch(function () {});
      })));
    return;
  }
  if (event.data === "sign-out") {
    signedOut = true;
    event.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.map(function (key) { return caches.delete(key); }));
    }).then(function () { if (event.ports[0]) event.ports[0].postMessage("forgotten"); }));
  }
});

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const shell = url.pathname.startsWith("/static/") || url.pathname.startsWith("/icons/");
  const page = request.mode === "navigate" && KEPT.test(url.pathname) && !url.search;
  if (!shell && !page && request.mode !== "navigate") return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && !response.redirected && (shell || page)) event.waitUntil(keep(request, response));
    return response;
  }).catch(function () {
    return caches.match(request).then(function (kept) {
      return kept || (request.mode === "navigate" ? caches.match("/offline") : Response.error());
    });
  }));
});
