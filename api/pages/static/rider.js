/* The rider's page: locate (or tap the map), choose amenities, read the nearest stations.
 *
 * Calls GET /v1/stations/nearest like any client (crs=wgs84: the browser's positions are
 * WGS-84). The last answer is kept in localStorage with its position, filters and fetch time,
 * and shown, saying so, when the network fails. /sw.js keeps the page itself offline.
 */
(function () {
  "use strict";
  var R = window.YizhanRider;

  var KEYS = { lang: "yizhan.rider.lang", tiles: "yizhan.rider.tiles", last: "yizhan.rider.last" };
  var NEAREST = "/v1/stations/nearest";
  var K = 5;
  var SEARCH_TIMEOUT_MS = 15000;
  var LOCATE_OPTIONS = { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 };
  var LOCATE_ERRORS = { 1: "denied", 2: "unavailable", 3: "timeout" };

  var state = {
    position: null,        // {lon, lat} WGS-84
    amenities: [],         // chips that are on, in R.CHIPS order
    openNow: true,
    tiles: "osm",
    answer: null,          // the FeatureCollection on screen
    earlier: null,         // {at, offline}: the answer on screen is not fresh
    positionNote: null,    // {key, values, error}: said again after a language switch
    failure: null          // {key, values}: the last search's failure, if it failed
  };
  var searches = 0;
  var rmap = null, report = null;

  function $(id) { return document.getElementById(id); }

  function load(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function save(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: forget */ }
  }

  function loadLast() {
    try {
      var last = JSON.parse(load(KEYS.last) || "null");
      return last && last.answer && last.position ? last : null;
    } catch (e) { return null; }
  }

  // -- language --------------------------------------------------------------------------

  function applyLang() {
    document.documentElement.lang = R.HTML_LANG[R.lang];
    document.title = R.t("title");
    Array.prototype.forEach.call(document.querySelectorAll("[data-t]"), function (node) {
      node.textContent = R.t(node.getAttribute("data-t"));
    });
    var other = R.lang === "en" ? "zh" : "en";
    var button = $("lang");
    button.textContent = R.t("lang_switch");
    button.setAttribute("lang", R.HTML_LANG[other]);
    button.setAttribute("aria-label", R.t("lang_switch_label"));
    Array.prototype.forEach.call(document.querySelectorAll(".chip"), function (chip) {
      var code = chip.getAttribute("data-amenity");
      chip.querySelector(".chip-text").textContent = code ? R.amenityLabel(code) : R.t("open_now");
    });
    if (rmap) { rmap.setLang(); }
    sayPosition();
    render();
  }

  function switchLang() {
    R.lang = R.lang === "en" ? "zh" : "en";
    save(KEYS.lang, R.lang);
    applyLang();
  }

  // -- chips -------------------------------------------------------------------------------

  function chip(code) {
    var button = R.el("button", "chip");
    button.type = "button";
    if (code) { button.setAttribute("data-amenity", code); } else { button.setAttribute("data-open-now", ""); }
    var tick = R.el("span", "chip-tick", "✓");
    tick.setAttribute("aria-hidden", "true");
    button.appendChild(tick);
    button.appendChild(R.el("span", "chip-text"));
    button.addEventListener("click", function () {
      if (code) {
        var on = state.amenities.indexOf(code) < 0;
        state.amenities = R.CHIPS.filter(function (c) {
          return c === code ? on : state.amenities.indexOf(c) >= 0;
        });
      } else {
        state.openNow = !state.openNow;
      }
      showChips();
      search();
    });
    return button;
  }

  function buildChips() {
    var box = $("chips");
    box.appendChild(chip(null));
    R.CHIPS.forEach(function (code) { box.appendChild(chip(code)); });
  }

  function showChips() {
    Array.prototype.forEach.call(document.querySelectorAll(".chip"), function (button) {
      var code = button.getAttribute("data-amenity");
      var on = code ? state.amenities.indexOf(code) >= 0 : state.openNow;
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  // -- position ----------------------------------------------------------------------------

  function sayPosition(key, values, error) {
    if (key !== undefined) { state.positionNote = key ? { key: key, values: values, error: !!error } : null; }
    var note = state.positionNote;
    var box = $("position");
    box.textContent = note ? R.t(note.key, note.values) : "";
    box.className = "position" + (note && note.error ? " error" : "");
    $("pick").hidden = !(note && note.error);
  }

  function locate() {
    if (window.isSecureContext === false) { return sayPosition("insecure", null, true); }
    if (!navigator.geolocation) { return sayPosition("unsupported", null, true); }
    sayPosition("locating");
    $("locate").setAttribute("aria-busy", "true");
    navigator.geolocation.getCurrentPosition(function (found) {
      $("locate").removeAttribute("aria-busy");
      sayPosition("located", { m: R.number(found.coords.accuracy || 0) });
      setPosition({ lon: found.coords.longitude, lat: found.coords.latitude });
    }, function (failure) {
      $("locate").removeAttribute("aria-busy");
      sayPosition(LOCATE_ERRORS[failure.code] || "unavailable", null, true);
    }, LOCATE_OPTIONS);
  }

  function pick(position) {
    sayPosition("picked");
    setPosition(position);
  }

  function setPosition(position) {
    state.position = { lon: position.lon, lat: position.lat };
    if (rmap) { rmap.show(state.position, [], true); }
    search();
  }

  // -- searching ----------------------------------------------------------------------------

  function nearestUrl() {
    var p = state.position;
    var query = ["lat=" + p.lat.toFixed(6), "lon=" + p.lon.toFixed(6), "crs=wgs84", "k=" + K];
    if (state.amenities.length) { query.push("amenities=" + state.amenities.join(",")); }
    if (state.openNow) { query.push("open_now=true"); }
    return NEAREST + "?" + query.join("&");
  }

  function fetchJson(url) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, SEARCH_TIMEOUT_MS) : null;
    return fetch(url, {
      headers: { "Accept": "application/geo+json, application/problem+json" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().then(function (body) {
        clearTimeout(timer);
        return { response: response, body: body };
      });
    }, function (error) {
      clearTimeout(timer);
      throw error;
    });
  }

  function search() {
    if (!state.position) {
      state.answer = null;
      state.failure = { key: "need_position" };
      return render();
    }
    var mine = ++searches;
    var asked = { position: state.position, amenities: state.amenities.slice(), openNow: state.openNow };
    $("summary").textContent = R.t("searching");
    $("list").setAttribute("aria-busy", "true");
    var url = nearestUrl();
    fetchJson(url).then(function (got) {
      if (mine !== searches) { return; }
      if (!got.response.ok) {
        state.answer = null;
        state.failure = { key: "search_failed", values: { detail: got.body.detail || got.response.status } };
        return render(true);
      }
      // X-Yizhan-Offline: the service worker's kept copy of an earlier answer to this URL.
      var cached = got.response.headers.get("X-Yizhan-Offline");
      var at = cached ? keptAt(url, got.response) : new Date().toISOString();
      if (!cached) {
        save(KEYS.last, JSON.stringify({
          url: url, position: asked.position, amenities: asked.amenities, openNow: asked.openNow,
          fetched_at: at, answer: got.body
        }));
      }
      show(got.body, cached ? { at: at, offline: true } : null, true);
    }, function () {
      if (mine !== searches) { return; }
      var last = loadLast();
      if (!last) {
        state.answer = null;
        state.failure = { key: "network_failed" };
        return render(true);
      }
      adopt(last);
      show(last.answer, { at: last.fetched_at, offline: true }, true);
    });
  }

  // When a kept answer was fetched: our own record of it, else the server's Date header.
  function keptAt(url, response) {
    var last = loadLast();
    if (last && last.url === url) { return last.fetched_at; }
    var date = new Date(response.headers.get("Date") || "");
    return isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
  }

  // Take the position and filters a kept answer was asked with, so the chips say what it is.
  function adopt(last) {
    state.position = last.position;
    state.amenities = R.CHIPS.filter(function (c) { return (last.amenities || []).indexOf(c) >= 0; });
    state.openNow = last.openNow !== false;
    showChips();
  }

  function show(answer, earlier, fit) {
    state.answer = answer;
    state.earlier = earlier;
    state.failure = null;
    render(fit);
  }

  function render(fit) {
    var features = (state.answer && state.answer.features) || [];
    var list = $("list");
    list.removeAttribute("aria-busy");
    R.renderResults(list, features, function (props, button) { report.open(props, button); });
    var summary = state.failure ? R.t(state.failure.key, state.failure.values) :
      state.answer ? R.summaryText(features) : R.t("need_position");
    $("summary").textContent = summary;
    var freshness = $("freshness");
    var earlier = state.answer && state.earlier;
    freshness.hidden = !earlier;
    freshness.textContent = earlier ?
      R.t(earlier.offline ? "offline" : "earlier", { time: R.timeText(earlier.at) }) : "";
    $("ride-note").textContent = rideNote(state.answer, features);
    if (rmap) { rmap.show(state.position, features, !!fit); }
  }

  /** How the shown ride times were made: routed on OpenStreetMap's roads (credited, as its
   * licence asks), the server's estimate at its speed, or the page's own estimate. */
  function rideNote(answer, features) {
    var query = answer && answer.query;
    if (!query || query.rank !== "time") { return R.t("ride_note"); }
    var speed = R.number(query.ride_speed_kmh);
    var routed = features.some(function (f) { return f.properties.duration_source === "engine"; });
    return R.t(routed ? "ride_note_routed" : "ride_note_server", { speed: speed });
  }

  function selectResult(i) {
    var item = $("list").children[i];
    if (!item) { return; }
    var name = item.querySelector(".name");
    item.scrollIntoView({ block: "start" });
    name.focus({ preventScroll: true });
  }

  // -- start -------------------------------------------------------------------------------

  function setTiles(kind) {
    state.tiles = kind;
    save(KEYS.tiles, kind);
    Array.prototype.forEach.call(document.querySelectorAll(".tile-choice"), function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-tiles") === kind ? "true" : "false");
    });
    if (rmap) { rmap.setTiles(kind); }
  }

  function wire() {
    $("lang").addEventListener("click", switchLang);
    $("locate").addEventListener("click", locate);
    $("pick").addEventListener("click", function () {
      $("map").scrollIntoView({ block: "center" });
      if (rmap) { rmap.focus(); }
    });
    $("use-centre").addEventListener("click", function () { if (rmap) { pick(rmap.centre()); } });
    Array.prototype.forEach.call(document.querySelectorAll(".tile-choice"), function (button) {
      button.addEventListener("click", function () { setTiles(button.getAttribute("data-tiles")); });
    });
  }

  function registerWorker() {
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js").catch(function () { /* the page works without */ });
    }
  }

  function start() {
    R.lang = load(KEYS.lang) === "en" ? "en" : "zh";
    buildChips();
    showChips();
    wire();
    rmap = R.createMap($("map"), pick, selectResult);
    report = R.createReport();
    setTiles(load(KEYS.tiles) === "amap" ? "amap" : "osm");
    applyLang();
    registerWorker();
    var last = loadLast();
    if (last) {
      // Show the kept answer at once, then ask again for the same place and filters.
      adopt(last);
      show(last.answer, { at: last.fetched_at, offline: false }, true);
      sayPosition("saved_position", { time: R.timeText(last.fetched_at) });
      search();
    }
    R.state = state;
    R.map = rmap;
    document.documentElement.setAttribute("data-rider-ready", "");
  }

  start();
}());
