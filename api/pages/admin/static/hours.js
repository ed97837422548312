/* The opening hours' live preview: POST /v1/opening-hours/preview {"text"} as the editor types
 * (debounced), showing what would be saved (OSM opening_hours, read from a Chinese phrase when
 * needed), the hours in plain words and the next seven days' open times; a 422 shows its detail.
 * Saving sends the preview's `opening_hours`, so what is saved is what was shown.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var PREVIEW = "/v1/opening-hours/preview";
  var DEBOUNCE_MS = 350;

  function weekday(date) {
    var at = new Date(date + "T12:00:00+08:00");
    if (isNaN(at.getTime())) { return ""; }
    return new Intl.DateTimeFormat(A.htmlLang(), { timeZone: "Asia/Shanghai", weekday: "short" }).format(at);
  }

  function dayText(day) {
    if (day.unknown) { return A.t("hours_day_unknown"); }
    if (!day.open.length) { return A.t("hours_day_closed"); }
    return day.open.map(function (range) { return range[0] + "–" + range[1]; }).join(A.t("list_separator"));
  }

  function daysTable(days) {
    var table = A.el("table", "days");
    var caption = A.el("caption", null, A.t("hours_next_days"));
    table.appendChild(caption);
    var body = A.el("tbody");
    days.forEach(function (day) {
      var row = A.el("tr");
      var head = A.el("th", null, day.date.slice(5) + " " + weekday(day.date));
      head.scope = "row";
      row.appendChild(head);
      var cell = A.el("td", day.open.length ? "open" : "shut", dayText(day));
      row.appendChild(cell);
      body.appendChild(row);
    });
    table.appendChild(body);
    return table;
  }

  /** The preview of `input`'s text in `box`. Returns {current(): Promise of the answer for
   * the text now in the field, render(), reset()}; an answer is {text, ok, preview, problem}. */
  A.createHoursPreview = function (input, box) {
    var last = null;      // the latest answer shown
    var asking = {};      // text -> Promise, so one text is asked once
    var shown = 0;

    function ask(text) {
      if (text.trim() === "") { return Promise.resolve({ text: text, ok: true, preview: null, problem: null }); }
      if (!asking[text]) {
        asking[text] = A.api("POST", PREVIEW, { json: { text: text } }).then(function (got) {
          if (got.status === 0) { delete asking[text]; }
          return {
            text: text, ok: got.ok, preview: got.ok ? got.body : null,
            problem: got.ok ? null : A.problemText(got), offline: got.status === 0
          };
        });
      }
      return asking[text];
    }

    function render() {
      A.clear(box);
      box.className = "hours-preview";
      box.removeAttribute("aria-busy");
      if (!last) { return; }
      if (!last.preview && last.ok) {
        box.appendChild(A.el("p", "plain", A.t("hours_empty")));
        return;
      }
      if (!last.ok) {
        box.className = "hours-preview error";
        box.appendChild(A.el("p", "problem", A.t("hours_problem", { detail: last.problem })));
        return;
      }
      var p = last.preview;
      var saved = A.el("p", "osm");
      saved.appendChild(A.el("span", "osm-label", A.t(p.converted ? "hours_saved_converted" : "hours_saved")));
      saved.appendChild(A.el("code", "osm-text", p.opening_hours));
      box.appendChild(saved);
      var words = p.text ? p.text[A.lang === "en" ? "en" : "zh"] : null;
      box.appendChild(A.el("p", "plain", words || A.t("hours_no_words")));
      box.appendChild(daysTable(p.days || []));
    }

    function show(answer) {
      last = answer;
      render();
    }

    function update() {
      var mine = ++shown;
      var text = input.value;
      ask(text).then(function (answer) { if (mine === shown) { show(answer); } });
    }

    var later = A.debounce(update, DEBOUNCE_MS);
    input.addEventListener("input", function () {
      // What is shown is for the text before this keystroke: say so until the answer comes.
      if (last) { box.classList.add("stale"); box.setAttribute("aria-busy", "true"); }
      later();
    });

    return {
      current: function () {
        var mine = ++shown;
        var text = input.value;
        return ask(text).then(function (answer) {
          if (mine === shown) { show(answer); }
          return answer;
        });
      },
      refresh: update,
      render: render,
      reset: function () { shown++; last = null; render(); }
    };
  };
}());
