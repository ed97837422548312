"""An immutable in-memory snapshot of the store, built for answering courier queries fast.

Holds the stations, a nearest-neighbour index over the ones couriers may see (not retired),
their amenity bitmasks and compiled opening hours. A new snapshot is built and swapped in
whole when the data changes; readers never see a half-built one.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

import numpy as np
from numpy.typing import NDArray

from geo.crs import CoordinateSystem, from_wgs84
from geo.nearest import NearestIndex
from stations.amenities import mask_of
from stations.hours import Hours, HoursStatus, Openness
from stations.model import Access, Kind, OutOfOrder, ReportSignal, Station, StationId, Status
from stations.reports import CLOSURE_CATEGORIES, ReportRule
from stations.store.base import SignalsRead
from stations.store.station_table import ById, StationTable, as_table

DEFAULT_RULE: Final = ReportRule()
#: A cached filter: (amenity bitmask, kinds, access groups).
_FilterKey = tuple[int, frozenset[Kind], frozenset[Access]]

#: Below this share of stations a filter gets its own small index: scanning the full index for
#: k hits would visit about k / share candidates.
_RESTRICT_BELOW: Final = 0.02
_SELECTION_CACHE_SIZE: Final = 64
#: A filter asked this many times of a snapshot gets its own index whatever share it keeps (the
#: snapshots that only renew riders' reports share their filters, promotions included):
#: riders ask a few amenity filters (the rider page's chips) thousands of times, and an index of
#: only their stations answers k nearest from k + 2 candidates instead of (k + 2) / share
#: (bench/nearest.py: 4.5x the bare k-d tree query with the mask, 3.5x with its own index).
PROMOTE_AFTER: Final = 32
_CLOSED: Final = "off"  # OSM opening_hours for "never open"
_KIND_CODES: Final = {kind: code for code, kind in enumerate(Kind)}
_ACCESSES: Final = tuple(Access)
_ACCESS_CODES: Final = {access: code for code, access in enumerate(_ACCESSES)}


def hours_in_force(station: Station) -> str | None:
    """The opening hours that decide whether ``station`` is open: its own while it is active;
    "off" (never open) while it is temporarily closed or retired, whatever its hours say."""
    return _in_force(station.opening_hours, station.status)


def _in_force(hours: str | None, status: Status) -> str | None:
    return hours if status is Status.ACTIVE else _CLOSED


class ClosedUntil:
    """Hours that are closed until an instant and the station's own after it: a temporary
    closure lifts by itself, with no one touching the data."""

    __slots__ = ("hours", "until")

    def __init__(self, hours: Hours, until: datetime) -> None:
        self.hours, self.until = hours, until

    def state(self, at: datetime) -> Openness:
        return Openness.CLOSED if at < self.until else self.hours.state(at)

    def status(self, at: datetime) -> HoursStatus:
        if at >= self.until:
            return self.hours.status(at)
        after = self.hours.status(self.until)
        # Closed until then; still closed by the hours at that instant: until their next change.
        reopens = after.next_change if after.state is Openness.CLOSED else self.until
        return HoursStatus(Openness.CLOSED, reopens)


class ReportedClosed:
    """A schedule behind riders' reports: ``reported_closed`` while enough distinct riders
    said closed_now or gone within the rule's window before the instant asked about, the
    schedule below otherwise. Lifts by itself when their reports age out of the window."""

    __slots__ = ("below", "rule", "signals")

    def __init__(
        self, below: Hours | ClosedUntil, signals: tuple[ReportSignal, ...], rule: ReportRule
    ) -> None:
        self.below, self.signals, self.rule = below, signals, rule

    def state(self, at: datetime) -> Openness:
        if self.rule.closed_until(self.signals, at) is not None:
            return Openness.REPORTED_CLOSED
        return self.below.state(at)

    def status(self, at: datetime) -> HoursStatus:
        until = self.rule.closed_until(self.signals, at)
        if until is None:
            below = self.below.status(at)
            # Asked about an instant before some of the reports (an open_at in the past): the
            # state changes when enough of them have arrived, if the hours do not change first.
            starts = self._reported_after(at)
            if starts is not None and (below.next_change is None or starts < below.next_change):
                return HoursStatus(below.state, starts)
            return below
        # Reports after ``at`` (again: a past instant) may keep it reported closed for longer.
        while (later := self.rule.closed_until(self.signals, until)) is not None:
            until = later
        return HoursStatus(Openness.REPORTED_CLOSED, until)

    def _reported_after(self, at: datetime) -> datetime | None:
        """The first instant after ``at`` at which the reports make the station reported
        closed (a report's arrival), or None."""
        for signal in sorted(self.signals, key=lambda s: s.at):
            if signal.at > at and self.rule.closed_until(self.signals, signal.at) is not None:
                return signal.at
        return None


#: What answers "open at t?" for a station: its hours, maybe behind a closure, maybe behind
#: riders' reports.
Schedule = Hours | ClosedUntil | ReportedClosed


def schedule_of(
    station: Station, hours: Hours | None = None, rule: ReportRule = DEFAULT_RULE
) -> Schedule:
    """The station's schedule; ``hours`` is its parsed ``hours_in_force`` if the caller has it."""
    parsed = Hours.parse(hours_in_force(station)) if hours is None else hours
    return _schedule(parsed, station.status, station.closed_until, station.reports, rule)


def _schedule(
    parsed: Hours,
    status: Status,
    closed_until: datetime | None,
    reports: tuple[ReportSignal, ...],
    rule: ReportRule,
) -> Schedule:
    """A station's schedule from its parsed hours in force and the fields that may override
    them."""
    if closed_until is None and not reports:
        return parsed  # most stations: a snapshot asks this of every one
    schedule: Hours | ClosedUntil = parsed
    if closed_until is not None and status is Status.ACTIVE:
        schedule = ClosedUntil(parsed, closed_until)
    if status is Status.ACTIVE and any(s.category in CLOSURE_CATEGORIES for s in reports):
        return ReportedClosed(schedule, reports, rule)
    return schedule


def _schedules(
    hours_texts: Sequence[str | None], statuses: Sequence[Status],
    closures: Sequence[datetime | None], reports: Mapping[int, tuple[ReportSignal, ...]],
    rule: ReportRule,
) -> tuple[Schedule, ...]:  # fmt: skip
    """Every station's schedule, in the table's order. Stations share a few distinct hours
    texts: each is parsed once (the parsed value is shared, caches included), beyond
    Hours.parse's own cache."""
    parsed: dict[tuple[str | None, Status], Hours] = {}
    for text, status in set(zip(hours_texts, statuses, strict=True)):
        parsed[text, status] = Hours.parse(_in_force(text, status))
    keys = zip(hours_texts, statuses, strict=True)
    schedules: list[Schedule] = list(map(parsed.__getitem__, keys))
    for at in {at for at, until in enumerate(closures) if until is not None} | reports.keys():
        own = parsed[hours_texts[at], statuses[at]]
        schedules[at] = _schedule(own, statuses[at], closures[at], reports.get(at, ()), rule)
    return tuple(schedules)


def _amenity_bits(
    amenities: Sequence[tuple[str, ...]], out_of_order: Sequence[OutOfOrder]
) -> list[int]:
    """Each station's bitmask of working amenities (an amenity out of order stays listed but
    does not satisfy a filter), each distinct set encoded once."""
    masks = {listed: mask_of(listed) for listed in set(amenities)}
    bits = list(map(masks.__getitem__, amenities))
    for at, broken in enumerate(out_of_order):
        if broken:
            gone = {code for code, _ in broken}
            bits[at] = mask_of([code for code in amenities[at] if code not in gone])
    return bits


def opening_status(station: Station, at: datetime, rule: ReportRule = DEFAULT_RULE) -> HoursStatus:
    """Whether ``station`` is open at the aware instant ``at``, and when that next changes."""
    return schedule_of(station, rule=rule).status(at)


def _parsed_hours(schedule: Schedule) -> Hours:
    """The station's own parsed hours inside a schedule."""
    while not isinstance(schedule, Hours):
        schedule = schedule.below if isinstance(schedule, ReportedClosed) else schedule.hours
    return schedule


@dataclass(frozen=True, slots=True)
class SearchSpace:
    """Where a nearest search looks: ``index``, and where ``mask`` is given only its true
    points (``mask_fraction`` of them), as ``NearestIndex.nearest`` takes them."""

    index: NearestIndex
    mask: NDArray[np.bool_] | None = None
    mask_fraction: float | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """The visible stations passing an amenity/kind filter, as a mask and maybe an index."""

    mask: NDArray[np.bool_]
    fraction: float
    index: NearestIndex | None  # its own index when the filter is selective or was promoted
    space: SearchSpace  # the index, or the full index and the mask: where nearest searches look


class Catalog:
    """Snapshot of every station; ``visible`` (not retired) ones are indexed, ordered by id."""

    def __init__(
        self,
        stations: Sequence[Station],
        *,
        data_version: int = 0,
        reports_version: int = 0,
        report_rule: ReportRule = DEFAULT_RULE,
    ) -> None:
        self.data_version = data_version
        self.reports_version = reports_version
        self.report_rule = report_rule
        # Rows, not a Station per station: a store's read is a table already (stations/store/
        # station_table.py); Station objects are made for the few a request answers with.
        table = as_table(stations)
        self.stations = table  # every one, retired included
        # Index positions follow id order, so the index's ties by position are ties by id.
        statuses = table.column("status")
        if Status.RETIRED in statuses:
            shown = [i for i, s in enumerate(statuses) if s is not Status.RETIRED]
            self.visible: StationTable = table.take(shown)
        else:
            self.visible = table
        # The fields the snapshot keeps as arrays.
        (lon, lat, amenities, out_of_order, kinds, access, verified, hours, statuses,
         closures) = self.visible.columns(
            "lon", "lat", "amenities", "out_of_order", "kind", "access", "verified_at",
            "opening_hours", "status", "closed_until")  # fmt: skip
        self.lon: NDArray[np.float64] = np.array(lon, dtype=np.float64)
        self.lat: NDArray[np.float64] = np.array(lat, dtype=np.float64)
        self.amenity_bits: NDArray[np.int64] = np.array(
            _amenity_bits(amenities, out_of_order), dtype=np.int64
        )
        # Kinds and access groups as one-byte codes (a string array costs 16-40 bytes a station).
        self.kinds: NDArray[np.uint8] = np.array(
            list(map(_KIND_CODES.__getitem__, kinds)), dtype=np.uint8
        )
        self.access: NDArray[np.uint8] = np.array(
            list(map(_ACCESS_CODES.__getitem__, access)), dtype=np.uint8
        )
        # Who the visible stations are open to; a search allowing all of them needs no mask.
        self._access_present = frozenset(_ACCESSES[int(c)] for c in np.unique(self.access))
        # When each was last verified on site, POSIX seconds; -inf: never.
        self.verified_s: NDArray[np.float64] = np.array(
            [-math.inf if v is None else v.timestamp() for v in verified], dtype=np.float64
        )
        self.hours: tuple[Schedule, ...] = _schedules(
            hours, statuses, closures, self.visible.reports, report_rule
        )
        del lon, lat, amenities, out_of_order, kinds, access, verified, hours, statuses, closures
        self.index = NearestIndex(self.lon, self.lat)
        self._everywhere = SearchSpace(self.index)
        self._selections: dict[_FilterKey, Selection] = {}
        self._asked: dict[_FilterKey, int] = {}  # how often each cached filter was searched
        # Stations held by filters' own indexes built because they were asked often: at most
        # as many as the snapshot has (an index costs ~60 bytes a station).
        self._promoted: dict[_FilterKey, int] = {}
        self._coordinates: dict[CoordinateSystem, tuple[NDArray[np.float64], ...]] = {
            CoordinateSystem.WGS84: (self.lon, self.lat)
        }
        self._lock = threading.Lock()

    def with_signals(self, read: SignalsRead) -> Catalog:
        """This snapshot with the stations' open reports replaced by ``read``'s: the index,
        masks and coordinates are shared; only the stations whose reports changed (and their
        schedules) are new."""
        table, had = self.stations, self.stations.reports
        changed = {table.id_at(at) for at in had} | set(read.signals)
        renewed: dict[StationId, tuple[ReportSignal, ...]] = {}
        for station_id in changed:
            at = table.position_of(station_id)
            if at is None:
                continue  # reported, then removed from the store: the next rebuild sees it
            signals = tuple(read.signals.get(station_id, ()))
            if signals != had.get(at, ()):
                renewed[station_id] = signals
        new = copy.copy(self)
        new.reports_version = read.reports_version
        if not renewed:
            return new
        new.stations = table.with_reports(renewed)
        new.visible = new.stations if self.visible is table else self.visible.with_reports(renewed)
        hours = list(self.hours)
        for station_id in renewed:
            position = self.position_of(station_id)
            if position is not None:
                hours[position] = schedule_of(new.visible[position],
                                              _parsed_hours(self.hours[position]),
                                              self.report_rule)  # fmt: skip
        new.hours = tuple(hours)
        return new

    def __len__(self) -> int:
        return len(self.visible)

    @property
    def by_id(self) -> Mapping[StationId, Station]:
        """Every station by id, retired included. A visible station is made by (and kept in)
        the visible table, whichever way it is asked for."""
        return ById(self.stations, None if self.visible is self.stations else self.visible)

    def position_of(self, station_id: StationId) -> int | None:
        """Where the visible station ``station_id`` is in ``visible`` (and in the index, masks
        and arrays), or None when it is retired or unknown. A bisection over the id-ordered
        stations: a dict of positions would hold ~12 MiB more per 190,000 stations."""
        return self.visible.position_of(station_id)

    def near(self, lon: float, lat: float, radius_m: float) -> list[Station]:
        """The visible stations within ``radius_m`` metres (geodesic, WGS-84 ellipsoid,
        inclusive) of the WGS-84 position (lon, lat), nearest first, ties by id; [] if none."""
        k = 16
        while True:
            hits = self.index.nearest(lon, lat, k, max_distance_m=radius_m)
            if len(hits) < k:
                return [self.visible[hit.position] for hit in hits]
            k *= 4  # all k were within the radius: there may be more

    def coordinates(self, crs: CoordinateSystem) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(lon, lat) arrays of the visible stations in ``crs``, converted once per snapshot."""
        cached = self._coordinates.get(crs)
        if cached is None:
            cached = tuple(np.atleast_1d(a) for a in from_wgs84(self.lon, self.lat, crs))
            self._coordinates[crs] = cached
        return cached[0], cached[1]

    def search_space(
        self,
        amenities: Sequence[str],
        kinds: frozenset[Kind],
        access: frozenset[Access] = frozenset(),
        verified_since: datetime | None = None,
    ) -> SearchSpace:
        """Where to search for stations having every one of ``amenities`` and, if ``kinds`` or
        ``access`` is not empty, one of those kinds and open to one of those groups, and if
        ``verified_since`` is given, verified on site since then: the filter's own index when
        it is selective or asked often (``PROMOTE_AFTER``), else the full index with the
        filter's mask (no mask without a filter)."""
        if self._access_present <= access:
            access = frozenset()  # every visible station passes: no filter
        if verified_since is not None:
            # The cut-off moves with the clock: this mask is made per query, never cached.
            selected = self.selection(mask_of(amenities), kinds, access).mask
            return self._space(selected & (self.verified_s >= verified_since.timestamp()))
        if not (amenities or kinds or access):
            return self._everywhere
        key = (mask_of(amenities), kinds, access)
        selection = self.selection(*key)
        if selection.index is None:
            # Asked once per filter, when its count reaches the mark: a filter beyond the budget
            # must not pay for asking again on every search. Under threads a lost update only
            # delays that moment (some search still counts exactly PROMOTE_AFTER).
            asked = self._asked[key] = self._asked.get(key, 0) + 1
            if asked == PROMOTE_AFTER:
                return self._promote(key, selection).space
        return selection.space

    def _promote(self, key: _FilterKey, selection: Selection) -> Selection:
        """``selection`` with its own index if the budget of promoted stations allows, built
        once per filter by the first search to ask; the mask meanwhile and beyond the budget.
        A promoted filter stays in the cache."""
        points = round(selection.fraction * len(self.visible))
        with self._lock:
            if key in self._promoted or key not in self._selections:
                return self._selections.get(key, selection)  # built, being built, or evicted
            if sum(self._promoted.values()) + points > len(self.visible):
                return selection
            self._promoted[key] = points  # reserved: no other search builds it too
        # Outside the lock: up to a whole k-d tree, while other filters keep being served.
        index = self.index.restricted(selection.mask)
        promoted = replace(selection, index=index, space=SearchSpace(index))
        with self._lock:
            self._selections[key] = promoted
        return promoted

    def _space(self, mask: NDArray[np.bool_], fraction: float | None = None) -> SearchSpace:
        """The stations of ``mask`` (``fraction`` of all, if known): their own small index when
        they are few, else the full index and the mask."""
        if fraction is None:
            fraction = int(np.count_nonzero(mask)) / max(1, len(self.visible))
        if fraction < _RESTRICT_BELOW:
            return SearchSpace(self.index.restricted(mask))
        return SearchSpace(self.index, mask, fraction)

    def selection(
        self, amenity_mask: int, kinds: frozenset[Kind], access: frozenset[Access] = frozenset()
    ) -> Selection:
        """The visible stations having every amenity in ``amenity_mask`` and, if ``kinds`` or
        ``access`` is not empty, one of those kinds and open to one of those groups. Cached:
        the first call per filter costs O(n)."""
        key: _FilterKey = (amenity_mask, kinds, access)
        cached = self._selections.get(key)
        if cached is not None:
            return cached
        mask = (self.amenity_bits & amenity_mask) == amenity_mask
        if kinds:
            mask &= np.isin(self.kinds, [_KIND_CODES[k] for k in kinds])
        if access:
            mask &= np.isin(self.access, [_ACCESS_CODES[a] for a in access])
        fraction = int(np.count_nonzero(mask)) / max(1, len(self.visible))
        space = self._space(mask, fraction)
        index = space.index if space.mask is None else None
        selection = Selection(mask=mask, fraction=fraction, index=index, space=space)
        with self._lock:
            if len(self._selections) >= _SELECTION_CACHE_SIZE:
                # The oldest filter that is not promoted (the budget allows at most 50 of them,
                # each keeping ≥ 2 % of the stations, so there is one).
                evicted = next((k for k in self._selections if k not in self._promoted), None)
                if evicted is None:
                    return selection
                del self._selections[evicted]
                self._asked.pop(evicted, None)
            self._selections[key] = selection
        return selection
