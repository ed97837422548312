/* A station's history: GET /v1/stations/{id}/history, every version newest first with who,
 * when and what changed (before → after), and "revert to this version" (POST …/revert?
 * to_version=N with If-Match), which writes that version's fields as a new version.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var FOLD_FROM = 6;   // a version changing more fields than this is folded (an import, a create)

  function valueText(field, value) {
    if (value === null || value === undefined || value === "") { return A.t("value_none"); }
    if (field === "lon" || field === "lat") { return Number(value).toFixed(6); }
    if (field === "out_of_order") {
      var codes = Object.keys(value || {});
      return codes.length ? codes.map(A.amenityLabel).join(A.t("list_separator")) : A.t("value_none");
    }
    if (field === "verified_at" || field === "last_confirmed_at") { return A.timeText(value); }
    if (A.FIELDS.indexOf(field) >= 0) { return A.showValue(field, value); }
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function fieldName(field) {
    return A.WORDS["field_" + field] ? A.t("field_" + field) : field;
  }

  function changeList(changes) {
    var list = A.el("ul", "changes");
    Object.keys(changes || {}).forEach(function (field) {
      var change = changes[field] || {};
      var item = A.el("li");
      item.appendChild(A.el("span", "change-field", fieldName(field) + A.t("colon")));
      item.appendChild(A.el("span", "change-before", valueText(field, change.before)));
      item.appendChild(A.el("span", "change-arrow", " → "));
      item.appendChild(A.el("span", "change-after", valueText(field, change.after)));
      list.appendChild(item);
    });
    return list;
  }

  /** parts: {button, list, message}; station(): {id, version, editable}; onReverted(). */
  A.createHistory = function (parts, station, onReverted) {
    var entries = null;

    function revert(version) {
      var s = station();
      A.confirm(A.t("revert_title", { version: version }), A.t("revert_text", { version: version }),
        A.t("revert_yes")).then(function (yes) {
        if (!yes) { return; }
        A.api("POST", "/v1/stations/" + encodeURIComponent(s.id) + "/revert?to_version=" + version,
          { ifMatch: s.version }).then(function (got) {
          if (got.ok) {
            A.say(A.t("reverted", { version: version, now: got.version }));
            onReverted();
          } else {
            A.message(parts.message, A.problemText(got), "error");
          }
        });
      });
    }

    function entry(e) {
      var s = station();
      var item = A.el("li", "history-entry");
      var head = A.el("p", "history-head");
      head.appendChild(A.el("strong", null, A.t("version_n", { n: e.version })));
      head.appendChild(document.createTextNode(" · " + A.word("action", e.action) + " · " + e.actor + " · " + A.timeText(e.at)));
      item.appendChild(head);
      var changes = changeList(e.changes);
      if (Object.keys(e.changes || {}).length > FOLD_FROM) {
        var fold = A.el("details");
        fold.appendChild(A.el("summary", null, A.tn("changes_n", Object.keys(e.changes).length)));
        fold.appendChild(changes);
        item.appendChild(fold);
      } else {
        item.appendChild(changes);
      }
      if (e.reports && e.reports.length) {
        item.appendChild(A.el("p", "help", A.t("accepted_reports", { ids: e.reports.join(", ") })));
      }
      if (s.editable && e.version < s.version) {
        var button = A.button("revert", "secondary", function () { revert(e.version); }, { version: e.version });
        item.appendChild(button);
      }
      return item;
    }

    function render() {
      A.clear(parts.list);
      (entries || []).forEach(function (e) { parts.list.appendChild(entry(e)); });
    }

    function load() {
      var s = station();
      A.message(parts.message, A.t("loading"));
      return A.api("GET", "/v1/stations/" + encodeURIComponent(s.id) + "/history").then(function (got) {
        if (!got.ok) {
          entries = null;
          render();
          A.message(parts.message, A.problemText(got), "error");
          return;
        }
        entries = got.body.history;
        A.message(parts.message, "");
        render();
      });
    }

    parts.button.addEventListener("click", load);
    return {
      reset: function () { entries = null; render(); A.message(parts.message, ""); },
      reloadIfShown: function () { if (entries) { load(); } },
      render: render
    };
  };
}());
