"""Who may use a station (``access``) and how to get in (``entry``): validation, edits, the
GeoPackage migrations, and the import and export formats. What every store must do with the
fields is in test_store_contract.py."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pytest

from geo.crs import CoordinateSystem
from stations.editing.audit import Action, draft_from_record
from stations.editing.edits import merge_patch
from stations.editing.validation import validate_draft
from stations.errors import InvalidStation, Problem
from stations.files.exporting import export_file, to_csv, to_geojson
from stations.files.importing import import_data, import_file
from stations.files.rows import CSV_COLUMNS, EXPORT_COLUMNS
from stations.model import Access, Entry, Station, StationDraft, StationId
from stations.store.geopackage.format import GPKG_APPLICATION_ID, MIGRATIONS, encode_point
from stations.store.geopackage.store import GeoPackageStore
from tests.conftest import MakeDraft
from tests.stations.import_files import BASE_COLUMNS

ACCESS_VALUES = "public, outdoor_workers, union_members"
ENTRY_VALUES = "walk_in, ask_staff, phone_ahead, qr_code, face_scan, id_card"

RAW: dict[str, object] = {
    "id": "ae-1",
    "name": "示例·南门驿站",
    "kind": "love_station",
    "lon": "108.9423",
    "lat": "34.2610",
    "district_code": "610103",
}


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    return GeoPackageStore(tmp_path / "s.gpkg")


def gated(make_draft: MakeDraft) -> list[StationDraft]:
    """One station for each combination of an access value and an entry value (or none)."""
    return [make_draft(access=a, entry=e) for a in Access for e in (*Entry, None)]


def content(stations: Sequence[Station]) -> list[StationDraft]:
    return [s.to_draft() for s in stations]


# -- validation --------------------------------------------------------------------------------


def test_the_fields_are_import_columns_after_the_others() -> None:
    assert (*BASE_COLUMNS, "access", "entry", "closed_until", "closure_reason") == CSV_COLUMNS


@pytest.mark.parametrize("access", list(Access))
def test_every_access_value_is_accepted(access: Access) -> None:
    assert validate_draft(dict(RAW, access=access.value)).access is access


@pytest.mark.parametrize("entry", list(Entry))
def test_every_entry_value_is_accepted(entry: Entry) -> None:
    assert validate_draft(dict(RAW, entry=f" {entry.value} ")).entry is entry  # trimmed


@pytest.mark.parametrize(
    "missing", [{}, {"access": "", "entry": ""}, {"access": " ", "entry": None}]
)
def test_missing_or_empty_means_open_to_anyone_and_entry_not_recorded(
    missing: dict[str, object],
) -> None:
    draft = validate_draft(dict(RAW, **missing))
    assert (draft.access, draft.entry) == (Access.PUBLIC, None)


def test_an_unknown_value_is_a_problem_naming_the_field_and_the_valid_values() -> None:
    with pytest.raises(InvalidStation) as exc:
        validate_draft(dict(RAW, access="everyone", entry="knock"))
    assert exc.value.problems == [
        Problem("access", f"'everyone' is not one of {ACCESS_VALUES}"),
        Problem("entry", f"'knock' is not one of {ENTRY_VALUES}"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("access", "everyone", ACCESS_VALUES),
        ("access", 1, ACCESS_VALUES),
        ("entry", "walk-in", ENTRY_VALUES),
        ("entry", ["qr_code"], ENTRY_VALUES),
    ],
)
def test_a_value_that_is_not_a_code_is_refused(field: str, value: object, valid: str) -> None:
    with pytest.raises(InvalidStation) as exc:
        validate_draft(dict(RAW, **{field: value}))
    [problem] = exc.value.problems
    assert problem.field == field
    assert problem.reason.endswith(f"is not one of {valid}")


@pytest.mark.parametrize(
    ("fields", "access", "entry"),
    [
        ({"access": "户外劳动者", "entry": "刷脸进入"}, Access.OUTDOOR_WORKERS, Entry.FACE_SCAN),
        ({"access": "工会会员", "entry": "扫码进入"}, Access.UNION_MEMBERS, Entry.QR_CODE),
        ({"access": "Public"}, Access.PUBLIC, None),  # codes are read in any case
    ],
)
def test_chinese_labels_are_read_as_their_codes(
    fields: dict[str, str], access: Access, entry: Entry | None
) -> None:
    draft = validate_draft(dict(RAW, **fields))
    assert (draft.access, draft.entry) == (access, entry)


def test_a_patch_sets_and_clears_the_fields(store: GeoPackageStore, make_draft: MakeDraft) -> None:
    current = store.create(make_draft(), actor="a")
    wgs84 = CoordinateSystem.WGS84
    patched = merge_patch(current, {"access": "union_members", "entry": "qr_code"}, wgs84)
    assert (patched.access, patched.entry) == (Access.UNION_MEMBERS, Entry.QR_CODE)
    saved = store.update(current.id, patched, expected_version=1, actor="a")
    assert merge_patch(saved, {"name": "改名"}, wgs84).entry is Entry.QR_CODE  # kept
    cleared = merge_patch(saved, {"access": None, "entry": None}, wgs84)
    assert (cleared.access, cleared.entry) == (Access.PUBLIC, None)
    with pytest.raises(InvalidStation) as exc:
        merge_patch(saved, {"entry": "knock"}, wgs84)
    assert [p.field for p in exc.value.problems] == ["entry"]


def test_a_record_from_before_the_fields_reverts_to_their_defaults(make_draft: MakeDraft) -> None:
    draft = make_draft(access=Access.UNION_MEMBERS, entry=Entry.ASK_STAFF)
    record = {
        "name": draft.name,
        "kind": "love_station",
        "lon": draft.lon,
        "lat": draft.lat,
        "address": None,
        "district_code": "610103",
        "amenities": ["water"],
        "opening_hours": None,
        "phone": None,
        "host": None,
        "status": "active",
    }
    old = draft_from_record(StationId("x"), record)
    assert (old.access, old.entry) == (Access.PUBLIC, None)
    recorded = draft_from_record(
        StationId("x"), dict(record, access="union_members", entry="id_card")
    )
    assert (recorded.access, recorded.entry) == (Access.UNION_MEMBERS, Entry.ID_CARD)


# -- GeoPackage migrations ---------------------------------------------------------------------


def test_a_version_1_store_gets_baselines_with_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "v1.gpkg"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
    for statement in MIGRATIONS[0]():
        conn.execute(statement)
    conn.execute(
        "INSERT INTO stations (geom, id, name, kind, district_code, amenities, status, version,"
        " updated_at) VALUES (?, 'v1-1', '老站', 'love_station', '610103', 'water', 'active',"
        " 2, '2025-01-01T00:00:00.000Z')",
        (encode_point(108.9, 34.2),),
    )
    conn.commit()
    conn.close()
    store = GeoPackageStore(path)
    [station] = store.list_stations()
    assert (station.access, station.entry) == (Access.PUBLIC, None)
    [baseline] = store.history(StationId("v1-1"))
    assert (baseline.version, baseline.action) == (2, Action.BASELINE)
    assert (baseline.record["access"], baseline.record["entry"]) == ("public", None)
    columns = {row[1]: row for row in sqlite3.connect(path).execute("PRAGMA table_info(stations)")}
    assert (columns["access"][3], columns["access"][4]) == (1, "'public'")  # NOT NULL, default
    assert (columns["entry"][3], columns["entry"][4]) == (0, None)


# -- imports -----------------------------------------------------------------------------------


def csv_file(rows: list[dict[str, str]], columns: Sequence[str] = CSV_COLUMNS) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([r.get(c, "") for c in columns] for r in rows)
    return out.getvalue().encode("utf-8")


def csv_row(sid: str, lon: float, **over: str) -> dict[str, str]:
    return {
        "id": sid,
        "name": f"示例·{sid}",
        "kind": "love_station",
        "lon": repr(lon),
        "lat": "34.26",
        "district_code": "610103",
        **over,
    }


def stored(store: GeoPackageStore) -> dict[str, tuple[Access, Entry | None]]:
    return {s.id: (s.access, s.entry) for s in store.list_stations()}


def test_a_csv_import_reads_the_columns(store: GeoPackageStore) -> None:
    rows = [
        csv_row("a", 108.91, access="outdoor_workers", entry="face_scan"),
        csv_row("b", 108.92, access="union_members", entry=""),
        csv_row("c", 108.93, access="", entry="phone_ahead"),
    ]
    report = import_data(store, csv_file(rows), "s.csv")
    assert report.written and report.rejected == []
    assert stored(store) == {
        "a": (Access.OUTDOOR_WORKERS, Entry.FACE_SCAN),
        "b": (Access.UNION_MEMBERS, None),
        "c": (Access.PUBLIC, Entry.PHONE_AHEAD),
    }


def test_a_csv_without_the_columns_imports_with_the_defaults(store: GeoPackageStore) -> None:
    report = import_data(store, csv_file([csv_row("a", 108.91)], BASE_COLUMNS), "s.csv")
    assert report.written
    assert stored(store) == {"a": (Access.PUBLIC, None)}


def test_a_bad_value_in_an_import_rejects_its_row_naming_the_field(
    store: GeoPackageStore,
) -> None:
    rows = [
        csv_row("a", 108.91, access="public"),
        csv_row("b", 108.92, access="members"),
        csv_row("c", 108.93, entry="retina"),
    ]
    report = import_data(store, csv_file(rows), "s.csv")
    assert not report.written
    assert [(r.row, r.field, r.reason) for r in report.rejected] == [
        (3, "access", f"'members' is not one of {ACCESS_VALUES}"),
        (4, "entry", f"'retina' is not one of {ENTRY_VALUES}"),
    ]
    assert store.list_stations() == []


def test_a_geojson_import_reads_the_properties(store: GeoPackageStore) -> None:
    def feature(sid: str, lon: float, **properties: object) -> dict[str, Any]:
        return {
            "type": "Feature",
            "id": sid,
            "geometry": {"type": "Point", "coordinates": [lon, 34.26]},
            "properties": {"name": f"示例·{sid}", "kind": "love_station",
                           "district_code": "610103", **properties},
        }  # fmt: skip

    document = {
        "type": "FeatureCollection",
        "features": [
            feature("a", 108.91, access="union_members", entry="id_card"),
            feature("b", 108.92, access="outdoor_workers", entry=None),
            feature("c", 108.93),
        ],
    }
    report = import_data(store, json.dumps(document).encode(), "s.geojson")
    assert report.written and report.rejected == []
    assert stored(store) == {
        "a": (Access.UNION_MEMBERS, Entry.ID_CARD),
        "b": (Access.OUTDOOR_WORKERS, None),
        "c": (Access.PUBLIC, None),
    }


def test_an_xlsx_import_reads_the_columns_in_any_order(store: GeoPackageStore) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["entry", "id", "name", "kind", "lon", "lat", "district_code", "access"])
    sheet.append(["qr_code", "a", "示例·甲", "love_station", 108.91, 34.26, 610103, "public"])
    sheet.append([None, "b", "示例·乙", "love_station", 108.92, 34.26, 610103, "union_members"])
    sheet.append(["walk_in", "c", "示例·丙", "love_station", 108.93, 34.26, 610103, None])
    sheet.append(["knock", "d", "示例·丁", "love_station", 108.94, 34.26, 610103, None])
    out = io.BytesIO()
    workbook.save(out)
    report = import_data(store, out.getvalue(), "s.xlsx")
    assert [(r.row, r.field) for r in report.rejected] == [(5, "entry")]
    assert f"is not one of {ENTRY_VALUES}" in report.rejected[0].reason
    sheet.delete_rows(5)
    out = io.BytesIO()
    workbook.save(out)
    assert import_data(store, out.getvalue(), "s.xlsx").written
    assert stored(store) == {
        "a": (Access.PUBLIC, Entry.QR_CODE),
        "b": (Access.UNION_MEMBERS, None),
        "c": (Access.PUBLIC, Entry.WALK_IN),
    }


# -- exports -----------------------------------------------------------------------------------


def two_stations(store: GeoPackageStore, make_draft: MakeDraft) -> list[Station]:
    """Station ``a`` with non-default values, ``b`` with the defaults."""
    store.save_all(
        [
            make_draft(id=StationId("a"), access=Access.UNION_MEMBERS, entry=Entry.ASK_STAFF),
            make_draft(id=StationId("b")),
        ]
    )
    return store.list_stations()


def test_the_csv_export_carries_the_fields(store: GeoPackageStore, make_draft: MakeDraft) -> None:
    text = to_csv(two_stations(store, make_draft)).decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    records = list(csv.DictReader(io.StringIO(text)))
    assert [(r["access"], r["entry"]) for r in records] == [
        ("union_members", "ask_staff"),
        ("public", ""),
    ]


def test_the_geojson_export_carries_the_fields(
    store: GeoPackageStore, make_draft: MakeDraft
) -> None:
    features = json.loads(to_geojson(two_stations(store, make_draft)))["features"]
    assert [(f["properties"]["access"], f["properties"]["entry"]) for f in features] == [
        ("union_members", "ask_staff"),
        ("public", None),
    ]


def test_the_gpkg_export_carries_the_fields(
    store: GeoPackageStore, make_draft: MakeDraft, tmp_path: Path
) -> None:
    drafts = gated(make_draft)
    store.save_all(drafts)
    out = tmp_path / "export.gpkg"
    assert export_file(store, out) == len(drafts)
    frame = gpd.read_file(out, layer="stations")
    # geopandas reads NULL as NaN
    by_id = {
        r.id: (r.access, r.entry if isinstance(r.entry, str) else None) for r in frame.itertuples()
    }
    assert by_id == {
        d.id: (d.access.value, None if d.entry is None else d.entry.value) for d in drafts
    }
    copy = GeoPackageStore(out, create=False)
    try:
        assert content(copy.list_stations()) == content(store.list_stations())
    finally:
        copy.close()


@pytest.mark.parametrize("suffix", [".csv", ".geojson"])
def test_export_then_import_is_the_identity_with_every_value(
    store: GeoPackageStore, make_draft: MakeDraft, tmp_path: Path, suffix: str
) -> None:
    drafts = gated(make_draft)
    store.save_all(drafts)
    out = tmp_path / f"export{suffix}"
    export_file(store, out)
    again = import_file(store, out)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(drafts))
    fresh = GeoPackageStore(tmp_path / "fresh.gpkg")
    assert import_file(fresh, out).created == len(drafts)
    assert content(fresh.list_stations()) == content(store.list_stations())
    assert {(s.access, s.entry) for s in fresh.list_stations()} == {
        (a, e) for a in Access for e in (*Entry, None)
    }
    fresh_out = tmp_path / f"again{suffix}"
    export_file(fresh, fresh_out)
    assert fresh_out.read_bytes() == out.read_bytes()
