from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pytest

from stations.files.exporting import export_file
from stations.files.importing import import_file
from stations.files.rows import CSV_COLUMNS
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
    assert out.read_text(encoding="utf-8").splitlines()[0] == (
        "id,name,kind,lon,lat,address,district_code,amenities,opening_hours,phone,host,access,entry,"
        "closed_until,closure_reason,verified_at,last_confirmed_at,out_of_order"
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
        text = out.read_text(encoding="utf-8")
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
