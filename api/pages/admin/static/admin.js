/* The console: sign in with a pasted token, then one view at a time by the URL's fragment —
 * #/stations, #/station/<id>, #/new, #/reports, #/files. The fragment never reaches a server,
 * and never holds the token.
 *
 * Signing in asks GET /v1/tokens/me with the pasted token; only a token it accepts is kept
 * (sessionStorage). Signing out forgets it and reloads the page, so nothing of the session
 * stays in memory. Any 401 later (a revoked token) signs out the same way, saying why.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin;
  var $ = A.$;

  var VIEWS = ["signin", "stations", "station", "reports", "files"];
  var NAV = { stations: "stations", station: "stations", reports: "reports", files: "files" };
  var list = null, form = null, moderation = null, files = null;
  var current = null, ignoreHash = null, lastHash = null, leaving = false;

  // -- who is signed in -------------------------------------------------------------------

  /** The token's districts by name ("陕西省西安市碑林区"), or "everywhere" for an admin. */
  A.whoDistricts = function () {
    if (!A.me) { return ""; }
    if (A.me.role === "admin") { return A.t("everywhere"); }
    return A.me.districts.map(function (d) { return A.me.district_names[d] || d; }).join(A.t("list_separator"));
  };

  A.setReportCount = function (n) {
    var badge = $("nav-report-count");
    badge.textContent = n ? A.number(n) : "";
    badge.hidden = !n;
  };

  function showWho() {
    $("who").hidden = !A.me;
    $("nav").hidden = !A.me;
    $("who-text").textContent = A.me ? A.t("who", { name: A.me.name, role: A.word("role", A.me.role), districts: A.whoDistricts() }) : "";
  }

  function signIn(event) {
    event.preventDefault();
    var secret = $("token-input").value.trim();
    var message = $("signin-message");
    if (!secret) { A.message(message, A.t("token_needed"), "error"); $("token-input").focus(); return; }
    $("signin-button").disabled = true;
    A.message(message, A.t("signing_in"));
    A.api("GET", "/v1/tokens/me", { token: secret }).then(function (got) {
      $("signin-button").disabled = false;
      if (!got.ok) {
        A.message(message, got.status === 401 ? A.t("token_refused") : A.problemText(got), "error");
        $("token-input").focus();
        return;
      }
      $("token-input").value = "";
      A.message(message, "");
      A.token.set(secret);
      begin(got.body);
    });
  }

  function signOut(why) {
    A.token.clear();
    A.me = null;
    if (why) {
      try { window.sessionStorage.setItem("yizhan.admin.why", why); } catch (e) { /* said nowhere */ }
    }
    leaving = true;
    window.location.reload();
  }

  function begin(me) {
    A.me = me;
    showWho();
    list = list || A.createList();
    form = form || A.createStationForm(list);
    moderation = moderation || A.createModeration();
    files = files || A.createFiles(list);
    route();
  }

  // -- views ----------------------------------------------------------------------------------

  function showView(name) {
    current = name;
    VIEWS.forEach(function (v) { $("view-" + v).hidden = v !== name; });
    Array.prototype.forEach.call(document.querySelectorAll(".nav-link"), function (a) {
      if (a.getAttribute("data-view") === NAV[name]) { a.setAttribute("aria-current", "page"); } else { a.removeAttribute("aria-current"); }
    });
  }

  function focusHeading(id) {
    var h = $(id);
    if (h) { h.focus({ preventScroll: false }); }
  }

  function route() {
    lastHash = window.location.hash;
    if (!A.me) {
      showView("signin");
      return;
    }
    var hash = window.location.hash.replace(/^#\/?/, "");
    var parts = hash.split("/");
    var done;
    if (parts[0] === "station" && parts[1]) {
      showView("station");
      done = form.open(decodeURIComponent(parts.slice(1).join("/"))).then(function () { form.refresh(); focusHeading("station-h"); });
    } else if (parts[0] === "new") {
      showView("station");
      done = form.openNew().then(function () { form.refresh(); focusHeading("station-h"); });
    } else if (parts[0] === "reports") {
      showView("reports");
      done = moderation.show();
      focusHeading("reports-h");
    } else if (parts[0] === "files") {
      showView("files");
      files.show();
      focusHeading("files-h");
    } else {
      showView("stations");
      done = list.show();
    }
    Promise.resolve(done).then(function () { document.documentElement.setAttribute("data-view", current); });
  }

  function onHash() {
    if (ignoreHash !== null && window.location.hash === ignoreHash) { ignoreHash = null; return; }
    if (current === "station" && form && form.dirty()) {
      var back = lastHash;
      A.confirm(A.t("leave_title"), A.t("leave_text"), A.t("leave_yes")).then(function (yes) {
        if (yes) { route(); return; }
        // Stay: the station's address back in the bar, without opening it again.
        ignoreHash = back;
        window.location.hash = back;
      });
      return;
    }
    route();
  }

  // -- language --------------------------------------------------------------------------

  function applyLang() {
    document.documentElement.lang = A.htmlLang();
    document.title = A.t("title");
    A.applyWords();
    var other = A.lang === "en" ? "zh-CN" : "en";
    $("lang").textContent = A.t("lang_switch");
    $("lang").setAttribute("lang", other);
    $("lang").setAttribute("aria-label", A.t("lang_switch_label"));
    showWho();
    if (list) { list.setLang(); }
    if (form && current === "station") { form.setLang(); }
    if (moderation && current === "reports") { moderation.setLang(); }
    if (files) { files.setLang(); }
  }

  function switchLang() {
    A.lang = A.lang === "en" ? "zh" : "en";
    A.saveLang();
    applyLang();
  }

  // -- start -------------------------------------------------------------------------------

  function start() {
    A.loadLang();
    applyLang();
    $("lang").addEventListener("click", switchLang);
    $("signin-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", function () { signOut(null); });
    window.addEventListener("hashchange", onHash);
    window.addEventListener("beforeunload", function (event) {
      if (!leaving && current === "station" && form && form.dirty()) { event.preventDefault(); event.returnValue = ""; }
    });
    A.onUnauthorized = function () { signOut(A.t("session_ended")); };
    var why = null;
    try { why = window.sessionStorage.getItem("yizhan.admin.why"); window.sessionStorage.removeItem("yizhan.admin.why"); } catch (e) { why = null; }
    var secret = A.token.get();
    var ready = function () { document.documentElement.setAttribute("data-admin-ready", ""); };
    if (!secret) {
      showView("signin");
      if (why) { A.message($("signin-message"), why, "error"); }
      ready();
      return;
    }
    A.api("GET", "/v1/tokens/me").then(function (got) {
      if (got.ok) { begin(got.body); } else {
        showView("signin");
        A.message($("signin-message"), got.status === 401 ? A.t("session_ended") : A.problemText(got), "error");
      }
      ready();
    });
  }

  start();
}());
