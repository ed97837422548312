/* Problems shown next to the fields they name: each {field, reason} of a 422's errors (or one
 * the page finds itself) as a note under its input, which is marked aria-invalid and described
 * by the note, so a screen reader says both when the input is focused.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  function describedBy(input, id, on) {
    var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (x) { return x && x !== id; });
    if (on) { ids.push(id); }
    if (ids.length) { input.setAttribute("aria-describedby", ids.join(" ")); } else { input.removeAttribute("aria-describedby"); }
  }

  /** inputFor(field) -> the input a field's problem belongs to, or null. */
  A.createFieldErrors = function (inputFor) {
    var marked = [];

    function clearInput(input) {
      var note = document.getElementById(input.id + "-error");
      if (note) { note.parentNode.removeChild(note); }
      input.removeAttribute("aria-invalid");
      describedBy(input, input.id + "-error", false);
      marked = marked.filter(function (i) { return i !== input; });
    }

    return {
      /** Show `reason` under the field's input; returns the input (null: no such field). */
      set: function (field, reason) {
        var input = inputFor(String(field).replace(/\[\d+\]$/, ""));
        if (!input) { return null; }
        var note = document.getElementById(input.id + "-error") || A.el("p", "field-error");
        note.id = input.id + "-error";
        note.textContent = reason;
        (input.closest(".field") || input.closest("fieldset")).appendChild(note);
        input.setAttribute("aria-invalid", "true");
        describedBy(input, note.id, true);
        if (marked.indexOf(input) < 0) { marked.push(input); }
        return input;
      },
      clear: function (field) {
        var input = inputFor(field);
        if (input) { clearInput(input); }
      },
      clearAll: function () { marked.slice().forEach(clearInput); }
    };
  };
}());
