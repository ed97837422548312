"""The access log writes only what is known to be safe (issue 9, item 6): parameters the API
defines, their values checked and rounded; any other parameter by name alone; no Yizhan secret
anywhere; paths as route templates. Checked through the real app and a real server's output."""

from __future__ import annotations

import json
import re
import string
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware.access_log import UNMATCHED
from api.middleware.query_rules import MAX_LOGGED_PARAMS, QUERY_RULES, loggable_query
from api.ogc_openapi import ogc_openapi
from api.settings import Settings
from stations.editing.tokens import new_secret
from tests.api.log_records import Records
from tests.api.test_workers import serving, wait_ready

NEAREST = "/v1/stations/nearest"
#: Positions spelt in every way a client might get wrong: each answered 422, none may be logged.
MISNAMED_POSITIONS = (
    "latitude=34.2610123&longitude=108.9423456",
    "lat=34.2610123&lng=108.9423456",
    "x=108.9423456&y=34.2610123",
    "location=108.9423456,34.2610123",
    "lat%20=34.2610123&lon=108.9423456",
)


@pytest.fixture
def records(access_records: Records) -> Records:
    return access_records


def _digits(value: Any) -> str:
    return "".join(ch for ch in json.dumps(value) if ch.isdigit())


def test_misnamed_positions_are_logged_by_name_without_a_digit(
    client: TestClient, records: Records
) -> None:
    for query in MISNAMED_POSITIONS:
        assert client.get(f"{NEAREST}?{query}").status_code == 422, query
    logged = records.parsed()
    assert [r["status"] for r in logged] == [422] * len(MISNAMED_POSITIONS)
    latitude, lng, xy, location, spaced = (r["query"] for r in logged)
    assert latitude == {"latitude": "***", "longitude": "***"}
    assert lng == {"lat": "34.261", "lng": "***"}
    assert xy == {"x": "***", "y": "***"}
    assert location == {"location": "***"}
    # "lat " is no name the API knows, and not a plain word: counted, not shown.
    assert spaced == {"lon": "108.942"} and logged[4]["query_dropped"] == 1
    for record, query in zip(logged, MISNAMED_POSITIONS, strict=True):
        shown = {k: v for k, v in record["query"].items() if k not in ("lat", "lon")}
        assert _digits(shown) == "", query
    text = "".join(records.lines)
    assert "2610123" not in text and "9423456" not in text


def test_a_position_with_a_decimal_comma_is_not_one_number(
    client: TestClient, records: Records
) -> None:
    client.get(f"{NEAREST}?lat=34,261234&lon=108,942345")
    client.get("/v1/stations?bbox=108.94,34.25,108.96")  # three numbers, not four
    nearest, listing = records.parsed()
    assert nearest["status"] == 422 and nearest["query"] == {"lat": "?", "lon": "?"}
    assert listing["status"] == 422 and listing["query"] == {"bbox": "?"}
    text = "".join(records.lines)
    assert "261234" not in text and "942345" not in text and "34.000" not in text


def test_a_secret_is_never_logged_whatever_its_parameter_is_called(
    client: TestClient, records: Records
) -> None:
    secret = new_secret()
    for query in (
        f"lat=34.26&lon=108.94&t={secret}",
        f"lat=34.26&lon=108.94&bearer={secret}",
        f"lat=34.26&lon=108.94&access_token={secret}",
        f"lat={secret}&lon=108.94",
        f"lat=34.26&lon=108.94&kinds={secret}",
        f"lat=34.26&lon=108.94&{secret}=1",
        f"lat=34.26&lon=108.94&{secret}",
    ):
        assert client.get(f"{NEAREST}?{query}").status_code == 422, query
    text = "\n".join(records.lines)
    assert secret not in text and secret[3:13] not in text and "yz_" not in text
    t, bearer, token, lat, kinds, named, bare = (r["query"] for r in records.parsed())
    assert t["t"] == bearer["bearer"] == token["access_token"] == "***"
    assert lat["lat"] == kinds["kinds"] == "?"
    assert named == bare == {"lat": "34.260", "lon": "108.940"}


def test_paths_are_logged_as_route_templates(client: TestClient, records: Records) -> None:
    station_id = client.get("/v1/stations", params={"limit": 1}).json()["features"][0]["id"]
    records.lines.clear()
    assert client.get(f"/v1/stations/{station_id}").status_code == 200
    assert client.head(f"/v1/stations/{station_id}").status_code == 200
    assert client.get(f"/v1/stations/{station_id}/history").status_code == 401
    assert client.get("/v1/stations/no-such-34.2610123").status_code == 404
    assert client.delete(f"/v1/stations/{station_id}/history").status_code == 405
    too_many = "&".join(f"{name}=1" for name in string.ascii_letters[:40])
    assert client.get(f"/v1/stations/{station_id}?{too_many}").status_code == 422
    too_large = b"{" + b" " * (2 << 20) + b"}"
    assert client.patch(f"/v1/stations/{station_id}", content=too_large).status_code == 413
    assert client.get("/v1/exports/stations.csv").status_code == 200
    assert client.get("/nowhere/34.2610123/108.9423456").status_code == 404
    paths = [r["path"] for r in records.parsed()]
    assert paths == [
        "/v1/stations/{station_id}",
        "/v1/stations/{station_id}",  # HEAD: answered by GET on a copy of the request scope
        "/v1/stations/{station_id}/history",
        "/v1/stations/{station_id}",
        "/v1/stations/{station_id}/history",
        "/v1/stations/{station_id}",
        "/v1/stations/{station_id}",  # refused before routing, by the body limit
        "/v1/exports/stations.{file_format}",
        UNMATCHED,
    ]
    text = "".join(records.lines)
    assert station_id not in text and "no-such" not in text and "2610123" not in text


def test_ten_thousand_parameter_names_are_counted_not_listed(
    client: TestClient, records: Records
) -> None:
    letters = string.ascii_lowercase
    words = (f"{a}{b}{c}" for a in letters for b in letters for c in letters)
    names = [word for word in words if word not in QUERY_RULES][:10_000]
    # 10,000 parameters of 6 bytes: just under the 64 KiB that httpx allows a URL.
    query = f"lat=34.2610123&lon=108.9423456&{'&'.join(f'{n}=1' for n in names)}"
    assert client.get(f"{NEAREST}?{query}").status_code in (414, 422)  # by the query limits
    (record,) = records.parsed()
    assert len(record["query"]) == MAX_LOGGED_PARAMS
    assert record["query_dropped"] == 10_002 - MAX_LOGGED_PARAMS
    assert record["query"]["lat"] == "34.261" and record["query"]["aaa"] == "***"


def test_many_parameters_cost_linear_time() -> None:
    # Quadratic work (a rescan of what was kept, per parameter) would take minutes here.
    query = "&".join(["aaa=1"] * 200_000 + [f"p{i}=1" for i in range(200_000)]).encode()
    started = time.perf_counter()
    shown = loggable_query(query)
    assert time.perf_counter() - started < 10  # about 0.3 s
    assert shown == {"aaa": "***"}


def test_every_query_parameter_of_the_api_has_a_rule(demo_db: Path) -> None:
    """A parameter added to a route must get a rule here, or its values are never logged."""
    main = create_app(Settings(db=demo_db)).openapi()
    ogc = ogc_openapi("http://testserver/ogc")  # /ogc's own document
    defined = {
        parameter["name"]
        for schema in (main, ogc)
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in _parameters(schema, operation)
        if parameter["in"] == "query"
    }
    assert set(QUERY_RULES) == defined


def _parameters(schema: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    """An operation's parameters, references to ``components/parameters`` followed."""
    named = schema.get("components", {}).get("parameters", {})
    return [
        named[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
        for p in operation.get("parameters", [])
    ]


@pytest.mark.parametrize(
    ("name", "good", "logged", "bad"),
    [
        (
            "lat",
            "34.2610123",
            "34.261",
            ["34,261234", "91", "nan", "3_4.26", "34.26 ", "1e999", "٣٤.٢٦"],
        ),
        ("lon", "-108.9423", "-108.942", ["180.5", "108.94,34.26", "108°56'", ""]),
        ("bbox", "108.94,34.25,108.96,34.27", "108.940,34.250,108.960,34.270", ["1,2,3"]),
        ("crs", "gcj02", "gcj02", ["GCJ02", "wgs84,bd09", "34.26"]),
        ("k", "5", "5", ["0", "101", "5.0", "-1", "34261234", "٥"]),
        ("radius_m", "1500.5", "1500", ["0", "50001", "inf", "34.2610123e3x"]),
        ("limit", "10000", "10000", ["12345678901", "0", "1_000"]),
        ("kind", "service_point", "service_point", ["13800138000", "Service_Point", "station"]),
        ("district_code", "610103", "610103", ["13800138000", "0610103", "北京"]),
        (
            "datetime",
            "2026-12-01T08:00:00Z/..",
            "2026-12-01T08:00:00Z/..",
            ["13800138000", "2026-12-01/13800138000", "now", "../../.."],
        ),
        ("f", "json", "json", ["html", "JSON"]),
        ("offset", "200", "200", ["12345678901", "-1", "1_000", "2e3"]),
        ("to_version", "3", "3", ["0", "12345678901"]),
        ("amenities", "water, microwave", "water, microwave", ["water,34.26", "wi-fi"]),
        ("kinds", "love_station,service_point", "love_station,service_point", ["x"]),
        ("open_now", "TRUE", "TRUE", ["34.26", "maybe"]),
        (
            "open_at",
            "2026-11-27T12:30:00 08:00",
            "2026-11-27T12:30:00 08:00",
            ["2026-11-27T12:30:34.2610123+08:00", "tomorrow", "2026-11-27T12:30:00+08:00x"],
        ),
        ("district", "610103", "610103", ["0610", "6101034"]),
        ("tiles", "amap", "amap", ["google"]),
        ("lang", "en", "en", ["fr"]),
    ],
)
def test_each_parameter_is_logged_only_in_its_known_form(
    name: str, good: str, logged: str, bad: list[str]
) -> None:
    assert loggable_query(httpx.QueryParams({name: good}).__str__().encode()) == {name: logged}
    for value in bad:
        shown = loggable_query(httpx.QueryParams({name: value}).__str__().encode())
        assert shown == {name: "?"}, value


def test_long_word_lists_are_cut() -> None:
    codes = ",".join(["water"] * 40)
    (shown,) = loggable_query(f"amenities={codes}".encode()).values()
    assert codes.startswith(shown) and len(shown) == 64


@pytest.mark.slow
def test_a_real_server_logs_no_misnamed_position_secret_or_station_id(
    demo_db: Path, tmp_path: Path
) -> None:
    secret = new_secret()
    with serving(demo_db, tmp_path / "serve.log") as server:
        wait_ready(server)
        for query in (*MISNAMED_POSITIONS, f"lat=34,261234&lon=108.94&t={secret}"):
            assert httpx.get(f"{server.url}{NEAREST}?{query}").status_code == 422
        listing = httpx.get(f"{server.url}/v1/stations", params={"limit": 1, "bearer": secret})
        assert listing.status_code == 422
        station_id = httpx.get(f"{server.url}/v1/stations?limit=1").json()["features"][0]["id"]
        assert httpx.head(f"{server.url}/v1/stations/{station_id}").status_code == 200
    text = server.text_log()
    assert secret not in text and "yz_" not in text and station_id not in text
    assert not re.search(r"2610123|9423456|261234", text)
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    nearest = [r for r in records if r["path"] == NEAREST]
    assert len(nearest) == len(MISNAMED_POSITIONS) + 1
    assert nearest[-1]["query"] == {"lat": "?", "lon": "108.940", "t": "***"}
    assert {r["path"] for r in records} >= {"/healthz", "/v1/stations", "/v1/stations/{station_id}"}
