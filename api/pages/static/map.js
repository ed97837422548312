/* The map: the rider and the results on OpenStreetMap (WGS-84) or Amap (GCJ-02) tiles.
 *
 * Positions come and go in WGS-84 {lon, lat}; toMap/fromMap are the one place that turns them
 * into the tiles' datum and Leaflet's [lat, lon] order. Tiles may fail (offline, blocked):
 * the list does not depend on the map, and the map does not depend on the tiles.
 */
(function () {
  "use strict";
  var R = window.YizhanRider = window.YizhanRider || {};

  var CHINA_VIEW = { centre: [35.0, 105.0], zoom: 4 };  // before any position is known
  var RIDER_ZOOM = 15;
  var FIT = { padding: [28, 28], maxZoom: 16 };

  /** The map in `element`, or null when Leaflet did not load. `onPick({lon, lat})` is called
   * when the rider taps the map; `onSelect(i)` when a result's marker is chosen. */
  R.createMap = function (element, onPick, onSelect) {
    if (!window.L) { return null; }
    var map = L.map(element, { zoomControl: false, attributionControl: false });
    map.setView(CHINA_VIEW.centre, CHINA_VIEW.zoom);
    L.control.attribution({ prefix: "<a href=\"https://leafletjs.com\">Leaflet</a>" }).addTo(map);
    var layer = L.layerGroup().addTo(map);
    var zoom = null, tiles = null, kind = "osm";
    var shown = { rider: null, features: [], fit: false };

    function toMap(lon, lat) {
      var p = R.TILES[kind].crs === "gcj02" ? R.wgsToGcj(lon, lat) : [lon, lat];
      return L.latLng(p[1], p[0]);
    }

    function fromMap(latlng) {
      var p = R.TILES[kind].crs === "gcj02" ? R.gcjToWgs(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
      return { lon: p[0], lat: p[1] };
    }

    function stationIcon(n) {
      var inner = document.createElement("span");
      inner.className = "pin-number";
      inner.textContent = String(n);
      return L.divIcon({ html: inner, className: "pin", iconSize: [44, 44], iconAnchor: [22, 22] });
    }

    function draw(fit) {
      layer.clearLayers();
      var points = [];
      shown.features.forEach(function (feature, i) {
        var c = feature.geometry.coordinates;
        var at = toMap(c[0], c[1]);
        points.push(at);
        var marker = L.marker(at, {
          icon: stationIcon(i + 1),
          title: R.t("marker_title", { n: i + 1, name: feature.properties.name }),
          keyboard: true
        });
        marker.on("click", function () { onSelect(i); });
        layer.addLayer(marker);
      });
      if (shown.rider) {
        var here = toMap(shown.rider.lon, shown.rider.lat);
        points.push(here);
        layer.addLayer(L.circleMarker(here, {
          radius: 9, color: "#ffffff", weight: 3, fillColor: "#1a56db", fillOpacity: 1,
          interactive: false
        }));
      }
      if (!fit || points.length === 0) { return; }
      if (points.length === 1) {
        map.setView(points[0], RIDER_ZOOM);
      } else {
        map.fitBounds(L.latLngBounds(points), FIT);
      }
    }

    function setTiles(next) {
      var centre = tiles ? fromMap(map.getCenter()) : null;
      kind = R.TILES[next] ? next : "osm";
      var source = R.TILES[kind];
      if (tiles) { map.removeLayer(tiles); }
      tiles = L.tileLayer(source.url, {
        subdomains: source.subdomains || "abc",
        maxZoom: source.maxZoom,
        attribution: source.attribution
      }).addTo(map);
      if (centre) { map.setView(toMap(centre.lon, centre.lat), map.getZoom(), { animate: false }); }
      draw(false);
    }

    function setLang() {
      if (zoom) { map.removeControl(zoom); }
      zoom = L.control.zoom({
        zoomInTitle: R.t("zoom_in"), zoomOutTitle: R.t("zoom_out"), position: "topleft"
      }).addTo(map);
      element.setAttribute("aria-label", R.t("map_label"));
      draw(false);
    }

    element.setAttribute("role", "region");
    map.on("click", function (event) { onPick(fromMap(event.latlng)); });
    setTiles("osm");
    setLang();

    return {
      leaflet: map,
      setTiles: setTiles,
      setLang: setLang,
      /** Draw the rider (WGS-84 {lon, lat} or null) and the result features; fit them in. */
      show: function (rider, features, fit) {
        shown.rider = rider;
        shown.features = features || [];
        draw(fit);
      },
      centre: function () { return fromMap(map.getCenter()); },
      focus: function () { element.focus(); },
      refresh: function () { map.invalidateSize(); },
      toMap: toMap
    };
  };
}());
