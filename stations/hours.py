"""Opening hours in OSM ``opening_hours`` syntax, evaluated in Asia/Shanghai.

Every instant is evaluated on the Shanghai wall clock (UTC+08:00, no DST since 1991), whatever
offset the caller used; naive datetimes are refused. Parsing and evaluation are done by
``opening-hours-py``; this module only decides what ``PH`` and ``SH`` mean.

``PH`` means every day of the State Council's holiday breaks, as listed by ``chinese_calendar``
(2004-2026): a day is PH when ``get_holiday_detail`` returns ``(True, <holiday name>)``. Ordinary
weekends ``(True, None)`` and make-up working days (调休, ``(False, <holiday name>)``) are not
PH. The parser's own CN list (first day of each festival only) is never loaded: the library is
built without a country, so its ``PH`` matches no day.

How: the library's state at an instant on day D depends on the day selectors only through
days D-1 (overnight spill) and D, and those two days have different weekdays. For each day D,
every weekday selector holding a holiday is rewritten so that it matches exactly the right ones
of D-1 and D: ``Mo-Su`` if both, their weekday name (``Mo-Fr,PH`` -> ``Mo-Fr,Sa``) if one, and
``PH`` (never matches) if neither. The rewritten expression is then exact for every instant of
D, overnight ranges from a PH day into a non-PH day included. Expressions are compiled once
per distinct rewrite and cached; days are cached too. Without ``PH``/``SH`` the library is
used directly.

Decisions, where the OSM specification or the library leaves room:

- ``PH Mo-Fr`` (holiday and weekday sequences joined by a space) is an intersection, as in the
  OSM specification and its reference evaluator: PH days that fall on Mo-Fr. opening-hours-py
  2.1.4 reads it as a union; we do not follow it there. ``PH,Mo-Fr`` is a union.
- ``PH +1 day`` matches the day after a PH day, as in the library.
- Make-up working days are matched by their weekday, as written: a Saturday that is a working
  day is still ``Sa``, so ``Mo-Fr 09:00-17:00`` keeps it closed.
- A rule whose modifier is only a comment (``"by appointment"``, ``Mo-Fr 08:00-18:00 ||
  "by appointment"``) is unknown, as the OSM specification says; opening-hours-py 2.1.4 would
  call it open. Write ``open "call first"`` to mean open. The keyword ``unknown`` is inserted
  before such comments before the library sees the text.
- Nothing is guessed. ``SH`` (school holidays vary by province and school) and ``PH`` on a day
  the calendar does not cover (before 2004, after 2026) are unknown facts: every assignment
  of them is evaluated, and the state is UNKNOWN unless all agree. So ``Mo-Fr 09:00-17:00;
  PH off`` is UNKNOWN at 10:00 on a 2027 weekday but CLOSED at 20:00.

Limitations, all deliberate:

- The library's own rule semantics are kept, so PH days behave exactly like a weekday named in
  the same place. A later rule that matches day D replaces the overnight spill of an earlier
  rule from D-1, but a rule only replaces the days it matches: with ``Mo-Su 22:00-06:00; PH
  off`` the station is closed from 00:00 on the first day of a break, and open 00:00-06:00 on
  the first day after it (the spill of the last break day's ``Mo-Su`` range), just as the
  library keeps Thursday 00:00-06:00 open for ``Mo-Su 22:00-06:00; We off``. Data that means
  otherwise must say so: ``Mo-Su 22:00-06:00; PH off; PH +1 day 00:00-06:00 off``.
- ``next_change`` looks ahead ``HORIZON`` (370 days) and is None past it. When the calendar
  runs out (2027-01-01 00:00) the state may become UNKNOWN; that instant is a change.
- A day whose evaluation would need more than 64 assignments of unknown facts (many PH
  offsets, SH, and no calendar data at once) is UNKNOWN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import product
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

import opening_hours as _oh

from stations.holidays import (
    HolidaySelector,
    bare_comments_unknown,
    holiday_selectors,
    is_public_holiday,
)

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
HORIZON: Final = timedelta(days=370)

_ONE_DAY: Final = timedelta(days=1)
_MEMO_NO_CHANGE: Final = timedelta(hours=1)
_WEEKDAYS: Final = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")  # index = date.weekday()
_MAX_UNKNOWN_FACTS: Final = 6  # 2**6 = 64 evaluations per day at most
_MAX_CACHED_DAYS: Final = 512  # per expression: a horizon walk (372 days) and some "now"s
# The stub does not declare it, but the library raises this on invalid text.
_ParserError: type[Exception] = getattr(_oh, "ParserError", Exception)


class Openness(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"  # nothing recorded, or cannot be known: say so, never guess


_OPENNESS: Final = {
    _oh.State.OPEN: Openness.OPEN,
    _oh.State.CLOSED: Openness.CLOSED,
    _oh.State.UNKNOWN: Openness.UNKNOWN,
}


class InvalidOpeningHours(ValueError):
    """The text is not valid OSM opening_hours; str(exc) quotes the parser's message."""


@dataclass(frozen=True, slots=True)
class HoursStatus:
    """The state at an instant and when it next differs."""

    state: Openness
    next_change: datetime | None  # aware, Asia/Shanghai; None: no change within HORIZON, or no text


def _compile(text: str) -> _oh.OpeningHours:
    # No country and no coordinates: the library's PH and SH then match no day. Without a bound
    # on intervals, next_change on a never-changing rule set walks to year 9999 (seconds).
    return _oh.OpeningHours(
        text, auto_country=False, auto_timezone=False, max_interval_days=HORIZON.days + 2
    )


@lru_cache(maxsize=256)
def _weekday_filter(weekdays: str) -> _oh.OpeningHours:
    return _compile(weekdays)


def _on_weekdays(weekdays: str, day: date) -> bool:
    at_noon = datetime.combine(day, time(12))
    return _weekday_filter(weekdays).state(at_noon)[0] == _oh.State.OPEN


class _Day(NamedTuple):
    key: tuple[str, ...]  # the rewritten texts; equal keys evaluate identically
    variants: tuple[_oh.OpeningHours, ...]  # one per possible rewrite; empty: unknowable


_UNKNOWABLE: Final = _Day((), ())


class Hours:
    """An ``opening_hours`` value, evaluated in Asia/Shanghai with China's holiday breaks as PH.

    Build with ``Hours.parse``. Equal texts compare equal. Safe to share between threads: the
    caches are plain dicts, and a race only computes an entry twice.
    """

    __slots__ = (
        "_days",
        "_evaluated",
        "_memo",
        "_plain",
        "_selectors",
        "_shapes",
        "_variants",
        "text",
    )

    def __init__(self, text: str | None) -> None:
        self.text = text if text and text.strip() else None  # blank is "nothing recorded"
        self._evaluated = ""  # the text the library evaluates
        self._plain: _oh.OpeningHours | None = None
        self._selectors: list[HolidaySelector] = []
        self._variants: dict[str, _oh.OpeningHours] = {}
        self._days: dict[date, _Day] = {}
        self._shapes: dict[tuple[str, ...], _Day] = {}  # most days share a handful of these
        # The last status, valid from its instant until its next change: the state cannot
        # differ in between, and computing next_change is costly (PH rules walk the
        # calendar). Parsed hours are shared by every station with the same text, so one
        # memo serves them all.
        self._memo: tuple[datetime, datetime, HoursStatus] | None = None
        if self.text is None:
            return
        try:
            _compile(self.text)
        except _ParserError as exc:
            raise InvalidOpeningHours(f"invalid opening_hours {self.text!r}: {exc}") from exc
        self._evaluated = bare_comments_unknown(self.text)
        try:
            plain = _compile(self._evaluated)
        except _ParserError as exc:
            raise InvalidOpeningHours(f"unsupported comment placement: {exc}") from exc
        try:
            self._selectors = holiday_selectors(self._evaluated)
        except ValueError as exc:
            raise InvalidOpeningHours(str(exc)) from exc
        if not self._selectors:
            self._plain = plain
            return
        # Prove every shape of rewrite parses (none, one weekday, all) before it is needed.
        monday = date(2024, 1, 1)
        for prev_hit, hit in ((False, False), (False, True), (True, True)):
            rewritten = self._rewrite(monday, [(prev_hit, hit)] * len(self._selectors))
            try:
                self._variant(rewritten)
            except _ParserError as exc:
                raise InvalidOpeningHours(f"unsupported holiday selector: {exc}") from exc

    @classmethod
    def parse(cls, text: str | None) -> Hours:
        """Parse OSM ``opening_hours`` text; None or blank gives hours that are always UNKNOWN.

        Equal texts share one value and its caches (the 1024 most recent texts), so a catalog
        of stations with a few distinct texts compiles each once. Raises InvalidOpeningHours
        when the parser rejects the text.
        """
        return _parse_shared(text)

    def __repr__(self) -> str:
        return f"Hours.parse({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hours) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def state(self, at: datetime) -> Openness:
        """Open, closed or unknown at the aware instant ``at`` (converted to Asia/Shanghai).

        The hot path: one library call (a few microseconds) once the day is cached. Raises
        ValueError for a naive datetime.
        """
        local = _shanghai_wall_clock(at)
        if self._plain is not None:
            return _OPENNESS[self._plain.state(local)[0]]
        if self.text is None:
            return Openness.UNKNOWN
        variants = (self._days.get(local.date()) or self._day(local.date())).variants
        if len(variants) == 1:  # the calendar knows the day and there is no SH
            return _OPENNESS[variants[0].state(local)[0]]
        return _agreed(variants, local)

    def status(self, at: datetime) -> HoursStatus:
        """The state at ``at`` and the first later instant where it differs (aware, Shanghai).

        ``next_change`` is None when nothing changes within HORIZON (give or take the hour a
        "no change" answer is reused for), or nothing is recorded.
        """
        memo = self._memo
        # Aware bounds compare with an instant in any offset, without converting it first.
        if memo is not None and at.tzinfo is not None and memo[0] <= at < memo[1]:
            return memo[2]
        local = _shanghai_wall_clock(at)
        state = self.state(at)
        limit = local + HORIZON
        if self._plain is not None:
            change = self._plain.next_change(local)
        elif self.text is None:
            change = None
        else:
            change = self._next_change(local, state, limit)
        start = local.replace(tzinfo=SHANGHAI)
        if change is None or change > limit:
            # "No change within the horizon" (24/7, nothing recorded) is reused for an hour:
            # an hour later the horizon reaches an hour further, which no real text notices.
            status = HoursStatus(state, None)
            self._memo = (start, start + _MEMO_NO_CHANGE, status)
            return status
        next_change = change.replace(tzinfo=SHANGHAI)
        status = HoursStatus(state, next_change)
        self._memo = (start, next_change, status)
        return status

    def _next_change(self, t: datetime, state: Openness, limit: datetime) -> datetime | None:
        """Step from change to change; a rewrite is only trusted on days that share its key."""
        while t < limit:
            day = self._day(t.date())
            if _agreed(day.variants, t) is not state:
                return t
            changes = [c for v in day.variants if (c := v.next_change(t)) is not None and c > t]
            candidate = min([limit, *changes])
            run_end = self._run_end(t.date(), day.key, candidate.date())
            t = min(candidate, run_end)
        return None

    def _run_end(self, start: date, key: tuple[str, ...], last: date) -> datetime:
        """Midnight of the first day after ``start`` with another key; ``last`` + 1 at most."""
        day = start + _ONE_DAY
        while day <= last and self._day(day).key == key:
            day += _ONE_DAY
        return datetime.combine(day, time())

    def _day(self, day: date) -> _Day:
        found = self._days.get(day)
        if found is None:
            if len(self._days) >= _MAX_CACHED_DAYS:
                self._days.clear()
            found = self._days[day] = self._compute_day(day)
        return found

    def _compute_day(self, day: date) -> _Day:
        """Every rewrite that the calendar leaves possible for ``day``."""
        consulted = (day - _ONE_DAY, day)
        offsets = {k for s in self._selectors for k in s.ph_offsets}
        ph = {
            x - timedelta(days=k): is_public_holiday(x - timedelta(days=k))
            for x in consulted
            for k in offsets
        }
        unknown_ph = [d for d, v in ph.items() if v is None]
        unknown_sh = list(consulted) if any(s.has_sh for s in self._selectors) else []
        if len(unknown_ph) + len(unknown_sh) > _MAX_UNKNOWN_FACTS:
            return _UNKNOWABLE
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
                self._shapes[key] = _Day(key, tuple(self._variant(t) for t in key))
            except _ParserError:
                return _UNKNOWABLE  # proven impossible in __init__; never guess if it happens
        return self._shapes[key]

    def _rewrite(self, day: date, hits: list[tuple[bool, bool]]) -> str:
        """The text with each holiday selector replaced for (D-1, D) = (day - 1, day)."""
        text = self._evaluated
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
            found = self._variants[text] = _compile(text)
        return found


@lru_cache(maxsize=1024)
def _parse_shared(text: str | None) -> Hours:
    return Hours(text)


def _hit(s: HolidaySelector, day: date, ph: dict[date, bool | None], sh: dict[date, bool]) -> bool:
    """Whether selector ``s`` matches ``day`` under one assignment of PH and SH days."""
    hit = any(ph[day - timedelta(days=k)] for k in s.ph_offsets) or (s.has_sh and sh[day])
    return hit and (not s.both or _on_weekdays(s.weekdays, day))


def _agreed(variants: tuple[_oh.OpeningHours, ...], local: datetime) -> Openness:
    """The state all variants agree on at naive Shanghai time ``local``, else UNKNOWN."""
    if not variants:
        return Openness.UNKNOWN
    first = variants[0].state(local)[0]
    if any(v.state(local)[0] != first for v in variants[1:]):
        return Openness.UNKNOWN
    return _OPENNESS[first]


def _shanghai_wall_clock(at: datetime) -> datetime:
    """Naive Shanghai wall-clock time of the aware instant ``at``."""
    if at.tzinfo is not SHANGHAI:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"naive datetime {at.isoformat()}: give a timezone-aware instant")
        at = at.astimezone(SHANGHAI)
    # combine() is several times cheaper than replace(tzinfo=None) on the hot path.
    return datetime.combine(at.date(), at.time())
