/* The station form: every editable field, saved as a JSON merge patch of the fields changed
 * (PATCH /v1/stations/{id} with If-Match: "<version>"), or a new station (POST /v1/stations).
 *
 * The version the form was opened at is the If-Match of every write; a 412 opens the conflict
 * screen (conflict.js). Opening hours are sent as the live preview read them (hours.js);
 * positions as typed with ?crs=, or dragged in WGS-84 (position.js). A 409 on create names the
 * likely duplicate and offers to create anyway (?allow_duplicates=true). Read-only when the
 * token's districts do not hold the station (the API would refuse with 403 anyway).
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var INPUTS = {
    name: "s-name", kind: "s-kind", address: "s-address", district_code: "s-district", host: "s-host",
    phone: "s-phone", opening_hours: "s-hours", access: "s-access", entry: "s-entry", status: "s-status",
    closed_until: "s-closed-until", closure_reason: "s-closure-reason", lon: "s-lon", lat: "s-lat",
    position: "s-lon", crs: "s-crs"
  };
  var KINDS = ["love_station", "service_point"];
  var ACCESS = ["public", "outdoor_workers", "union_members"];
  var ENTRY = ["walk_in", "ask_staff", "phone_ahead", "qr_code", "face_scan", "id_card"];
  var STATUSES = ["active", "closed_temporarily"];
  var NEW_DEFAULTS = { kind: "love_station", access: "public", status: "active", amenities: [] };

  function path(id, tail) { return "/v1/stations/" + encodeURIComponent(id) + (tail || ""); }

  A.createStationForm = function (list) {
    var $ = A.$;
    var s = { id: null, feature: null, base: null, version: null, editable: false, isNew: false };
    var saving = false, pending = null, shownConflict = null;

    var hours = A.createHoursPreview($("s-hours"), $("hours-preview"));
    var position = A.createPosition({
      map: $("s-map"), crs: $("s-crs"), lon: $("s-lon"), lat: $("s-lat"), here: $("use-here"),
      tiles: document.querySelectorAll("#view-station .tile-choice"), message: $("position-message")
    }, function () { clearError("position"); });
    var info = function () { return { id: s.id, version: s.version, editable: s.editable && !s.isNew }; };
    var history = A.createHistory({ button: $("history-load"), list: $("history-list"), message: $("history-message") },
      info, function () { reopen(); });
    var photos = A.createPhotos({ list: $("photo-list"), file: $("photo-file"), send: $("photo-send"),
      upload: $("photo-upload"), message: $("photo-message") }, info);

    // -- fields ------------------------------------------------------------------------------

    function fillSelects() {
      A.options($("s-kind"), KINDS.map(function (k) { return [k, A.word("kind", k)]; }));
      A.options($("s-access"), ACCESS.map(function (k) { return [k, A.word("access", k)]; }));
      A.options($("s-entry"), [["", A.t("entry_none")]].concat(ENTRY.map(function (k) { return [k, A.word("entry", k)]; })));
      var statuses = STATUSES.concat(s.base && s.base.status === "retired" ? ["retired"] : []);
      A.options($("s-status"), statuses.map(function (k) { return [k, A.word("status", k)]; }));
      A.options($("s-crs"), A.CRS.map(function (c) { return [c, A.t("crs_" + c)]; }));
    }

    var amenityGrid = A.createAmenityGrid($("s-amenities"), function (code, state) { setAmenityState(code, state); });

    function buildAmenities(checkedCodes) {
      var p = s.feature ? s.feature.properties : {};
      amenityGrid.render(checkedCodes, p.amenities || [], p.out_of_order || {},
        s.editable && !s.isNew && s.base.status !== "retired");
    }

    function checkedAmenities() { return amenityGrid.checked(); }

    function fill(record) {
      ["name", "kind", "address", "district_code", "host", "phone", "opening_hours", "access", "status",
        "closure_reason"].forEach(function (f) { $(INPUTS[f]).value = record[f] || ""; });
      $("s-entry").value = record.entry || "";
      $("s-closed-until").value = A.localInput(record.closed_until);
      buildAmenities(record.amenities || []);
      showDistrict();
      hours.refresh();
    }

    /** What the form holds now, as a record (values.js). */
    function read() {
      var text = function (id) { var v = $(id).value.trim(); return v === "" ? null : v; };
      return {
        name: text("s-name"), kind: text("s-kind"), address: text("s-address"), district_code: text("s-district"),
        host: text("s-host"), phone: text("s-phone"), position: position.value(), opening_hours: text("s-hours"),
        amenities: checkedAmenities(), access: text("s-access"), entry: text("s-entry"), status: text("s-status"),
        closed_until: A.instantOf($("s-closed-until").value), closure_reason: text("s-closure-reason")
      };
    }

    function changedFields() {
      var mine = read();
      if (s.isNew) {
        return A.FIELDS.filter(function (f) {
          return f === "amenities" ? mine.amenities.length > 0 : mine[f] !== null && mine[f] !== undefined;
        });
      }
      return A.differences(s.base, mine).filter(function (f) { return f !== "position" || position.changed(); });
    }

    function showDistrict() {
      var code = $("s-district").value.trim();
      var out = $("s-district-name");
      if (!/^\d{6}$/.test(code)) { out.textContent = code ? A.t("district_six_digits") : ""; return; }
      out.textContent = A.districtName(code) || A.t("loading");
      A.loadDistricts(code).then(function () {
        if ($("s-district").value.trim() !== code) { return; }
        var name = A.districtName(code);
        out.textContent = name ? name : A.t("district_unknown");
        if (name && !A.mayWrite(code)) { out.textContent = name + A.t("district_not_yours"); }
      });
    }

    function fillDistrictOptions() {
      var box = A.clear($("district-options"));
      if (!A.me || A.me.role === "admin") { return; }
      A.me.districts.forEach(function (prefix) {
        A.loadDistricts(prefix).then(function (found) {
          found.filter(function (d) { return d.level === "county"; }).forEach(function (d) {
            var option = A.el("option", null, d.full_name);
            option.value = d.code;
            box.appendChild(option);
          });
        });
      });
    }

    // -- errors ------------------------------------------------------------------------------

    var errors = A.createFieldErrors(function (field) {
      if (field === "amenities") { return $("s-amenities").querySelector("input"); }
      return INPUTS[field] ? $(INPUTS[field]) : null;
    });
    var fieldError = errors.set;
    var clearError = errors.clear;

    function clearErrors() {
      errors.clearAll();
      A.message($("form-message"), "");
    }

    function showProblem(got) {
      var first = null;
      ((got.body && got.body.errors) || []).forEach(function (e) {
        var input = fieldError(e.field, e.reason);
        first = first || input;
      });
      var detail = A.problemText(got);
      A.message($("form-message"), got.status === 403 ? A.t("forbidden", { detail: detail }) : detail, "error");
      if (first) { first.focus(); }
    }

    // -- showing a station -------------------------------------------------------------------

    function meta() {
      if (s.isNew) { return A.t("new_station_meta"); }
      var p = s.feature.properties;
      return [A.t("meta_id", { id: s.id }), A.t("version_n", { n: s.version }),
        A.t("meta_updated", { time: A.timeText(p.updated_at) }),
        p.verified_at ? A.t("verified_at", { time: A.timeText(p.verified_at) }) : A.t("verified_never"),
        A.word("status", p.status)].join(" · ");
    }

    function setEditable() {
      var fieldsOn = s.editable && (s.isNew || s.base.status !== "retired");
      Array.prototype.forEach.call($("station-form").querySelectorAll("fieldset"), function (f) { f.disabled = !fieldsOn; });
      position.enable(fieldsOn);
      $("station-form").querySelector(".save-bar").hidden = !fieldsOn;
      $("station-tools").hidden = !s.editable || s.isNew;
      $("verify").hidden = s.base && s.base.status === "retired";
      $("retire").hidden = s.base && s.base.status === "retired";
      $("photos").hidden = s.isNew;
      $("history").hidden = s.isNew || !s.editable;
      var notice = $("station-readonly");
      notice.hidden = s.editable && (s.isNew || s.base.status !== "retired");
      notice.textContent = !s.editable ? A.t("read_only", { name: A.me.name, districts: A.whoDistricts() }) :
        s.base && s.base.status === "retired" ? A.t("retired_notice") : "";
    }

    function showHeader() {
      $("station-h").textContent = s.isNew ? A.t("new_station") : s.feature.properties.name;
      $("station-meta").textContent = meta();
    }

    function show(feature, version) {
      s = { id: feature.id, feature: feature, base: A.recordOf(feature), version: version, isNew: false,
        editable: A.mayWrite(feature.properties.district_code) };
      fillSelects();
      fill(s.base);
      position.set(s.base.position);
      setEditable();
      showHeader();
      history.reset();
      photos.load();
      A.loadDistricts(s.base.district_code.slice(0, 2));
    }

    /** Take a write's answer as the station now (positions back to WGS-84 when sent in another
     * system), keeping what the editor has typed but not saved. */
    function rebase(got) {
      var feature = got.body;
      var crs = feature.coordinate_system || "wgs84";
      if (crs !== "wgs84") {
        var c = feature.geometry.coordinates;
        feature.geometry.coordinates = A.fromCrs(crs, c[0], c[1]);
      }
      var mine = read();
      var keep = A.differences(s.base, mine);
      s.feature = feature;
      s.version = got.version;
      s.base = A.recordOf(feature);
      return { mine: mine, keep: keep };
    }

    function resetPanels() {
      shownConflict = null;
      $("conflict").hidden = true;
      $("duplicate").hidden = true;
      $("station-form").hidden = false;
      clearErrors();
      A.message($("tools-message"), "");
    }

    // -- saving ------------------------------------------------------------------------------

    function prepare(fields, mine) {
      var asked = fields.indexOf("opening_hours") >= 0 ? hours.current() : Promise.resolve(null);
      return asked.then(function (answer) {
        if (answer && !answer.ok) {
          var input = fieldError("opening_hours", answer.problem);
          A.message($("form-message"), A.t("hours_fix_first"), "error");
          if (input) { input.focus(); }
          return null;
        }
        var body = {}, crs = "wgs84";
        fields.forEach(function (f) {
          if (f === "position") {
            var sent = position.sent();
            body.lon = sent.lon; body.lat = sent.lat; crs = sent.crs;
          } else if (f === "opening_hours") {
            body.opening_hours = answer.preview ? answer.preview.opening_hours : null;
          } else if (f === "amenities") {
            body.amenities = mine.amenities.slice();
          } else {
            body[f] = mine[f];
          }
        });
        return { body: body, crs: crs };
      });
    }

    function busy(on) {
      saving = on;
      $("save").disabled = on;
      if (on) { $("save").setAttribute("aria-busy", "true"); } else { $("save").removeAttribute("aria-busy"); }
    }

    function save() {
      if (saving || !s.editable) { return; }
      clearErrors();
      var mine = read();
      var fields = changedFields();
      if (!fields.length) { A.message($("form-message"), A.t("nothing_to_save"), "ok"); return; }
      if (s.isNew && !mine.position) {
        A.message($("form-message"), A.t("position_needed"), "error");
        fieldError("position", A.t("position_needed"));
        return;
      }
      busy(true);
      A.message($("form-message"), A.t("saving"));
      prepare(fields, mine).then(function (prepared) {
        if (!prepared) { return null; }
        return s.isNew ? create(prepared, false) : patch(prepared, mine);
      }).then(function () { busy(false); }, function () { busy(false); });
    }

    function crsQuery(crs) { return crs && crs !== "wgs84" ? "?crs=" + crs : ""; }

    function patch(prepared, mine) {
      return A.api("PATCH", path(s.id, crsQuery(prepared.crs)), {
        json: prepared.body, contentType: "application/merge-patch+json", ifMatch: s.version
      }).then(function (got) {
        if (got.ok) {
          var before = s.version;
          rebase(got);
          show(s.feature, s.version);
          list.stale();
          A.message($("form-message"), got.version === before ? A.t("saved_unchanged") : A.t("saved", { version: got.version }), "ok");
          A.say(A.t("saved_named", { name: s.feature.properties.name, version: got.version }));
        } else if (got.status === 412) {
          A.message($("form-message"), "");
          return conflict(mine);
        } else {
          showProblem(got);
        }
      });
    }

    // -- conflicts ---------------------------------------------------------------------------

    function fetchTheirs(tries) {
      return A.api("GET", path(s.id)).then(function (got) {
        // Another server process may not have the colleague's write yet (within 0.5 s).
        if (got.ok && got.version <= s.version && tries > 0) {
          return new Promise(function (done) { setTimeout(done, 300); }).then(function () { return fetchTheirs(tries - 1); });
        }
        return got;
      });
    }

    function conflict(mine) {
      return fetchTheirs(5).then(function (got) {
        if (!got.ok) { showProblem(got); return; }
        var theirs = got.body, version = got.version;
        return A.api("GET", path(s.id, "/history")).then(function (h) {
          var last = h.ok && h.body.history.length ? h.body.history[0] : null;
          // The conflict is the screen: nothing else may write on the old version meanwhile.
          ["station-form", "station-tools", "photos", "history"].forEach(function (id) { $(id).hidden = true; });
          shownConflict = [{
            base: s.base, mine: mine, theirs: A.recordOf(theirs), version: version,
            by: last && last.version === version ? last.actor : null, at: last ? last.at : null
          }, function (merged) {
            shownConflict = null;
            adopt(theirs, version, merged);
            save();
          }, function () {
            shownConflict = null;
            adopt(theirs, version, null);
            A.say(A.t("took_theirs", { version: version }));
          }];
          A.showConflict($("conflict"), shownConflict[0], shownConflict[1], shownConflict[2]);
        });
      });
    }

    /** Open the colleague's version, with `merged` values in the form (or theirs alone). */
    function adopt(theirs, version, merged) {
      resetPanels();
      show(theirs, version);
      if (!merged) { $("station-h").focus(); return; }
      fill(merged);
      if (!A.sameValue("position", merged.position, s.base.position)) { position.moveTo(merged.position); }
    }

    // -- creating ----------------------------------------------------------------------------

    function showDuplicate(got, prepared) {
      A.showDuplicate($("duplicate"), got, function () {
        busy(true);
        create(prepared, true).then(function () { busy(false); });
      }, function () { $("save").focus(); });
    }

    function create(prepared, anyway) {
      var query = [];
      if (prepared.crs !== "wgs84") { query.push("crs=" + prepared.crs); }
      if (anyway) { query.push("allow_duplicates=true"); }
      return A.api("POST", "/v1/stations" + (query.length ? "?" + query.join("&") : ""), { json: prepared.body }).then(function (got) {
        if (got.ok) {
          s.base = s.base || {};
          rebase(got);
          s.isNew = false;  // saved: leaving it is no loss
          s.id = s.feature.id;
          pending = { feature: s.feature, version: s.version };
          list.stale();
          $("duplicate").hidden = true;
          A.say(A.t("created", { name: s.feature.properties.name }));
          window.location.hash = "#/station/" + encodeURIComponent(s.feature.id);
        } else if (got.status === 409) {
          A.message($("form-message"), "");
          showDuplicate(got, prepared);
        } else {
          $("duplicate").hidden = true;
          showProblem(got);
        }
      });
    }

    // -- tools -------------------------------------------------------------------------------

    function tool(method, tail, json, done) {
      A.message($("tools-message"), A.t("saving"));
      return A.api(method, path(s.id, tail), { json: json, ifMatch: s.version }).then(function (got) {
        if (!got.ok) {
          A.message($("tools-message"), got.status === 412 ? A.t("tool_stale") : A.problemText(got), "error");
          return;
        }
        var kept = rebase(got);
        buildAmenities(kept.mine.amenities);
        showHeader();
        list.stale();
        history.reloadIfShown();
        A.message($("tools-message"), done(got), "ok");
      });
    }

    function setAmenityState(code, state) {
      tool("PUT", "/amenities/" + encodeURIComponent(code), { state: state }, function (got) {
        return A.t(state === "working" ? "marked_working" : "marked_broken", { amenity: A.amenityLabel(code), version: got.version });
      });
    }

    function verify() {
      tool("POST", "/verify", undefined, function (got) { return A.t("verified_done", { version: got.version }); });
    }

    function retire() {
      A.confirm(A.t("retire_title"), A.t("retire_text", { name: s.feature.properties.name }), A.t("retire_yes")).then(function (yes) {
        if (!yes) { return; }
        A.api("DELETE", path(s.id), { ifMatch: s.version }).then(function (got) {
          if (!got.ok) {
            A.message($("tools-message"), got.status === 412 ? A.t("tool_stale") : A.problemText(got), "error");
            return;
          }
          rebase(got);
          show(s.feature, s.version);
          list.stale();
          A.say(A.t("retired_done", { name: s.feature.properties.name }));
        });
      });
    }

    function reopen() {
      list.stale();
      return open(s.id);
    }

    // -- opening -----------------------------------------------------------------------------

    function open(id) {
      resetPanels();
      A.loadAmenities();
      if (pending && pending.feature.id === id) {
        var p = pending;
        pending = null;
        show(p.feature, p.version);
        return Promise.resolve();
      }
      $("station-h").textContent = A.t("loading");
      $("station-meta").textContent = "";
      return A.loadAmenities().then(function () { return A.api("GET", path(id)); }).then(function (got) {
        if (!got.ok) {
          $("station-h").textContent = got.status === 404 ? A.t("station_not_found", { id: id }) : A.problemText(got);
          $("station-form").hidden = true;
          $("station-tools").hidden = true;
          $("photos").hidden = true;
          $("history").hidden = true;
          return;
        }
        show(got.body, got.version);
      });
    }

    function openNew() {
      resetPanels();
      return A.loadAmenities().then(function () {
        s = { id: null, feature: null, base: null, version: null, isNew: true, editable: true };
        fillSelects();
        var only = A.me.role !== "admin" && A.me.districts.length === 1 && A.me.districts[0].length === 6 ? A.me.districts[0] : "";
        fill(Object.assign({}, NEW_DEFAULTS, { district_code: only }));
        position.set(null, list.near());
        hours.reset();
        setEditable();
        showHeader();
        photos.reset();
        history.reset();
      });
    }

    $("station-form").addEventListener("submit", function (event) { event.preventDefault(); save(); });
    $("discard").addEventListener("click", function () {
      if (s.isNew) { openNew(); } else { fill(s.base); position.set(s.base.position); clearErrors(); }
      A.say(A.t("discarded"));
    });
    $("s-district").addEventListener("input", showDistrict);
    $("verify").addEventListener("click", verify);
    $("retire").addEventListener("click", retire);

    return {
      open: function (id) { fillDistrictOptions(); return open(id); },
      openNew: function () { fillDistrictOptions(); return openNew(); },
      /** Whether leaving would lose typed changes. */
      dirty: function () { return !$("station-form").hidden && s.editable && (s.isNew || s.base) && changedFields().length > 0; },
      setLang: function () {
        if (!s.isNew && !s.base) { return; }
        var mine = read();
        fillSelects();
        fill(mine);
        showHeader();
        setEditable();
        hours.render();
        position.setLang();
        history.render();
        photos.render();
        if (shownConflict && !$("conflict").hidden) {
          shownConflict[0].picks = A.conflictPicks($("conflict"));
          A.showConflict($("conflict"), shownConflict[0], shownConflict[1], shownConflict[2]);
        }
      },
      refresh: function () { position.refresh(); }
    };
  };
}());
