"""Opening hours in OSM ``opening_hours`` syntax, evaluated in Asia/Shanghai.

Every instant is evaluated on the Shanghai wall clock (UTC+08:00, no DST since 1991), whatever
offset the caller used; naive datetimes are refused. Parsing and evaluation are done by
``opening-hours-py``; this module only decides what ``PH`` and ``SH`` mean.

``PH`` means every day of the State Council's holiday breaks, as listed by ``chinese_calendar``
(2004-2026): a day is PH when ``get_holiday_detail`` returns ``(True, <holiday name>)``. Ordinary
weekends ``(True, None)`` and make-up working days (调休, ``(False, <holiday name>)``) are not
PH. The parser's own CN list (first day of each festival only) is never loaded: the library is
built without a country, so its ``PH`` matches no day.

How: ``stations.holiday_rewrite`` rewrites the text for each day so that the library, which
knows no holidays, evaluates it exactly on that day. Without ``PH``/``SH`` the library is used
directly.

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
from typing import Final
from zoneinfo import ZoneInfo

import opening_hours as _oh

from stations.holiday_rewrite import HORIZON as HORIZON
from stations.holiday_rewrite import HolidayRewrite, ParserError, compile_text
from stations.holidays import bare_comments_unknown, holiday_selectors, is_public_holiday

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")

_ONE_DAY: Final = timedelta(days=1)
_MEMO_NO_CHANGE: Final = timedelta(hours=1)


class Openness(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"  # nothing recorded, or cannot be known: say so, never guess
    # Riders say it is closed (stations/reports.py ReportRule) until an editor resolves it or
    # their reports age out; hours never give this state.
    REPORTED_CLOSED = "reported_closed"


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


class Hours:
    """An ``opening_hours`` value, evaluated in Asia/Shanghai with China's holiday breaks as PH.

    Build with ``Hours.parse``. Equal texts compare equal. Safe to share between threads: the
    caches are plain dicts, and a race only computes an entry twice.
    """

    __slots__ = ("_day_by_day", "_holidays", "_memo", "_plain", "text")

    def __init__(self, text: str | None) -> None:
        self.text = text if text and text.strip() else None  # blank is "nothing recorded"
        self._plain: _oh.OpeningHours | None = None  # the text has no PH or SH
        self._holidays: HolidayRewrite | None = None  # the text has PH or SH
        # The last status, valid from its instant until its next change: the state cannot
        # differ in between, and computing next_change is costly (PH rules walk the
        # calendar). Parsed hours are shared by every station with the same text, so one
        # memo serves them all.
        self._memo: tuple[datetime, datetime, HoursStatus] | None = None
        self._day_by_day = False
        if self.text is None:
            return
        try:
            compile_text(self.text)
        except ParserError as exc:
            raise InvalidOpeningHours(f"invalid opening_hours {self.text!r}: {exc}") from exc
        evaluated = bare_comments_unknown(self.text)  # the text the library evaluates
        # With a fallback rule (``||``) the library's next_change ends at the day's last range
        # ("Mo-Fr 08:00-18:00 || …" from 18:00 gives None, not 08:00 the next morning): its
        # answer is trusted only up to midnight, and the search goes on day by day.
        self._day_by_day = "||" in evaluated
        try:
            plain = compile_text(evaluated)
        except ParserError as exc:
            raise InvalidOpeningHours(f"unsupported comment placement: {exc}") from exc
        try:
            selectors = holiday_selectors(evaluated)
        except ValueError as exc:
            raise InvalidOpeningHours(str(exc)) from exc
        if not selectors:
            self._plain = plain
            return
        try:  # proves every shape of rewrite parses before it is needed
            self._holidays = HolidayRewrite(evaluated, selectors, is_public_holiday)
        except ParserError as exc:
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
        if self._holidays is None:  # nothing recorded
            return Openness.UNKNOWN
        variants = self._holidays.day(local.date()).variants
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
        if self._plain is not None and self._day_by_day:
            change = _next_change_by_day(self._plain, local, state, limit)
        elif self._plain is not None:
            change = self._plain.next_change(local)
        elif self._holidays is None:
            change = None
        else:
            change = _next_change(self._holidays, local, state, limit, by_day=self._day_by_day)
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


@lru_cache(maxsize=1024)
def _parse_shared(text: str | None) -> Hours:
    return Hours(text)


def _next_change_by_day(
    hours: _oh.OpeningHours, t: datetime, state: Openness, limit: datetime
) -> datetime | None:
    """The first instant after naive Shanghai time ``t`` (before ``limit``) whose state is not
    ``state``, asking the library for changes within one day at a time (see Hours.__init__)."""
    while t < limit:
        midnight = datetime.combine(t.date() + _ONE_DAY, time())
        change = hours.next_change(t)
        if change is not None and t < change <= midnight:
            return change
        if midnight >= limit:
            return None
        if _OPENNESS[hours.state(midnight)[0]] is not state:
            return midnight
        t = midnight
    return None


def _next_change(
    holidays: HolidayRewrite,
    t: datetime,
    state: Openness,
    limit: datetime,
    *,
    by_day: bool = False,
) -> datetime | None:
    """Step from change to change; a rewrite is only trusted on days that share its key (and,
    ``by_day``, a library's answer only up to midnight)."""
    while t < limit:
        day = holidays.day(t.date())
        if _agreed(day.variants, t) is not state:
            return t
        changes = [c for v in day.variants if (c := v.next_change(t)) is not None and c > t]
        if by_day:
            changes.append(datetime.combine(t.date() + _ONE_DAY, time()))
        candidate = min([limit, *changes])
        run_end = _run_end(holidays, t.date(), day.key, candidate.date())
        t = min(candidate, run_end)
    return None


def _run_end(holidays: HolidayRewrite, start: date, key: tuple[str, ...], last: date) -> datetime:
    """Midnight of the first day after ``start`` with another key; ``last`` + 1 at most."""
    day = start + _ONE_DAY
    while day <= last and holidays.day(day).key == key:
        day += _ONE_DAY
    return datetime.combine(day, time())


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
