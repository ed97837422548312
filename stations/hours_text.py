"""Opening hours in plain Chinese or English, for people: "Mo-Fr 08:30-18:00; PH off" reads
"周一至周五 08:30–18:00，法定节假日休息" / "Mon–Fri 08:30–18:00; closed on public holidays".

Covers the forms station lists use: rules separated by ";", each an optional day selector
(weekdays, ranges and lists of them, PH for China's public holidays), then times
("08:00-12:00,14:00-21:00", past midnight as "18:00-06:00" or "18:00-24:00") or "off"/"closed";
and "24/7". Anything else is not guessed at: ``describe`` returns None and the caller shows the
original text. Whether a station is open is never decided here (stations/hours.py does that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

Lang = Literal["zh", "en"]

_DAYS: Final = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_NAMES: Final[dict[Lang, tuple[str, ...]]] = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_WORDS: Final[dict[Lang, dict[str, str]]] = {
    "zh": {
        "always": "24小时开放",
        "daily": "每天",
        "holidays": "法定节假日",
        "closed": "休息",
        "range": "至",
        "list": "、",
        "times": "，",
        "rules": "；",
        "next_day": "次日{}",
        "holiday_rule": "，",
        "all_day": "全天",
        "never": "暂不开放",
    },
    "en": {
        "always": "open 24 hours",
        "daily": "daily",
        "holidays": "public holidays",
        "closed": "closed",
        "range": "–",
        "list": ", ",
        "times": ", ",
        "rules": "; ",
        "next_day": "{} (next day)",
        "holiday_rule": "; ",
        "all_day": "all day",
        "never": "closed",
    },
}
_TIME: Final = r"(?:[01]\d|2[0-4]):[0-5]\d"
_SPAN: Final = re.compile(rf"({_TIME})-({_TIME})")
_TIMES: Final = re.compile(rf"{_TIME}-{_TIME}(?:,{_TIME}-{_TIME})*")
_DAY_SELECTOR: Final = re.compile(r"(?:Mo|Tu|We|Th|Fr|Sa|Su)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?")


@dataclass(frozen=True, slots=True)
class _Rule:
    days: tuple[int, ...] | None  # weekday numbers (Mo = 0), None: every day
    holidays: bool  # the rule is for public holidays (PH)
    spans: tuple[tuple[str, str], ...]  # empty: closed


def describe(opening_hours: str | None, lang: Lang) -> str | None:
    """The hours in plain words, or None when there are none or they use a form not covered
    here (show the original then)."""
    if opening_hours is None:
        return None
    text = opening_hours.strip()
    if text == "24/7":
        return _WORDS[lang]["always"]
    rules = [_rule(part.strip()) for part in text.split(";") if part.strip()]
    if not rules or any(rule is None for rule in rules):
        return None
    words = _WORDS[lang]
    parts = [_rule_text(rule, lang) for rule in rules if rule is not None]
    # Holiday rules read as an afterthought of the weekly ones: "…，法定节假日休息".
    weekly = [p for p, r in zip(parts, rules, strict=True) if r is not None and not r.holidays]
    holiday = [p for p, r in zip(parts, rules, strict=True) if r is not None and r.holidays]
    out = words["rules"].join(weekly)
    if holiday:
        out = (out + words["holiday_rule"] if out else "") + words["rules"].join(holiday)
    return out


def describe_both(opening_hours: str | None) -> dict[str, str] | None:
    """{"zh": …, "en": …}, or None when ``describe`` has nothing to say."""
    zh, en = describe(opening_hours, "zh"), describe(opening_hours, "en")
    return None if zh is None or en is None else {"zh": zh, "en": en}


def _rule(text: str) -> _Rule | None:
    if text == "24/7":
        return _Rule(None, False, (("00:00", "24:00"),))
    selector, _, rest = text.partition(" ")
    if _TIMES.fullmatch(selector) or selector in ("off", "closed"):
        selector, rest = "", text  # no day selector: every day
    holidays = selector == "PH"
    days: tuple[int, ...] | None = None
    if selector and not holidays:
        days = _days(selector)
        if days is None:
            return None
    rest = rest.strip()
    if rest in ("off", "closed"):
        return _Rule(days, holidays, ())
    if not _TIMES.fullmatch(rest):
        return None
    return _Rule(days, holidays, tuple(_SPAN.findall(rest)))


def _days(selector: str) -> tuple[int, ...] | None:
    chosen: list[int] = []
    for item in selector.split(","):
        if not _DAY_SELECTOR.fullmatch(item):
            return None
        first, _, last = item.partition("-")
        start, end = _DAYS.index(first), _DAYS.index(last or first)
        span = range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
        chosen += [d for d in span if d not in chosen]
    return tuple(chosen)


def _rule_text(rule: _Rule, lang: Lang) -> str:
    words = _WORDS[lang]
    if rule.holidays:
        who = words["holidays"]
    elif rule.days is None or sorted(rule.days) == list(range(7)):
        who = words["daily"]
    else:
        who = _days_text(rule.days, lang)
    if not rule.spans:
        if who == words["daily"]:
            return words["never"]
        return f"{who}{words['closed']}" if lang == "zh" else f"{words['closed']} on {who}"
    if who == words["daily"] and rule.spans == (("00:00", "24:00"),):
        return words["always"]
    times = words["times"].join(_span_text(start, end, lang) for start, end in rule.spans)
    return f"{who} {times}"


def _days_text(days: tuple[int, ...], lang: Lang) -> str:
    """Runs of consecutive days as ranges (三天以上), the rest listed: 周一至周五、周日."""
    names, words = _DAY_NAMES[lang], _WORDS[lang]
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]}{words['range']}{names[run[-1]]}")
        else:
            parts += [names[d] for d in run]
    return words["list"].join(parts)


def _span_text(start: str, end: str, lang: Lang) -> str:
    if (start, end) in (("00:00", "24:00"), ("00:00", "00:00")):
        return _WORDS[lang]["all_day"]
    if end < start:  # past midnight
        return f"{start}–{_WORDS[lang]['next_day'].format(end)}"
    return f"{start}–{end}"
