/* WGS-84 <-> GCJ-02 for the map on Amap tiles, ported operation for operation from geo/crs.py
 * (the published transformLat/transformLon polynomials on the Krasovsky 1940 ellipsoid; the
 * same "in China" rectangle; the inverse by the same fixed-point iteration to 1e-10 degrees).
 * Longitude first, degrees. tests/api/test_rider_page.py compares both with geo.crs.
 */
(function () {
  "use strict";
  var R = window.YizhanRider = window.YizhanRider || {};

  var KRASOVSKY_A_M = 6378245.0;
  var KRASOVSKY_E2 = 0.00669342162296594323;
  var BOX = { lonMin: 72.004, lonMax: 137.8347, latMin: 0.8293, latMax: 55.8271 };
  var TOLERANCE_DEG = 1e-10;
  var MAX_ITERATIONS = 20;
  var PI = Math.PI;

  function inChina(lon, lat) {
    return lon >= BOX.lonMin && lon <= BOX.lonMax && lat >= BOX.latMin && lat <= BOX.latMax;
  }

  // The GCJ-02 offset [dLon, dLat] in degrees at WGS-84 (lon, lat), ignoring the box.
  function gcjShift(lon, lat) {
    var sin = Math.sin;
    var x = lon - 105.0;
    var y = lat - 35.0;
    var shared = (20.0 * sin(6.0 * x * PI) + 20.0 * sin(2.0 * x * PI)) * 2.0 / 3.0;
    var sqrtAbsX = Math.sqrt(Math.abs(x));
    var northM = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrtAbsX;
    northM += shared;
    northM += (20.0 * sin(y * PI) + 40.0 * sin(y / 3.0 * PI)) * 2.0 / 3.0;
    northM += (160.0 * sin(y / 12.0 * PI) + 320.0 * sin(y * PI / 30.0)) * 2.0 / 3.0;
    var eastM = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrtAbsX;
    eastM += shared;
    eastM += (20.0 * sin(x * PI) + 40.0 * sin(x / 3.0 * PI)) * 2.0 / 3.0;
    eastM += (150.0 * sin(x / 12.0 * PI) + 300.0 * sin(x / 30.0 * PI)) * 2.0 / 3.0;
    // Metres to degrees through the Krasovsky radii of curvature (meridional and prime vertical).
    var radLat = lat / 180.0 * PI;
    var sinLat = sin(radLat);
    var magic = 1.0 - KRASOVSKY_E2 * (sinLat * sinLat);
    var sqrtMagic = Math.sqrt(magic);
    var meridional = (KRASOVSKY_A_M * (1.0 - KRASOVSKY_E2)) / (magic * sqrtMagic);
    var dLat = (northM * 180.0) / (meridional * PI);
    var dLon = (eastM * 180.0) / (KRASOVSKY_A_M / sqrtMagic * Math.cos(radLat) * PI);
    return [dLon, dLat];
  }

  /** WGS-84 [lon, lat] to GCJ-02; unchanged outside the box. */
  R.wgsToGcj = function (lon, lat) {
    if (!inChina(lon, lat)) { return [lon, lat]; }
    var d = gcjShift(lon, lat);
    return [lon + d[0], lat + d[1]];
  };

  /** GCJ-02 [lon, lat] to WGS-84 by iteration (wgsToGcj of the answer is the input to within
   * 1e-10 degrees); unchanged where the GCJ-02 input is outside the box. */
  R.gcjToWgs = function (lon, lat) {
    if (!inChina(lon, lat)) { return [lon, lat]; }
    var wLon = lon, wLat = lat;
    for (var i = 0; i < MAX_ITERATIONS; i++) {
      var d = gcjShift(wLon, wLat);
      var rLon = wLon + d[0] - lon;
      var rLat = wLat + d[1] - lat;
      if (!(Math.abs(rLon) >= TOLERANCE_DEG || Math.abs(rLat) >= TOLERANCE_DEG)) { break; }
      wLon -= rLon;
      wLat -= rLat;
    }
    return [wLon, wLat];
  };
}());
