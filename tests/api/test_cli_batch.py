"""`yizhan nearest --batch POINTS.csv --out RESULTS.csv` as a user runs it: real subprocesses,
real files, each row checked against find_nearby for that rider."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from geo.crs import CoordinateSystem, from_wgs84, to_wgs84
from geo.position import LonLat
from stations.hours import SHANGHAI
from stations.reading.batch import neighbours_of_many as nearest_many
from stations.reading.catalog import Catalog
from stations.reading.locator import NearbyQuery, find_nearby
from stations.store.geopackage.store import GeoPackageStore
from tests.api.test_cli import run

HEADER_WITH_ID = "line,id,rank,station_id,distance_m,bearing_deg,station_lon,station_lat"
Row = dict[str, str]


@pytest.fixture(scope="module")
def catalog(demo_db: Path) -> Catalog:
    store = GeoPackageStore(demo_db)
    try:
        return Catalog(store.list_stations())
    finally:
        store.close()


def write_points(path: Path, rows: list[list[str]], header: str = "id,lat,lon") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(header + "\n")
        csv.writer(f).writerows(rows)
    return path


def riders(n: int, crs: str) -> list[tuple[float, float]]:
    """(lon, lat) in ``crs``: around the demo stations in Xi'an, and a few far away."""
    rng = np.random.default_rng(4)
    lon = 108.94 + rng.normal(0.0, 0.1, n)
    lat = 34.26 + rng.normal(0.0, 0.08, n)
    lon[::25] += 4.0
    x, y = from_wgs84(lon, lat, CoordinateSystem(crs))
    return list(zip(np.atleast_1d(x).tolist(), np.atleast_1d(y).tolist(), strict=True))


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    ("crs", "options", "k"),
    [
        ("wgs84", [], 1),
        ("gcj02", ["--amenity", "microwave", "--amenity", "water"], 3),
        ("bd09", ["--radius-m", "1500"], 4),
    ],
)
def test_every_row_is_what_find_nearby_answers(
    demo_db: Path, catalog: Catalog, tmp_path: Path, crs: str, options: list[str], k: int
) -> None:
    points = riders(300, crs)
    # Ids that need CSV quoting come back as the same text.
    ids = [f"rider {i}" if i % 7 else f'r,"{i}"' for i in range(len(points))]
    source = write_points(
        tmp_path / "points.csv",
        [[rid, repr(lat), repr(lon)] for rid, (lon, lat) in zip(ids, points, strict=True)],
    )
    out = tmp_path / "results.csv"
    args = ["--db", demo_db, "--batch", source, "--out", out, "--crs", crs, "--k", str(k)]
    result = run("nearest", *args, *options, check=True)
    assert f"{len(points)} points" in result.stdout
    with out.open(encoding="utf-8") as f:
        assert f.readline().strip() == HEADER_WITH_ID

    by_line: dict[int, list[Row]] = {}
    for row in read_rows(out):
        by_line.setdefault(int(row["line"]), []).append(row)
    assert sorted(by_line) == list(range(2, len(points) + 2))  # every rider, in file order
    amenities = tuple(options[1::2]) if options[:1] == ["--amenity"] else ()
    radius_m = float(options[1]) if options[:1] == ["--radius-m"] else None
    query = NearbyQuery(at=datetime.now(SHANGHAI), k=k, radius_m=radius_m, amenities=amenities)
    shown_lon, shown_lat = (a.tolist() for a in catalog.coordinates(CoordinateSystem(crs)))
    station_crs = {s.id: (shown_lon[i], shown_lat[i]) for i, s in enumerate(catalog.visible)}
    empty = 0
    for i, (lon, lat) in enumerate(points):
        rows = by_line[i + 2]
        assert {r["id"] for r in rows} == {ids[i]}
        x, y = to_wgs84(lon, lat, CoordinateSystem(crs))
        expected = find_nearby(catalog, LonLat(float(x), float(y)), query)
        if not expected:
            empty += 1
            assert [list(r.values())[2:] for r in rows] == [[""] * 6]  # one row, no station
            continue
        assert [r["rank"] for r in rows] == [str(n) for n in range(1, len(expected) + 1)]
        for row, match in zip(rows, expected, strict=True):
            assert row["station_id"] == match.station.id
            assert row["distance_m"] == f"{match.distance_m:.3f}"
            assert row["bearing_deg"] == f"{match.bearing_deg:.2f}"
            station_lon, station_lat = station_crs[match.station.id]
            assert row["station_lon"] == f"{station_lon:.7f}"
            assert row["station_lat"] == f"{station_lat:.7f}"
    assert (empty > 0) == (radius_m is not None)


def test_without_an_id_column_rows_are_named_by_line(
    demo_db: Path, tmp_path: Path, catalog: Catalog
) -> None:
    source = tmp_path / "p.csv"
    # Other columns are ignored; blank lines are skipped but keep the numbering of lines.
    source.write_text("lon,note,lat\n108.9423,a,34.2610\n\n108.95,b,34.27\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    run("nearest", "--db", demo_db, "--batch", source, "--out", out, check=True)
    rows = read_rows(out)
    assert list(rows[0]) == HEADER_WITH_ID.replace("id,", "", 1).split(",")
    assert [(r["line"], r["rank"]) for r in rows] == [("2", "1"), ("4", "1")]  # --k 1 default
    assert rows[0]["station_id"] == "demo-610103-001"  # the README's planted station


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,lat,lon\na,34.2,108.9\nb,34.2,abc\n", "line 3: lon 'abc' is not a number"),
        ("id,lat,lon\na,34.2,108.9\nb,,108.9\n", "line 3: lat is empty"),
        ("id,lat,lon\na,95,108.9\nb,34.2,108.9\nc,34.2,-181\n", "line 2: lat 95.0 is outside"),
        ("id,lat,lon\na,95,108.9\nb,34.2,108.9\nc,34.2,-181\n", "line 4: lon -181.0 is outside"),
        ("id,lat,lon\na,nan,108.9\n", "line 2: lat 'nan' is not a number"),
        ("id,lat,lon\na,34.2,inf\n", "line 2: lon inf is outside"),
        ("id,latitude,lon\na,34.2,108.9\n", "must name the columns lat and lon"),
        ("", "cannot read"),
        # An unquoted comma in an id would shift lat and lon along: refused, wherever it is.
        ("id,lat,lon\nr,2,34.2,108.9\nb,34.2,108.9\n", "line 2 has more fields"),
        ("id,lat,lon\nb,34.2,108.9\nr,2,34.2,108.9\n", "line 3"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_written(
    demo_db: Path, tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "points.csv"
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "results.csv"
    out.write_text("yesterday's results\n", encoding="utf-8")
    result = run("nearest", "--db", demo_db, "--batch", source, "--out", out)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert out.read_text(encoding="utf-8") == "yesterday's results\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points.csv", "results.csv"]


def test_many_bad_rows_are_counted(demo_db: Path, tmp_path: Path) -> None:
    source = write_points(tmp_path / "p.csv", [[str(i), "x", "1"] for i in range(30)])
    result = run("nearest", "--db", demo_db, "--batch", source, "--out", tmp_path / "r.csv")
    assert result.returncode == 2
    assert "line 11: lat 'x'" in result.stderr and "and 20 more bad rows" in result.stderr
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--out", "r.csv"],  # --out without --batch
        ["--batch", "p.csv"],  # --batch without --out
        ["--batch", "p.csv", "--out", "r.csv", "--lat", "34", "--lon", "108"],
        ["--batch", "p.csv", "--out", "r.csv", "--json"],
        ["--batch", "p.csv", "--out", "r.csv", "--k", "101"],
        ["--batch", "p.csv", "--out", "r.csv", "--amenity", "sauna"],
    ],
)
def test_contradictory_options_are_usage_errors(
    demo_db: Path, tmp_path: Path, args: list[str]
) -> None:
    write_points(tmp_path / "p.csv", [["a", "34.2", "108.9"]])
    paths = [str(tmp_path / a) if a.endswith(".csv") else a for a in args]
    result = run("nearest", "--db", demo_db, *paths)
    assert result.returncode == 2 and result.stderr.startswith("yizhan: "), result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_an_unwritable_destination_is_a_clean_error(demo_db: Path, tmp_path: Path) -> None:
    source = write_points(tmp_path / "p.csv", [["a", "34.2", "108.9"]])
    out = tmp_path / "no such dir" / "r.csv"
    result = run("nearest", "--db", demo_db, "--batch", source, "--out", out)
    assert result.returncode == 2 and "cannot write" in result.stderr, result.stderr


def test_with_an_opening_hours_filter_each_row_is_find_nearby(catalog: Catalog) -> None:
    """The path `--open-now` takes (the stations open then as one more mask over the vectorised
    search) gives each rider exactly find_nearby's answer, laid out as the batch arrays."""
    at = datetime(2026, 3, 11, 7, 30, tzinfo=SHANGHAI)  # a Wednesday morning: hours matter
    query = NearbyQuery(at=at, k=4, amenities=("water",), open_at=at)
    lon, lat = (np.array(c) for c in zip(*riders(200, "wgs84"), strict=True))
    reported: list[int] = []
    found = nearest_many(catalog, lon, lat, query, progress=reported.append)
    assert sum(reported) == lon.size
    closed_nearer = 0
    for i in range(lon.size):
        matches = find_nearby(catalog, LonLat(float(lon[i]), float(lat[i])), query)
        want = [catalog.position_of(m.station.id) for m in matches]
        assert found.positions[i].tolist() == want + [-1] * (4 - len(want))
        assert found.distances_m[i, : len(want)].tolist() == [m.distance_m for m in matches]
        assert found.bearings_deg[i, : len(want)].tolist() == [m.bearing_deg for m in matches]
        unfiltered = nearest_many(
            catalog, lon[i : i + 1], lat[i : i + 1], replace(query, open_at=None)
        )
        closed_nearer += unfiltered.positions[0].tolist() != found.positions[i].tolist()
    assert closed_nearer > 0  # the filter did remove stations, so this is not the plain path


def test_open_now_runs_from_the_command_line(demo_db: Path, tmp_path: Path) -> None:
    source = write_points(tmp_path / "p.csv", [["a", "34.2610", "108.9423"], ["b", "34.3", "109"]])
    out = tmp_path / "r.csv"
    run("nearest", "--db", demo_db, "--batch", source, "--out", out, "--open-now", "--k", "2",
        check=True)  # fmt: skip
    assert [r["id"] for r in read_rows(out)] == ["a", "a", "b", "b"]
