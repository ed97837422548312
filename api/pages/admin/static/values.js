/* A station's editable values as one plain record, so the form, a save's merge patch and the
 * conflict screen compare and show them the same way.
 *
 * A record: {name, kind, address, district_code, host, phone, position: {lon, lat} (WGS-84),
 * opening_hours, amenities: [codes], access, entry, status, closed_until (ISO instant),
 * closure_reason}; an empty text is null.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var SAME_DEG = 1e-6;

  /** Every editable field, in the form's order. */
  A.FIELDS = ["name", "kind", "address", "district_code", "host", "phone", "position",
    "opening_hours", "amenities", "access", "entry", "status", "closed_until", "closure_reason"];

  function text(value) {
    if (value === null || value === undefined) { return null; }
    var t = String(value).trim();
    return t === "" ? null : t;
  }

  /** The record of a station Feature (positions in WGS-84). */
  A.recordOf = function (feature) {
    var p = feature.properties;
    var c = feature.geometry.coordinates;
    return {
      name: text(p.name), kind: text(p.kind), address: text(p.address),
      district_code: text(p.district_code), host: text(p.host), phone: text(p.phone),
      position: { lon: c[0], lat: c[1] }, opening_hours: text(p.opening_hours),
      amenities: (p.amenities || []).slice(), access: text(p.access), entry: text(p.entry),
      status: text(p.status), closed_until: text(p.closed_until), closure_reason: text(p.closure_reason)
    };
  };

  function instant(value) {
    var at = value ? new Date(value).getTime() : NaN;
    return isNaN(at) ? null : at;
  }

  /** Whether two values of `field` are the same. */
  A.sameValue = function (field, a, b) {
    if (field === "position") {
      if (!a || !b) { return !a && !b; }
      return Math.abs(a.lon - b.lon) <= SAME_DEG && Math.abs(a.lat - b.lat) <= SAME_DEG;
    }
    if (field === "amenities") { return (a || []).slice().sort().join(";") === (b || []).slice().sort().join(";"); }
    if (field === "closed_until") { return instant(a) === instant(b); }
    return text(a) === text(b);
  };

  /** The fields where two records differ, in the form's order. */
  A.differences = function (a, b) {
    return A.FIELDS.filter(function (f) { return !A.sameValue(f, a[f], b[f]); });
  };

  /** A value as a person reads it, in the console's language. */
  A.showValue = function (field, value) {
    if (field === "position") {
      return value ? value.lon.toFixed(6) + ", " + value.lat.toFixed(6) + " (WGS-84)" : A.t("value_none");
    }
    if (field === "amenities") {
      return value && value.length ? value.map(A.amenityLabel).join(A.t("list_separator")) : A.t("value_none");
    }
    if (field === "closed_until") { return value ? A.timeText(value) : A.t("value_none"); }
    if (field === "kind" || field === "access" || field === "entry" || field === "status") {
      return value ? A.word(field, value) : A.t("value_none");
    }
    if (field === "district_code" && value) {
      var name = A.districtName(value);
      return name ? value + " " + name : value;
    }
    return text(value) === null ? A.t("value_none") : String(value);
  };

  /** "2026-12-24T18:00" (China time, for <input type=datetime-local>) of an ISO instant. */
  A.localInput = function (value) {
    var at = value ? new Date(value) : null;
    if (!at || isNaN(at.getTime())) { return ""; }
    var p = A.shanghai(at);
    return p.year + "-" + p.month + "-" + p.day + "T" + p.hour + ":" + p.minute;
  };

  /** The ISO instant (+08:00) of a datetime-local value read as China time, or null. */
  A.instantOf = function (local) {
    var m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?$/.exec(local || "");
    return m ? m[1] + "T" + m[2] + (m[3] || ":00") + "+08:00" : null;
  };
}());
