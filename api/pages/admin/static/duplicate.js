/* "This may be a station that exists already": a 409 from POST /v1/stations names the likely
 * duplicate; the panel links to it and offers to create anyway (?allow_duplicates=true).
 * The station is read from the problem's members (near_id, near_name, distance_m; or a
 * `duplicates` list like an import report's), else from its detail, in English or Chinese.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var ID = "([A-Za-z0-9][A-Za-z0-9._:-]*)";
  var EN = new RegExp("station '" + ID + "' \\((.*)\\) is ([0-9.]+) m away");
  var ZH = new RegExp("([0-9.]+) 米外已有名称相近的站点“(.*)”（" + ID + "）");

  /** The stations a 409 problem document names: [{id, name, distance}]. */
  A.duplicatesOf = function (body) {
    var found = [], seen = {};
    function add(id, name, distance) {
      if (!id || seen[id]) { return; }
      seen[id] = true;
      found.push({ id: String(id), name: name ? String(name) : String(id), distance: distance });
    }
    (Array.isArray(body.duplicates) ? body.duplicates : []).forEach(function (d) {
      add(d.near_id || d.existing_id || d.station_id, d.near_name || d.existing_name || d.name, d.distance_m);
    });
    add(body.near_id || body.existing_id || body.station_id, body.near_name || body.existing_name, body.distance_m);
    var detail = String(body.detail || "");
    var en = EN.exec(detail), zh = ZH.exec(detail);
    if (en) { add(en[1], en[2], Number(en[3])); }
    if (zh) { add(zh[3], zh[2], Number(zh[1])); }
    return found;
  };

  /** Show the 409 `got` in `box`; onAnyway() creates anyway, onCancel() closes the panel. */
  A.showDuplicate = function (box, got, onAnyway, onCancel) {
    A.clear(box);
    box.hidden = false;
    var heading = A.el("h3", null, A.t("duplicate_heading"));
    heading.id = "duplicate-h";
    box.appendChild(heading);
    box.appendChild(A.el("p", null, A.problemText(got)));
    var found = A.duplicatesOf(got.body || {});
    if (found.length) {
      var ul = A.el("ul", "duplicates");
      found.forEach(function (d) {
        var li = A.el("li");
        var a = A.el("a", null, d.name);
        a.href = "#/station/" + encodeURIComponent(d.id);
        li.appendChild(a);
        if (typeof d.distance === "number" && isFinite(d.distance)) {
          li.appendChild(document.createTextNode(" " + A.t("distance_m", { n: A.number(d.distance) })));
        }
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    var actions = A.el("div", "actions");
    actions.appendChild(A.button("create_anyway", "primary", onAnyway));
    actions.appendChild(A.button("cancel", "secondary", function () { box.hidden = true; onCancel(); }));
    box.appendChild(actions);
    box.focus();
  };
}());
