/* Import and export. An import is checked first (POST /v1/imports with dry_run=true: nothing
 * is written) and its report shown — rows, created, updated, unchanged, every rejected row with
 * its field and reason, likely duplicates with links to the stations they resemble, the columns
 * set aside — and only a clean check offers "确认导入", which sends the same file again without
 * dry_run. Exports are plain links (public routes). The Excel template is fetched with the token
 * (in case the route asks for one) and saved from memory.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var TEMPLATE = "/v1/imports/template.xlsx";
  var TEMPLATE_NAME = "yizhan-import-template.xlsx";
  var IMPORT_TIMEOUT_MS = 300000;

  function numbers(report) {
    var dl = A.el("dl", "report-numbers");
    [["rows", report.rows], ["created", report.created], ["updated", report.updated],
      ["unchanged", report.unchanged], ["rejected", (report.rejected || []).length],
      ["duplicates", (report.duplicates || []).length]].forEach(function (pair) {
      var item = A.el("div", "number " + pair[0]);
      item.appendChild(A.el("dt", null, A.t("import_" + pair[0])));
      item.appendChild(A.el("dd", null, A.number(pair[1] || 0)));
      dl.appendChild(item);
    });
    return dl;
  }

  function rejectedTable(rejected) {
    var table = A.el("table", "rejected");
    table.appendChild(A.el("caption", null, A.t("import_rejected_caption")));
    var head = A.el("tr");
    ["import_row", "import_field", "import_reason"].forEach(function (k) {
      var th = A.el("th", null, A.t(k));
      th.scope = "col";
      head.appendChild(th);
    });
    var thead = A.el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = A.el("tbody");
    rejected.forEach(function (r) {
      var tr = A.el("tr");
      tr.appendChild(A.el("td", "num", A.number(r.row)));
      tr.appendChild(A.el("td", null, r.field));
      tr.appendChild(A.el("td", null, A.lang === "en" ? r.reason : (r.reason_zh || r.reason)));
      body.appendChild(tr);
    });
    table.appendChild(body);
    return table;
  }

  // Values read from how people write them: the Chinese hours phrase and what will be saved.
  function conversionList(conversions) {
    var box = A.el("div", "conversions");
    box.appendChild(A.el("h5", null, A.t("import_conversions_heading")));
    var list = A.el("ul");
    conversions.forEach(function (c) {
      list.appendChild(A.el("li", null, A.t("import_conversion", {
        row: A.number(c.row), field: c.field, given: c.given, saved: c.saved })));
    });
    box.appendChild(list);
    return box;
  }

  function duplicateList(duplicates) {
    var box = A.el("div", "duplicates");
    box.appendChild(A.el("h5", null, A.t("import_duplicates_heading")));
    var ul = A.el("ul");
    duplicates.forEach(function (d) {
      var li = A.el("li");
      li.appendChild(document.createTextNode(A.t("import_duplicate_row", { row: A.number(d.row), name: d.name, m: A.number(d.distance_m, 1) })));
      if (d.near_id) {
        var a = A.el("a", null, d.near_name);
        a.href = "#/station/" + encodeURIComponent(d.near_id);
        li.appendChild(a);
      } else {
        li.appendChild(document.createTextNode(A.t("import_duplicate_in_file", { row: A.number(d.near_row), name: d.near_name })));
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
    return box;
  }

  A.createFiles = function (list) {
    var $ = A.$;
    var checked = null;   // {file, crs, allow}: the file the last clean check was for

    function options() {
      A.options($("import-crs"), A.CRS.map(function (c) { return [c, A.t("crs_" + c)]; }));
    }

    function render(got, dryRun) {
      var box = A.clear($("import-report"));
      box.hidden = false;
      var report = got.body || {};
      var hasReport = typeof report.rows === "number";
      var heading = A.el("h4", null, A.t(!hasReport ? "import_failed" : report.written ? "import_written" :
        dryRun && got.ok ? "import_clean" : "import_blocked"));
      heading.id = "import-report-h";
      box.appendChild(heading);
      if (!got.ok || !hasReport) { box.appendChild(A.el("p", "problem", A.problemText(got))); }
      if (!hasReport) { return false; }
      box.appendChild(numbers(report));
      if (report.rejected && report.rejected.length) { box.appendChild(rejectedTable(report.rejected)); }
      if (report.duplicates && report.duplicates.length) {
        box.appendChild(duplicateList(report.duplicates));
        if (!got.ok) { box.appendChild(A.el("p", "help", A.t("import_duplicates_help"))); }
      }
      if (report.conversions && report.conversions.length) { box.appendChild(conversionList(report.conversions)); }
      if (report.set_aside && report.set_aside.length) {
        box.appendChild(A.el("p", "help", A.t("import_set_aside", { columns: report.set_aside.join(", ") })));
      }
      return got.ok && dryRun;
    }

    function send(file, dryRun, crs, allow) {
      var form = new FormData();
      form.append("file", file, file.name);
      form.append("crs", crs);
      if (dryRun) { form.append("dry_run", "true"); }
      if (allow) { form.append("allow_duplicates", "true"); }
      return A.api("POST", "/v1/imports", { form: form, timeoutMs: IMPORT_TIMEOUT_MS });
    }

    function check(event) {
      event.preventDefault();
      var file = $("import-file").files && $("import-file").files[0];
      checked = null;
      if (!file) { A.message($("import-message"), A.t("import_choose"), "error"); $("import-file").focus(); return; }
      var crs = $("import-crs").value, allow = $("import-allow-duplicates").checked;
      A.message($("import-message"), A.t("import_checking"));
      $("import-check").disabled = true;
      send(file, true, crs, allow).then(function (got) {
        $("import-check").disabled = false;
        A.message($("import-message"), "");
        if (render(got, true)) {
          checked = { file: file, crs: crs, allow: allow };
          var confirm = A.button("import_confirm", "primary", commit);
          confirm.id = "import-confirm";
          $("import-report").appendChild(confirm);
        }
        $("import-report").focus();
      });
    }

    function commit() {
      if (!checked) { return; }
      var job = checked;
      $("import-confirm").disabled = true;
      A.message($("import-message"), A.t("import_writing"));
      send(job.file, false, job.crs, job.allow).then(function (got) {
        A.message($("import-message"), "");
        checked = null;
        render(got, false);
        if (got.ok) { list.stale(); A.say(A.t("import_done", { created: A.number(got.body.created), updated: A.number(got.body.updated) })); }
        $("import-report").focus();
      });
    }

    function forget() {
      checked = null;
      A.clear($("import-report"));
      $("import-report").hidden = true;
      A.message($("import-message"), "");
    }

    function template() {
      A.message($("import-message"), A.t("loading"));
      // A file, not JSON: fetched here (A.api reads JSON) with the same headers.
      var headers = { "Accept-Language": A.lang === "en" ? "en" : "zh-CN" };
      var secret = A.token.get();
      if (secret) { headers.Authorization = "Bearer " + secret; }
      fetch(TEMPLATE, { headers: headers, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" }).then(function (response) {
        if (!response.ok) {
          A.message($("import-message"), response.status === 404 ? A.t("template_missing") : A.t("failed_status", { status: response.status }), "error");
          return null;
        }
        return response.blob().then(function (blob) {
          var url = URL.createObjectURL(blob);
          var a = A.el("a");
          a.href = url;
          a.download = TEMPLATE_NAME;
          document.body.appendChild(a);
          a.click();
          document.body.removeChild(a);
          setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
          A.message($("import-message"), A.t("template_saved", { name: TEMPLATE_NAME }), "ok");
        });
      }, function () { A.message($("import-message"), A.t("network_failed"), "error"); });
    }

    $("import-form").addEventListener("submit", check);
    ["import-file", "import-crs", "import-allow-duplicates"].forEach(function (id) { $(id).addEventListener("change", forget); });
    $("import-template").addEventListener("click", template);
    return { show: function () { options(); }, setLang: function () { options(); } };
  };
}());
