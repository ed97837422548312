/* The console's shared helpers: words, elements, times, the token and calls to the API.
 *
 * The token lives in sessionStorage only (this tab; gone when the tab closes or on sign-out),
 * and travels in the Authorization header only: never in a URL, never written to the console.
 * Every string from the API is set as text (textContent, value), never as markup.
 */
(function () {
  "use strict";
  var A = window.YizhanAdmin = window.YizhanAdmin || {};

  var TOKEN_KEY = "yizhan.admin.token";
  var LANG_KEY = "yizhan.admin.lang";
  var ZONE = "Asia/Shanghai";
  var TIMEOUT_MS = 30000;

  A.lang = "zh";
  A.me = null;           // {name, role, districts, district_names} once signed in
  A.amenities = [];      // GET /v1/amenities: [{code, zh, en}]
  A.onUnauthorized = null;

  A.$ = function (id) { return document.getElementById(id); };

  /** A new element with a class and text (never markup). */
  A.el = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  };

  A.clear = function (node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
    return node;
  };

  A.button = function (key, className, onClick, values) {
    var b = A.el("button", className || "secondary", A.t(key, values));
    b.type = "button";
    if (onClick) { b.addEventListener("click", onClick); }
    return b;
  };

  // -- words --------------------------------------------------------------------------------

  A.htmlLang = function () { return A.lang === "en" ? "en" : "zh-CN"; };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : all;
    });
  }

  /** The message `key` in the console's language, {slots} filled with `values` as text. */
  A.t = function (key, values) {
    var pair = A.WORDS[key];
    if (!pair) { return key; }
    var text = pair[A.lang === "en" ? 1 : 0];
    return values ? fill(text, values) : text;
  };

  /** `key_one` for one in English, else `key`; {n} is n formatted. */
  A.tn = function (key, n, values) {
    var chosen = A.lang === "en" && n === 1 && A.WORDS[key + "_one"] ? key + "_one" : key;
    return A.t(chosen, Object.assign({ n: A.number(n) }, values || {}));
  };

  /** The word for a value of a vocabulary (`kind`, `status`, …), or the value itself. */
  A.word = function (prefix, value) {
    if (value === null || value === undefined || value === "") { return A.t(prefix + "_none"); }
    return A.WORDS[prefix + "_" + value] ? A.t(prefix + "_" + value) : String(value);
  };

  A.applyWords = function (root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-t]"), function (node) {
      node.textContent = A.t(node.getAttribute("data-t"));
    });
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-t-label]"), function (node) {
      node.setAttribute("aria-label", A.t(node.getAttribute("data-t-label")));
    });
  };

  A.loadLang = function () {
    try { A.lang = window.localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh"; } catch (e) { A.lang = "zh"; }
  };

  A.saveLang = function () {
    try { window.localStorage.setItem(LANG_KEY, A.lang); } catch (e) { /* private mode */ }
  };

  A.number = function (n, digits) {
    return new Intl.NumberFormat(A.htmlLang(), { maximumFractionDigits: digits || 0 }).format(n);
  };

  A.amenityLabel = function (code) {
    for (var i = 0; i < A.amenities.length; i++) {
      if (A.amenities[i].code === code) { return A.lang === "en" ? A.amenities[i].en : A.amenities[i].zh; }
    }
    return code;
  };

  // -- times (always China's clock: opening hours and closures are) -----------------------

  var partsFormat = null;

  /** {year, month, day, hour, minute} of an instant in China, 2-digit strings. */
  A.shanghai = function (date) {
    partsFormat = partsFormat || new Intl.DateTimeFormat("en-GB", {
      timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    });
    var out = {};
    partsFormat.formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    if (out.hour === "24") { out.hour = "00"; }
    return out;
  };

  /** "2026-12-01 16:44" (China time) for an ISO instant; the text itself if it is not one. */
  A.timeText = function (value) {
    var date = new Date(value);
    if (!value || isNaN(date.getTime())) { return value ? String(value) : ""; }
    var p = A.shanghai(date);
    return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute;
  };

  A.dateText = function (value) {
    return A.timeText(value).slice(0, 10);
  };

  /** Whole days from an instant to now (0 when in the future). */
  A.daysSince = function (value) {
    var date = new Date(value);
    return isNaN(date.getTime()) ? null : Math.max(0, Math.floor((Date.now() - date.getTime()) / 86400000));
  };

  // -- the token ----------------------------------------------------------------------------

  A.token = {
    get: function () {
      try { return window.sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
    },
    set: function (secret) {
      try { window.sessionStorage.setItem(TOKEN_KEY, secret); } catch (e) { /* kept nowhere */ }
    },
    clear: function () {
      try { window.sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing kept */ }
    }
  };

  /** Whether the signed-in token may write a station in this district (as Token.may_write). */
  A.mayWrite = function (districtCode) {
    if (!A.me) { return false; }
    if (A.me.role === "admin") { return true; }
    return A.me.districts.some(function (prefix) { return String(districtCode || "").indexOf(prefix) === 0; });
  };

  // -- the API ------------------------------------------------------------------------------

  /** Call the API. options: json (a value sent as JSON), form (FormData), contentType,
   * ifMatch (a version number), token (a secret to try instead of the stored one).
   * Resolves to {status, ok, body, headers, version}; status 0 when the network failed. */
  A.api = function (method, path, options) {
    options = options || {};
    var headers = { "Accept": "application/json, application/geo+json, application/problem+json",
      "Accept-Language": A.lang === "en" ? "en" : "zh-CN" };
    var secret = options.token || A.token.get();
    if (secret) { headers.Authorization = "Bearer " + secret; }
    if (options.ifMatch !== undefined && options.ifMatch !== null) { headers["If-Match"] = "\"" + options.ifMatch + "\""; }
    var body;
    if (options.json !== undefined) {
      headers["Content-Type"] = options.contentType || "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;
    }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, options.timeoutMs || TIMEOUT_MS) : null;
    return fetch(path, {
      method: method, headers: headers, body: body, credentials: "omit", cache: "no-store",
      referrerPolicy: "no-referrer", signal: controller ? controller.signal : undefined
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var read = /json/.test(type) ? response.json().catch(function () { return null; }) : Promise.resolve(null);
      return read.then(function (json) {
        clearTimeout(timer);
        var etag = response.headers.get("ETag");
        var got = {
          status: response.status, ok: response.ok, body: json, headers: response.headers,
          version: etag && /^"\d+"$/.test(etag) ? Number(etag.slice(1, -1)) : null
        };
        if (response.status === 401 && secret && !options.token && A.onUnauthorized) { A.onUnauthorized(); }
        return got;
      });
    }, function () {
      clearTimeout(timer);
      return { status: 0, ok: false, body: null, headers: null, version: null };
    });
  };

  /** What a failed answer says, for a person: the problem's detail, or why there is none. */
  A.problemText = function (got) {
    if (got.status === 0) { return A.t("network_failed"); }
    if (got.body && typeof got.body.detail === "string") { return got.body.detail; }
    return A.t("failed_status", { status: got.status });
  };

  /** GET /v1/amenities once. */
  A.loadAmenities = function () {
    if (A.amenities.length) { return Promise.resolve(A.amenities); }
    return A.api("GET", "/v1/amenities").then(function (got) {
      if (got.ok && got.body && got.body.amenities) { A.amenities = got.body.amenities; }
      return A.amenities;
    });
  };

  var districts = {};      // code -> {code, name, full_name, level}
  var districtAsks = {};   // prefix -> Promise

  /** GET /v1/districts?prefix=…, once per prefix; resolves to the districts under it. */
  A.loadDistricts = function (prefix) {
    if (!districtAsks[prefix]) {
      districtAsks[prefix] = A.api("GET", "/v1/districts?prefix=" + encodeURIComponent(prefix)).then(function (got) {
        var found = (got.ok && got.body && got.body.districts) || [];
        found.forEach(function (d) { districts[d.code] = d; });
        if (!got.ok) { delete districtAsks[prefix]; }
        return found;
      });
    }
    return districtAsks[prefix];
  };

  /** The district's full name if known ("陕西省西安市碑林区"), else null. */
  A.districtName = function (code) {
    var d = districts[code];
    return d ? d.full_name : null;
  };

  A.district = function (code) { return districts[code] || null; };

  // -- saying things ------------------------------------------------------------------------

  var toastTimer = null;

  /** A short message in the status line at the top (read out by screen readers). */
  A.say = function (text) {
    var toast = A.$("toast");
    toast.textContent = text;
    toast.className = "toast" + (text ? " shown" : "");
    clearTimeout(toastTimer);
    if (text) { toastTimer = setTimeout(function () { toast.textContent = ""; toast.className = "toast"; }, 8000); }
  };

  /** Put a message in a message line; kind "error" or "ok". */
  A.message = function (node, text, kind) {
    node.textContent = text || "";
    node.className = "message" + (kind ? " " + kind : "");
  };

  /** Ask to confirm in the console's dialog; resolves true or false. */
  A.confirm = function (title, text, yes) {
    var dialog = A.$("confirm");
    var opener = document.activeElement;
    A.$("confirm-h").textContent = title;
    A.$("confirm-text").textContent = text;
    A.$("confirm-yes").textContent = yes;
    A.$("confirm-no").textContent = A.t("cancel");
    return new Promise(function (done) {
      function finish(answer) {
        A.$("confirm-yes").removeEventListener("click", onYes);
        A.$("confirm-no").removeEventListener("click", onNo);
        dialog.removeEventListener("cancel", onNo);
        if (dialog.open) { dialog.close(); }
        if (opener && opener.focus) { opener.focus(); }
        done(answer);
      }
      function onYes() { finish(true); }
      function onNo(event) { if (event) { event.preventDefault(); } finish(false); }
      A.$("confirm-yes").addEventListener("click", onYes);
      A.$("confirm-no").addEventListener("click", onNo);
      dialog.addEventListener("cancel", onNo);
      dialog.showModal();
      A.$("confirm-no").focus();
    });
  };

  A.debounce = function (fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  };

  /** <option>s for a select from [value, text] pairs, keeping the chosen value if it is one. */
  A.options = function (select, pairs) {
    var chosen = select.value;
    A.clear(select);
    pairs.forEach(function (pair) {
      var option = A.el("option", null, pair[1]);
      option.value = pair[0];
      select.appendChild(option);
    });
    if (pairs.some(function (p) { return p[0] === chosen; })) { select.value = chosen; }
  };
}());
