/* The rider page's service worker, served at /sw.js (scope: the whole site).
 *
 * VERSION and PRECACHE are written in by the server (api/pages/shell.py): VERSION is a hash of
 * every file below and of this script, so a deploy that changes any of them installs a new
 * cache and deletes the old one. The page's own files are served cache-first. Nearest-station
 * answers are network-first: the network's answer is kept (the last MAX_ANSWERS of them) and a
 * kept one is served, marked X-Yizhan-Offline, only when the network fails. No other API call
 * is touched or kept; requests to other origins (map tiles) are left to the browser.
 */
"use strict";

var VERSION = "__YIZHAN_VERSION__";
var PRECACHE = ["__YIZHAN_PRECACHE__"];
var SHELL_PREFIX = "yizhan-rider-shell-";
var SHELL = SHELL_PREFIX + VERSION;
var ANSWERS = "yizhan-rider-answers";
var MAX_ANSWERS = 10;
var NEAREST = "/v1/stations/nearest";
var PAGE = "/";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    // cache: "no-cache" revalidates with the server, so no stale HTTP-cached file gets in.
    return cache.addAll(PRECACHE.map(function (url) { return new Request(url, { cache: "no-cache" }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(SHELL_PREFIX) === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === NEAREST) {
    event.respondWith(networkFirst(request));
  } else if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(cacheFirst(PAGE, request));  // any query string: WeChat adds its own
  } else if (PRECACHE.indexOf(url.pathname) >= 0 && !url.search) {
    event.respondWith(cacheFirst(url.pathname, request));
  }
});

function cacheFirst(key, request) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(key).then(function (hit) { return hit || fetch(request); });
  });
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(ANSWERS).then(function (cache) {
        return cache.put(request, copy).then(function () { return trim(cache); });
      });
    }
    return response;
  }, function () {
    return caches.open(ANSWERS).then(function (cache) {
      return cache.match(request);
    }).then(function (kept) {
      if (!kept) { return Response.error(); }
      var headers = new Headers(kept.headers);
      headers.set("X-Yizhan-Offline", "1");
      return kept.blob().then(function (body) {
        return new Response(body, { status: kept.status, statusText: kept.statusText, headers: headers });
      });
    });
  });
}

// Keep the newest MAX_ANSWERS answers (a cache lists its entries oldest first).
function trim(cache) {
  return cache.keys().then(function (keys) {
    return Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_ANSWERS)).map(function (key) {
      return cache.delete(key);
    }));
  });
}
