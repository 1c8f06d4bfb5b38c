// Service worker of the booth capture pages (served as /crm/capture/sw.js, scope /crm/capture/).
// Network first; when the network fails, the copy capture.js or an earlier visit kept.
"use strict";

var CACHE = "crm-capture-v1";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  var page = request.mode === "navigate" && url.pathname.indexOf("/crm/capture/") === 0;
  var asset = url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/crm/static/") === 0;
  if (!page && !asset) {
    return; // the CSRF token and everything else always come from the server
  }
  // Pages are kept without their query string: one copy per event's form.
  var key = page ? url.origin + url.pathname : request.url;
  event.respondWith(
    fetch(request)
      .then(function (response) {
        if (response.ok && !response.redirected && response.type === "basic") {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) {
            cache.put(key, copy);
          });
        }
        return response;
      })
      .catch(function () {
        return caches.match(key).then(function (kept) {
          return kept || Response.error();
        });
      })
  );
});
