/* Yizhan static station map (api/maps). Builds everything from one embedded JSON block:
 * clustered markers (one cluster group; one toggle layer per kind), an amenity filter, legend, popups,
 * locate-me, the nearest-stations panel (yizhan-nearest.js) and optional coverage circles.
 *
 * Phone first: the filter panel and the nearest panel fold away (folded by default on narrow
 * screens), a popup is kept clear of both (autoPan padding and a height that fits between
 * them), and every control is a touch target of at least 44 x 44 px with a text label.
 *
 * Station data is inert here: strings from the data are only ever set with textContent, as
 * DOM properties (title, alt), or as URL parameters through encodeURIComponent behind a fixed
 * https:// or tel: prefix. Nothing from the data goes through innerHTML. The one image source
 * is a photo thumbnail Python encoded itself, and only a data:image/jpeg;base64 URI is used.
 * Positions arrive already converted (tile datum, Leaflet [lat, lon] order) by Python.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : all;
    });
  }

  // Leaflet's layer control sets its labels with innerHTML; ours are our own words and
  // numbers, escaped all the same.
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return "&#" + c.charCodeAt(0) + ";";
    });
  }

  // The page's clock: ?now=<ISO 8601 instant with offset> in the page's address (for tests and
  // for checking a page against a given time), or yizhan.setNow(ms), else the device's clock.
  function clockFromQuery() {
    var match = /[?&]now=([^&#]*)/.exec(window.location.search);
    var ms = match ? Date.parse(decodeURIComponent(match[1])) : NaN;
    return isFinite(ms) ? ms : null;
  }

  // WGS-84 -> GCJ-02, the published formula as in geo/crs.py (same box, same constants).
  // Only for the rider's own position on Amap-tile pages; station positions come converted.
  function wgsToGcj(lon, lat) {
    if (!(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271)) {
      return [lon, lat];
    }
    var PI = Math.PI, A = 6378245.0, EE = 0.00669342162296594323;
    var x = lon - 105.0, y = lat - 35.0;
    var shared = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var sq = Math.sqrt(Math.abs(x));
    var north = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq + shared;
    north += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    north += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var east = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq + shared;
    east += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    east += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var radLat = lat / 180.0 * PI;
    var magic = 1.0 - EE * Math.sin(radLat) * Math.sin(radLat);
    var sqrtMagic = Math.sqrt(magic);
    var dLat = (north * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtMagic) * PI);
    var dLon = (east * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [lon + dLon, lat + dLat];
  }

  // GCJ-02 -> WGS-84 by fixed-point iteration on wgsToGcj (converges to ~1e-9 degree): for a
  // spot tapped on Amap tiles, which the nearest search measures from in WGS-84.
  function gcjToWgs(lon, lat) {
    var w = [lon, lat];
    for (var i = 0; i < 30; i++) {
      var g = wgsToGcj(w[0], w[1]);
      var dLon = g[0] - lon, dLat = g[1] - lat;
      w = [w[0] - dLon, w[1] - dLat];
      if (Math.abs(dLon) < 1e-12 && Math.abs(dLat) < 1e-12) { break; }
    }
    return w;
  }

  // A geodesic circle: semi-axes in degrees computed in Python (pyproj Geod), drawn as an
  // ellipse in the map's projection instead of Leaflet's spherical approximation.
  var GeodesicCircle = L.Circle.extend({
    _project: function () {
      var map = this._map, c = this._latlng;
      var p = map.project(c);
      var top = map.project(L.latLng(c.lat + this.options.dLat, c.lng));
      var right = map.project(L.latLng(c.lat, c.lng + this.options.dLon));
      this._point = p.subtract(map.getPixelOrigin());
      this._radius = right.x - p.x;
      this._radiusY = p.y - top.y;
      this._updateBounds();
    }
  });

  function start(map, dataId) {
    var startedMs = performance.now();
    var data = JSON.parse(document.getElementById(dataId).textContent);
    var parsedMs = performance.now();
    var T = data.text;
    var F = {};
    data.fields.forEach(function (name, i) { F[name] = i; });
    var rows = data.stations;
    var amenityBit = {}, amenityByCode = {};
    data.amenities.forEach(function (a, i) {
      amenityBit[a.code] = 1 << i;
      amenityByCode[a.code] = a;
    });
    var state = { mask: 0, nowMs: clockFromQuery() };
    var photos = (data.photos && data.photos.byId) || {};
    var JPEG_URI = "data:image/jpeg;base64,";
    var hoursWords = new Map(data.hoursWords);
    var narrow = window.innerWidth < 600;

    function now() { return state.nowMs === null ? Date.now() : state.nowMs; }

    // The page's language only: a Chinese page lists 微波炉, an English one Microwave.
    function amenityLabel(a) { return data.lang === "en" ? a.en : a.zh; }

    // -- markers in one cluster group; each kind is a toggle layer that filters it --------
    var cluster = L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 50,
      iconCreateFunction: function (group) {
        var n = group.getChildCount();
        var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
        var inner = el("div");
        inner.appendChild(el("span", null, n));
        return L.divIcon({
          html: inner,
          className: "marker-cluster marker-cluster-" + size + " yz-cluster",
          iconSize: L.point(44, 44)  // a touch target
        });
      }
    });
    var kindLayers = data.kinds.map(function () { return L.layerGroup(); });
    // A 28 px pin drawn by CSS (.yz-pin-<kind>::before) inside a 44 px touch target.
    var icons = data.kinds.map(function (kind) {
      return L.divIcon({
        html: "",
        className: "yz-pin yz-pin-" + kind.code,
        iconSize: [44, 44],
        iconAnchor: [22, 22]
      });
    });
    var markers = rows.map(function (row, i) {
      var marker = L.marker(row[F.latlng], {
        icon: icons[row[F.kind]],
        title: row[F.name],  // set by Leaflet as a DOM property: inert
        keyboard: true,
        riseOnHover: true
      });
      marker.yizhanRow = i;
      return marker;
    });
    var byId = {};
    rows.forEach(function (row, i) { byId[row[F.id]] = markers[i]; });

    // -- popup, built on demand with textContent -----------------------------------------
    function field(list, label, value, link) {
      if (value === null || value === undefined || value === "") { return; }
      list.appendChild(el("dt", null, label));
      var dd = el("dd");
      if (link) {
        var a = el("a", null, value);
        a.href = link;
        dd.appendChild(a);
      } else {
        dd.textContent = value;
      }
      list.appendChild(dd);
    }

    function amapUrl(row) {
      var g = row[F.gcj02];
      return "https://uri.amap.com/navigation?to=" +
        encodeURIComponent(g[0] + "," + g[1] + "," + row[F.name]) +
        "&mode=ride&coordinate=gaode&callnative=1";
    }

    function baiduUrl(row) {
      var b = row[F.bd09];
      return "https://api.map.baidu.com/marker?location=" + encodeURIComponent(b[1] + "," + b[0]) +
        "&title=" + encodeURIComponent(row[F.name]) +
        "&content=" + encodeURIComponent(row[F.address] || "") +
        "&coord_type=bd09ll&output=html&src=yizhan";
    }

    // A temporary closure still running on the viewer's clock (the page may be kept long after
    // it was built: Python left out the closures over by then, this hides the ones over since).
    // Rows leave out trailing null columns: a missing closure (or entry, verified) is undefined.
    function closureNow(row) {
      var closure = row[F.closure];
      return closure && now() < closure[0] ? closure : null;
    }

    // The two navigation links of a station, for its popup and its line in the nearest list.
    function navLinks(row) {
      return [[T.nav_amap, amapUrl(row), "amap"], [T.nav_baidu, baiduUrl(row), "baidu"]].map(
        function (link) {
          var a = el("a", "yz-nav-" + link[2], link[0]);
          a.href = link[1];
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          return a;
        });
    }

    // Opening hours in plain words (stations/hours_text.py, done in Python), else as written.
    function hoursText(row) {
      var text = row[F.hours];
      if (!text) { return T.hours_unknown; }
      return hoursWords.has(text) ? hoursWords.get(text) : text;
    }

    function photoImage(row) {
      var photo = Object.prototype.hasOwnProperty.call(photos, row[F.id]) ? photos[row[F.id]] : null;
      if (!photo || typeof photo[0] !== "string" || photo[0].indexOf(JPEG_URI) !== 0) {
        return null;
      }
      var img = el("img", "yz-photo");
      img.width = photo[1];  // reserves the space before the image is decoded
      img.height = photo[2];
      img.alt = row[F.name];  // a DOM property: inert
      img.src = photo[0];
      return img;
    }

    function popupContent(row) {
      var box = el("div", "yz-popup");
      box.setAttribute("data-station-id", row[F.id]);
      box.appendChild(el("h3", "yz-name", row[F.name]));
      box.appendChild(el("p", "yz-kind", data.kinds[row[F.kind]].label));
      var closure = closureNow(row);
      if (closure) {
        var closed = el("p", "yz-closure", closure[2] ?
          fill(T.closed_until_reason, { until: closure[1], reason: closure[2] }) :
          fill(T.closed_until, { until: closure[1] }));
        closed.setAttribute("role", "note");
        box.appendChild(closed);
      }
      var img = photoImage(row);
      if (img) { box.appendChild(img); }
      var list = el("dl");
      field(list, T.address, row[F.address]);
      field(list, T.hours, hoursText(row));
      field(list, T.access, data.access[row[F.access]].label);
      if (row[F.entry] != null) { field(list, T.entry, data.entries[row[F.entry]].label); }
      var phone = row[F.phone];
      var digits = phone ? String(phone).replace(/[^0-9+]/g, "") : "";
      field(list, T.phone, phone, digits ? "tel:" + digits : null);
      field(list, T.host, row[F.host]);
      box.appendChild(list);
      var ul = el("ul", "yz-amenities");
      data.amenities.forEach(function (a) {
        var bit = amenityBit[a.code];
        if (row[F.amenities] & bit) {
          var broken = !(row[F.working] & bit);
          var li = el("li", broken ? "yz-broken" : null);
          li.setAttribute("data-amenity", a.code);
          var name = el("span", "yz-amenity-name");
          name.appendChild(el("span", "yz-icon", a.icon));
          name.appendChild(document.createTextNode(" " + amenityLabel(a)));
          li.appendChild(name);
          if (broken) {
            li.setAttribute("data-out-of-order", "");
            li.appendChild(document.createTextNode(" "));
            li.appendChild(el("span", "yz-broken-label", T.out_of_order));
          }
          ul.appendChild(li);
        }
      });
      if (!ul.firstChild) { ul.appendChild(el("li", "yz-none", T.no_amenities)); }
      box.appendChild(el("p", "yz-label", T.amenities));
      box.appendChild(ul);
      if (row[F.verified]) {
        box.appendChild(el("p", "yz-verified", fill(T.verified, { date: row[F.verified] })));
      }
      if (row[F.osm]) { box.appendChild(el("p", "yz-source", T.osm_source)); }
      var nav = el("p", "yz-nav");
      navLinks(row).forEach(function (a) { nav.appendChild(a); });
      box.appendChild(nav);
      return box;
    }

    // What covers the map's top and bottom edges (the controls in its corners), in px.
    function coveredEdges() {
      var frame = map.getContainer().getBoundingClientRect();
      var edges = { top: 0, bottom: 0 };
      map.getContainer().querySelectorAll(".leaflet-control").forEach(function (control) {
        var r = control.getBoundingClientRect();
        if (!r.height || control.classList.contains("leaflet-control-attribution")) { return; }
        if (control.parentNode.classList.contains("leaflet-top")) {
          edges.top = Math.max(edges.top, r.bottom - frame.top);
        } else {
          edges.bottom = Math.max(edges.bottom, frame.bottom - r.top);
        }
      });
      return edges;
    }

    var POPUP_GAP = 8, POPUP_TIP = 28;  // px: clear of the controls; the tip and its offset
    var popup = L.popup({ maxWidth: 320, minWidth: 220, offset: [0, -8], autoPanPadding: [24, 24] });
    function openStation(marker) {
      // On a phone the panels fold away first; then the popup fits between what is left, its
      // content scrolling (name and address first) when it is taller than that.
      if (narrow) { filterPanel.setExpanded(false); nearestPanel.setExpanded(false); }
      var edges = coveredEdges();
      var height = map.getSize().y;
      popup.options.autoPanPaddingTopLeft = L.point(POPUP_GAP, edges.top + POPUP_GAP);
      popup.options.autoPanPaddingBottomRight = L.point(POPUP_GAP, edges.bottom + POPUP_GAP);
      popup.options.maxHeight = Math.max(160, height - edges.top - edges.bottom - POPUP_TIP - 3 * POPUP_GAP);
      popup.options.maxWidth = Math.min(320, map.getSize().x - 2 * POPUP_GAP - 40);
      popup.setLatLng(marker.getLatLng())
        .setContent(popupContent(rows[marker.yizhanRow]))
        .openOn(map);
      var close = popup.getElement() && popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", T.close); close.title = T.close; }
    }
    cluster.on("click", function (e) { openStation(e.layer); });
    // From the nearest list: bring the marker out of its cluster, then open it.
    function openOnMap(i) {
      var marker = markers[i];
      if (!cluster.hasLayer(marker)) { return; }
      cluster.zoomToShowLayer(marker, function () { openStation(marker); });
    }

    // -- coverage circles (off by default) -----------------------------------------------
    // Each radius draws opaque discs on its own canvas in a translucent pane: overlaps do not
    // darken, so the covered area reads as one shape and the gaps between stations stand out.
    var COVERAGE_COLOURS = ["#2b8a3e", "#1c7ed6", "#e8590c", "#7048e8"];
    var coverageLayers = [];
    if (data.coverage) {
      data.coverage.radii.forEach(function (radius, j) {
        var pane = map.createPane("yz-coverage-" + j);
        pane.style.zIndex = String(350 + j);
        pane.style.opacity = "0.3";
        pane.style.pointerEvents = "none";
        var layer = L.layerGroup();
        layer.yizhanRadius = radius;
        layer.yizhanRenderer = L.canvas({ pane: "yz-coverage-" + j, padding: 0.3 });
        layer.on("add", function () { fillCoverage(layer, j); });
        coverageLayers.push(layer);
      });
    }
    function fillCoverage(layer, j) {
      var unit = data.coverage.unitDeg, offsets = data.coverage.offsets;
      var colour = COVERAGE_COLOURS[j % COVERAGE_COLOURS.length];
      layer.clearLayers();
      rows.forEach(function (row, i) {
        if (!shown(row)) { return; }
        layer.addLayer(new GeodesicCircle(row[F.latlng], {
          radius: data.coverage.radii[j],
          dLat: offsets[i][2 * j] * unit,
          dLon: offsets[i][2 * j + 1] * unit,
          renderer: layer.yizhanRenderer,
          pane: "yz-coverage-" + j,
          interactive: false,
          stroke: false,
          fillColor: colour,
          fillOpacity: 1
        }));
      });
    }

    // -- filtering -----------------------------------------------------------------------
    function kindShown(k) { return map.hasLayer(kindLayers[k]); }
    // The filter counts working amenities only: one out of order does not qualify a station.
    function shown(row) {
      return (row[F.working] & state.mask) === state.mask && kindShown(row[F.kind]);
    }
    var filterListeners = [];
    var countNode = el("span", "yz-count");
    countNode.id = "yz-count";
    countNode.setAttribute("data-total", String(rows.length));
    function updateCount() {
      var n = 0;
      rows.forEach(function (row) { if (shown(row)) { n += 1; } });
      countNode.setAttribute("data-shown", String(n));
      countNode.textContent = n === rows.length ? fill(T.count, { n: rows.length }) :
        fill(T.shown, { shown: n, n: rows.length });
      coverageLayers.forEach(function (layer, j) {
        if (map.hasLayer(layer)) { fillCoverage(layer, j); }
      });
    }
    function applyFilter() {
      cluster.clearLayers();
      cluster.addLayers(markers.filter(function (marker, i) { return shown(rows[i]); }));
      updateCount();
      filterListeners.forEach(function (listener) { listener(); });
    }
    // One filter, two views: the panel's check boxes and the nearest panel's chips.
    var boxes = {};
    function isAmenityOn(code) { return (state.mask & amenityBit[code]) !== 0; }
    function setAmenity(code, on) {
      state.mask = on ? state.mask | amenityBit[code] : state.mask & ~amenityBit[code];
      if (boxes[code]) { boxes[code].checked = on; }
      applyFilter();
    }

    // -- panel: title, count, data date, filter, legend; folds away ----------------------
    var filterPanel = null;
    var Panel = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var outer = el("div", "yz-panel yz-box");
        var toggle = el("button", "yz-panel-toggle", "☰ " + T.panel);
        toggle.type = "button";
        toggle.setAttribute("aria-controls", "yz-panel-body");
        var panel = el("div", "yz-panel-body");
        panel.id = "yz-panel-body";
        outer.appendChild(toggle);
        outer.appendChild(panel);
        var setExpanded = function (on) {
          // On a phone one panel at a time: this one would lie under the nearest panel.
          if (on && narrow && nearestPanel) { nearestPanel.setExpanded(false); }
          toggle.setAttribute("aria-expanded", String(on));
          panel.hidden = !on;
          outer.classList.toggle("yz-collapsed", !on);
        };
        toggle.addEventListener("click", function () { setExpanded(panel.hidden); });
        setExpanded(!narrow);
        this.setExpanded = setExpanded;
        panel.appendChild(el("h1", "yz-title", data.title));
        var meta = el("p", "yz-meta");
        meta.appendChild(countNode);
        if (data.dataDate) {
          meta.appendChild(document.createTextNode(" · " + T.data_date + " "));
          meta.appendChild(el("time", "yz-date", data.dataDate));
        }
        panel.appendChild(meta);
        if (data.photos && data.photos.count) {
          panel.appendChild(el("p", "yz-photo-note",
            fill(T.photo_note, { n: data.photos.count, kb: data.photos.kb })));
        }
        if (!rows.length) { panel.appendChild(el("p", "yz-empty", T.no_stations)); }

        var filter = el("details", "yz-filter");
        filter.open = true;  // the panel itself folds away on a phone
        filter.appendChild(el("summary", null, T.filter));
        data.filter.forEach(function (code) {
          var a = amenityByCode[code];
          var label = el("label");
          var box = el("input");
          box.type = "checkbox";
          box.value = code;
          box.addEventListener("change", function () { setAmenity(code, box.checked); });
          boxes[code] = box;
          label.appendChild(box);
          label.appendChild(el("span", "yz-icon", a.icon));
          label.appendChild(document.createTextNode(" " + amenityLabel(a)));
          filter.appendChild(label);
        });
        panel.appendChild(filter);

        var legend = el("details", "yz-legend");
        legend.appendChild(el("summary", null, T.legend));
        var kinds = el("ul");
        data.kinds.forEach(function (kind) {
          var li = el("li");
          li.appendChild(el("span", "yz-swatch yz-pin yz-pin-" + kind.code));
          li.appendChild(document.createTextNode(" " + kind.label + " (" + kind.count + ")"));
          kinds.appendChild(li);
        });
        legend.appendChild(kinds);
        var icons = el("ul", "yz-legend-amenities");
        data.amenities.forEach(function (a) {
          var li = el("li");
          li.appendChild(el("span", "yz-icon", a.icon));
          li.appendChild(document.createTextNode(" " + amenityLabel(a)));
          icons.appendChild(li);
        });
        legend.appendChild(icons);
        panel.appendChild(legend);
        L.DomEvent.disableClickPropagation(outer);
        L.DomEvent.disableScrollPropagation(outer);
        return outer;
      }
    });

    // -- locate me: never throws, never alerts; failures become a status line ------------
    var here = null;
    var Locate = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = el("div", "leaflet-bar yz-locate");
        var button = el("a", null, "◎ " + T.locate_short);
        button.href = "#";
        button.title = T.locate;
        button.setAttribute("role", "button");
        button.setAttribute("aria-label", T.locate);
        L.DomEvent.disableClickPropagation(bar);
        L.DomEvent.on(button, "click", function (e) {
          L.DomEvent.preventDefault(e);
          locate();
        });
        bar.appendChild(button);
        return bar;
      }
    });
    function locate() {
      nearestPanel.setExpanded(true);
      var status = nearestPanel.status;
      if (!("geolocation" in navigator)) {
        status.textContent = T.locate_unsupported;
        return;
      }
      status.textContent = T.locating;
      map.locate({ setView: false, enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }
    // The rider's spot drawn in the tiles' datum: ``where`` is already in it.
    function drawRider(where, accuracy) {
      if (here) { map.removeLayer(here); }
      var parts = [L.circleMarker(where, { radius: 7, weight: 2, color: "#fff", fillColor: "#1c7ed6",
        fillOpacity: 1, interactive: false })];
      if (accuracy) {
        parts.unshift(L.circle(where, { radius: accuracy, weight: 1, fillOpacity: 0.1, interactive: false }));
      }
      here = L.featureGroup(parts).addTo(map);
      here.yizhanLatLng = where;
    }
    map.on("locationfound", function (e) {
      // Geolocation gives WGS-84: the search measures from it as it is; Amap tiles draw GCJ-02.
      var lonlat = data.gcj02 ? wgsToGcj(e.latlng.lng, e.latlng.lat) : [e.latlng.lng, e.latlng.lat];
      var where = L.latLng(lonlat[1], lonlat[0]);
      drawRider(where, e.accuracy);
      nearestPanel.status.textContent = fill(T.located, { m: Math.round(e.accuracy) });
      var hits = nearestPanel.setRider(e.latlng.lng, e.latlng.lat, "gps");
      // Show the rider and the stations listed, in the part of the map the panels leave free.
      var edges = coveredEdges();
      var view = L.latLngBounds([where]);
      hits.forEach(function (hit) { view.extend(rows[hit.row][F.latlng]); });
      map.fitBounds(view, { animate: false, maxZoom: 16,
        paddingTopLeft: [24, edges.top + 24], paddingBottomRight: [24, edges.bottom + 24] });
    });
    map.on("locationerror", function (e) {
      nearestPanel.setExpanded(true);
      nearestPanel.status.textContent = e.code === 1 ? T.locate_denied : T.locate_failed;
    });
    // A tap on the map (with the nearest panel open) chooses the rider's spot; a tap that only
    // closes a popup does not. Popups close on "preclick", after this listener has seen them.
    var tapClosesPopup = false;
    map.on("preclick", function () { tapClosesPopup = popup.isOpen(); });
    map.on("click", function (e) {
      if (tapClosesPopup || !nearestPanel.expanded()) { tapClosesPopup = false; return; }
      var wgs = data.gcj02 ? gcjToWgs(e.latlng.lng, e.latlng.lat) : [e.latlng.lng, e.latlng.lat];
      drawRider(e.latlng, 0);
      nearestPanel.setRider(wgs[0], wgs[1], "tap");
    });

    var nearestPanel = YizhanNearest.panel({
      map: map, data: data, rows: rows, F: F, T: T, el: el, fill: fill, now: now, narrow: narrow,
      shown: shown, isAmenityOn: isAmenityOn, setAmenity: setAmenity, openOnMap: openOnMap,
      links: navLinks, locate: locate,
      onExpand: function () { if (narrow && filterPanel) { filterPanel.setExpanded(false); } },
      onFilterChange: function (listener) { filterListeners.push(listener); }
    });
    var Nearest = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        L.DomEvent.disableClickPropagation(nearestPanel.element);
        L.DomEvent.disableScrollPropagation(nearestPanel.element);
        return nearestPanel.element;
      }
    });

    // -- assemble ------------------------------------------------------------------------
    var overlays = {};
    data.kinds.forEach(function (kind, k) {
      overlays['<span class="yz-swatch yz-pin yz-pin-' + escapeHtml(kind.code) + '"></span> ' +
        escapeHtml(kind.label + " (" + kind.count + ")")] = kindLayers[k];
      kindLayers[k].addTo(map);
    });
    coverageLayers.forEach(function (layer) {
      overlays[escapeHtml(fill(T.coverage, { r: layer.yizhanRadius }))] = layer;
    });
    map.addControl(new Locate());
    filterPanel = new Panel();
    map.addControl(filterPanel);
    L.control.layers(null, overlays, { collapsed: narrow, position: "topright" }).addTo(map);
    map.addControl(new Nearest());
    map.on("overlayadd overlayremove", function (e) {
      if (kindLayers.indexOf(e.layer) >= 0) { applyFilter(); }
    });
    // Set before anything needs it: this runs before the tile layer exists, and the cluster
    // group computes its levels up to the map's maximum zoom.
    map.setMaxZoom(data.maxZoom);
    if (data.bounds) {
      map.fitBounds(data.bounds, { animate: false, padding: [24, 24], maxZoom: 16 });
    }
    cluster.addTo(map);
    applyFilter();

    // For tests and for people poking at the page in a console.
    window.yizhan = {
      map: map,
      data: data,
      markers: markers,
      cluster: cluster,
      kindLayers: kindLayers,
      coverage: coverageLayers,
      marker: function (id) { return byId[id] || null; },
      open: openStation,
      located: function () { return here ? here.yizhanLatLng : null; },
      wgsToGcj: wgsToGcj,
      gcjToWgs: gcjToWgs,
      // The nearest panel, driven as a rider would (tests call these directly).
      nearest: nearestPanel,
      setRider: nearestPanel.setRider,
      setOpenNow: nearestPanel.setOpenNow,
      setAmenity: setAmenity,
      isAmenityOn: isAmenityOn,
      nearestIds: nearestPanel.ids,
      openness: nearestPanel.openness,
      now: now,
      setNow: function (ms) { state.nowMs = ms === null ? null : Number(ms); return nearestPanel.refresh(); },
      timing: { start: startedMs, parsed: parsedMs, ready: performance.now() },
      ready: true
    };
    document.documentElement.setAttribute("data-yizhan-ready", String(rows.length));
  }

  window.Yizhan = { start: start };
})();
