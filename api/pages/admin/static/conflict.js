/* The conflict screen, after a save answered 412: a colleague saved the station since it was
 * opened. Every field where the editor's values and the colleague's version differ is shown
 * side by side, and the editor keeps theirs or takes the colleague's, field by field (a field
 * only the colleague changed starts on theirs, one only the editor changed on the editor's);
 * then saves again on the colleague's version, or discards their own changes.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  function choice(field, side, label, value, checked) {
    var box = A.el("label", "pick pick-" + side);
    var input = document.createElement("input");
    input.type = "radio";
    input.name = "pick-" + field;
    input.value = side;
    input.checked = checked;
    box.appendChild(input);
    var words = A.el("span", "pick-words");
    words.appendChild(A.el("span", "pick-label", label));
    words.appendChild(A.el("span", "pick-value", value));
    box.appendChild(words);
    return box;
  }

  function fieldRow(field, c) {
    var group = A.el("fieldset", "conflict-field");
    group.setAttribute("data-field", field);
    group.appendChild(A.el("legend", null, A.t("field_" + field)));
    var mineChanged = !A.sameValue(field, c.base[field], c.mine[field]);
    var mine = c.picks && c.picks[field] ? c.picks[field] === "mine" : mineChanged;
    var pair = A.el("div", "pick-pair");
    pair.appendChild(choice(field, "mine", A.t(mineChanged ? "keep_mine" : "keep_mine_unchanged"),
      A.showValue(field, c.mine[field]), mine));
    pair.appendChild(choice(field, "theirs", A.t("take_theirs", { version: c.version }),
      A.showValue(field, c.theirs[field]), !mine));
    group.appendChild(pair);
    return group;
  }

  /** The choices made so far in `box`, {field: "mine" | "theirs"}. */
  A.conflictPicks = function (box) {
    var picks = {};
    Array.prototype.forEach.call(box.querySelectorAll("input[type=radio]:checked"), function (input) {
      picks[input.name.replace(/^pick-/, "")] = input.value;
    });
    return picks;
  };

  /** Show the conflict in `box`. c: {base, mine, theirs (records), version (theirs), by, at,
   * picks (choices to start from)}; onSave(merged record), onDiscard(). */
  A.showConflict = function (box, c, onSave, onDiscard) {
    A.clear(box);
    box.hidden = false;
    var heading = A.el("h3", null, A.t("conflict_heading"));
    heading.id = "conflict-h";
    box.appendChild(heading);
    box.appendChild(A.el("p", "conflict-who", c.by ?
      A.t("conflict_by", { who: c.by, time: A.timeText(c.at), version: c.version }) :
      A.t("conflict_version", { version: c.version })));
    var fields = A.differences(c.mine, c.theirs);
    box.appendChild(A.el("p", "help", A.t(fields.length ? "conflict_help" : "conflict_same")));
    var form = A.el("form", "conflict-form");
    form.noValidate = true;
    fields.forEach(function (field) { form.appendChild(fieldRow(field, c)); });
    var actions = A.el("div", "actions");
    var save = A.el("button", "primary", A.t("conflict_save", { version: c.version }));
    save.type = "submit";
    actions.appendChild(save);
    actions.appendChild(A.button("conflict_discard", "secondary", function () { onDiscard(); }));
    form.appendChild(actions);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var merged = {};
      A.FIELDS.forEach(function (field) {
        var picked = form.querySelector("input[name='pick-" + field + "']:checked");
        merged[field] = picked && picked.value === "mine" ? c.mine[field] : c.theirs[field];
      });
      onSave(merged);
    });
    box.appendChild(form);
    if (!c.picks) { box.focus(); }  // not again when redrawn in the other language
  };
}());
