/* The station list: the stations of the token's districts (an admin's: all), searched and
 * filtered here, in the browser, a page at a time.
 *
 * GET /v1/stations?district=<prefix>&limit=1000 once per district the token holds (it knows
 * nothing of tokens), and GET /v1/reports?status=open for the open reports per station. Search
 * (name or address), kind, amenity, status, freshness and open reports filter the rows loaded:
 * up to 1,000 per district (the API's largest page); past that the list says so, and choosing
 * a district asks the API for that district alone.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var PAGE_ROWS = 20;
  var FETCH_LIMIT = 1000;
  var REPORT_PAGE = 500;
  var REPORT_PAGES = 10;
  var VERIFIED_DAYS = ["30", "90", "180", "365"];
  var PLACEHOLDER = /^(市辖区|县|省直辖县级行政区划|自治区直辖县级行政区划)$/;

  function norm(text) { return String(text || "").normalize("NFKC").toLowerCase(); }

  A.createList = function () {
    var $ = A.$;
    var state = {
      loaded: null,        // {key, features, truncated: [{scope, matched}]}
      broad: null,         // the load of the whole scope, kept while a district is looked at alone
      reports: {},         // station id -> open report count
      reportsMatched: 0,
      page: 0,
      loading: null
    };
    var under = {};          // a token's district prefix -> the county codes under it

    function scopes() {
      return A.me.role === "admin" ? [""] : A.me.districts.slice();
    }

    function fetchScope(prefix) {
      var query = "limit=" + FETCH_LIMIT + (prefix ? "&district=" + encodeURIComponent(prefix) : "");
      return A.api("GET", "/v1/stations?" + query).then(function (got) {
        if (!got.ok) { throw got; }
        return { scope: prefix, features: got.body.features || [], matched: got.body.numberMatched || 0 };
      });
    }

    function fetchStations(prefixes) {
      return Promise.all(prefixes.map(fetchScope)).then(function (parts) {
        var seen = {}, features = [], truncated = [];
        parts.forEach(function (part) {
          part.features.forEach(function (f) { if (!seen[f.id]) { seen[f.id] = true; features.push(f); } });
          if (part.matched > part.features.length) { truncated.push({ scope: part.scope, matched: part.matched }); }
        });
        features.sort(function (a, b) { return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; });
        return { key: prefixes.join(","), features: features, truncated: truncated };
      });
    }

    function fetchReports() {
      var counts = {};
      function page(n) {
        return A.api("GET", "/v1/reports?status=open&limit=" + REPORT_PAGE + "&offset=" + n * REPORT_PAGE).then(function (got) {
          if (!got.ok) { throw got; }
          got.body.reports.forEach(function (r) { counts[r.station_id] = (counts[r.station_id] || 0) + 1; });
          var more = (n + 1) * REPORT_PAGE < got.body.numberMatched && n + 1 < REPORT_PAGES;
          return more ? page(n + 1) : got.body.numberMatched;
        });
      }
      return page(0).then(function (matched) {
        state.reports = counts;
        state.reportsMatched = matched;
        A.setReportCount(matched);
      });
    }

    // -- filters -----------------------------------------------------------------------------

    function fillFilters() {
      A.options($("f-kind"), [["", A.t("all")], ["love_station", A.word("kind", "love_station")],
        ["service_point", A.word("kind", "service_point")]]);
      A.options($("f-amenity"), [["", A.t("all")]].concat(A.amenities.map(function (a) {
        return [a.code, A.amenityLabel(a.code)];
      })));
      A.options($("f-status"), [["", A.t("all")], ["active", A.word("status", "active")],
        ["closed_temporarily", A.word("status", "closed_temporarily")], ["closure", A.t("status_closure_running")]]);
      A.options($("f-verified"), [["", A.t("all")], ["never", A.t("verified_never")]].concat(
        VERIFIED_DAYS.map(function (d) { return [d, A.t("verified_older", { n: d })]; })));
      fillDistricts();
    }

    function districtChoices() {
      var codes = {};
      if (A.me.role === "admin") {
        ((state.broad || state.loaded || {}).features || []).forEach(function (f) { codes[f.properties.district_code] = true; });
      } else {
        A.me.districts.forEach(function (prefix) {
          if (prefix.length === 6) { codes[prefix] = true; }
          (under[prefix] || []).forEach(function (d) { codes[d] = true; });
        });
      }
      return Object.keys(codes).sort();
    }

    function fillDistricts() {
      var pairs = [["", A.t(A.me.role === "admin" ? "all_districts" : "my_districts")]];
      districtChoices().forEach(function (code) {
        var d = A.district(code);
        pairs.push([code, d ? d.name + " (" + code + ")" : code]);
      });
      A.options($("f-district"), pairs);
    }

    function loadDistrictNames() {
      var prefixes = {};
      if (A.me.role === "admin") {
        ((state.loaded || {}).features || []).forEach(function (f) { prefixes[f.properties.district_code.slice(0, 2)] = true; });
      } else {
        A.me.districts.forEach(function (p) { prefixes[p] = true; });
      }
      return Promise.all(Object.keys(prefixes).map(function (prefix) {
        return A.loadDistricts(prefix).then(function (found) {
          under[prefix] = found.filter(function (d) {
            return d.level === "county" && !PLACEHOLDER.test(d.name);
          }).map(function (d) { return d.code; });
        });
      }));
    }

    function matches(f, q) {
      var p = f.properties;
      var district = $("f-district").value;
      if (district && p.district_code.indexOf(district) !== 0) { return false; }
      if (q && norm(p.name).indexOf(q) < 0 && norm(p.address).indexOf(q) < 0 && norm(p.id).indexOf(q) < 0) { return false; }
      var kind = $("f-kind").value;
      if (kind && p.kind !== kind) { return false; }
      var amenity = $("f-amenity").value;
      if (amenity && (p.amenities || []).indexOf(amenity) < 0) { return false; }
      var status = $("f-status").value;
      if (status === "closure") {
        if (!(p.closed_until && new Date(p.closed_until) > new Date())) { return false; }
      } else if (status && p.status !== status) { return false; }
      var verified = $("f-verified").value;
      if (verified === "never" && p.verified_at) { return false; }
      if (verified && verified !== "never" && p.verified_at && A.daysSince(p.verified_at) < Number(verified)) { return false; }
      if ($("f-reports").checked && !(state.reports[p.id] > 0)) { return false; }
      return true;
    }

    // -- rows --------------------------------------------------------------------------------

    function statusText(p) {
      if (p.closed_until && new Date(p.closed_until) > new Date()) {
        return p.closure_reason ? A.t("closed_until_reason", { time: A.timeText(p.closed_until), reason: p.closure_reason }) :
          A.t("closed_until", { time: A.timeText(p.closed_until) });
      }
      return A.word("status", p.status);
    }

    function row(f) {
      var p = f.properties;
      var item = A.el("li", "station-row");
      item.setAttribute("data-station-id", f.id);
      var head = A.el("div", "row-head");
      var name = A.el("h3", "row-name", p.name);
      head.appendChild(name);
      var writable = A.mayWrite(p.district_code);
      var open = A.el("a", "button " + (writable ? "primary" : "secondary") + " row-open", A.t(writable ? "edit" : "view"));
      open.href = "#/station/" + encodeURIComponent(f.id);
      open.setAttribute("aria-label", A.t(writable ? "edit_label" : "view_label", { name: p.name }));
      head.appendChild(open);
      item.appendChild(head);
      var district = A.district(p.district_code);
      item.appendChild(A.el("p", "row-where", [p.address || A.t("value_none"),
        district ? district.name : p.district_code, A.word("kind", p.kind)].join(" · ")));
      var hours = p.opening_hours_text ? p.opening_hours_text[A.lang === "en" ? "en" : "zh"] : p.opening_hours;
      item.appendChild(A.el("p", "row-hours", A.t("hours_line", { hours: hours || A.t("hours_not_recorded") })));
      var badges = A.el("ul", "badges");
      badges.setAttribute("aria-label", A.t("badges_label"));
      var running = p.closed_until && new Date(p.closed_until) > new Date();
      badges.appendChild(A.el("li", "badge status-" + (running ? "closure" : p.status), statusText(p)));
      var days = p.verified_at ? A.daysSince(p.verified_at) : null;
      badges.appendChild(A.el("li", "badge " + (p.verified_at ? "verified" : "never"),
        p.verified_at ? A.t("verified_on", { date: A.dateText(p.verified_at), n: A.number(days) }) : A.t("verified_never")));
      var open_reports = state.reports[f.id] || 0;
      if (open_reports) { badges.appendChild(A.el("li", "badge reports", A.tn("open_reports", open_reports))); }
      var broken = Object.keys(p.out_of_order || {}).length;
      if (broken) { badges.appendChild(A.el("li", "badge broken", A.tn("broken_amenities", broken))); }
      item.appendChild(badges);
      return item;
    }

    function render() {
      var list = $("station-list");
      A.clear(list);
      if (!state.loaded) { return; }
      var q = norm($("f-q").value.trim());
      var shown = state.loaded.features.filter(function (f) { return matches(f, q); });
      var pages = Math.max(1, Math.ceil(shown.length / PAGE_ROWS));
      state.page = Math.min(state.page, pages - 1);
      var start = state.page * PAGE_ROWS;
      shown.slice(start, start + PAGE_ROWS).forEach(function (f) { list.appendChild(row(f)); });
      $("list-summary").textContent = shown.length ?
        A.t("list_summary", { n: A.number(shown.length), from: A.number(start + 1),
          to: A.number(Math.min(start + PAGE_ROWS, shown.length)), total: A.number(state.loaded.features.length) }) :
        A.t("list_empty", { total: A.number(state.loaded.features.length) });
      $("page-info").textContent = A.t("page_info", { page: A.number(state.page + 1), pages: A.number(pages) });
      $("page-prev").disabled = state.page === 0;
      $("page-next").disabled = state.page >= pages - 1;
      $("pager").hidden = pages < 2;
      var cut = state.loaded.truncated;
      $("list-truncated").hidden = !cut.length;
      $("list-truncated").textContent = cut.map(function (c) {
        var area = c.scope ? (A.districtName(c.scope.length === 6 ? c.scope : (c.scope + "000000").slice(0, 6)) || c.scope) : A.t("all_districts");
        return A.t("list_truncated", { area: area, n: A.number(c.matched), limit: A.number(FETCH_LIMIT) });
      }).join(" ");
    }

    function failed(got) {
      A.clear($("station-list"));
      $("list-summary").textContent = A.t("load_failed", { detail: A.problemText(got) });
    }

    /** Load what the filters need (again when `fresh`), then show it. */
    function load(fresh) {
      var district = $("f-district").value;
      var alone = district && state.broad && state.broad.truncated.length;
      var prefixes = alone ? [district] : scopes();
      var key = prefixes.join(",");
      if (!fresh && state.loaded && state.loaded.key === key) { render(); return Promise.resolve(); }
      $("list-summary").textContent = A.t("loading");
      $("station-list").setAttribute("aria-busy", "true");
      var mine = state.loading = {};
      return Promise.all([fetchStations(prefixes), fetchReports(), A.loadAmenities()]).then(function (got) {
        if (state.loading !== mine) { return; }
        state.loaded = got[0];
        if (!alone) { state.broad = got[0]; }
        return loadDistrictNames().then(function () {
          fillFilters();
          sayMore();
          render();
        });
      }).catch(failed).then(function () { $("station-list").removeAttribute("aria-busy"); });
    }

    var MORE = ["f-district", "f-kind", "f-amenity", "f-status", "f-verified"];

    /** "更多筛选（2 项已选）": how many of the folded filters are in use. */
    function sayMore() {
      var n = MORE.filter(function (id) { return $(id).value; }).length + ($("f-reports").checked ? 1 : 0);
      $("more-filters-summary").textContent = n ? A.t("more_filters_on", { n: A.number(n) }) : A.t("more_filters");
    }

    function refilter() { state.page = 0; sayMore(); render(); }

    function wire() {
      $("f-q").addEventListener("input", A.debounce(refilter, 150));
      ["f-kind", "f-amenity", "f-status", "f-verified", "f-reports"].forEach(function (id) {
        $(id).addEventListener("change", refilter);
      });
      $("f-district").addEventListener("change", function () { state.page = 0; sayMore(); load(false); });
      // Folded on a phone (the list comes first), open on a laptop's side bar.
      if (window.matchMedia && window.matchMedia("(min-width: 64rem)").matches) { $("more-filters").open = true; }
      $("filters").addEventListener("submit", function (event) { event.preventDefault(); refilter(); });
      $("reload-stations").addEventListener("click", function () { load(true); });
      $("page-prev").addEventListener("click", function () { state.page--; render(); $("stations-h").focus(); });
      $("page-next").addEventListener("click", function () { state.page++; render(); $("stations-h").focus(); });
    }

    wire();
    return {
      show: function () { $("new-station").hidden = false; return load(false); },
      reload: function () { return load(true); },
      stale: function () { state.loaded = null; state.broad = null; },
      setLang: function () { sayMore(); if (state.loaded) { fillFilters(); render(); } },
      /** A position to open a new station's map at: the first station loaded, if any. */
      near: function () {
        var f = state.loaded && state.loaded.features[0];
        return f ? { lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] } : null;
      },
      reportCount: function (id) { return state.reports[id] || 0; }
    };
  };
}());
