from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest

from stations.files.exporting import XLSX_SHEET, export_file, to_xlsx
from stations.files.importing import import_file
from stations.files.rows import CSV_COLUMNS, EXPORT_COLUMNS
from stations.files.xlsx import sheet_rows
from stations.model import Status
from stations.store.geopackage.store import GeoPackageStore
from tests.conftest import DEMO_CSV, MakeDraft


@pytest.fixture
def demo(tmp_path: Path) -> GeoPackageStore:
    store = GeoPackageStore(tmp_path / "demo.gpkg")
    import_file(store, DEMO_CSV)
    return store


def test_csv_export_reimports_as_the_identity(demo: GeoPackageStore, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    count = export_file(demo, out)
    assert count == len(demo.list_stations())
    assert out.read_bytes().startswith("\ufeff".encode())  # a BOM: Excel reads UTF-8
    assert out.read_text(encoding="utf-8-sig").splitlines()[0] == (
        "id,name,kind,lon,lat,address,district_code,amenities,opening_hours,phone,host,access,entry,"
        "closed_until,closure_reason,verified_at,last_confirmed_at,out_of_order,osm,attribution"
    )
    report = import_file(demo, out)
    assert (report.created, report.updated, report.unchanged) == (0, 0, count)
    fresh = GeoPackageStore(tmp_path / "fresh.gpkg")
    import_file(fresh, out)
    assert [_content(s) for s in fresh.list_stations()] == [
        _content(s) for s in demo.list_stations()
    ]


def test_yizhans_own_records_are_exported_and_left_aside_by_an_import(
    demo: GeoPackageStore, tmp_path: Path
) -> None:
    first = demo.list_stations()[0]
    at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    amenity = first.amenities[0]
    state = replace(first.to_draft(), verified_at=at, last_confirmed_at=at,
                    out_of_order=((amenity, at),))  # fmt: skip
    demo.update(first.id, state, expected_version=first.version, actor="t")
    for suffix in (".csv", ".geojson"):
        out = tmp_path / f"state{suffix}"
        export_file(demo, out)
        text = out.read_text(encoding="utf-8-sig")
        assert ("2026-11-30T08:00:00+00:00" in text and f"{amenity}@2026-11-30" in text) or (
            suffix == ".geojson" and f'"{amenity}":"2026-11-30T08:00:00+00:00"' in text
        )
        again = import_file(demo, out)
        assert again.unchanged == len(demo.list_stations())
        assert again.set_aside == {"verified_at", "last_confirmed_at", "out_of_order"}
        assert "left aside" in again.summary()
        fresh = GeoPackageStore(tmp_path / f"fresh{suffix}.gpkg")
        import_file(fresh, out)
        copied = fresh.get(first.id)
        assert (copied.verified_at, copied.out_of_order) == (None, ())


def test_geojson_export_reimports_unchanged(demo: GeoPackageStore, tmp_path: Path) -> None:
    out = tmp_path / "out.geojson"
    export_file(demo, out)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["type"] == "FeatureCollection"
    assert import_file(demo, out).unchanged == len(document["features"])


def test_gpkg_export_is_a_standalone_geopackage(demo: GeoPackageStore, tmp_path: Path) -> None:
    out = tmp_path / "copy.gpkg"
    export_file(demo, out)
    assert not (tmp_path / "copy.gpkg-wal").exists()
    frame = gpd.read_file(out, layer="stations")
    assert len(frame) == len(demo.list_stations())


def test_only_active_stations_are_exported(tmp_path: Path, make_draft: MakeDraft) -> None:
    store = GeoPackageStore(tmp_path / "s.gpkg")
    store.save_all(
        [
            make_draft(),
            make_draft(status=Status.RETIRED),
            make_draft(status=Status.CLOSED_TEMPORARILY),
        ]
    )
    assert export_file(store, tmp_path / "o.csv") == 1


def _content(s: object) -> tuple[object, ...]:
    return tuple(getattr(s, f) for f in (*CSV_COLUMNS, "status"))


def test_xlsx_export_reimports_as_the_identity(demo: GeoPackageStore, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    count = export_file(demo, out)
    assert count == len(demo.list_stations())
    report = import_file(demo, out)
    assert (report.created, report.updated, report.unchanged) == (0, 0, count)
    assert report.rejected == [] and report.duplicates == []
    fresh = GeoPackageStore(tmp_path / "fresh.gpkg")
    assert import_file(fresh, out).created == count
    assert [_content(s) for s in fresh.list_stations()] == [
        _content(s) for s in demo.list_stations()
    ]


def test_xlsx_has_the_csv_columns_numbers_as_numbers_and_the_rest_as_text(
    tmp_path: Path, make_draft: MakeDraft
) -> None:
    store = GeoPackageStore(tmp_path / "s.gpkg")
    at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    # 17 significant digits: openpyxl's own number format (16) would change the last one.
    store.save_all([make_draft(lon=108.12345678901235, lat=34.2610000000001, verified_at=at,
                               out_of_order=(("water", at),))])  # fmt: skip
    out = tmp_path / "s.xlsx"
    export_file(store, out)
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert sheet.title == XLSX_SHEET
    header, row = ([c.value for c in r] for r in sheet.iter_rows(max_row=2))
    assert header == list(EXPORT_COLUMNS)
    values = dict(zip(header, row, strict=True))
    assert values["lon"] == 108.12345678901235 and values["lat"] == 34.2610000000001
    assert values["amenities"] == "water;microwave"
    assert values["district_code"] == "610103" and values["phone"] == "029-01234567"
    assert values["verified_at"] == "2026-11-30T08:00:00+00:00"
    assert values["out_of_order"] == "water@2026-11-30T08:00:00+00:00"
    assert values["entry"] is None and values["closed_until"] is None
    assert not [f for f in (tmp_path.iterdir()) if f.name.startswith(".s.xlsx")]  # no leftovers


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","点我")', "#N/A", "=1+1"])
def test_a_name_excel_would_take_for_a_formula_or_an_error_stays_text(
    tmp_path: Path, make_draft: MakeDraft, name: str
) -> None:
    store = GeoPackageStore(tmp_path / "s.gpkg")
    store.save_all([make_draft(name=name)])
    out = tmp_path / "s.xlsx"
    to_xlsx(store.list_stations(), out)
    cell = openpyxl.load_workbook(out).worksheets[0]["B2"]
    assert (cell.value, cell.data_type) == (name, "s")
    assert list(sheet_rows(out.read_bytes()))[1][1][1] == name


def test_an_empty_store_exports_a_header_only_workbook(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "s.gpkg")
    out = tmp_path / "empty.xlsx"
    assert export_file(store, out) == 0
    assert list(sheet_rows(out.read_bytes())) == [(1, list(EXPORT_COLUMNS))]
