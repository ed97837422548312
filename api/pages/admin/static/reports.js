/* The moderation queue: open rider reports (GET /v1/reports?status=open, the token's districts
 * only) grouped by station, newest first, with counts per category and every note.
 *
 * Accept: the station is read first for its version (If-Match), then POST
 * /v1/reports/{id}/resolve {"action": "accept", "reports": [the other ids]} writes what they
 * imply as a new version; "hours wrong" needs the right hours, typed with the live preview.
 * Dismiss: {"action": "dismiss", "reason": …}, no station change. One or two clicks a station.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var PAGE = 500;
  var REASONS = ["reason_checked_open", "reason_duplicate", "reason_unclear", "reason_fixed"];

  function groupByStation(reports) {
    var groups = [], byId = {};
    reports.forEach(function (r) {
      var g = byId[r.station_id];
      if (!g) {
        g = byId[r.station_id] = { id: r.station_id, name: r.station_name || r.station_id, district: r.district_code, reports: [] };
        groups.push(g);
      }
      g.reports.push(r);
    });
    return groups;
  }

  function counts(group) {
    var by = {};
    group.reports.forEach(function (r) { by[r.category] = (by[r.category] || 0) + 1; });
    return Object.keys(by).map(function (c) { return A.t("category_count", { category: A.word("category", c), n: A.number(by[c]) }); })
      .join(A.t("list_separator"));
  }

  A.createModeration = function () {
    var $ = A.$;
    var groups = [];
    var previews = [];

    function reportItem(r, index) {
      var li = A.el("li", "report");
      var label = A.el("label", "check");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = true;
      box.value = String(r.id);
      box.className = "report-pick";
      label.appendChild(box);
      var what = A.word("category", r.category) + (r.amenity ? "：" + A.amenityLabel(r.amenity) : "");
      label.appendChild(A.el("span", "report-what", what));
      label.appendChild(A.el("span", "report-when", A.timeText(r.created_at)));
      li.appendChild(label);
      if (r.note) { li.appendChild(A.el("blockquote", "report-note", r.note)); }
      li.setAttribute("data-report-id", String(r.id));
      li.setAttribute("data-index", String(index));
      return li;
    }

    function chosen(card, group) {
      var ids = Array.prototype.filter.call(card.querySelectorAll(".report-pick"), function (b) { return b.checked; })
        .map(function (b) { return Number(b.value); });
      return group.reports.filter(function (r) { return ids.indexOf(r.id) >= 0; });
    }

    function hoursBox(group, n) {
      var wrap = A.el("div", "field hours-fix");
      var id = "fix-hours-" + n;
      var label = A.el("label", null, A.t("fix_hours_label"));
      label.htmlFor = id;
      var input = document.createElement("textarea");
      input.id = id;
      input.rows = 2;
      input.maxLength = 500;
      var preview = A.el("div", "hours-preview");
      preview.setAttribute("role", "status");
      preview.setAttribute("aria-live", "polite");
      wrap.appendChild(label);
      wrap.appendChild(input);
      wrap.appendChild(preview);
      var ctl = A.createHoursPreview(input, preview);
      previews.push(ctl);
      A.api("GET", "/v1/stations/" + encodeURIComponent(group.id)).then(function (got) {
        if (got.ok && !input.value) { input.value = got.body.properties.opening_hours || ""; ctl.refresh(); }
      });
      return { node: wrap, preview: ctl, input: input };
    }

    function resolve(group, card, action, message, hours) {
      var picked = chosen(card, group);
      if (!picked.length) { A.message(message, A.t("pick_reports"), "error"); return; }
      var ids = picked.map(function (r) { return r.id; });
      var body = { action: action };
      if (ids.length > 1) { body.reports = ids.slice(1); }
      if (action === "dismiss") {
        var reason = card.querySelector(".dismiss-reason").value.trim();
        if (!reason) { A.message(message, A.t("reason_needed"), "error"); card.querySelector(".dismiss-reason").focus(); return; }
        body.reason = reason;
        return send(ids, body, null, group, message);
      }
      var needsHours = picked.some(function (r) { return r.category === "hours_wrong"; });
      var asked = needsHours && hours ? hours.preview.current() : Promise.resolve(null);
      A.message(message, A.t("saving"));
      asked.then(function (answer) {
        if (needsHours) {
          if (!answer || !answer.ok || !answer.preview) {
            A.message(message, answer && answer.problem ? A.t("hours_problem", { detail: answer.problem }) : A.t("fix_hours_needed"), "error");
            hours.input.focus();
            return;
          }
          body.patch = { opening_hours: answer.preview.opening_hours };
        }
        // The station's version now: accepting writes a new one (If-Match).
        return A.api("GET", "/v1/stations/" + encodeURIComponent(group.id)).then(function (got) {
          if (!got.ok) { A.message(message, A.problemText(got), "error"); return; }
          return send(ids, body, got.version, group, message);
        });
      });
    }

    function send(ids, body, version, group, message) {
      return A.api("POST", "/v1/reports/" + ids[0] + "/resolve", { json: body, ifMatch: version }).then(function (got) {
        if (!got.ok) {
          A.message(message, got.status === 412 ? A.t("station_changed_retry") : A.problemText(got), "error");
          return;
        }
        A.say(A.t(body.action === "accept" ? "accepted" : "dismissed",
          { n: A.number(ids.length), name: group.name, version: got.version }));
        load();
      });
    }

    function card(group, n) {
      var li = A.el("li", "report-group card");
      li.setAttribute("data-station-id", group.id);
      var head = A.el("div", "row-head");
      var h = A.el("h3", "row-name");
      var link = A.el("a", null, group.name);
      link.href = "#/station/" + encodeURIComponent(group.id);
      h.appendChild(link);
      head.appendChild(h);
      li.appendChild(head);
      var district = A.district(group.district);
      li.appendChild(A.el("p", "row-where", (district ? district.full_name : group.district || "") + " · " + counts(group)));
      var list = A.el("ul", "reports");
      list.setAttribute("aria-label", A.t("reports_of", { name: group.name }));
      group.reports.forEach(function (r, i) { list.appendChild(reportItem(r, i)); });
      li.appendChild(list);
      var hours = group.reports.some(function (r) { return r.category === "hours_wrong"; }) ? hoursBox(group, n) : null;
      if (hours) { li.appendChild(hours.node); }
      var message = A.el("p", "message");
      message.setAttribute("role", "status");
      var actions = A.el("div", "moderate");
      actions.appendChild(A.button("accept_chosen", "primary", function () { resolve(group, li, "accept", message, hours); }));
      var reason = A.el("div", "field dismiss");
      var reasonId = "dismiss-reason-" + n;
      var label = A.el("label", null, A.t("dismiss_reason"));
      label.htmlFor = reasonId;
      var input = document.createElement("input");
      input.id = reasonId;
      input.className = "dismiss-reason";
      input.setAttribute("list", "dismiss-reasons");
      input.maxLength = 500;
      input.autocomplete = "off";
      var row = A.el("div", "dismiss-row");
      row.appendChild(input);
      row.appendChild(A.button("dismiss_chosen", "secondary", function () { resolve(group, li, "dismiss", message, hours); }));
      reason.appendChild(label);
      reason.appendChild(row);
      actions.appendChild(reason);
      li.appendChild(actions);
      li.appendChild(message);
      return li;
    }

    function reasonsList() {
      var old = $("dismiss-reasons");
      if (old) { old.parentNode.removeChild(old); }
      var data = A.el("datalist");
      data.id = "dismiss-reasons";
      REASONS.forEach(function (key) { var o = A.el("option"); o.value = A.t(key); data.appendChild(o); });
      $("view-reports").appendChild(data);
    }

    function render() {
      var box = A.clear($("report-groups"));
      previews = [];
      reasonsList();
      groups.forEach(function (g, n) { box.appendChild(card(g, n)); });
      var total = groups.reduce(function (sum, g) { return sum + g.reports.length; }, 0);
      $("reports-summary").textContent = total ?
        A.t("reports_summary", { n: A.number(total), stations: A.number(groups.length) }) : A.t("reports_none");
      A.setReportCount(total);
    }

    function load() {
      $("reports-summary").textContent = A.t("loading");
      var all = [];
      function page(offset) {
        return A.api("GET", "/v1/reports?status=open&limit=" + PAGE + "&offset=" + offset).then(function (got) {
          if (!got.ok) { throw got; }
          all = all.concat(got.body.reports);
          return offset + PAGE < got.body.numberMatched && offset < 10 * PAGE ? page(offset + PAGE) : null;
        });
      }
      return Promise.all([A.loadAmenities(), page(0)]).then(function () {
        groups = groupByStation(all);
        var provinces = {};
        groups.forEach(function (g) { if (g.district) { provinces[g.district.slice(0, 2)] = true; } });
        return Promise.all(Object.keys(provinces).map(A.loadDistricts));
      }).then(render, function (got) {
        $("reports-summary").textContent = A.t("load_failed", { detail: A.problemText(got) });
      });
    }

    $("reload-reports").addEventListener("click", load);
    return { show: load, setLang: function () { if (groups.length) { render(); } } };
  };
}());
