/* Positions typed or shown in WGS-84, GCJ-02 (Amap, Tencent) or BD-09 (Baidu), for the map only.
 *
 * What is saved is never converted here: typed coordinates are sent as typed with ?crs= and
 * the API converts them (geo/crs.py). This file only moves the map's marker to where typed
 * coordinates point, and shows a dragged marker's position in the chosen system. GCJ-02 comes
 * from the rider page's port (/static/rider/crs.js, window.YizhanRider); BD-09 is Baidu's
 * published formula on top of it, its inverse by the same fixed-point iteration as geo/crs.py.
 * Longitude first, degrees. tests/api/test_admin_console.py compares both with geo.crs.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};
  var R = window.YizhanRider;

  var X_PI = Math.PI * 3000.0 / 180.0;
  var OFFSET_LON = 0.0065;
  var OFFSET_LAT = 0.006;
  var TOLERANCE_DEG = 1e-10;
  var MAX_ITERATIONS = 20;

  A.CRS = ["wgs84", "gcj02", "bd09"];

  function gcjToBd(lon, lat) {
    var z = Math.hypot(lon, lat) + 0.00002 * Math.sin(lat * X_PI);
    var theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
    return [z * Math.cos(theta) + OFFSET_LON, z * Math.sin(theta) + OFFSET_LAT];
  }

  function bdToGcj(lon, lat) {
    // Baidu's approximate inverse as the start, then w <- w - (f(w) - target).
    var x = lon - OFFSET_LON, y = lat - OFFSET_LAT;
    var z = Math.hypot(x, y) - 0.00002 * Math.sin(y * X_PI);
    var theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
    var gLon = z * Math.cos(theta), gLat = z * Math.sin(theta);
    for (var i = 0; i < MAX_ITERATIONS; i++) {
      var f = gcjToBd(gLon, gLat);
      var rLon = f[0] - lon, rLat = f[1] - lat;
      if (!(Math.abs(rLon) >= TOLERANCE_DEG || Math.abs(rLat) >= TOLERANCE_DEG)) { break; }
      gLon -= rLon;
      gLat -= rLat;
    }
    return [gLon, gLat];
  }

  /** WGS-84 [lon, lat] in `crs`. */
  A.toCrs = function (crs, lon, lat) {
    if (crs === "gcj02") { return R.wgsToGcj(lon, lat); }
    if (crs === "bd09") { var g = R.wgsToGcj(lon, lat); return gcjToBd(g[0], g[1]); }
    return [lon, lat];
  };

  /** [lon, lat] in `crs` to WGS-84. */
  A.fromCrs = function (crs, lon, lat) {
    if (crs === "gcj02") { return R.gcjToWgs(lon, lat); }
    if (crs === "bd09") { var g = bdToGcj(lon, lat); return R.gcjToWgs(g[0], g[1]); }
    return [lon, lat];
  };
}());
