/* Words filled in, and numbers, distances, directions and times formatted for the page's
 * language with Intl. Times are always shown in China's time (Asia/Shanghai), whatever the
 * phone's own time zone, because opening hours are.
 */
(function () {
  "use strict";
  var R = window.YizhanRider = window.YizhanRider || {};

  var ZONE = "Asia/Shanghai";
  // Ride time estimate: straight-line distance x DETOUR at 15 km/h (250 m a minute) by e-bike.
  var DETOUR = 1.3;
  var RIDE_M_PER_MIN = 15000 / 60;
  var DIRECTIONS = ["n", "ne", "e", "se", "s", "sw", "w", "nw"];

  R.lang = "zh";

  function locale() { return R.HTML_LANG[R.lang] || "zh-CN"; }
  R.locale = locale;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : all;
    });
  }

  /** The message `key` in the page's language, {slots} filled with `values` as text. */
  R.t = function (key, values) {
    var pair = R.WORDS[key];
    if (!pair) { return key; }
    var text = pair[R.lang === "en" ? 1 : 0];
    return values ? fill(text, values) : text;
  };

  /** `key` or `key_one` by the language's plural rule for n; {n} is n formatted. */
  R.tn = function (key, n, values) {
    var rule = typeof Intl.PluralRules === "function" ?
      new Intl.PluralRules(locale()).select(n) : (n === 1 ? "one" : "other");
    var chosen = rule === "one" && R.WORDS[key + "_one"] ? key + "_one" : key;
    return R.t(chosen, Object.assign({ n: R.number(n) }, values || {}));
  };

  R.number = function (n, digits) {
    return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits || 0 }).format(n);
  };

  /** "850 米" / "1.2 km": metres below 1 km (to 10 m past 100 m), else km. */
  R.distanceText = function (metres) {
    if (metres < 1000) {
      var m = metres < 100 ? Math.round(metres) : Math.round(metres / 10) * 10;
      return R.t("distance_m", { n: R.number(m) });
    }
    var km = metres / 1000;
    return R.t("distance_km", { n: R.number(km, km < 10 ? 1 : 0) });
  };

  /** The ride time: the server's duration_s when it sends one (routed, or its estimate), else
   * our stated estimate. */
  R.rideText = function (props) {
    if (typeof props.duration_s === "number" && isFinite(props.duration_s)) {
      var n = R.number(Math.max(1, Math.round(props.duration_s / 60)));
      return R.t(props.duration_source === "estimate" ? "ride_server_estimate" : "ride", { n: n });
    }
    var minutes = Math.max(1, Math.round(props.distance_m * DETOUR / RIDE_M_PER_MIN));
    return R.t("ride_estimate", { n: R.number(minutes) });
  };

  /** "东北方向" for a bearing in degrees clockwise from north (eight sectors). */
  R.directionText = function (bearingDeg) {
    var b = ((bearingDeg % 360) + 360) % 360;
    return R.t("direction_" + DIRECTIONS[Math.round(b / 45) % 8]);
  };

  var partsFormat = null;

  // Year, month, day, hour and minute of an instant in China's time, as 2-digit strings.
  function shanghai(date) {
    partsFormat = partsFormat || new Intl.DateTimeFormat("en-GB", {
      timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    });
    var out = {};
    partsFormat.formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    if (out.hour === "24") { out.hour = "00"; }  // some engines write midnight as 24:00
    return out;
  }

  function dayKey(date) {
    var p = shanghai(date);
    return p.year + "-" + p.month + "-" + p.day;
  }

  function clock(date) {
    var p = shanghai(date);
    return p.hour + ":" + p.minute;
  }

  // "12月24日" / "Dec 24", with the year when it is not this year's.
  function shortDate(date, now) {
    var options = { timeZone: ZONE, month: R.lang === "en" ? "short" : "long", day: "numeric" };
    if (shanghai(date).year !== shanghai(now).year) { options.year = "numeric"; }
    return new Intl.DateTimeFormat(locale(), options).format(date);
  }

  /** An instant as China's clock time: "20:00" today, "明天 08:00", else "12月24日 08:00". */
  R.timeText = function (value, now) {
    var date = new Date(value);
    if (isNaN(date.getTime())) { return String(value); }
    now = now || new Date();
    if (dayKey(date) === dayKey(now)) { return clock(date); }
    if (dayKey(date) === dayKey(new Date(now.getTime() + 86400000))) {
      return R.t("tomorrow_at", { time: clock(date) });
    }
    return R.t("date_at", { date: shortDate(date, now), time: clock(date) });
  };

  /** The day of an instant in China, "2026-11-30". */
  R.dateText = function (value) {
    var date = new Date(value);
    return isNaN(date.getTime()) ? String(value) : dayKey(date);
  };

  /** What open_status and next_change say, as {state, text}: "营业至 20:00", "20:00 开门",
   * a running temporary closure with its reason, "状态未知", "骑手报告已关闭". */
  R.statusText = function (props, now) {
    now = now || new Date();
    var next = props.next_change;
    switch (props.open_status) {
      case "open":
        return { state: "open", text: next ? R.t("open_until", { time: R.timeText(next, now) }) : R.t("open") };
      case "closed":
        if (props.closed_until && new Date(props.closed_until) > now) {
          var until = R.timeText(props.closed_until, now);
          return {
            state: "closed",
            text: props.closure_reason ?
              R.t("closed_until_reason", { time: until, reason: props.closure_reason }) :
              R.t("closed_until", { time: until })
          };
        }
        return { state: "closed", text: next ? R.t("opens_at", { time: R.timeText(next, now) }) : R.t("closed") };
      case "reported_closed":
        return { state: "reported_closed", text: R.t("reported_closed") };
      default:
        return { state: "unknown", text: R.t("unknown") };
    }
  };
}());
