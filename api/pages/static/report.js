/* "报告问题": a small dialog that sends a rider's report, POST /v1/stations/{id}/reports, and
 * says what came back: 201 thanks, 200 duplicate, 429 with the problem's detail and how long
 * to wait (Retry-After), any other problem's detail, or no network.
 */
(function () {
  "use strict";
  var R = window.YizhanRider = window.YizhanRider || {};

  function $(id) { return document.getElementById(id); }

  /** The report dialog; open(props, opener) shows it for one station. */
  R.createReport = function () {
    var dialog = $("report");
    var form = $("report-form");
    var categories = $("report-categories");
    var amenityBox = $("report-amenity-box");
    var amenity = $("report-amenity");
    var note = $("report-note");
    var noteLabel = $("report-note-label");
    var message = $("report-message");
    var send = $("report-send");
    var station = null, opener = null, sending = false;

    function chosen() {
      var checked = form.querySelector("input[name=category]:checked");
      return checked ? checked.value : null;
    }

    function fillCategories() {
      while (categories.firstChild) { categories.removeChild(categories.firstChild); }
      R.CATEGORIES.forEach(function (code) {
        if (R.AMENITY_CATEGORIES.indexOf(code) >= 0 && !(station.amenities || []).length) { return; }
        var label = R.el("label", "choice");
        var input = document.createElement("input");
        input.type = "radio";
        input.name = "category";
        input.value = code;
        input.addEventListener("change", update);
        label.appendChild(input);
        label.appendChild(R.el("span", null, R.t("category_" + code)));
        categories.appendChild(label);
      });
      while (amenity.firstChild) { amenity.removeChild(amenity.firstChild); }
      (station.amenities || []).forEach(function (code) {
        var option = R.el("option", null, R.amenityLabel(code));
        option.value = code;
        amenity.appendChild(option);
      });
    }

    function update() {
      var category = chosen();
      amenityBox.hidden = R.AMENITY_CATEGORIES.indexOf(category) < 0;
      noteLabel.textContent = R.t(category === "other" ? "report_note_required" : "report_note");
      note.required = category === "other";
    }

    function say(text) { message.textContent = text; }

    function waitText(seconds) {
      return seconds >= 60 ?
        R.t("wait_minutes", { n: R.number(Math.ceil(seconds / 60)) }) :
        R.t("wait_seconds", { n: R.number(Math.max(1, seconds)) });
    }

    function answered(response, body) {
      var detail = (body && body.detail) || response.statusText || String(response.status);
      if (response.status === 201) { return say(R.t("report_thanks")); }
      if (response.status === 200 && body && body.duplicate) { return say(R.t("report_duplicate")); }
      if (response.status === 429) {
        var wait = parseInt(response.headers.get("Retry-After") || (body && body.retry_after_s), 10);
        return say(R.t("report_limited", { wait: waitText(isNaN(wait) ? 60 : wait), detail: detail }));
      }
      say(R.t("report_failed", { detail: detail }));
    }

    function submit(event) {
      event.preventDefault();
      if (sending) { return; }
      var category = chosen();
      var text = note.value.trim();
      if (!category) { return say(R.t("report_choose")); }
      if (category === "other" && !text) { note.focus(); return say(R.t("report_need_note")); }
      var body = { category: category };
      if (R.AMENITY_CATEGORIES.indexOf(category) >= 0) { body.amenity = amenity.value; }
      if (text) { body.note = text; }
      sending = true;
      send.disabled = true;
      say(R.t("report_sending"));
      fetch("/v1/stations/" + encodeURIComponent(station.id) + "/reports", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.text().then(function (raw) {
          var parsed = null;
          try { parsed = JSON.parse(raw); } catch (e) { parsed = null; }
          answered(response, parsed);
        });
      }, function () {
        say(R.t("report_offline"));
      }).then(function () {
        sending = false;
        send.disabled = false;
      });
    }

    function close() {
      if (typeof dialog.close === "function") { dialog.close(); } else { dialog.removeAttribute("open"); closed(); }
    }

    function closed() {
      if (opener && document.body.contains(opener)) { opener.focus(); }
    }

    form.addEventListener("submit", submit);
    $("report-close").addEventListener("click", close);
    dialog.addEventListener("close", closed);

    return {
      open: function (props, button) {
        station = props;
        opener = button;
        $("report-h").textContent = R.t("report_title", { name: props.name });
        form.reset();
        fillCategories();
        update();
        say("");
        if (typeof dialog.showModal === "function") { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
        var first = categories.querySelector("input");
        if (first) { first.focus(); }
      },
      isOpen: function () { return dialog.hasAttribute("open"); }
    };
  };
}());
