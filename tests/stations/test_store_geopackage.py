"""The GeoPackage store against real files: readable by GDAL/geopandas, transactional."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from stations.errors import StationNotFound, StoreUnavailable
from stations.model import Kind, StationId, Status
from stations.store.base import Outcome
from stations.store.geopackage.format import decode_point, encode_point
from stations.store.geopackage.store import GeoPackageStore
from tests.conftest import MakeDraft


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    return GeoPackageStore(tmp_path / "s.gpkg")


def test_geopandas_reads_the_stations_layer_with_its_attributes(
    store: GeoPackageStore, make_draft: MakeDraft
) -> None:
    store.save_all([make_draft(name="<b>碑林</b>", amenities=("water", "toilet")), make_draft()])
    store.close()
    layers = dict(pyogrio.list_layers(store.path))
    assert layers["stations"] == "Point"
    frame = gpd.read_file(store.path, layer="stations")
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == 2
    first = frame.sort_values("id").iloc[0]
    assert first["name"] == "<b>碑林</b>"
    assert first["amenities"] == "water;toilet"
    assert first.geometry.x == pytest.approx(108.941) and first.geometry.y == pytest.approx(34.26)
    assert {"kind", "district_code", "opening_hours", "status", "version", "updated_at"} <= set(
        frame.columns
    )


def test_gdal_sees_a_valid_geopackage(store: GeoPackageStore, make_draft: MakeDraft) -> None:
    store.save_all([make_draft()])
    store.close()
    info = pyogrio.read_info(store.path, layer="stations")
    assert info["driver"] == "GPKG"
    assert info["geometry_type"] == "Point"
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_upsert_counts_and_versions(store: GeoPackageStore, make_draft: MakeDraft) -> None:
    a, b = make_draft(), make_draft()
    first = store.save_all([a, b])
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    changed = make_draft(id=a.id, name="新名字")
    second = store.save_all([changed, b])
    assert [r.outcome for r in second.results] == [Outcome.UPDATED, Outcome.UNCHANGED]
    assert a.id is not None
    saved = store.get(a.id)
    assert saved.name == "新名字" and saved.version == 2
    assert saved.updated_at.tzinfo is not None


def test_a_draft_without_id_gets_one(store: GeoPackageStore, make_draft: MakeDraft) -> None:
    result = store.save_all([make_draft(id=None)]).results[0]
    assert result.outcome is Outcome.CREATED
    assert store.get(result.station_id).name.startswith("测试驿站")


def test_dry_run_counts_but_writes_nothing(store: GeoPackageStore, make_draft: MakeDraft) -> None:
    counts = store.save_all([make_draft(), make_draft()], dry_run=True)
    assert counts.created == 2
    assert store.list_stations() == []
    assert store.data_version() == 0


def test_data_version_grows_only_on_real_changes(
    store: GeoPackageStore, make_draft: MakeDraft
) -> None:
    draft = make_draft()
    store.save_all([draft])
    assert store.data_version() == 1
    store.save_all([draft])  # unchanged
    assert store.data_version() == 1


def test_a_failure_mid_write_leaves_the_previous_state(
    store: GeoPackageStore, make_draft: MakeDraft
) -> None:
    store.save_all([make_draft(id=StationId("keep"))])

    def explode(_n: int) -> None:
        raise RuntimeError("power cut")

    drafts = [make_draft() for _ in range(2500)]
    with pytest.raises(RuntimeError):
        store.save_all(drafts, progress=explode)  # raises after the first 1000 rows
    assert [s.id for s in store.list_stations()] == ["keep"]
    assert store.data_version() == 1


def test_another_connection_sees_all_or_nothing(
    store: GeoPackageStore, make_draft: MakeDraft, tmp_path: Path
) -> None:
    seen: list[int] = []

    def peek(_n: int) -> None:
        other = sqlite3.connect(tmp_path / "s.gpkg")
        seen.append(other.execute("SELECT count(*) FROM stations").fetchone()[0])
        other.close()

    store.save_all([make_draft() for _ in range(2000)], progress=peek)
    assert seen[0] == 0  # mid-transaction, a reader sees the old state (WAL)
    assert len(store.list_stations()) == 2000


def test_get_unknown_station(store: GeoPackageStore) -> None:
    with pytest.raises(StationNotFound):
        store.get(StationId("nope"))


def test_round_trip_of_every_field(store: GeoPackageStore, make_draft: MakeDraft) -> None:
    draft = make_draft(
        kind=Kind.SERVICE_POINT,
        status=Status.CLOSED_TEMPORARILY,
        address=None,
        opening_hours=None,
        phone=None,
        host=None,
        amenities=(),
    )
    store.save_all([draft])
    assert draft.id is not None
    assert store.get(draft.id).same_content(draft)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="yizhan import"):
        GeoPackageStore(tmp_path / "missing.gpkg", create=False)


def test_a_file_that_is_not_a_geopackage(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreUnavailable):
        GeoPackageStore(junk)


def test_point_blobs_round_trip_and_read_gdal_envelopes() -> None:
    assert decode_point(encode_point(-179.5, -89.25)) == (-179.5, -89.25)
    # A GDAL-style blob with an xy envelope (flags 0b011) before the WKB.
    import struct

    blob = (
        struct.pack("<2sBBi", b"GP", 0, 0b0000_0011, 4326)
        + struct.pack("<4d", 1.0, 1.0, 2.0, 2.0)
        + struct.pack("<BIdd", 1, 1, 1.0, 2.0)
    )
    assert decode_point(blob) == (1.0, 2.0)


def test_no_warning_about_layers_when_the_layer_is_named(
    store: GeoPackageStore, make_draft: MakeDraft
) -> None:
    store.save_all([make_draft()])
    store.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gpd.read_file(store.path, layer="stations")
