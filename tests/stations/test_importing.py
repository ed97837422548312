"""All-or-nothing import with a report of every rejected row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo.crs import CoordinateSystem, from_wgs84
from stations.errors import ImportFileError
from stations.files.importing import import_file
from stations.store.geopackage.store import GeoPackageStore
from tests.conftest import DEMO_CSV
from tests.stations.import_files import BASE_COLUMNS

HEADER = ",".join(BASE_COLUMNS)


def row(i: int, **over: str) -> str:
    values = {
        "id": f"s{i}",
        "name": f"驿站{i}",
        "kind": "love_station",
        "lon": f"{108.9 + i * 1e-3}",
        "lat": "34.26",
        "address": "",
        "district_code": "610103",
        "amenities": "water;microwave",
        "opening_hours": "24/7",
        "phone": "",
        "host": "",
    }
    values.update(over)
    return ",".join(values[c] for c in BASE_COLUMNS)


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    return GeoPackageStore(tmp_path / "s.gpkg")


def write(tmp_path: Path, lines: list[str], name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_demo_file_imports_cleanly(store: GeoPackageStore) -> None:
    report = import_file(store, DEMO_CSV)
    assert report.rejected == []
    assert report.created == report.rows >= 150
    assert all("示例" in s.name for s in store.list_stations())  # marked as demo data


def test_one_bad_row_in_5000_writes_nothing(store: GeoPackageStore, tmp_path: Path) -> None:
    import_file(store, write(tmp_path, [HEADER, row(0)], "first.csv"))
    lines = [HEADER] + [row(i) for i in range(1, 5001)]
    lines[4000] = row(3999, lat="nan")
    report = import_file(store, write(tmp_path, lines))
    assert not report.written
    assert [(r.row, r.field) for r in report.rejected] == [(4001, "lat")]
    assert [s.id for s in store.list_stations()] == ["s0"]


def test_every_rejected_row_is_reported_with_line_field_and_reason(
    store: GeoPackageStore, tmp_path: Path
) -> None:
    lines = [
        HEADER,
        row(1),
        row(2, kind="cafe", amenities="water;sauna"),
        '"s3","多行\n名称",love_station,108.9,34.2,,610103,,,,',  # a quoted newline: 2 lines
        row(4, lon="200"),
        row(1, name="dup"),
        "s6,too,few",
    ]
    report = import_file(store, write(tmp_path, lines))
    rejected = {(r.row, r.field) for r in report.rejected}
    assert rejected == {
        (3, "kind"),
        (3, "amenities"),
        (4, "name"),
        (6, "lon"),
        (7, "id"),
        (8, "row"),
    }
    assert "sauna" in " ".join(r.reason for r in report.rejected)
    assert store.list_stations() == []


def test_reimport_counts_unchanged_and_updated(store: GeoPackageStore, tmp_path: Path) -> None:
    import_file(store, write(tmp_path, [HEADER, row(1), row(2)]))
    report = import_file(store, write(tmp_path, [HEADER, row(1), row(2, name="改名"), row(3)]))
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)


def test_dry_run_validates_and_counts_without_writing(
    store: GeoPackageStore, tmp_path: Path
) -> None:
    report = import_file(store, write(tmp_path, [HEADER, row(1), row(2)]), dry_run=True)
    assert report.created == 2 and not report.written and report.dry_run
    assert store.list_stations() == []


@pytest.mark.parametrize("crs", [CoordinateSystem.GCJ02, CoordinateSystem.BD09])
def test_crs_of_the_file_is_converted_to_wgs84(
    store: GeoPackageStore, tmp_path: Path, crs: CoordinateSystem
) -> None:
    lon, lat = from_wgs84(108.9423, 34.2610, crs)
    path = write(tmp_path, [HEADER, row(1, lon=repr(float(lon)), lat=repr(float(lat)))])
    import_file(store, path, crs=crs)
    saved = store.list_stations()[0]
    assert (saved.lon, saved.lat) == pytest.approx((108.9423, 34.2610), abs=1e-8)


def test_geojson_import(store: GeoPackageStore, tmp_path: Path) -> None:
    features = [
        {
            "type": "Feature",
            "id": "g1",
            "geometry": {"type": "Point", "coordinates": [108.9, 34.2]},
            "properties": {
                "name": "甲",
                "kind": "service_point",
                "district_code": "610103",
                "amenities": ["toilet"],
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            "properties": {"name": "乙", "kind": "love_station", "district_code": "610103"},
        },
    ]
    path = tmp_path / "in.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    report = import_file(store, path)
    assert {(r.row, r.field) for r in report.rejected} == {(2, "geometry"), (2, "lon"), (2, "lat")}
    features.pop()
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert import_file(store, path).created == 1
    assert store.list_stations()[0].amenities == ("toilet",)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.csv", b"", "empty"),
        ("a.csv", b"\xff\xfe\x00garbage", "not UTF-8"),
        ("a.csv", b"name,kind,lat\n", "missing column(s) lon, district_code"),
        ("a.csv", (HEADER + ",colour\n").encode(), "unknown column(s) 'colour'"),
        ("a.geojson", b"{not json", "not valid JSON"),
        ("a.geojson", b'{"type": "Feature"}', "FeatureCollection"),
        ("a.geojson", b'{"type":"FeatureCollection","features":[{"x": NaN}]}', "NaN"),
        ("a.xml", b"<stations/>", "unknown file type"),
    ],
)
def test_broken_files_are_clear_errors(
    store: GeoPackageStore, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_file(store, path)
    assert store.list_stations() == []


def test_a_byte_order_mark_from_excel_is_fine(store: GeoPackageStore, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + "\n" + row(1) + "\n").encode("utf-8"))
    assert import_file(store, path).created == 1
