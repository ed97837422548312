"""Operations (issue 5, item 6): GET /readyz, and an access log without tokens or precise rider
positions, checked both in the app and in a real `yizhan serve` process's output."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware.query_rules import loggable_query, rounded_position
from api.settings import Settings
from tests.api.admin_fixtures import bearer, cli_token
from tests.api.log_records import Records
from tests.api.problem import assert_problem
from tests.api.test_workers import serving, wait_ready

PRECISE_LAT, PRECISE_LON = "34.2610123", "108.9423456"


def test_positions_are_rounded_to_about_100_m() -> None:
    assert rounded_position("34.2610123") == "34.261"
    assert rounded_position("-0.00049") == "-0.000"
    assert rounded_position("108.94,34.25,108.96,34.27") == "108.940,34.250,108.960,34.270"
    # Anything else may be a position in another spelling: never written verbatim.
    for odd in ("34°15'39.6\"", "34.2610123,", "nan", "inf", "1e999", ""):
        assert rounded_position(odd) == "?", odd


def test_loggable_query_hides_positions_and_anything_like_a_credential() -> None:
    query = (
        f"lat={PRECISE_LAT}&lon={PRECISE_LON}&k=5&amenities=water,microwave"
        "&access_token=s3cr3t&API_KEY=k&crs=gcj02&x=" + "y" * 500
    ).encode()
    logged = loggable_query(query)
    assert logged["lat"] == "34.261" and logged["lon"] == "108.942"
    assert logged["access_token"] == "***" and logged["API_KEY"] == "***"
    assert logged["k"] == "5" and logged["amenities"] == "water,microwave"
    # x is no parameter of the API: written by name only (issue 9, item 6), no longer cut to 64.
    assert logged["crs"] == "gcj02" and logged["x"] == "***"


def test_every_request_gets_one_structured_record(
    client: TestClient, access_records: Records
) -> None:
    client.get("/v1/stations/nearest", params={"lat": PRECISE_LAT, "lon": PRECISE_LON})
    client.get("/v1/stations/nearest", params={"lat": "north", "lon": PRECISE_LON})
    client.get("/v1/stations/no-such-id", headers={"Authorization": "Bearer hunter2-secret"})
    found, refused, missing = access_records.parsed()
    assert found["method"] == "GET" and found["path"] == "/v1/stations/nearest"
    assert found["status"] == 200 and found["bytes"] > 0 and found["ms"] >= 0
    assert found["query"] == {"lat": "34.261", "lon": "108.942"}
    assert refused["status"] == 422 and refused["query"]["lat"] == "?"
    assert missing["status"] == 404
    assert PRECISE_LAT not in "".join(access_records.lines)
    assert PRECISE_LON not in "".join(access_records.lines)
    assert "hunter2" not in "".join(access_records.lines)


def test_readyz_on_a_file_store_is_ready_with_the_snapshot_age(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["state"] == "ready"
    assert body["store"] == {"reachable": True, "kind": "geopackage", "change_feed": "none"}
    snapshot = body["snapshot"]
    assert snapshot["stations"] == 203 and snapshot["data_version"] >= 1
    assert 0 <= snapshot["confirmed_age_s"] <= snapshot["age_s"]
    assert snapshot["built_at"].endswith("Z")


def test_readyz_says_stale_as_a_problem_once_unconfirmed_too_long(demo_db: Path) -> None:
    settings = Settings(db=demo_db, max_stale_s=1e-9)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/readyz")
    body = assert_problem(response, 503)
    assert body["state"] == "stale" and "YIZHAN" not in body["detail"]
    assert body["snapshot"]["stations"] == 203


def test_a_real_server_logs_json_lines_without_tokens_or_positions(
    demo_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "copy.gpkg"
    db.write_bytes(demo_db.read_bytes())
    secret = cli_token(db, "ops", "admin")
    with serving(db, tmp_path / "serve.log") as server:
        wait_ready(server)
        near = httpx.get(
            f"{server.url}/v1/stations/nearest",
            params={"lat": PRECISE_LAT, "lon": PRECISE_LON, "k": 3},
        )
        assert near.status_code == 200
        refused = httpx.patch(
            f"{server.url}/v1/stations/nope", json={"name": "x"}, headers=bearer(secret)
        )
        assert refused.status_code in (404, 428)
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 200 and ready.json()["state"] == "ready"
    text = server.text_log()
    assert PRECISE_LAT not in text and PRECISE_LON not in text
    assert secret not in text
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    nearest = [r for r in records if r["path"] == "/v1/stations/nearest"]
    assert len(nearest) == 1 and nearest[0]["query"]["lat"] == "34.261"
    # Paths by route template, never the raw path with its id (issue 9, item 6).
    assert {r["path"] for r in records} >= {"/healthz", "/v1/stations/{station_id}", "/readyz"}
    assert "nope" not in text
