/* The result list: one card per station of a nearest answer, in the page's language.
 *
 * Station data is text, never markup: every string from the answer is set with textContent or
 * as a DOM property/attribute; links are used only behind their known https:// prefixes (and
 * tel: with digits only).
 */
(function () {
  "use strict";
  var R = window.YizhanRider = window.YizhanRider || {};

  var SVG = "http://www.w3.org/2000/svg";
  var LINK_PREFIX = { amap: "https://uri.amap.com/", baidu: "https://api.map.baidu.com/" };
  var REPORT_KEYS = ["confirmed_ok", "hours_wrong", "amenity_missing", "amenity_broken", "other"];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  R.el = el;

  R.amenityLabel = function (code) {
    for (var i = 0; i < R.AMENITIES.length; i++) {
      if (R.AMENITIES[i][0] === code) { return R.AMENITIES[i][R.lang === "en" ? 2 : 1]; }
    }
    return code;
  };

  function arrow(bearingDeg) {
    var box = el("span", "arrow");
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", R.directionText(bearingDeg));
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", "M12 2 L20 21 L12 16.5 L4 21 Z");
    svg.appendChild(path);
    svg.style.transform = "rotate(" + Number(bearingDeg) + "deg)";
    box.appendChild(svg);
    return box;
  }

  function amenityList(props) {
    var broken = props.out_of_order || {};
    var list = el("ul", "amenities");
    list.setAttribute("aria-label", R.t("amenities_label"));
    if (!props.amenities || !props.amenities.length) {
      list.appendChild(el("li", "none", R.t("no_amenities")));
      return list;
    }
    props.amenities.forEach(function (code) {
      var item = el("li", null, R.amenityLabel(code));
      item.setAttribute("data-amenity", code);
      if (Object.prototype.hasOwnProperty.call(broken, code)) {
        item.className = "broken";
        item.appendChild(el("span", "broken-label", R.t("out_of_order")));
      }
      list.appendChild(item);
    });
    return list;
  }

  function hoursText(props) {
    var readable = props.opening_hours_text && props.opening_hours_text[R.lang];
    var hours = readable || props.opening_hours;
    return hours ? R.t("hours", { hours: hours }) : R.t("hours_none");
  }

  function accessText(props) {
    var parts = [];
    if (props.access) { parts.push(R.t("access_" + props.access)); }
    if (props.entry) { parts.push(R.t("entry_" + props.entry)); }
    return parts.join(" · ");
  }

  function reportList(counts) {
    counts = counts || {};
    var list = el("ul", "reports");
    var closed = (counts.closed_now || 0) + (counts.gone || 0);
    if (closed) { list.appendChild(el("li", "warn", R.tn("reports_closed", closed))); }
    REPORT_KEYS.forEach(function (key) {
      if (counts[key]) { list.appendChild(el("li", null, R.tn("reports_" + key, counts[key]))); }
    });
    return list.childNodes.length ? list : null;
  }

  function link(className, text, label, href) {
    var a = el("a", "button " + className, text);
    a.href = href;
    a.setAttribute("aria-label", label);
    a.rel = "noopener";
    return a;
  }

  function actions(props, onReport) {
    var box = el("div", "actions");
    var links = props.links || {};
    var name = { name: props.name };
    if (typeof links.amap === "string" && links.amap.indexOf(LINK_PREFIX.amap) === 0) {
      box.appendChild(link("nav-amap", R.t("nav_amap"), R.t("nav_amap_label", name), links.amap));
    }
    if (typeof links.baidu === "string" && links.baidu.indexOf(LINK_PREFIX.baidu) === 0) {
      box.appendChild(link("nav-baidu", R.t("nav_baidu"), R.t("nav_baidu_label", name), links.baidu));
    }
    var digits = String(props.phone || "").replace(/[^0-9+]/g, "");
    if (digits) {
      var label = R.t("phone_label", { name: props.name, phone: props.phone });
      box.appendChild(link("phone", R.t("phone"), label, "tel:" + digits));
    }
    var report = el("button", "button report", R.t("report"));
    report.type = "button";
    report.setAttribute("aria-label", R.t("report_label", name));
    report.addEventListener("click", function () { onReport(props, report); });
    box.appendChild(report);
    return box;
  }

  function card(feature, i, onReport) {
    var props = feature.properties;
    var item = el("li", "result");
    item.setAttribute("data-station-id", props.id);
    var head = el("div", "result-head");
    var rank = el("span", "rank", i + 1);
    rank.setAttribute("aria-hidden", "true");
    head.appendChild(rank);
    var name = el("h3", "name", props.name);
    name.tabIndex = -1;  // a marker's click brings the rider here
    head.appendChild(name);
    head.appendChild(arrow(props.bearing_deg));
    item.appendChild(head);
    item.appendChild(el("p", "distance", R.distanceText(props.distance_m) + " · " + R.rideText(props)));
    var status = R.statusText(props);
    item.appendChild(el("p", "status status-" + status.state, status.text));
    item.appendChild(el("p", "hours", hoursText(props)));
    if (props.address) { item.appendChild(el("p", "address", props.address)); }
    item.appendChild(amenityList(props));
    var access = accessText(props);
    if (access) { item.appendChild(el("p", "access", access)); }
    if (props.verified_at) {
      item.appendChild(el("p", "verified", R.t("verified", { date: R.dateText(props.verified_at) })));
    }
    var reports = reportList(props.rider_reports);
    if (reports) { item.appendChild(reports); }
    // Imported from OpenStreetMap: its licence (ODbL) asks for the credit where it is shown.
    if (props.attribution) { item.appendChild(el("p", "source", R.t("osm_credit"))); }
    item.appendChild(actions(props, onReport));
    return item;
  }

  /** Replace `list`'s items with one card per feature; `onReport(props, button)` opens the
   * report dialog for a station. */
  R.renderResults = function (list, features, onReport) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    features.forEach(function (feature, i) { list.appendChild(card(feature, i, onReport)); });
  };

  /** What the live region says about an answer. */
  R.summaryText = function (features) {
    if (!features.length) { return R.t("found_none"); }
    var first = features[0].properties;
    return R.tn("found", features.length, {
      name: first.name, distance: R.distanceText(first.distance_m)
    });
  };
}());
