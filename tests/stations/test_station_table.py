"""stations/store/station_table.py: a snapshot's stations as rows (as a store reads them) or as
the Station objects a caller gave, against plain lists and dicts of the same Station objects
(the oracle: what a snapshot held before it was a table). Every test runs on both kinds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stations.model import Category, Kind, ReportSignal, Station, StationId, Status
from stations.store.station_table import ROW_FIELDS, StationTable, as_table
from tests.conftest import MakeDraft

AT = datetime(2026, 12, 1, 8, tzinfo=UTC)
Make = Callable[[list[Station]], StationTable]


def _rows(stations: list[Station]) -> StationTable:
    """As a store hands a snapshot over: rows, no Station made yet."""
    ordered = sorted({s.id: s for s in stations}.values(), key=lambda s: s.id)
    rows = [tuple(getattr(s, name) for name in ROW_FIELDS) for s in ordered]
    return StationTable(rows, {at: s.reports for at, s in enumerate(ordered) if s.reports})


@pytest.fixture(params=["rows", "objects"])
def make(request: pytest.FixtureRequest) -> Make:
    return _rows if request.param == "rows" else StationTable.of


def _stored(draft_maker: MakeDraft, n: int, **overrides: object) -> Station:
    draft = draft_maker(id=StationId(f"s-{n:03d}"), **overrides)
    return Station(
        **{name: getattr(draft, name) for name in ROW_FIELDS if hasattr(draft, name)},
        version=1,
        updated_at=AT,
    )


@pytest.fixture
def stations(make_draft: MakeDraft) -> list[Station]:
    return [_stored(make_draft, n) for n in (5, 1, 3, 9, 7)]


def test_a_table_is_its_stations_in_id_order(stations: list[Station], make: Make) -> None:
    table = make(stations)
    ordered = sorted(stations, key=lambda s: s.id)
    assert list(table) == ordered and len(table) == 5
    assert [table[i] for i in range(5)] == ordered
    assert table[-1] == ordered[-1] and table[1:3] == ordered[1:3]
    assert list(table.ids) == [s.id for s in ordered]
    assert [table.id_at(i) for i in range(5)] == [s.id for s in ordered]
    assert list(table.column("name")) == [s.name for s in ordered]
    names, lons = table.columns("name", "lon")
    assert list(names) == [s.name for s in ordered] and list(lons) == [s.lon for s in ordered]
    with pytest.raises(IndexError):
        table[5]
    with pytest.raises(IndexError):
        table[-6]


def test_a_store_table_makes_each_station_once(stations: list[Station]) -> None:
    table = _rows(stations)
    first = table[1]
    assert table[1] is first and table.by_id[first.id] is first
    assert list(table) == sorted(stations, key=lambda s: s.id)  # a whole pass makes the rest
    assert table[1] is first


def test_a_table_of_objects_holds_those_objects(stations: list[Station]) -> None:
    table = StationTable.of(stations)
    assert all(any(s is given for given in stations) for s in table)


def test_lookups_by_id(stations: list[Station], make: Make) -> None:
    table = make(stations)
    by_id = table.by_id
    assert len(by_id) == 5 and list(by_id) == sorted(s.id for s in stations)
    for s in stations:
        at = table.position_of(s.id)
        assert at is not None and table[at] == s
        assert by_id[s.id] == s and s.id in by_id
    for absent in ("s-000", "s-004", "s-999", "", "t"):
        assert absent not in by_id and table.position_of(absent) is None
        assert by_id.get(StationId(absent)) is None
    assert 5 not in by_id  # not an id at all
    with pytest.raises(KeyError):
        by_id[StationId("s-004")]


def test_of_keeps_the_last_of_one_id(stations: list[Station]) -> None:
    renamed = replace(stations[0], name="新名")
    assert list(StationTable.of([*stations, renamed]).by_id.values()) == sorted(
        [renamed, *stations[1:]], key=lambda s: s.id
    )


def test_rows_must_be_in_id_order(stations: list[Station]) -> None:
    rows = list(zip(*StationTable.of(stations).columns(*ROW_FIELDS), strict=True))
    with pytest.raises(ValueError, match="increasing"):
        StationTable([rows[1], rows[0], *rows[2:]])
    with pytest.raises(ValueError, match="increasing"):
        StationTable([rows[0], rows[0], *rows[1:]])


def test_an_empty_table(make: Make) -> None:
    table = make([])
    assert len(table) == 0 and list(table) == [] and table.position_of("x") is None
    assert not table and len(table.replaced([])) == 0 and table.columns("id", "name") == ((), ())


def test_take_keeps_the_chosen_positions(stations: list[Station], make: Make) -> None:
    table = make(stations)
    kept = table[3]
    subset = table.take([0, 3, 4])
    assert list(subset) == [table[0], table[3], table[4]]
    assert subset[1] is kept and subset.position_of(kept.id) == 1


def test_with_reports_renews_only_the_reports(stations: list[Station], make: Make) -> None:
    table = make(stations)
    signal = ReportSignal(Category.CLOSED_NOW, None, "ab" * 16, AT)
    target, other = table[2], table[0]  # made before
    renewed = table.with_reports({target.id: [signal], StationId("gone"): [signal]})
    assert renewed[2] == replace(target, reports=(signal,)) and renewed[2].reports == (signal,)
    others = [0, 1, 3, 4]
    assert [renewed[i] for i in others] == [table[i] for i in others]
    assert renewed[0] is other  # the others made are the same objects
    assert renewed.column("name") == table.column("name")
    assert renewed.reports == {2: (signal,)} and table.reports == {}
    assert renewed.with_reports({target.id: ()})[2] == target  # resolved: none again
    assert renewed.with_reports({target.id: ()}).reports == {}
    assert table[2].reports == ()  # the old table is unchanged
    assert table.with_reports({}) is table


ids = st.sampled_from([f"s-{n:02d}" for n in range(12)])


@settings(max_examples=200, deadline=None)
@given(
    backing=st.sampled_from([_rows, StationTable.of]),
    before=st.lists(st.tuples(ids, st.booleans()), unique_by=lambda e: e[0]),
    changed=st.lists(st.tuples(ids, st.sampled_from(["甲", "乙"]), st.booleans(), st.booleans())),
    touched=st.lists(ids),
)
def test_replaced_is_a_merge_by_id(
    backing: Make,
    before: list[tuple[str, bool]],
    changed: list[tuple[str, str, bool, bool]],
    touched: list[str],
) -> None:
    """``replaced`` against a dict merge of Station objects (what a snapshot did before it was
    a table), reports included; stations made before keep their objects when unchanged."""

    def station(sid: str, name: str, retired: bool, reported: bool) -> Station:
        return Station(
            StationId(sid), name, *_REST, Status.RETIRED if retired else Status.ACTIVE, 1, AT,
            reports=(ReportSignal(Category.OTHER, None, sid, AT),) if reported else (),
        )  # fmt: skip

    table = backing([station(s, "原名", False, reported) for s, reported in before])
    held = {sid: table.by_id[StationId(sid)] for sid in touched if any(sid == b for b, _ in before)}
    new = [station(*values) for values in changed]
    merged = {s.id: s for s in table} | {s.id: s for s in new}
    expected = sorted(merged.values(), key=lambda s: s.id)
    result = table.replaced(new)
    assert list(result) == expected and len(result) == len(expected)
    assert [s.reports for s in result] == [s.reports for s in expected]
    assert [result[i].reports for i in range(len(result))] == [s.reports for s in expected]
    assert dict(result.reports) == {i: s.reports for i, s in enumerate(expected) if s.reports}
    for sid, kept in held.items():
        if sid not in {s.id for s in new}:
            assert result.by_id[StationId(sid)] is kept


_REST = (Kind.LOVE_STATION, 108.9, 34.2, None, "610103", ("water",), "24/7", None, None)


def test_as_table_takes_a_table_as_it_is(stations: list[Station]) -> None:
    table = StationTable.of(stations)
    assert as_table(table) is table
    assert list(as_table(stations)) == list(table)


def test_a_take_carries_the_reports_and_made_stations(make_draft: MakeDraft, make: Make) -> None:
    signal = ReportSignal(Category.CLOSED_NOW, None, "cd" * 16, AT)
    stations = [replace(_stored(make_draft, n), reports=(signal,) * (n % 2)) for n in range(6)]
    table = make(stations)
    held = table[3]
    subset = table.take([1, 3, 4])
    assert list(subset) == [stations[1], stations[3], stations[4]]
    assert [s.reports for s in subset] == [(signal,), (signal,), ()]
    assert dict(subset.reports) == {0: (signal,), 1: (signal,)}
    assert subset[1] is held


def test_the_kept_stations_are_bounded(
    stations: list[Station], monkeypatch: pytest.MonkeyPatch
) -> None:
    import stations.store.station_table as station_table

    monkeypatch.setattr(station_table, "MADE_KEPT", 2)
    table, ordered = _rows(stations), sorted(stations, key=lambda s: s.id)
    first, second = table[0], table[1]
    assert table[0] is first and table[1] is second
    assert table[2] == ordered[2]
    assert table[2] is not table[2]  # made each time once the cache is full
    assert table.at([0, 2]) == [first, table[2]]


def test_by_id_takes_visible_stations_from_the_visible_table(stations: list[Station]) -> None:
    """A snapshot with retired stations: one station asked for by id and by position is one
    object (not one per table), and a retired one is still found by id."""
    from stations.reading.catalog import Catalog

    retired = replace(stations[0], status=Status.RETIRED)
    catalog = Catalog(_rows([retired, *stations[1:]]))
    assert len(catalog.visible) == 4 and len(catalog.by_id) == 5
    for station in stations[1:]:
        at = catalog.position_of(station.id)
        assert at is not None and catalog.by_id[station.id] is catalog.visible[at]
    assert catalog.by_id[retired.id] == retired and catalog.position_of(retired.id) is None
    assert catalog.by_id.get(5) is None  # type: ignore[call-overload]
    assert 5 not in catalog.by_id


def test_a_served_table_renews_reports_while_requests_make_stations(
    stations: list[Station],
) -> None:
    """Request threads make stations while a refresh derives new tables from the same one:
    no "dictionary changed size during iteration" (it failed 224 times in 1.5 s before)."""
    import threading
    import time

    many = [replace(stations[0], id=StationId(f"s{n:06d}")) for n in range(40_000)]
    table = _rows(many)
    for n in range(0, 40_000, 2):
        table[n]  # made, as a served table's are
    stop, failures = threading.Event(), []

    def requests() -> None:
        n = 1
        while not stop.is_set():
            table[n % 40_000]
            n += 2

    reader = threading.Thread(target=requests)
    reader.start()
    try:
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:
            try:
                table.with_reports({many[0].id: ()})
                table.take(range(0, 40_000, 3))
            except RuntimeError as exc:
                failures.append(exc)
    finally:
        stop.set()
        reader.join()
    assert not failures
