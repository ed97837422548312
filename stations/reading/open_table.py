"""Whether stations are open at an instant, as array lookups: what "open now" / ``open_at``
filtering asks of every candidate of a nearest search.

Stations share a few distinct schedules (``Catalog.hours``: parsed hours shared by every
station with the same text; a closure or riders' reports make a station's own). For each
distinct schedule the table keeps its OPEN intervals over a rolling window (a day back, eight
ahead of the instant first asked; China's holiday breaks included, since the intervals are
walked from the schedule's own ``status``: ``stations.reading.intervals``). Asking about a batch
of stations is then a lookup of their schedules and one bisection per distinct schedule among
them, not an opening-hours evaluation per station. An instant outside a schedule's window moves
that window (the horizon rolls).

Identical to ``schedule.state(at) is Openness.OPEN`` by construction (an interval starts and
ends exactly where the state changes); tests/stations/test_open_table.py checks it over every
hours text of the suite and 10,000 random instants.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

from stations.reading.catalog import Catalog, Schedule
from stations.reading.intervals import open_intervals

#: The window of each schedule's intervals: from a day before the instant that built it to
#: eight days after (an answer's instants are "now" or a rider's near future).
BEHIND: Final = timedelta(days=1)
AHEAD: Final = timedelta(days=8)
#: Stations whose opening estimates the share open at an instant (``OpenTable.open_share``).
SHARE_SAMPLE: Final = 256


class _Window(NamedTuple):
    start_s: float  # POSIX seconds: the window covers [start_s, end_s)
    end_s: float
    opens: list[float]  # OPEN intervals [opens[i], closes[i]), in time order
    closes: list[float]


class OpenTable:
    """Open-at lookups for the stations of ``schedules`` (one per position, as
    ``Catalog.hours``). Safe to share between threads: a race only builds a window twice."""

    def __init__(self, schedules: Sequence[Schedule]) -> None:
        number: dict[int, int] = {}  # id(schedule) → its distinct number
        distinct: list[Schedule] = []
        ids = np.empty(len(schedules), dtype=np.int64)
        for position, schedule in enumerate(schedules):
            n = number.get(id(schedule))
            if n is None:
                n = number[id(schedule)] = len(distinct)
                distinct.append(schedule)
            ids[position] = n
        self.schedule_ids: NDArray[np.int64] = ids
        # The stations the share open at an instant is estimated from: evenly spaced over the
        # id order, so a search's estimate looks at a few windows, not at every schedule's.
        self._sample: list[int] = np.unique(
            np.linspace(0, len(schedules) - 1, min(len(schedules), SHARE_SAMPLE)).astype(np.int64)
        ).tolist()
        self._share: tuple[int, float] | None = None  # (minute, share open in it)
        self._ids: list[int] = ids.tolist()
        self._distinct = distinct
        self._windows: list[_Window | None] = [None] * len(distinct)

    @property
    def distinct(self) -> int:
        return len(self._distinct)

    def open_at(self, positions: Sequence[int], at: datetime) -> list[bool]:
        """Whether each station at ``positions`` is OPEN at the aware instant ``at``: one
        lookup per distinct schedule among them, shared by the rest."""
        ids, t = self._ids, at.timestamp()
        known: dict[int, bool] = {}
        out = []
        for position in positions:
            n = ids[position]
            verdict = known.get(n)
            if verdict is None:
                verdict = known[n] = self._open(n, t, at)
            out.append(verdict)
        return out

    def open_share(self, at: datetime) -> float:
        """About what share of the stations is OPEN at ``at``: the share of a fixed sample of
        them (every station when there are at most ``SHARE_SAMPLE``) at the first instant asked
        in each minute (UTC), kept for the rest of it. What a nearest search sizes its first
        batch of candidates by; never what decides an answer."""
        minute = int(at.timestamp() // 60)
        cached = self._share
        if cached is None or cached[0] != minute:
            verdicts = self.open_at(self._sample, at)
            cached = self._share = (minute, sum(verdicts) / len(verdicts) if verdicts else 0.0)
        return cached[1]

    def open_mask(self, at: datetime) -> NDArray[np.bool_]:
        """Whether every station is OPEN at ``at``, one bool per position: each distinct
        schedule looked up once (what a batch of riders asking about one instant needs)."""
        t = at.timestamp()
        verdicts = np.fromiter(
            (self._open(n, t, at) for n in range(len(self._distinct))),
            dtype=bool,
            count=len(self._distinct),
        )
        return verdicts[self.schedule_ids]

    def _open(self, n: int, t: float, at: datetime) -> bool:
        window = self._windows[n]
        if window is None or not window.start_s <= t < window.end_s:
            window = self._windows[n] = _window(self._distinct[n], at)
        i = bisect_right(window.opens, t) - 1
        return i >= 0 and t < window.closes[i]


def _window(schedule: Schedule, at: datetime) -> _Window:
    start, end = at - BEHIND, at + AHEAD
    intervals = open_intervals(schedule, start, end)
    return _Window(
        start.timestamp(),
        end.timestamp(),
        [opens.timestamp() for opens, _ in intervals],
        [closes.timestamp() for _, closes in intervals],
    )


_TABLES: weakref.WeakKeyDictionary[Catalog, OpenTable] = weakref.WeakKeyDictionary()
_TABLES_LOCK: Final = threading.Lock()


def open_table(catalog: Catalog) -> OpenTable:
    """The table of ``catalog``'s schedules, made at its first open-at question (a snapshot
    that is never asked one never pays for it) and dropped with the snapshot."""
    table = _TABLES.get(catalog)
    if table is None:
        with _TABLES_LOCK:
            table = _TABLES.get(catalog)
            if table is None:
                table = _TABLES[catalog] = OpenTable(catalog.hours)
    return table
