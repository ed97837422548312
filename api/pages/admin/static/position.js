/* A station's position: a marker to drag (or a tap on the map) on OpenStreetMap (WGS-84) or
 * Amap (GCJ-02) tiles, and the coordinates as text in the system the editor chooses.
 *
 * What a save sends (sent()): coordinates the editor typed, exactly as typed, with their
 * system (the API converts them: ?crs=); a dragged or tapped position in WGS-84, the map's own.
 * toMap/fromMap are the one place that turns WGS-84 {lon, lat} into the tiles' datum and
 * Leaflet's [lat, lon] order. The map needs no tiles to work: the marker and typing do.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var DIGITS = 6;              // ~0.1 m: as the stations are recorded
  var SAME_DEG = 1e-6;         // ~0.1 m: closer than this to the saved position is no move
  var ZOOM = 16;
  var DEFAULT_VIEW = { lon: 108.9423, lat: 34.2610, zoom: 12 };  // Xi'an, before a station
  var LOCATE = { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 };

  function parse(text) {
    var t = String(text).trim().replace(/，/g, ",").replace(/[。．]/g, ".");
    return /^-?\d{1,3}(\.\d+)?$/.test(t) ? Number(t) : NaN;
  }

  /** parts: {map, crs, lon, lat, tiles (buttons), here, message}; onChange() after a move. */
  A.createPosition = function (parts, onChange) {
    var map = null, marker = null, tiles = null, kind = "osm";
    var base = null;          // the saved position, WGS-84 {lon, lat}, or null (new station)
    var wgs = null;           // where the marker is, WGS-84
    var typed = null;         // {crs, lon, lat} when the last change was typing
    var enabled = true;

    function crs() { return parts.crs.value || "wgs84"; }

    function toMap(p) {
      var q = A.TILES[kind].crs === "gcj02" ? A.toCrs("gcj02", p.lon, p.lat) : [p.lon, p.lat];
      return L.latLng(q[1], q[0]);
    }

    function fromMap(latlng) {
      var q = A.TILES[kind].crs === "gcj02" ? A.fromCrs("gcj02", latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
      return { lon: q[0], lat: q[1] };
    }

    function showText() {
      if (!wgs) { parts.lon.value = ""; parts.lat.value = ""; return; }
      var shown = A.toCrs(crs(), wgs.lon, wgs.lat);
      parts.lon.value = shown[0].toFixed(DIGITS);
      parts.lat.value = shown[1].toFixed(DIGITS);
    }

    function pin() {
      var inner = A.el("span", "pin-dot");
      return L.divIcon({ html: inner, className: "pin", iconSize: [44, 44], iconAnchor: [22, 40] });
    }

    function draw(pan) {
      if (!map) { return; }
      if (!wgs) {
        if (marker) { map.removeLayer(marker); marker = null; }
        return;
      }
      var at = toMap(wgs);
      if (!marker) {
        marker = L.marker(at, { icon: pin(), draggable: enabled, keyboard: true, title: A.t("marker_title"), alt: A.t("marker_title") });
        marker.on("dragend", function () { moveTo(fromMap(marker.getLatLng()), false); });
        marker.addTo(map);
      } else {
        marker.setLatLng(at);
      }
      if (pan) { map.setView(at, Math.max(map.getZoom(), ZOOM)); }
    }

    function moveTo(p, pan) {
      wgs = { lon: p.lon, lat: p.lat };
      typed = null;
      showText();
      draw(pan);
      A.message(parts.message, "");
      onChange();
    }

    function typedIn() {
      // Half typed (one of the two still empty): nothing to say yet.
      if (!parts.lon.value.trim() || !parts.lat.value.trim()) { return; }
      var lon = parse(parts.lon.value), lat = parse(parts.lat.value);
      if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) {
        A.message(parts.message, A.t("position_bad"), "error");
        return;
      }
      A.message(parts.message, "");
      var w = A.fromCrs(crs(), lon, lat);
      wgs = { lon: w[0], lat: w[1] };
      typed = { crs: crs(), lon: lon, lat: lat };
      draw(true);
      onChange();
    }

    function setTiles(next) {
      var centre = map ? fromMap(map.getCenter()) : null;
      kind = A.TILES[next] ? next : "osm";
      Array.prototype.forEach.call(parts.tiles, function (b) {
        b.setAttribute("aria-pressed", b.getAttribute("data-tiles") === kind ? "true" : "false");
      });
      if (!map) { return; }
      var source = A.TILES[kind];
      if (tiles) { map.removeLayer(tiles); }
      tiles = L.tileLayer(source.url, { subdomains: source.subdomains || "abc", maxZoom: source.maxZoom, attribution: source.attribution }).addTo(map);
      if (centre) { map.setView(toMap(centre), map.getZoom(), { animate: false }); }
      draw(false);
    }

    function build() {
      if (map || !window.L) { return; }
      map = L.map(parts.map, { zoomControl: false, attributionControl: false });
      map.setView(L.latLng(DEFAULT_VIEW.lat, DEFAULT_VIEW.lon), DEFAULT_VIEW.zoom);
      L.control.attribution({ prefix: "<a href=\"https://leafletjs.com\">Leaflet</a>" }).addTo(map);
      parts.map.setAttribute("role", "region");
      map.on("click", function (event) { if (enabled) { moveTo(fromMap(event.latlng), false); } });
      setTiles(kind);
      setLang();
    }

    var zoom = null;
    function setLang() {
      if (!map) { return; }
      if (zoom) { map.removeControl(zoom); }
      zoom = L.control.zoom({ zoomInTitle: A.t("zoom_in"), zoomOutTitle: A.t("zoom_out") }).addTo(map);
      parts.map.setAttribute("aria-label", A.t("map_label"));
      if (marker) { map.removeLayer(marker); marker = null; draw(false); }
    }

    function locate() {
      if (!navigator.geolocation || window.isSecureContext === false) {
        A.message(parts.message, A.t("locate_unavailable"), "error");
        return;
      }
      A.message(parts.message, A.t("locating"));
      navigator.geolocation.getCurrentPosition(function (found) {
        moveTo({ lon: found.coords.longitude, lat: found.coords.latitude }, true);
        A.message(parts.message, A.t("located", { m: A.number(found.coords.accuracy || 0) }), "ok");
      }, function () {
        A.message(parts.message, A.t("locate_failed"), "error");
      }, LOCATE);
    }

    parts.crs.addEventListener("change", showText);
    var later = A.debounce(typedIn, 400);
    parts.lon.addEventListener("input", later);
    parts.lat.addEventListener("input", later);
    parts.lon.addEventListener("change", typedIn);
    parts.lat.addEventListener("change", typedIn);
    parts.here.addEventListener("click", locate);
    Array.prototype.forEach.call(parts.tiles, function (b) {
      b.addEventListener("click", function () { setTiles(b.getAttribute("data-tiles")); });
    });

    return {
      /** Show a saved position (WGS-84 {lon, lat}), or none for a new station near `near`. */
      set: function (position, near) {
        build();
        base = position ? { lon: position.lon, lat: position.lat } : null;
        wgs = base ? { lon: base.lon, lat: base.lat } : null;
        typed = null;
        A.message(parts.message, "");
        showText();
        if (map) {
          map.invalidateSize();
          var centre = wgs || near || DEFAULT_VIEW;
          map.setView(toMap(centre), wgs || near ? ZOOM : DEFAULT_VIEW.zoom, { animate: false });
          if (marker) { map.removeLayer(marker); marker = null; }
          draw(false);
        }
      },
      /** Where the marker is now, WGS-84, or null. */
      value: function () { return wgs ? { lon: wgs.lon, lat: wgs.lat } : null; },
      changed: function () {
        if (!wgs) { return false; }
        return !base || Math.abs(wgs.lon - base.lon) > SAME_DEG || Math.abs(wgs.lat - base.lat) > SAME_DEG;
      },
      /** {crs, lon, lat} a save sends: as typed, or the marker's WGS-84 position. */
      sent: function () {
        if (typed) { return { crs: typed.crs, lon: typed.lon, lat: typed.lat }; }
        return wgs ? { crs: "wgs84", lon: Number(wgs.lon.toFixed(7)), lat: Number(wgs.lat.toFixed(7)) } : null;
      },
      /** Put the marker at a WGS-84 position, as if dragged there (a conflict's choice). */
      moveTo: function (p) { moveTo(p, true); },
      enable: function (on) {
        enabled = on;
        parts.lon.disabled = !on;
        parts.lat.disabled = !on;
        parts.here.disabled = !on;
        if (marker && marker.dragging) { if (on) { marker.dragging.enable(); } else { marker.dragging.disable(); } }
      },
      setLang: setLang,
      refresh: function () { if (map) { map.invalidateSize(); } },
      leaflet: function () { return map; }
    };
  };
}());
