/* The station's amenities: a check box for each of GET /v1/amenities in the console's language,
 * and, for each amenity the saved station lists, a button marking it out of order or working
 * again (a write of its own: PUT /v1/stations/{id}/amenities/{code}, made by the form).
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  /** The grid in `box`; onState(code, "out_of_order" | "working") when a mark is asked for. */
  A.createAmenityGrid = function (box, onState) {
    function item(a, checked, broken, markable) {
      var row = A.el("div", "amenity" + (broken ? " is-broken" : ""));
      row.setAttribute("data-amenity", a.code);
      var label = A.el("label", "check");
      var input = document.createElement("input");
      input.type = "checkbox";
      input.value = a.code;
      input.checked = checked;
      input.id = "amenity-" + a.code;
      label.appendChild(input);
      label.appendChild(A.el("span", null, A.amenityLabel(a.code)));
      if (broken) { label.appendChild(A.el("span", "broken-tag", A.t("out_of_order"))); }
      row.appendChild(label);
      if (markable) {
        var toggle = A.button(broken ? "mark_working" : "mark_broken", "small " + (broken ? "secondary" : "quiet"),
          function () { onState(a.code, broken ? "working" : "out_of_order"); });
        toggle.setAttribute("aria-label", A.t(broken ? "mark_working_label" : "mark_broken_label",
          { amenity: A.amenityLabel(a.code) }));
        row.appendChild(toggle);
      }
      return row;
    }

    return {
      /** Draw every amenity: `checked` codes ticked; `saved` (the stored station's codes) and
       * `broken` ({code: since}) mark-able when `markable`. */
      render: function (checked, saved, broken, markable) {
        A.clear(box);
        A.amenities.forEach(function (a) {
          box.appendChild(item(a, checked.indexOf(a.code) >= 0,
            Object.prototype.hasOwnProperty.call(broken, a.code), markable && saved.indexOf(a.code) >= 0));
        });
      },
      /** The ticked codes, in the vocabulary's order. */
      checked: function () {
        return Array.prototype.filter.call(box.querySelectorAll("input[type=checkbox]"),
          function (i) { return i.checked; }).map(function (i) { return i.value; });
      }
    };
  };
}());
