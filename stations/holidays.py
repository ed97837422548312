"""China's holiday calendar and the PH/SH selectors of an ``opening_hours`` text.

``stations.holiday_rewrite`` rewrites these selectors day by day; this module finds them and
says which days are public holidays (every day of the State Council's holiday breaks, from
``chinese_calendar``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import chinese_calendar


@lru_cache(maxsize=4096)
def is_public_holiday(day: date) -> bool | None:
    """Whether ``day`` (a Shanghai calendar day) is in an official holiday break.

    None when ``chinese_calendar`` has no data for that year (it covers 2004-2026).
    """
    try:
        in_break, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    # (True, None) is an ordinary weekend; (False, name) a make-up working day (调休).
    return bool(in_break) and name is not None


# A weekday selector as the opening-hours-py 2.1.4 grammar (grammar.pest) defines it: holidays
# are case-sensitive, weekdays are not, and "su" must not start "sunrise"/"sunset".
_WDAY = r"(?:(?i:su)(?!(?i:nrise|nset))|(?i:mo|tu|we|th|fr|sa))"
_OFFSET = r" [+-]0*[1-9][0-9]{0,3} days?"
_NTH = r"(?:[1-5]-[1-5]|-[1-5]|[1-5])"
_WRANGE = rf"{_WDAY}(?:\[{_NTH}(?:,{_NTH})*\](?:{_OFFSET})?|-{_WDAY})?"
_WSEQ = rf"{_WRANGE}(?:,{_WRANGE})*"
_HOLIDAY = rf"(?:PH(?:{_OFFSET})?|SH)"
_HSEQ = rf"{_HOLIDAY}(?:,{_HOLIDAY})*"
_SELECTOR = re.compile(
    r'"[^"]*"'  # comments come first so that words inside them are skipped
    rf"|(?<![A-Za-z])(?P<h1>{_HSEQ})(?:(?P<j1>[, ])(?P<w1>{_WSEQ}))?"
    rf"|(?<![A-Za-z])(?P<w2>{_WSEQ})(?:(?P<j2>[, ])(?P<h2>{_HSEQ}))?"
)
_COMMENT = re.compile(r'"[^"]*"')
_HOLIDAY_TOKEN = re.compile(r"PH|SH")
_STATE_BEFORE = re.compile(r"(?i:open|closed|off|unknown) $")  # grammar: keyword, space, comment
_SELECTOR_AFTER = re.compile(r" ?:")  # '"text": 10:00-12:00' is a comment used as a selector


def bare_comments_unknown(text: str) -> str:
    """``text`` with ``unknown`` before each comment that is a rule's whole modifier."""
    out: list[str] = []
    pos = 0
    for m in _COMMENT.finditer(text):
        before = text[: m.start()]
        if _STATE_BEFORE.search(before) or _SELECTOR_AFTER.match(text, m.end()):
            continue
        space = "" if not before or before.endswith(" ") else " "
        out += [text[pos : m.start()], space, "unknown "]
        pos = m.start()
    return "".join([*out, text[pos:]])


@dataclass(frozen=True, slots=True)
class HolidaySelector:
    """A weekday selector of the text that names PH or SH."""

    start: int  # slice of the text it occupies
    end: int
    ph_offsets: tuple[int, ...]  # days; "PH +1 day" matches the day after a PH day
    has_sh: bool
    weekdays: str  # the weekday sequence, "" if none
    both: bool  # "PH Mo-Fr": holiday and weekday must match; "PH,Mo-Fr": either


def holiday_selectors(text: str) -> list[HolidaySelector]:
    selectors = []
    for m in _SELECTOR.finditer(text):
        holidays = m["h1"] or m["h2"]
        if not holidays:
            continue
        parts = holidays.split(",")  # "PH", "PH +1 day", "SH"
        offsets = tuple(int(p[3:].split(" ")[0] or 0) for p in parts if p.startswith("PH"))
        joint = m["j1"] or m["j2"]
        selectors.append(
            HolidaySelector(
                start=m.start(),
                end=m.end(),
                ph_offsets=offsets,
                has_sh="SH" in parts,
                weekdays=m["w1"] or m["w2"] or "",
                both=joint == " ",
            )
        )
    found = sum(len(_HOLIDAY_TOKEN.findall(text[s.start : s.end])) for s in selectors)
    if found != len(_HOLIDAY_TOKEN.findall(_COMMENT.sub("", text))):
        raise ValueError(f"unsupported placement of PH/SH in {text!r}")
    return selectors
