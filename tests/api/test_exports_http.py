"""GET /v1/exports/stations.{geojson,csv,xlsx,gpkg}: public downloads of the active stations;
GET /v1/imports/template.xlsx: the import template."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import geopandas as gpd
import openpyxl
import pytest
from fastapi.testclient import TestClient

from stations.editing.tokens import Role, Token, secret_hash
from stations.files.rows import CSV_COLUMNS, EXPORT_COLUMNS
from stations.files.template import HEADERS, STATIONS_SHEET
from stations.store.geopackage.store import GeoPackageStore
from tests.api.problem import assert_problem
from tests.api.stores import build_store, open_client
from tests.conftest import DEMO_CSV
from tests.stations.import_files import BASE_COLUMNS

SECRET = "yz_export-test-admin"
ADMIN = {"Authorization": f"Bearer {SECRET}"}
UTF8_BOM = b"\xef\xbb\xbf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The demo stations plus one retired station (which no export may contain)."""
    retired = tmp_path / "retired.csv"
    retired.write_text(
        ",".join((*BASE_COLUMNS, "status")) + "\n"
        "gone-1,示例·已撤销驿站,love_station,108.9,34.2,,610103,water,24/7,,,retired\n",
        encoding="utf-8",
    )
    path = build_store(tmp_path / "s.gpkg", DEMO_CSV)
    store = GeoPackageStore(path)
    try:
        store.add_token(Token("ops", Role.ADMIN, (), datetime.now(UTC)), secret_hash(SECRET))
    finally:
        store.close()
    return build_store(path, retired)


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with open_client(db) as client:
        yield client


def active_ids(db: Path) -> list[str]:
    store = GeoPackageStore(db, create=False)
    try:
        return [s.id for s in store.list_stations() if s.status.value == "active"]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("file_format", "media_type"),
    [
        ("geojson", "application/geo+json"),
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", XLSX),
        ("gpkg", "application/geopackage+sqlite3"),
    ],
)
def test_exports_are_public_downloads_with_the_right_type(
    client: TestClient, file_format: str, media_type: str
) -> None:
    response = client.get(f"/v1/exports/stations.{file_format}")  # no token
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="stations.{file_format}"' in disposition
    assert int(response.headers["content-length"]) == len(response.content) > 0


def test_the_csv_is_the_import_format_with_active_stations_only(
    client: TestClient, db: Path
) -> None:
    content = client.get("/v1/exports/stations.csv").content
    assert content.startswith(UTF8_BOM)  # Excel on a Chinese Windows reads it as UTF-8
    text = content.decode("utf-8-sig")
    records = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    assert [r["id"] for r in records] == active_ids(db)
    assert "gone-1" not in text


def test_geojson_has_the_active_stations(client: TestClient, db: Path) -> None:
    document = client.get("/v1/exports/stations.geojson").json()
    assert document["type"] == "FeatureCollection"
    assert [f["id"] for f in document["features"]] == active_ids(db)


def test_the_gpkg_opens_in_geopandas(client: TestClient, db: Path, tmp_path: Path) -> None:
    out = tmp_path / "download.gpkg"
    out.write_bytes(client.get("/v1/exports/stations.gpkg").content)
    frame = gpd.read_file(out, layer="stations")
    assert sorted(frame["id"]) == active_ids(db)
    assert frame.crs is not None and frame.crs.to_epsg() == 4326


@pytest.mark.parametrize(
    ("file_format", "filename"), [("csv", "s.csv"), ("geojson", "s.geojson"), ("xlsx", "s.xlsx")]
)
def test_export_then_import_over_http_is_the_identity(
    client: TestClient, db: Path, file_format: str, filename: str
) -> None:
    exported = client.get(f"/v1/exports/stations.{file_format}").content
    count = len(active_ids(db))
    response = client.post("/v1/imports", files={"file": (filename, exported)}, headers=ADMIN)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, count)
    assert report["rejected"] == [] and report["duplicates"] == []
    again = client.get(f"/v1/exports/stations.{file_format}").content
    if file_format == "xlsx":  # a workbook records when it was made: compare the cells
        assert _cells(again) == _cells(exported)
    else:
        assert again == exported


def test_the_xlsx_is_the_csv_in_cells(client: TestClient, db: Path) -> None:
    rows = _cells(client.get("/v1/exports/stations.xlsx").content)
    assert rows[0] == EXPORT_COLUMNS
    assert [r[0] for r in rows[1:]] == active_ids(db)
    text = client.get("/v1/exports/stations.csv").content.decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text)))
    assert len(records) == len(rows)
    for record, row in zip(records[1:], rows[1:], strict=True):
        # A reader may stop a row at its last non-empty cell: the rest are empty cells.
        cells = ["" if v is None else v for v in row] + [""] * (len(record) - len(row))
        # Positions are numbers (the same floats as the CSV's text), the rest the CSV's text.
        assert cells[3:5] == [float(record[3]), float(record[4])]
        assert cells[:3] + cells[5:] == record[:3] + record[5:]


def test_the_csv_starts_with_a_byte_order_mark_that_an_import_reads(client: TestClient) -> None:
    content = client.get("/v1/exports/stations.csv").content
    assert content.startswith(UTF8_BOM + b"id,name,")
    assert content.count(UTF8_BOM) == 1


def _cells(data: bytes) -> list[tuple[object, ...]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_an_import_shows_in_the_next_export(client: TestClient) -> None:
    body = (
        ",".join(BASE_COLUMNS) + "\n"
        "fresh-1,示例·新导入驿站,love_station,109.1,34.4,,610103,water,24/7,,\n"
    ).encode()
    response = client.post("/v1/imports", files={"file": ("n.csv", body)}, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert b"fresh-1," in client.get("/v1/exports/stations.csv").content


@pytest.mark.parametrize("path", ["stations.xml", "stations.CSV", "stations.", "all.csv"])
def test_unknown_exports_are_404(client: TestClient, path: str) -> None:
    assert_problem(client.get(f"/v1/exports/{path}"), 404)


def test_exports_take_no_parameters(client: TestClient) -> None:
    assert_problem(client.get("/v1/exports/stations.csv?crs=gcj02"), 422, "crs")


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    response = client.head("/v1/exports/stations.csv")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


def test_access_and_entry_go_in_with_an_import_and_out_with_every_export(
    client: TestClient, tmp_path: Path
) -> None:
    body = (
        ",".join(CSV_COLUMNS[: CSV_COLUMNS.index("entry") + 1]) + "\n"
        "gate-1,示例·工会会员驿站,love_station,109.1,34.4,,610103,water,24/7,,,union_members,qr_code\n"
    ).encode()
    response = client.post("/v1/imports", files={"file": ("n.csv", body)}, headers=ADMIN)
    assert response.status_code == 200, response.text
    text = client.get("/v1/exports/stations.csv").content.decode("utf-8-sig")
    rows = {r["id"]: (r["access"], r["entry"]) for r in csv.DictReader(io.StringIO(text))}
    assert rows.pop("gate-1") == ("union_members", "qr_code")
    assert set(rows.values()) == {("public", "")}  # the demo stations: the defaults
    features = client.get("/v1/exports/stations.geojson").json()["features"]
    gate = next(f["properties"] for f in features if f["id"] == "gate-1")
    assert (gate["access"], gate["entry"]) == ("union_members", "qr_code")
    out = tmp_path / "download.gpkg"
    out.write_bytes(client.get("/v1/exports/stations.gpkg").content)
    frame = gpd.read_file(out, layer="stations").set_index("id")
    assert tuple(frame.loc["gate-1", ["access", "entry"]]) == ("union_members", "qr_code")


# -- the import template ---------------------------------------------------------------------


def test_the_template_is_a_public_xlsx_download_with_a_chinese_file_name(
    client: TestClient,
) -> None:
    response = client.get("/v1/imports/template.xlsx")  # no token
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="yizhan-import-template.xlsx"')
    assert f"filename*=UTF-8''{quote('驿站导入模板.xlsx')}" in disposition
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == STATIONS_SHEET
    assert tuple(c.value for c in book[STATIONS_SHEET][1]) == HEADERS


def test_the_template_uploaded_as_it_is_would_create_its_three_examples(
    client: TestClient,
) -> None:
    template = client.get("/v1/imports/template.xlsx").content
    response = client.post(
        "/v1/imports",
        files={"file": ("驿站导入模板.xlsx", template)},
        data={"dry_run": "true"},
        headers=ADMIN,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["rejected"], report["written"]) == (3, [], False)


def test_the_template_takes_no_parameters(client: TestClient) -> None:
    assert_problem(client.get("/v1/imports/template.xlsx?lang=en"), 422, "lang")
    head = client.head("/v1/imports/template.xlsx")
    assert head.status_code == 200 and head.content == b""
