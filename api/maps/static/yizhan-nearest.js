/* Yizhan static station map (api/maps): the "附近的站点 / Nearest to me" panel.
 *
 * Answers what GET /v1/stations/nearest answers, offline: the k stations nearest to the rider
 * that pass the page's filters (amenities, kinds), are open to couriers and, if asked, open
 * now; nearest first by geodesic distance on the WGS-84 ellipsoid (geographiclib-geodesic,
 * Karney's algorithm, as pyproj's Geod), ties by station id in code-point order (ids are ASCII,
 * so JavaScript's string order is code-point order).
 *
 * "Open now" needs no opening-hours parser: Python wrote each station's open and unknown
 * ranges for a horizon from the build time (api/maps/hours.py). Past the horizon, or before
 * its start, every station's state is unknown.
 *
 * Station text is set with textContent only; links are a fixed https:// prefix plus
 * encodeURIComponent (the same builders as the popup's).
 */
(function () {
  "use strict";

  var SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;  // UTC+08:00, no DST since 1991
  var DAY_MS = 24 * 3600 * 1000;

  // The state of a station (its row's schedule entry) at instant t (ms since the epoch):
  // {state: "open" | "closed" | "unknown", change: ms of the next change it can state, or null}.
  function openness(schedules, entryIndex, t) {
    var m = (t - schedules.start) / 60000;
    if (!(m >= 0 && m < schedules.minutes)) { return { state: "unknown", change: null }; }
    var entry = schedules.table[entryIndex];
    var open = entry[0], unknown = entry[1] || [];
    var nextUnknown = Infinity, i;
    for (i = 0; i < unknown.length; i += 2) {
      if (m >= unknown[i] && m < unknown[i + 1]) { return { state: "unknown", change: null }; }
      if (unknown[i] > m) { nextUnknown = Math.min(nextUnknown, unknown[i]); }
    }
    function at(minute) {
      return minute < schedules.minutes ? schedules.start + minute * 60000 : null;
    }
    for (i = 0; i < open.length; i += 2) {
      if (m < open[i]) {  // closed until this range, unless an unknown stretch comes first
        return { state: "closed", change: open[i] <= nextUnknown ? at(open[i]) : null };
      }
      if (m < open[i + 1]) { return { state: "open", change: at(open[i + 1]) }; }
    }
    return { state: "closed", change: null };
  }

  // Code-point order of two ASCII ids, as Python's str comparison (and the API) orders them.
  function compareIds(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  // The k nearest of `candidates` (row indices) to (lon, lat), WGS-84 degrees; each hit is
  // {row, id, distance_m, bearing_deg}, bearing clockwise from north in [0, 360).
  function nearest(rows, F, candidates, lon, lat, k) {
    var Geodesic = window.geodesic.Geodesic;
    var wgs84 = Geodesic.WGS84, mask = Geodesic.DISTANCE | Geodesic.AZIMUTH;
    var hits = candidates.map(function (i) {
      var p = rows[i][F.wgs84];
      var r = wgs84.Inverse(lat, lon, p[1], p[0], mask);
      return { row: i, id: rows[i][F.id], distance_m: r.s12, bearing_deg: r.azi1 < 0 ? r.azi1 + 360 : r.azi1 };
    });
    hits.sort(function (a, b) {
      return a.distance_m - b.distance_m || compareIds(a.id, b.id);
    });
    return hits.slice(0, k);
  }

  // Builds the panel as a Leaflet control. `page` is what yizhan-map.js shares with it:
  // {map, data, rows, F, T, el, fill, now(), shown(row), amenityBit, isAmenityOn(code),
  //  setAmenity(code, on), openOnMap(rowIndex), links(row), locate(), narrow,
  //  onFilterChange(fn), onExpand() (called as the panel opens)}.
  function panel(page) {
    var data = page.data, rows = page.rows, F = page.F, T = page.T, el = page.el, fill = page.fill;
    var locale = data.lang === "zh" ? "zh-CN" : "en-GB";
    var courier = {};
    data.nearest.access.forEach(function (i) { courier[i] = true; });
    var state = { rider: null, openNow: false, expanded: !page.narrow };
    var dayAndTime = new Intl.DateTimeFormat(locale, { timeZone: "Asia/Shanghai", month: "numeric",
      day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    var timeOnly = new Intl.DateTimeFormat(locale, { timeZone: "Asia/Shanghai", hour: "2-digit",
      minute: "2-digit", hourCycle: "h23" });
    var whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    var oneDecimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

    function shanghaiDay(ms) { return Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS); }
    function timeText(ms, now) {
      return (shanghaiDay(ms) === shanghaiDay(now) ? timeOnly : dayAndTime).format(new Date(ms));
    }
    function distanceText(m) {
      return m < 1000 ? fill(T.metres, { n: whole.format(Math.round(m)) }) :
        fill(T.kilometres, { n: oneDecimal.format(m / 1000) });
    }
    function direction(bearing) { return data.compass[Math.round(bearing / 45) % 8]; }
    function stateText(o, now) {
      if (o.state === "open") {
        return o.change === null ? T.state_open : fill(T.state_open_until, { time: timeText(o.change, now) });
      }
      if (o.state === "closed") {
        return o.change === null ? T.state_closed : fill(T.state_closed_opens, { time: timeText(o.change, now) });
      }
      return T.state_unknown;
    }
    function rowOpenness(i, t) { return openness(data.schedules, rows[i][F.schedule], t); }

    function candidates(t) {
      var out = [];
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        if (!courier[row[F.access]] || !page.shown(row)) { continue; }
        if (state.openNow && rowOpenness(i, t).state !== "open") { continue; }
        out.push(i);
      }
      return out;
    }

    // -- the DOM ----------------------------------------------------------------------------
    var box = el("section", "yz-nearest yz-box");
    var toggle = el("button", "yz-nearest-toggle", T.nearest);
    toggle.type = "button";
    toggle.id = "yz-nearest-title";
    toggle.setAttribute("aria-controls", "yz-nearest-body");
    box.setAttribute("aria-labelledby", toggle.id);
    var body = el("div", "yz-nearest-body");
    body.id = "yz-nearest-body";
    if (data.district) { body.appendChild(el("p", "yz-nearest-scope", fill(T.nearest_scope, { district: data.district }))); }
    var use = el("button", "yz-use-location", "◎ " + T.nearest_locate);
    use.type = "button";
    body.appendChild(use);
    var status = el("p", "yz-status", T.nearest_hint);
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    body.appendChild(status);
    var chips = el("div", "yz-chips");
    chips.setAttribute("role", "group");
    chips.setAttribute("aria-label", T.filter);
    var chipByCode = {};
    var openChip = el("button", "yz-chip yz-chip-open");
    openChip.type = "button";
    openChip.setAttribute("data-open-now", "");
    openChip.appendChild(el("span", "yz-icon", "🕒"));
    openChip.appendChild(document.createTextNode(T.open_now));
    openChip.addEventListener("click", function () { setOpenNow(!state.openNow); });
    chips.appendChild(openChip);
    data.filter.forEach(function (code) {
      var a = data.amenities.filter(function (x) { return x.code === code; })[0];
      var chip = el("button", "yz-chip");
      chip.type = "button";
      chip.setAttribute("data-amenity", code);
      chip.appendChild(el("span", "yz-icon", a.icon));
      chip.appendChild(document.createTextNode(data.lang === "en" ? a.en : a.zh));
      chip.addEventListener("click", function () { page.setAmenity(code, !page.isAmenityOn(code)); });
      chipByCode[code] = chip;
      chips.appendChild(chip);
    });
    body.appendChild(chips);
    var list = el("ol", "yz-results");
    body.appendChild(list);
    body.appendChild(el("p", "yz-hours-valid", fill(T.hours_valid, { until: data.schedules.validUntil })));
    box.appendChild(toggle);
    box.appendChild(body);

    function setExpanded(on) {
      if (on && !state.expanded) { page.onExpand(); }
      state.expanded = on;
      toggle.setAttribute("aria-expanded", String(on));
      body.hidden = !on;
      box.classList.toggle("yz-collapsed", !on);
    }
    toggle.addEventListener("click", function () { setExpanded(!state.expanded); });
    setExpanded(state.expanded);

    function syncChips() {
      data.filter.forEach(function (code) {
        chipByCode[code].setAttribute("aria-pressed", String(page.isAmenityOn(code)));
      });
      openChip.setAttribute("aria-pressed", String(state.openNow));
    }

    function resultItem(hit, now) {
      var row = rows[hit.row];
      var li = el("li", "yz-result");
      li.setAttribute("data-station-id", row[F.id]);
      var show = el("button", "yz-result-show");
      show.type = "button";
      show.setAttribute("aria-label", row[F.name] + " · " + T.show_on_map);
      show.appendChild(el("span", "yz-result-name", row[F.name]));
      show.appendChild(el("span", "yz-result-where", fill(T.away, {
        dist: distanceText(hit.distance_m), dir: direction(hit.bearing_deg) })));
      var o = rowOpenness(hit.row, now);
      var st = el("span", "yz-result-state yz-state-" + o.state, stateText(o, now));
      st.setAttribute("data-state", o.state);
      show.appendChild(st);
      show.addEventListener("click", function () {
        if (page.narrow) { setExpanded(false); }
        page.openOnMap(hit.row);
      });
      li.appendChild(show);
      var nav = el("p", "yz-nav");
      page.links(row).forEach(function (a) { nav.appendChild(a); });
      li.appendChild(nav);
      return li;
    }

    function refresh() {
      syncChips();
      while (list.firstChild) { list.removeChild(list.firstChild); }
      if (!state.rider) { return []; }
      var now = page.now();
      var hits = nearest(rows, F, candidates(now), state.rider.lon, state.rider.lat, data.nearest.k);
      if (!hits.length) { list.appendChild(el("li", "yz-none", T.nearest_none)); }
      hits.forEach(function (hit) { list.appendChild(resultItem(hit, now)); });
      return hits;
    }

    // The rider's position, WGS-84 degrees (from geolocation, or a tap converted by the map).
    function setRider(lon, lat, how) {
      state.rider = { lon: lon, lat: lat, how: how };
      if (how === "tap") { status.textContent = T.nearest_tapped; }
      setExpanded(true);
      return refresh();
    }
    function setOpenNow(on) {
      state.openNow = !!on;
      return refresh();
    }

    use.addEventListener("click", function () { page.locate(); });
    page.onFilterChange(refresh);
    syncChips();

    return {
      element: box,
      status: status,
      expanded: function () { return state.expanded; },
      setExpanded: setExpanded,
      setRider: setRider,
      setOpenNow: setOpenNow,
      refresh: refresh,
      rider: function () { return state.rider; },
      ids: function () {
        return Array.prototype.map.call(list.querySelectorAll("li[data-station-id]"),
          function (li) { return li.getAttribute("data-station-id"); });
      },
      openness: function (id, t) {
        for (var i = 0; i < rows.length; i++) {
          if (rows[i][F.id] === id) { return rowOpenness(i, t).state; }
        }
        return null;
      }
    };
  }

  window.YizhanNearest = { panel: panel, nearest: nearest, openness: openness };
})();
