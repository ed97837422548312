"""POST /v1/imports: multipart CSV, GeoJSON and .xlsx; all or nothing; scopes; duplicates.

Real GeoPackage stores built through the real importer, real tokens, the real app.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.middleware import limits
from api.routes.import_models import ImportReportPublic
from geo.crs import CoordinateSystem, from_wgs84
from geo.geodesic import WGS84, distance_m
from stations.editing.tokens import Role, Token, secret_hash
from stations.files.rows import CSV_COLUMNS
from stations.model import Station, StationId
from stations.store.geopackage.store import GeoPackageStore
from tests.api.problem import assert_problem
from tests.api.stores import build_store, open_client

SOUTH_GATE = (108.9423, 34.2610)  # 南门, 碑林区 610103
WEIYANG = (108.9468, 34.3412)  # 未央区 610112


def station(sid: str | None, name: str, at: tuple[float, float], **over: str) -> dict[str, str]:
    values = {
        "id": sid or "",
        "name": name,
        "kind": "love_station",
        "lon": repr(at[0]),
        "lat": repr(at[1]),
        "address": "",
        "district_code": "610103",
        "amenities": "water;microwave",
        "opening_hours": "24/7",
        "phone": "",
        "host": "",
    }
    values.update(over)
    return values


def csv_bytes(rows: list[dict[str, str]], columns: tuple[str, ...] = CSV_COLUMNS) -> bytes:
    out = io.StringIO()
    out.write(",".join(columns) + "\n")
    for r in rows:
        out.write(",".join(_csv_cell(r.get(c, "")) for c in columns) + "\n")
    return out.getvalue().encode("utf-8")


def _csv_cell(value: str) -> str:
    return f'"{value}"' if "," in value or '"' in value else value


def moved(at: tuple[float, float], metres: float, azimuth_deg: float = 90.0) -> tuple[float, float]:
    lon, lat, _ = WGS84.fwd(at[0], at[1], azimuth_deg, metres)
    return (round(float(lon), 9), round(float(lat), 9))


BASE = [
    station("base-1", "示例·南门爱心驿站", SOUTH_GATE),
    station("base-2", "示例·张家堡驿站", WEIYANG, district_code="610112"),
    station("base-old", "示例·旧驿站", moved(SOUTH_GATE, 500), status="retired"),
]


@dataclass
class Env:
    client: TestClient
    db: Path
    secrets: dict[str, str]

    def auth(self, who: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[who]}"}

    def post(
        self,
        content: bytes,
        filename: str = "stations.csv",
        who: str | None = "admin",
        **fields: str,
    ) -> httpx.Response:
        return self.client.post(
            "/v1/imports",
            files={"file": (filename, content, "application/octet-stream")},
            data=fields,
            headers=self.auth(who) if who else {},
        )

    def dump(self) -> list[tuple[object, ...]]:
        """Everything an import may write: stations, their history, the data version."""
        conn = sqlite3.connect(self.db)
        try:
            return [
                *conn.execute("SELECT * FROM stations ORDER BY id"),
                *conn.execute("SELECT * FROM yizhan_audit ORDER BY station_id, version"),
                *conn.execute("SELECT * FROM yizhan_meta ORDER BY key"),
            ]
        finally:
            conn.close()

    def stored(self, sid: str) -> Station:
        """The station as stored (the API rounds positions to 7 decimals)."""
        store = GeoPackageStore(self.db, create=False)
        try:
            return store.get(StationId(sid))
        finally:
            store.close()

    def station(self, sid: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/stations/{sid}")
        assert response.status_code == 200, response.text
        feature: dict[str, Any] = response.json()
        return feature


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    source = tmp_path / "base.csv"
    source.write_bytes(csv_bytes(BASE, (*CSV_COLUMNS, "status")))
    db = build_store(tmp_path / "s.gpkg", source)
    secrets = {"admin": "yz_admin-secret", "editor": "yz_editor-secret", "revoked": "yz_gone"}
    store = GeoPackageStore(db)
    try:
        now = datetime.now(UTC)
        store.add_token(Token("ops", Role.ADMIN, (), now), secret_hash(secrets["admin"]))
        store.add_token(
            Token("beilin", Role.EDITOR, ("610103",), now), secret_hash(secrets["editor"])
        )
        store.add_token(Token("old", Role.ADMIN, (), now), secret_hash(secrets["revoked"]))
        store.revoke_token("old")
    finally:
        store.close()
    with open_client(db) as client:
        yield Env(client, db, secrets)


def report_of(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    ImportReportPublic.model_validate({k: body[k] for k in ImportReportPublic.model_fields})
    return body


# -- formats -------------------------------------------------------------------------------


def test_csv_import_writes_and_couriers_see_it_at_once(env: Env) -> None:
    rows = [
        station("new-1", "示例·和平门驿站", moved(SOUTH_GATE, 800)),
        station("base-1", "示例·南门爱心驿站(改)", SOUTH_GATE),
        station("base-2", "示例·张家堡驿站", WEIYANG, district_code="610112"),
    ]
    report = report_of(env.post(csv_bytes(rows)))
    assert (report["rows"], report["created"], report["updated"], report["unchanged"]) == (
        3,
        1,
        1,
        1,
    )
    assert report["written"] and not report["dry_run"]
    assert report["rejected"] == [] and report["duplicates"] == []
    assert env.station("new-1")["properties"]["name"] == "示例·和平门驿站"
    history = env.client.get("/v1/stations/base-1/history", headers=env.auth())
    assert history.json()["history"][0]["actor"] == "ops"  # the token's name


def test_geojson_import(env: Env) -> None:
    feature = {
        "type": "Feature",
        "id": "geo-1",
        "geometry": {"type": "Point", "coordinates": list(moved(SOUTH_GATE, 900))},
        "properties": {"name": "示例·文昌门驿站", "kind": "service_point",
                       "district_code": "610103", "amenities": ["toilet", "water"]},
    }  # fmt: skip
    document = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    report = report_of(env.post(document, "stations.geojson"))
    assert report["created"] == 1
    assert env.station("geo-1")["properties"]["amenities"] == ["water", "toilet"]


def xlsx_bytes(rows: list[list[object]], *, header_row: int = 1) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for _ in range(header_row - 1):
        sheet.append([])
    sheet.append(list(CSV_COLUMNS))
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_import_reads_numbers_exactly(env: Env) -> None:
    lon, lat = 108.95123456789, 34.25987654321
    rows: list[list[object]] = [
        ["xl-1", "示例·永宁门驿站", "love_station", lon, lat, None, 610103, "water;wifi",
         "24/7", 2988776655, "碑林区总工会"],
        [],  # a blank row in the middle is skipped
        [None, "示例·建国门驿站", "service_point", 108.96, 34.255, "建国路1号", "610103",
         None, None, None, None],
    ]  # fmt: skip
    report = report_of(env.post(xlsx_bytes(rows), "单位台账.xlsx"))
    assert (report["rows"], report["created"]) == (2, 2)
    saved = env.stored("xl-1")
    assert (saved.lon, saved.lat) == (round(lon, 9), round(lat, 9))
    assert (saved.district_code, saved.phone, saved.address) == ("610103", "2988776655", None)


def test_xlsx_rows_are_numbered_as_in_excel(env: Env) -> None:
    rows: list[list[object]] = [
        ["xl-1", "示例·甲", "love_station", 108.95, 34.25, None, 610103],
        ["xl-2", "示例·乙", "love_station", 108.96, 95.0, None, 610103],
    ]
    before = env.dump()
    body = assert_problem(env.post(xlsx_bytes(rows, header_row=3), "s.xlsx"), 422, "lat")
    assert [(r["row"], r["field"]) for r in body["rejected"]] == [(5, "lat")]
    assert env.dump() == before


def test_a_broken_xlsx_is_a_clear_422(env: Env) -> None:
    body = assert_problem(env.post(b"PK\x03\x04 not really a zip", "s.xlsx"), 422, "file")
    assert "Excel" in body["detail"]


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"<stations/>", "stations.xml", "must end in"),
        (b"id,name\n", "noext", "must end in"),
        (b"", "s.csv", "empty"),
        (b"name,kind,lat\n", "s.csv", "missing column(s) lon"),
        (b"{not json", "s.geojson", "not valid JSON"),
    ],
)
def test_unreadable_files_are_422_naming_the_file(
    env: Env, content: bytes, filename: str, message: str
) -> None:
    body = assert_problem(env.post(content, filename), 422, "file")
    assert message in body["detail"]


# -- all or nothing --------------------------------------------------------------------------


def test_one_bad_row_in_5000_changes_nothing(env: Env) -> None:
    rows = [
        station(f"bulk-{i}", f"示例·批量驿站{i}", (108.5 + i * 1e-4, 34.1 + (i % 7) * 1e-2))
        for i in range(5000)
    ]
    rows[3210]["lat"] = "34,26"  # a comma for a decimal point: quoted, so one cell
    before = env.dump()
    body = assert_problem(env.post(csv_bytes(rows)), 422, "lat")
    assert env.dump() == before
    assert [(r["row"], r["field"]) for r in body["rejected"]] == [(3212, "lat")]
    assert body["rows"] == 5000 and not body["written"]
    assert "row 3212" in body["detail"]
    assert env.client.get("/v1/stations/bulk-0").status_code == 404


def test_dry_run_counts_and_writes_nothing(env: Env) -> None:
    rows = [station("dry-1", "示例·试运行驿站", moved(SOUTH_GATE, 700)), BASE[0]]
    before = env.dump()
    report = report_of(env.post(csv_bytes(rows), dry_run="true"))
    assert report["dry_run"] and not report["written"]
    assert (report["created"], report["unchanged"]) == (1, 1)
    assert env.dump() == before


def test_a_dry_run_with_problems_answers_like_the_import_would(env: Env) -> None:
    rows = [station("dry-1", "示例·试运行驿站", moved(SOUTH_GATE, 700), kind="cafe")]
    body = assert_problem(env.post(csv_bytes(rows), dry_run="true"), 422, "kind")
    assert body["dry_run"] and not body["written"]
    assert body["detail"].startswith("dry run:")


@pytest.mark.parametrize("crs", [CoordinateSystem.GCJ02, CoordinateSystem.BD09])
def test_positions_in_another_crs_are_stored_in_wgs84(env: Env, crs: CoordinateSystem) -> None:
    lon, lat = from_wgs84(108.9501, 34.2702, crs)
    rows = [station("mars-1", "示例·火星坐标驿站", (float(lon), float(lat)))]
    report_of(env.post(csv_bytes(rows), crs=crs.value))
    stored = env.station("mars-1")["geometry"]["coordinates"]
    assert distance_m(stored[0], stored[1], 108.9501, 34.2702) < 0.5


# -- tokens and districts ----------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "revoked"])
def test_no_valid_token_is_401(env: Env, who: str | None) -> None:
    before = env.dump()
    response = env.post(csv_bytes([BASE[0]]), who=who)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert env.dump() == before


def test_an_editor_imports_in_its_district(env: Env) -> None:
    rows = [station("ed-1", "示例·碑林区编辑驿站", moved(SOUTH_GATE, 600))]
    report_of(env.post(csv_bytes(rows), who="editor"))
    history = env.client.get("/v1/stations/ed-1/history", headers=env.auth("editor"))
    assert history.json()["history"][0]["actor"] == "beilin"


def test_rows_outside_the_editors_districts_are_403_and_nothing_is_written(env: Env) -> None:
    rows = [
        station("ed-1", "示例·碑林区编辑驿站", moved(SOUTH_GATE, 600)),
        station("ed-2", "示例·未央区驿站", moved(WEIYANG, 600), district_code="610112"),
        # Moving a station of another district into 碑林区 is writing outside, too.
        station("base-2", "示例·张家堡驿站", moved(SOUTH_GATE, 700)),
    ]
    before = env.dump()
    body = assert_problem(env.post(csv_bytes(rows), who="editor"), 403, "district_code")
    assert [(r["row"], r["field"]) for r in body["rejected"]] == [
        (3, "district_code"),
        (4, "district_code"),
    ]
    assert "610112" in body["rejected"][0]["reason"]
    assert "base-2" in body["rejected"][1]["reason"]
    assert env.dump() == before


def test_outside_rows_with_other_problems_are_422(env: Env) -> None:
    rows = [
        station("ed-2", "示例·未央区驿站", moved(WEIYANG, 600), district_code="610112"),
        station("ed-3", "示例·坏驿站", moved(SOUTH_GATE, 600), amenities="sauna"),
    ]
    body = assert_problem(env.post(csv_bytes(rows), who="editor"), 422)
    assert {r["field"] for r in body["rejected"]} == {"district_code", "amenities"}


# -- likely duplicates ---------------------------------------------------------------------------


def test_a_similar_name_within_30_m_is_a_likely_duplicate(env: Env) -> None:
    near = moved(SOUTH_GATE, 25)
    rows = [station(None, "示例 南门 爱心驿站", near)]
    before = env.dump()
    body = assert_problem(env.post(csv_bytes(rows)), 422, "duplicates")
    assert env.dump() == before
    (dup,) = body["duplicates"]
    assert (dup["row"], dup["id"], dup["near_id"], dup["near_row"]) == (2, None, "base-1", None)
    assert dup["distance_m"] == pytest.approx(25, abs=0.01)
    assert "allow_duplicates" in body["detail"]
    assert body["created"] == 1  # the counts are there when every row is valid


def test_allow_duplicates_writes_them_and_still_lists_them(env: Env) -> None:
    rows = [station("dup-1", "示例·南门驿站", moved(SOUTH_GATE, 25))]
    report = report_of(env.post(csv_bytes(rows), allow_duplicates="true"))
    assert report["written"] and report["created"] == 1
    assert [d["near_id"] for d in report["duplicates"]] == ["base-1"]
    env.station("dup-1")


def test_two_new_rows_of_one_file_flag_the_later_one(env: Env) -> None:
    a = moved(SOUTH_GATE, 300)
    rows = [
        station("twin-1", "示例·书院门驿站", a),
        station("twin-2", "示例·书院门爱心驿站", moved(a, 10, 0.0)),
    ]
    body = assert_problem(env.post(csv_bytes(rows)), 422, "duplicates")
    assert [(d["row"], d["near_row"], d["near_id"]) for d in body["duplicates"]] == [
        (3, 2, "twin-1")
    ]


@pytest.mark.parametrize(
    ("metres", "name"),
    [
        (40, "示例·南门爱心驿站"),  # same name, too far
        (25, "示例·钟楼换电柜"),  # close, another name
        (25, "示例·南门2号驿站"),  # close, but a number makes it another station
    ],
)
def test_not_a_likely_duplicate(env: Env, metres: float, name: str) -> None:
    rows = [station(None, name, moved(SOUTH_GATE, metres))]
    report = report_of(env.post(csv_bytes(rows)))
    assert report["duplicates"] == [] and report["created"] == 1


def test_updates_and_retired_stations_are_not_duplicates(env: Env) -> None:
    rows = [
        station("base-1", "示例·南门爱心驿站", SOUTH_GATE, phone="029-1234"),  # an update
        station(None, "示例·旧驿站", moved(SOUTH_GATE, 510)),  # 10 m from the retired one
    ]
    report = report_of(env.post(csv_bytes(rows)))
    assert report["duplicates"] == [] and (report["created"], report["updated"]) == (1, 1)


# -- the form ------------------------------------------------------------------------------------


def test_unknown_form_fields_are_422_naming_them(env: Env) -> None:
    body = assert_problem(env.post(csv_bytes([BASE[0]]), dryrun="true"), 422, "dryrun")
    assert "dry_run" in body["errors"][0]["reason"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"crs": "wgs-84"}, "crs"),
        ({"dry_run": "yes"}, "dry_run"),
        ({"allow_duplicates": "1"}, "allow_duplicates"),
    ],
)
def test_bad_options_are_422(env: Env, fields: dict[str, str], field: str) -> None:
    before = env.dump()
    assert_problem(env.post(csv_bytes([BASE[0]]), **fields), 422, field)
    assert env.dump() == before


def test_options_in_the_url_are_refused_not_ignored(env: Env) -> None:
    before = env.dump()
    response = env.client.post(
        "/v1/imports?dry_run=true",
        files={"file": ("s.csv", csv_bytes([station("u-1", "示例·网址驿站", WEIYANG)]))},
        headers=env.auth(),
    )
    assert_problem(response, 422, "dry_run")
    assert env.dump() == before


def test_a_missing_or_repeated_file_is_422(env: Env) -> None:
    no_file = env.client.post("/v1/imports", files={"crs": (None, "wgs84")}, headers=env.auth())
    assert_problem(no_file, 422, "file")
    not_a_file = env.client.post("/v1/imports", files={"file": (None, "a,b")}, headers=env.auth())
    assert_problem(not_a_file, 422, "file")
    content = csv_bytes([BASE[0]])
    twice = env.client.post(
        "/v1/imports",
        files=[("file", ("a.csv", content)), ("file", ("b.csv", content))],
        headers=env.auth(),
    )
    assert_problem(twice, 422, "file")


def test_a_body_that_is_not_multipart_is_415(env: Env) -> None:
    response = env.client.post(
        "/v1/imports",
        content=csv_bytes([BASE[0]]),
        headers=env.auth() | {"Content-Type": "text/csv"},
    )
    assert_problem(response, 415)


def test_an_upload_over_the_limit_is_413(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_IMPORT_BYTES", 256 * 1024)
    big = csv_bytes(
        [station(f"big-{i}", f"示例·大文件驿站{i}", (108.5 + i * 1e-4, 34.1)) for i in range(5000)]
    )
    assert len(big) > 256 * 1024
    before = env.dump()
    assert_problem(env.post(big), 413)
    # Streamed without a Content-Length, the limit stops the multipart parser mid-body.
    boundary = "yizhan-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    request = env.client.build_request(
        "POST",
        "/v1/imports",
        content=chunks(),
        headers=env.auth() | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "content-length" not in request.headers
    assert_problem(env.client.send(request), 413)
    assert env.dump() == before
