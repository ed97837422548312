"""A snapshot's stations as the store read them: a tuple of field values per station, and a
Station object made only for the ones a request answers with.

A serving process reads every station when it starts and after each write. Making a frozen
Station of each of 190,000 rows took 0.36 s of a ~1.8 s start (22 guarded attribute sets each)
while a snapshot needs only a few fields of every station, as arrays (stations/reading/
catalog.py), and the whole record of the few a request answers with. A tuple of the same values
costs one instruction to build and as much memory as the Station.

Why not columns (one list per field)? Measured at 190,000 stations: lists of Python values hold
as many pointers as the objects they replace, a snapshot's visible subset then copies every
list, and a pass per column over values read long before misses the CPU's cache where a pass
per row does not: 273 against 243 MiB resident once ready, and no faster start.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from itertools import islice
from operator import attrgetter, itemgetter, lt
from typing import Any, Final, overload

from stations.model import ReportSignal, Station, StationId

#: The fields of a row: Station's, in its constructor's order, but the reports (read on their
#: own, and held by position: most stations have none).
ROW_FIELDS: Final = tuple(f.name for f in fields(Station) if f.name != "reports")
_FIELD: Final = {name: i for i, name in enumerate(ROW_FIELDS)}
_row_id: Final = itemgetter(_FIELD["id"])
_values: Final = attrgetter(*ROW_FIELDS)

#: A station's values in ``ROW_FIELDS`` order, as the Station fields hold them.
Row = tuple[Any, ...]


class StationTable(Sequence[Station]):
    """Stations in id order (code points, as the stores' ``ORDER BY id``). Immutable: a change
    makes a new table, sharing the unchanged rows."""

    __slots__ = ("_made", "_reports", "_rows")

    def __init__(
        self, rows: list[Row], reports: Mapping[int, tuple[ReportSignal, ...]] | None = None
    ) -> None:
        """``rows``: the values of ``ROW_FIELDS``, ids strictly increasing; ``reports``: the
        open reports of the stations that have some, by position."""
        ids = list(map(_row_id, rows))
        # Lookups by id bisect the rows: an order the stores' ORDER BY gave differently (a
        # collation) would lose stations silently. ~10 ms at 190,000, all in C.
        if not all(map(lt, ids, islice(ids, 1, None))):
            raise ValueError("station ids not in strictly increasing code-point order")
        self._rows = rows
        self._reports = {} if reports is None else dict(reports)
        self._made: dict[int, Station] = {}

    @classmethod
    def of(cls, stations: Iterable[Station]) -> StationTable:
        """A table of ``stations`` (any order; of two with one id, the later). Their values are
        kept, not the objects: the table makes its own as they are asked for."""
        by_id = {s.id: s for s in stations}
        ordered = sorted(by_id.values(), key=attrgetter("id"))
        reports = {at: s.reports for at, s in enumerate(ordered) if s.reports}
        return cls(list(map(_values, ordered)), reports)

    # -- a sequence of Station ---------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, position: int) -> Station: ...

    @overload
    def __getitem__(self, position: slice) -> list[Station]: ...

    def __getitem__(self, position: int | slice) -> Station | list[Station]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        made = self._made.get(position)
        if made is not None:
            return made
        if position < 0:
            position += len(self._rows)
        if not 0 <= position < len(self._rows):
            raise IndexError("station position out of range")
        station = Station(*self._rows[position], self._reports.get(position, ()))  # type: ignore[call-arg]
        # Two threads may both make it: equal stations, one kept.
        return self._made.setdefault(position, station)

    def __iter__(self) -> Iterator[Station]:
        """Every station in id order; the ones not made yet are made and not kept (a whole
        pass, as a map's, would otherwise keep a second object per station for good)."""
        made, reports = self._made, self._reports
        for position, row in enumerate(self._rows):
            yield made.get(position) or Station(*row, reports.get(position, ()))  # type: ignore[call-arg]

    # -- fields and lookups ------------------------------------------------------------------

    def columns(self, *names: str) -> tuple[tuple[Any, ...], ...]:
        """The values of the fields ``names`` (of ``ROW_FIELDS``), each in id order, read in
        one pass over the rows."""
        if not self._rows:
            return tuple(() for _ in names)
        if len(names) == 1:
            return (tuple(map(itemgetter(_FIELD[names[0]]), self._rows)),)
        picked = itemgetter(*(_FIELD[name] for name in names))
        return tuple(zip(*map(picked, self._rows), strict=True))

    def column(self, name: str) -> tuple[Any, ...]:
        return self.columns(name)[0]

    @property
    def ids(self) -> tuple[StationId, ...]:
        return self.column("id")

    def id_at(self, position: int) -> StationId:
        """The id of the station at ``position``, without making it."""
        return _row_id(self._rows[position])  # type: ignore[no-any-return]

    @property
    def reports(self) -> Mapping[int, tuple[ReportSignal, ...]]:
        """The open reports of the stations that have some, by position (read-only)."""
        return self._reports

    def position_of(self, station_id: str) -> int | None:
        """Where ``station_id`` is in the table, or None."""
        rows = self._rows
        i = bisect.bisect_left(rows, station_id, key=_row_id)
        return i if i < len(rows) and _row_id(rows[i]) == station_id else None

    @property
    def by_id(self) -> ById:
        return ById(self)

    # -- new tables --------------------------------------------------------------------------

    def take(self, positions: Sequence[int]) -> StationTable:
        """The stations at ``positions`` (strictly increasing), as a table of their own (the
        same row tuples, objects and reports)."""
        rows = list(map(self._rows.__getitem__, positions))

        def new_at(old: int) -> int | None:  # few are asked: the made and the reported
            at = bisect.bisect_left(positions, old)
            return at if at < len(positions) and positions[at] == old else None

        reports = {at: r for old, r in self._reports.items() if (at := new_at(old)) is not None}
        made = {at: s for old, s in self._made.items() if (at := new_at(old)) is not None}
        return StationTable._of_sorted(rows, reports, made)

    def replaced(self, stations: Iterable[Station]) -> StationTable:
        """This table with ``stations`` (and their reports) in place of the ones of their ids,
        or added: what a store's changed rows make of a snapshot. Unchanged stations keep their
        rows, objects and reports; the work is per changed station, not per row (a delta
        rebuild after one edit at 190,000 stations)."""
        changed = {s.id: s for s in stations}
        if not changed:
            return self
        rows, made, reports = list(self._rows), dict(self._made), dict(self._reports)
        added: list[Station] = []
        for station in changed.values():
            at = self.position_of(station.id)
            if at is None:
                added.append(station)
                continue
            rows[at], made[at] = _values(station), station
            reports.pop(at, None)
            if station.reports:
                reports[at] = station.reports
        if added:
            added.sort(key=attrgetter("id"))
            # Where each new station goes among the old rows: before the row at its slot.
            slots = [bisect.bisect_left(self._rows, s.id, key=_row_id) for s in added]
            merged: list[Row] = []
            start = 0
            for slot, station in zip(slots, added, strict=True):
                merged.extend(rows[start:slot])
                merged.append(_values(station))
                start = slot
            merged.extend(rows[start:])
            rows = merged

            def moved(at: int) -> int:  # an old row moves past the new ones placed before it
                return at + bisect.bisect_right(slots, at)

            made = {moved(at): s for at, s in made.items()}
            reports = {moved(at): r for at, r in reports.items()}
            for i, station in enumerate(added):  # the i-th new one has i new ones before it
                made[slots[i] + i] = station
                if station.reports:
                    reports[slots[i] + i] = station.reports
        return StationTable._of_sorted(rows, reports, made)

    @classmethod
    def _of_sorted(
        cls, rows: list[Row], reports: dict[int, tuple[ReportSignal, ...]],
        made: dict[int, Station],
    ) -> StationTable:  # fmt: skip
        """A table of rows known to be in strictly increasing id order (not checked again)."""
        table = cls.__new__(cls)
        table._rows, table._reports, table._made = rows, reports, made
        return table

    def with_reports(self, reports: Mapping[StationId, Sequence[ReportSignal]]) -> StationTable:
        """This table with the open reports of the stations in ``reports`` replaced (an empty
        sequence: none; ids not in the table are ignored); the rows are shared."""
        renewed = {
            at: tuple(signals)
            for station_id, signals in reports.items()
            if (at := self.position_of(station_id)) is not None
        }
        if not renewed:
            return self
        kept = {at: r for at, r in (self._reports | renewed).items() if r}
        made = {at: s for at, s in self._made.items() if at not in renewed}
        return StationTable._of_sorted(self._rows, kept, made)  # the same rows


def as_table(stations: Sequence[Station]) -> StationTable:
    """``stations`` as a table (itself when it is one)."""
    return stations if isinstance(stations, StationTable) else StationTable.of(stations)


class ById(Mapping[StationId, Station]):
    """A table's stations by id (a view: no dict of 190,000 entries)."""

    __slots__ = ("_table",)

    def __init__(self, table: StationTable) -> None:
        self._table = table

    def __getitem__(self, station_id: StationId) -> Station:
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
