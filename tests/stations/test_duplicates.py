"""Likely duplicates: within 30 m (geodesic) and a similar name, checked against brute force."""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from geo.crs import CoordinateSystem
from geo.geodesic import WGS84, distance_m
from stations.editing.edits import create_station
from stations.editing.tokens import Role, Token
from stations.errors import LikelyDuplicate, StationExists
from stations.files.duplicates import (
    RADIUS_M,
    Place,
    likely_duplicates,
    normalise_name,
    similar_names,
)
from stations.files.importing import import_file
from stations.model import Status
from stations.store.geopackage.store import GeoPackageStore
from tests.stations.import_files import BASE_COLUMNS

DRUM_TOWER = (108.9393, 34.2628)


def moved(at: tuple[float, float], metres: float, azimuth_deg: float = 90.0) -> tuple[float, float]:
    lon, lat, _ = WGS84.fwd(at[0], at[1], azimuth_deg, metres)
    return (float(lon), float(lat))


def place(
    name: str,
    at: tuple[float, float],
    *,
    row: int | None = None,
    new: bool = True,
    kind: str = "love_station",
    sid: str | None = None,
) -> Place:
    return Place(sid, name, kind, at[0], at[1], row=row, new=new)


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("示例·鼓楼爱心驿站", "鼓楼"),
        ("鼓楼 户外劳动者服务站", "鼓楼"),
        ("（鼓楼）工会驿站！", "鼓楼"),
        ("ＡＢＣ驿站１号", "abc1号"),  # full-width folded
        ("爱心驿站", ""),
    ],
)
def test_normalised_names(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised


@pytest.mark.parametrize(
    ("a", "b", "same_kind", "similar"),
    [
        ("示例·鼓楼驿站", "鼓楼爱心驿站", True, True),  # equal once normalised
        ("鼓楼驿站", "鼓楼爱心驿站", False, True),  # equal names: the kind does not matter
        ("鼓楼", "西安鼓楼", True, True),  # one contains the other
        ("鼓楼", "西安鼓楼", False, False),  # ... but not across kinds
        ("爱心驿站", "南门驿站", True, True),  # a name of only generic words
        ("碑林区东关南街公园", "碑林区东关南街公圆", True, True),  # a typo
        ("碑林区东关南街公园", "碑林区东关南街换电柜", True, False),  # one street, two places
        ("3号驿站", "13号驿站", True, False),  # numbers differ
        ("鼓楼1号驿站", "鼓楼2号驿站", True, False),
        ("鼓楼", "钟楼", True, False),
    ],
)
def test_similar_names(a: str, b: str, same_kind: bool, similar: bool) -> None:
    na, nb = normalise_name(a), normalise_name(b)
    assert similar_names(na, nb, same_kind=same_kind) is similar
    assert similar_names(nb, na, same_kind=same_kind) is similar


def test_within_30_m_and_similar_is_flagged_with_the_nearest_match() -> None:
    stored = place("鼓楼驿站", DRUM_TOWER, new=False, sid="old-1")
    closer = place("鼓楼爱心驿站", moved(DRUM_TOWER, 12), new=False, sid="old-2")
    new = place("示例·鼓楼驿站", moved(DRUM_TOWER, 20), row=2, sid="new-1")
    (dup,) = likely_duplicates([stored, closer, new])
    assert (dup.row, dup.id, dup.near_id, dup.near_row) == (2, "new-1", "old-2", None)
    expected = distance_m(new.lon, new.lat, closer.lon, closer.lat)
    assert dup.distance_m == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(("metres", "flagged"), [(29.9, True), (30.1, False), (40.0, False)])
def test_the_radius_is_30_m_geodesic(metres: float, flagged: bool) -> None:
    places = [
        place("鼓楼驿站", DRUM_TOWER, new=False, sid="old"),
        place("鼓楼驿站", moved(DRUM_TOWER, metres, 45.0), row=2),
    ]
    assert bool(likely_duplicates(places)) is flagged


def test_only_new_places_are_flagged_and_the_later_of_two() -> None:
    places = [
        place("鼓楼驿站", DRUM_TOWER, row=2, new=False, sid="updated"),
        place("鼓楼驿站", moved(DRUM_TOWER, 5), row=3),
        place("鼓楼驿站", moved(DRUM_TOWER, 5, 180.0), row=4),
    ]
    duplicates = likely_duplicates(places)
    assert [(d.row, d.near_row) for d in duplicates] == [(3, 2), (4, 2)]
    assert likely_duplicates(places[:1]) == []
    assert likely_duplicates([]) == []


def test_the_same_spot_across_the_antimeridian_and_at_a_pole() -> None:
    places = [
        place("站", (179.99999, 0.0), new=False, sid="east"),
        place("站", (-179.99999, 0.0), row=2),  # 2.2 m away, across ±180°
        place("极", (0.0, 90.0), new=False, sid="pole"),
        place("极", (120.0, 89.99999), row=3),  # 1.1 m from the pole
    ]
    assert [(d.row, d.near_id) for d in likely_duplicates(places)] == [(2, "east"), (3, "pole")]


def test_matches_a_brute_force_oracle() -> None:
    rng = random.Random(7)
    names = ["鼓楼驿站", "鼓楼爱心驿站", "钟楼驿站", "南门驿站", "1号驿站", "2号驿站", "爱心驿站"]
    places = []
    for i in range(600):
        at = moved(DRUM_TOWER, rng.uniform(0, 300), rng.uniform(0, 360))
        kind = rng.choice(["love_station", "service_point"])
        new = rng.random() < 0.5
        places.append(place(rng.choice(names), at, row=i + 2, new=new, kind=kind, sid=f"s{i}"))
    expected = {}
    for i, p in enumerate(places):
        if not p.new:
            continue
        best: tuple[float, int] | None = None
        for j, q in enumerate(places):
            if j == i or (q.new and q.row is not None and p.row is not None and q.row > p.row):
                continue
            d = distance_m(p.lon, p.lat, q.lon, q.lat)
            same = similar_names(
                normalise_name(p.name), normalise_name(q.name), same_kind=p.kind == q.kind
            )
            if d <= RADIUS_M and same and (best is None or (d, j) < best):
                best = (d, j)
        if best is not None:
            expected[p.row] = places[best[1]].id
    found = {d.row: d.near_id for d in likely_duplicates(places)}
    assert found == expected
    assert len(found) > 20  # the oracle is not vacuous


def test_100k_places_take_about_a_second() -> None:
    rng = random.Random(1)
    places = [
        place(f"驿站{i}", (rng.uniform(73, 135), rng.uniform(18, 53)), row=i + 2, sid=f"p{i}")
        for i in range(100_000)
    ]
    # Plant a duplicate pair at the end of the file.
    places.append(place("驿站5", moved((places[5].lon, places[5].lat), 3), row=100_002))
    started = time.perf_counter()
    found = likely_duplicates(places)
    elapsed = time.perf_counter() - started
    print(f"\nlikely_duplicates over 100,001 places: {elapsed:.2f} s")
    assert [(d.row, d.near_id) for d in found] == [(100_002, "p5")]


def test_the_importer_flags_and_allows(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "s.gpkg")
    header = ",".join(BASE_COLUMNS)
    first = tmp_path / "first.csv"
    first.write_text(
        f"{header}\ngl-1,鼓楼驿站,love_station,{DRUM_TOWER[0]},{DRUM_TOWER[1]},,610103,,,,\n",
        encoding="utf-8",
    )
    import_file(store, first)
    lon, lat = moved(DRUM_TOWER, 15)
    second = tmp_path / "second.csv"
    second.write_text(f"{header}\n,示例·鼓楼爱心驿站,love_station,{lon},{lat},,610103,,,,\n")
    report = import_file(store, second)
    assert report.blocked and not report.written and report.created == 1
    assert [(d.row, d.near_id) for d in report.duplicates] == [(2, "gl-1")]
    assert len(store.list_stations()) == 1
    report = import_file(store, second, allow_duplicates=True)
    assert report.written and not report.blocked and len(report.duplicates) == 1
    assert len(store.list_stations()) == 2


@pytest.mark.slow
def test_a_100k_row_import_with_the_duplicate_check(tmp_path: Path) -> None:
    """Measured, not asserted: the time printed is the figure the closing note reports."""
    rng = random.Random(3)
    lines = [",".join(BASE_COLUMNS)]
    for i in range(100_000):
        lon, lat = rng.uniform(73, 135), rng.uniform(18, 53)
        lines.append(
            f"r{i},驿站{i},love_station,{lon!r},{lat!r},某路{i}号,610103,water;microwave,"
            "Mo-Fr 08:00-20:00,,总工会"
        )
    source = tmp_path / "100k.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = GeoPackageStore(tmp_path / "s.gpkg")
    started = time.perf_counter()
    report = import_file(store, source)
    elapsed = time.perf_counter() - started
    print(f"\nimport_file, 100,000 new rows (CSV, fresh GeoPackage): {elapsed:.1f} s")
    assert report.written and report.created == 100_000 and report.duplicates == []
    store.close()


def test_a_create_refuses_a_likely_duplicate_unless_allowed(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "s.gpkg")
    admin = Token("ops", Role.ADMIN, (), datetime.now(UTC))
    body = {"name": "示例·南门驿站", "kind": "love_station", "lon": 108.9423, "lat": 34.2530,
            "district_code": "610103"}  # fmt: skip
    first = create_station(store, admin, body, CoordinateSystem.WGS84)
    with pytest.raises(LikelyDuplicate) as refused:
        create_station(store, admin, {**body, "name": "南门爱心驿站"}, CoordinateSystem.WGS84)
    assert (refused.value.near_id, refused.value.distance_m) == (first.id, 0.0)
    assert isinstance(refused.value, StationExists)  # a conflict: 409 over HTTP
    assert len(store.list_stations()) == 1
    second = create_station(store, admin, body, CoordinateSystem.WGS84, allow_duplicates=True)
    assert second.id != first.id
    # Only what ``nearby`` offers is compared: a retired one or none at all is no duplicate.
    retired = replace(first, status=Status.RETIRED)
    for offered in ([retired], []):
        create_station(store, admin, body, CoordinateSystem.WGS84,
                       nearby=lambda lon, lat, radius_m, o=offered: o)  # fmt: skip
    assert len(store.list_stations()) == 4
