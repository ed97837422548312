"""``PH`` and ``SH`` made exact, day by day: an ``opening_hours`` text rewritten for each day.

The library's state at an instant on day D depends on the day selectors only through days D-1
(overnight spill) and D, and those two days have different weekdays. For each day D, every
weekday selector holding a holiday is rewritten so that it matches exactly the right ones of
D-1 and D: ``Mo-Su`` if both, their weekday name (``Mo-Fr,PH`` -> ``Mo-Fr,Sa``) if one, and
``PH`` (never matches) if neither. The rewritten expression is then exact for every instant of
D, overnight ranges from a PH day into a non-PH day included. Expressions are compiled once
per distinct rewrite and cached; days are cached too.

Facts the calendar does not know (``SH`` always; ``PH`` outside its years) are assigned every
way: a day has one rewrite per distinct outcome, and ``stations.hours`` calls the state UNKNOWN
unless all agree. What the rules mean is ``stations.hours``'s docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import product
from typing import Final, NamedTuple

import opening_hours as _oh

from stations.holidays import HolidaySelector

#: How far ahead ``stations.hours`` looks for the next change; every expression is compiled
#: with its intervals bounded just beyond it.
HORIZON: Final = timedelta(days=370)
#: The library's error for invalid text (the stub does not declare it).
ParserError: type[Exception] = getattr(_oh, "ParserError", Exception)
#: Whether a day is in a holiday break; None when the calendar does not know.
Calendar = Callable[[date], bool | None]

_ONE_DAY: Final = timedelta(days=1)
_WEEKDAYS: Final = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")  # index = date.weekday()
_MAX_UNKNOWN_FACTS: Final = 6  # 2**6 = 64 evaluations per day at most
_MAX_CACHED_DAYS: Final = 512  # per expression: a horizon walk (372 days) and some "now"s


def compile_text(text: str) -> _oh.OpeningHours:
    """The library's expression for ``text``; raises ParserError when it is not valid."""
    # No country and no coordinates: the library's PH and SH then match no day. Without a bound
    # on intervals, next_change on a never-changing rule set walks to year 9999 (seconds).
    return _oh.OpeningHours(
        text, auto_country=False, auto_timezone=False, max_interval_days=HORIZON.days + 2
    )


class Day(NamedTuple):
    key: tuple[str, ...]  # the rewritten texts; equal keys evaluate identically
    variants: tuple[_oh.OpeningHours, ...]  # one per possible rewrite; empty: unknowable


UNKNOWABLE: Final = Day((), ())


class HolidayRewrite:
    """The rewrites of one text's holiday selectors, per day, compiled and cached. Safe to
    share between threads: the caches are plain dicts, and a race only computes an entry twice.
    """

    __slots__ = ("_calendar", "_days", "_selectors", "_shapes", "_text", "_variants")

    def __init__(self, text: str, selectors: list[HolidaySelector], calendar: Calendar) -> None:
        """Raises ParserError unless every shape of rewrite (none, one weekday, all) parses."""
        self._text, self._selectors, self._calendar = text, selectors, calendar
        self._variants: dict[str, _oh.OpeningHours] = {}
        self._days: dict[date, Day] = {}
        self._shapes: dict[tuple[str, ...], Day] = {}  # most days share a handful of these
        monday = date(2024, 1, 1)
        for prev_hit, hit in ((False, False), (False, True), (True, True)):
            self._variant(self._rewrite(monday, [(prev_hit, hit)] * len(selectors)))

    def day(self, day: date) -> Day:
        """The rewrites the calendar leaves possible for ``day``, compiled."""
        found = self._days.get(day)
        if found is None:
            if len(self._days) >= _MAX_CACHED_DAYS:
                self._days.clear()
            found = self._days[day] = self._compute_day(day)
        return found

    def _compute_day(self, day: date) -> Day:
        """Every rewrite that the calendar leaves possible for ``day``."""
        consulted = (day - _ONE_DAY, day)
        offsets = {k for s in self._selectors for k in s.ph_offsets}
        ph = {
            x - timedelta(days=k): self._calendar(x - timedelta(days=k))
            for x in consulted
            for k in offsets
        }
        unknown_ph = [d for d, v in ph.items() if v is None]
        unknown_sh = list(consulted) if any(s.has_sh for s in self._selectors) else []
        if len(unknown_ph) + len(unknown_sh) > _MAX_UNKNOWN_FACTS:
            return UNKNOWABLE
        texts: set[str] = set()
        for guess in product((False, True), repeat=len(unknown_ph) + len(unknown_sh)):
            ph_now = ph | dict(zip(unknown_ph, guess, strict=False))
            sh_now = dict(zip(unknown_sh, guess[len(unknown_ph) :], strict=True))
            hits = [
                (_hit(s, consulted[0], ph_now, sh_now), _hit(s, day, ph_now, sh_now))
                for s in self._selectors
            ]
            texts.add(self._rewrite(day, hits))
        key = tuple(sorted(texts))
        if key not in self._shapes:
            try:
                self._shapes[key] = Day(key, tuple(self._variant(t) for t in key))
            except ParserError:
                return UNKNOWABLE  # proven impossible in __init__; never guess if it happens
        return self._shapes[key]

    def _rewrite(self, day: date, hits: list[tuple[bool, bool]]) -> str:
        """The text with each holiday selector replaced for (D-1, D) = (day - 1, day)."""
        text = self._text
        out: list[str] = []
        pos = 0
        for s, (prev_hit, hit) in zip(self._selectors, hits, strict=True):
            if prev_hit and hit:
                names = ["Mo-Su"]
            else:
                names = [s.weekdays] if s.weekdays and not s.both else []
                names += [_WEEKDAYS[(day.weekday() - 1) % 7]] if prev_hit else []
                names += [_WEEKDAYS[day.weekday()]] if hit else []
            replacement = ",".join(names) or "PH"  # without a country, PH matches no day
            # "PHoff" is valid; "Mo-Suoff" might not be.
            space = " " if text[s.end : s.end + 1].isalpha() else ""
            out += [text[pos : s.start], replacement, space]
            pos = s.end
        return "".join([*out, text[pos:]])

    def _variant(self, text: str) -> _oh.OpeningHours:
        found = self._variants.get(text)
        if found is None:
            found = self._variants[text] = compile_text(text)
        return found


def _hit(s: HolidaySelector, day: date, ph: dict[date, bool | None], sh: dict[date, bool]) -> bool:
    """Whether selector ``s`` matches ``day`` under one assignment of PH and SH days."""
    hit = any(ph[day - timedelta(days=k)] for k in s.ph_offsets) or (s.has_sh and sh[day])
    return hit and (not s.both or _on_weekdays(s.weekdays, day))


@lru_cache(maxsize=256)
def _weekday_filter(weekdays: str) -> _oh.OpeningHours:
    return compile_text(weekdays)


def _on_weekdays(weekdays: str, day: date) -> bool:
    at_noon = datetime.combine(day, time(12))
    return _weekday_filter(weekdays).state(at_noon)[0] == _oh.State.OPEN
