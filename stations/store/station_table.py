"""A snapshot's stations as the store read them: a tuple of field values per station, and a
Station object made only for the ones a request answers with.

A serving process reads every station when it starts and after each write. Making a frozen
Station of each of 190,000 rows took 0.36 s of a ~1.8 s start (22 guarded attribute sets each)
while a snapshot needs only a few fields of every station, as arrays (stations/reading/
catalog.py), and the whole record of the few a request answers with. A tuple of the same values
costs one instruction to build and as much memory as the Station. A table of Station objects
someone already made (a list given to a Catalog: tests, benchmarks, an import) holds those
objects instead: making each again would only cost time and memory.

Why not columns (one list per field)? Measured at 190,000 stations: lists of Python values hold
as many pointers as the objects they replace, a snapshot's visible subset then copies every
list, and a pass per column over values read long before misses the CPU's cache where a pass
per row does not: 273 against 243 MiB resident once ready, and no faster start.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import fields, replace
from itertools import islice
from operator import attrgetter, itemgetter, lt
from typing import Any, Final, overload

from stations.model import ReportSignal, Station, StationId

#: The fields of a row: Station's, in its constructor's order, but the reports (read on their
#: own, and held by position: most stations have none).
ROW_FIELDS: Final = tuple(f.name for f in fields(Station) if f.name != "reports")
_FIELD: Final = {name: i for i, name in enumerate(ROW_FIELDS)}
_values: Final = attrgetter(*ROW_FIELDS)

#: At most this many Stations made from rows are kept per table (~16 MiB at ~250 bytes each):
#: riders ask about the stations near them, so a few thousand answer most requests, while a
#: crawl through every page of a listing would otherwise keep one object per station beside
#: its row until the next rebuild.
MADE_KEPT: Final = 65_536

#: A station's values in ``ROW_FIELDS`` order, as the Station fields hold them.
Row = tuple[Any, ...]
#: A table's entries: rows, or the Station objects themselves.
_Entry = Row | Station


class StationTable(Sequence[Station]):
    """Stations in id order (code points, as the stores' ``ORDER BY id``). Immutable: a change
    makes a new table, sharing the unchanged entries."""

    __slots__ = ("_entries", "_made", "_reports")

    def __init__(
        self, rows: list[Row], reports: Mapping[int, tuple[ReportSignal, ...]] | None = None
    ) -> None:
        """``rows``: the values of ``ROW_FIELDS``, ids strictly increasing; ``reports``: the
        open reports of the stations that have some, by position."""
        self._init(rows, {} if reports is None else dict(reports), {})

    @classmethod
    def of(cls, stations: Iterable[Station]) -> StationTable:
        """A table of these Station objects (any order; of two with one id, the later)."""
        by_id = {s.id: s for s in stations}
        ordered = sorted(by_id.values(), key=attrgetter("id"))
        table = cls.__new__(cls)
        table._init(ordered, {at: s.reports for at, s in enumerate(ordered) if s.reports}, None)
        return table

    def _init(
        self,
        entries: list[Any],
        reports: dict[int, tuple[ReportSignal, ...]],
        made: dict[int, Station] | None,
        *,
        check: bool = True,
    ) -> None:
        """``made``: the Stations made so far, or None when the entries are Stations."""
        self._entries, self._reports, self._made = entries, reports, made
        if check:
            # Lookups by id bisect the entries: an order the stores' ORDER BY gave differently
            # (a collation) would lose stations silently. ~10 ms at 190,000, all in C.
            ids = list(map(self._id_of, entries))
            if not all(map(lt, ids, islice(ids, 1, None))):
                raise ValueError("station ids not in strictly increasing code-point order")

    def _new(
        self,
        entries: list[Any],
        reports: dict[int, tuple[ReportSignal, ...]],
        made: dict[int, Station] | None,
    ) -> StationTable:
        """A table like this one (rows or Stations) of entries known to be in id order."""
        table = StationTable.__new__(StationTable)
        table._init(entries, reports, made, check=False)
        return table

    @property
    def _id_of(self) -> Callable[[Any], StationId]:
        return _station_id if self._made is None else _row_id

    # -- a sequence of Station ---------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, position: int) -> Station: ...

    @overload
    def __getitem__(self, position: slice) -> list[Station]: ...

    def __getitem__(self, position: int | slice) -> Station | list[Station]:
        made = self._made
        if made is None:
            return self._entries[position]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        found = made.get(position)
        if found is not None:
            return found
        if position < 0:
            position += len(self._entries)
        if not 0 <= position < len(self._entries):
            raise IndexError("station position out of range")
        row, reports = self._entries[position], self._reports.get(position, ())
        station = Station(*row, reports)  # type: ignore[call-arg]
        if len(made) >= MADE_KEPT:
            return station  # made again when asked again: the cache stays bounded
        # Two threads may both make it: equal stations, one kept.
        return made.setdefault(position, station)

    def at(self, positions: Iterable[int]) -> list[Station]:
        """The stations at ``positions`` (each in range), in that order: a request's matches in
        one call."""
        if self._made is None:
            return list(map(self._entries.__getitem__, positions))
        return [self[position] for position in positions]

    def __iter__(self) -> Iterator[Station]:
        """Every station in id order; of a table of rows, the ones not made yet are made and
        not kept (a whole pass, as a map's, would otherwise keep a second object per station
        for good)."""
        made, reports = self._made, self._reports
        if made is None:
            yield from self._entries
            return
        for position, row in enumerate(self._entries):
            yield made.get(position) or Station(*row, reports.get(position, ()))  # type: ignore[call-arg]

    # -- fields and lookups ------------------------------------------------------------------

    def columns(self, *names: str) -> tuple[tuple[Any, ...], ...]:
        """The values of the fields ``names`` (of ``ROW_FIELDS``), each in id order."""
        # A pass per field: one object per field, where transposing made one per station (and
        # a million new tuples set off the cyclic collector: 4 s instead of 0.4 at 1,000,000).
        if self._made is None:
            return tuple(tuple(map(attrgetter(name), self._entries)) for name in names)
        return tuple(tuple(map(itemgetter(_FIELD[name]), self._entries)) for name in names)

    def column(self, name: str) -> tuple[Any, ...]:
        return self.columns(name)[0]

    @property
    def ids(self) -> tuple[StationId, ...]:
        return tuple(map(self._id_of, self._entries))

    def id_at(self, position: int) -> StationId:
        """The id of the station at ``position``, without making it."""
        return self._id_of(self._entries[position])

    @property
    def reports(self) -> Mapping[int, tuple[ReportSignal, ...]]:
        """The open reports of the stations that have some, by position (read-only)."""
        return self._reports

    def position_of(self, station_id: str) -> int | None:
        """Where ``station_id`` is in the table, or None."""
        entries, id_of = self._entries, self._id_of
        i = bisect.bisect_left(entries, station_id, key=id_of)
        return i if i < len(entries) and id_of(entries[i]) == station_id else None

    @property
    def by_id(self) -> ById:
        return ById(self)

    # -- new tables --------------------------------------------------------------------------

    def take(self, positions: Sequence[int]) -> StationTable:
        """The stations at ``positions`` (strictly increasing), as a table of their own (the
        same entries, objects and reports)."""
        entries = list(map(self._entries.__getitem__, positions))

        def new_at(old: int) -> int | None:  # few are asked: the made and the reported
            at = bisect.bisect_left(positions, old)
            return at if at < len(positions) and positions[at] == old else None

        reports = {at: r for old, r in self._reports.items() if (at := new_at(old)) is not None}
        made = None
        if self._made is not None:
            # A copy first (one C call, atomic under the GIL): request threads add to the
            # served table's cache while this runs.
            made = {at: s for old, s in dict(self._made).items() if (at := new_at(old)) is not None}
        return self._new(entries, reports, made)

    def replaced(self, stations: Iterable[Station]) -> StationTable:
        """This table with ``stations`` (and their reports) in place of the ones of their ids,
        or added: what a store's changed rows make of a snapshot. Unchanged stations keep their
        entries, objects and reports. Python work is per changed station (and per made or
        reported one); the entries are copied in C, a few ms at 190,000."""
        changed = {s.id: s for s in stations}
        if not changed:
            return self
        as_entry: Callable[[Station], Any] = _values if self._made is not None else _same
        entries, reports = list(self._entries), dict(self._reports)
        made = None if self._made is None else dict(self._made)
        added: list[Station] = []
        for station in changed.values():
            at = self.position_of(station.id)
            if at is None:
                added.append(station)
                continue
            entries[at] = as_entry(station)
            if made is not None:
                made[at] = station
            reports.pop(at, None)
            if station.reports:
                reports[at] = station.reports
        if added:
            added.sort(key=_station_id)
            # Where each new station goes among the old entries: before the one at its slot.
            slots = [bisect.bisect_left(self._entries, s.id, key=self._id_of) for s in added]
            merged: list[Any] = []
            start = 0
            for slot, station in zip(slots, added, strict=True):
                merged.extend(entries[start:slot])
                merged.append(as_entry(station))
                start = slot
            merged.extend(entries[start:])
            entries = merged

            def moved(at: int) -> int:  # an old entry moves past the new ones placed before it
                return at + bisect.bisect_right(slots, at)

            reports = {moved(at): r for at, r in reports.items()}
            if made is not None:
                made = {moved(at): s for at, s in made.items()}
            for i, station in enumerate(added):  # the i-th new one has i new ones before it
                if made is not None:
                    made[slots[i] + i] = station
                if station.reports:
                    reports[slots[i] + i] = station.reports
        return self._new(entries, reports, made)

    def with_reports(self, reports: Mapping[StationId, Sequence[ReportSignal]]) -> StationTable:
        """This table with the open reports of the stations in ``reports`` replaced (an empty
        sequence: none; ids not in the table are ignored); the other entries are shared."""
        renewed = {
            at: tuple(signals)
            for station_id, signals in reports.items()
            if (at := self.position_of(station_id)) is not None
        }
        if not renewed:
            return self
        kept = {at: r for at, r in (self._reports | renewed).items() if r}
        if self._made is None:
            entries = list(self._entries)
            for at, signals in renewed.items():
                entries[at] = replace(entries[at], reports=signals)
            return self._new(entries, kept, None)
        made = {at: s for at, s in dict(self._made).items() if at not in renewed}  # as in take
        return self._new(self._entries, kept, made)  # the same rows


_row_id: Final[Callable[[Any], StationId]] = itemgetter(_FIELD["id"])
_station_id: Final[Callable[[Any], StationId]] = attrgetter("id")


def _same(station: Station) -> Station:
    return station


def as_table(stations: Sequence[Station]) -> StationTable:
    """``stations`` as a table (itself when it is one)."""
    return stations if isinstance(stations, StationTable) else StationTable.of(stations)


class ById(Mapping[StationId, Station]):
    """A table's stations by id (a view: no dict of 190,000 entries). With ``first``, a table
    of some of the same stations (a snapshot's visible ones), the stations it holds are taken
    from it, so that one station is made once, not once in each table."""

    __slots__ = ("_first", "_table")

    def __init__(self, table: StationTable, first: StationTable | None = None) -> None:
        self._table, self._first = table, first

    def __getitem__(self, station_id: StationId) -> Station:
        if not isinstance(station_id, str):
            raise KeyError(station_id)
        if self._first is not None and (at := self._first.position_of(station_id)) is not None:
            return self._first[at]
        at = self._table.position_of(station_id)
        if at is None:
            raise KeyError(station_id)
        return self._table[at]

    def __contains__(self, station_id: object) -> bool:
        return isinstance(station_id, str) and self._table.position_of(station_id) is not None

    def __iter__(self) -> Iterator[StationId]:
        return iter(self._table.ids)

    def __len__(self) -> int:
        return len(self._table)
