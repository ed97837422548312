"""POST /v1/stations/nearest:batch: every result is, byte for byte, the single GET's answer.

The instant is made equal by ``open_at`` (both answers are then for that instant); without it
the batch answers at one server instant, compared with GETs made within the same hour (the
synthetic stations' hours change on the hour).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient

from api.middleware.limits import MAX_BATCH_BYTES
from api.params.batch import MAX_BATCH_POINTS
from api.routes.stations import NearestBatchResults
from geo.crs import CoordinateSystem, from_wgs84
from stations.hours import SHANGHAI
from tests.api.problem import assert_problem
from tests.api.synthetic import WEDNESDAY_0300, WEDNESDAY_1000_UTC, XIAN, make_points
from tests.api.test_nearest import NEAREST

BATCH = "/v1/stations/nearest:batch"
CRSES = [c.value for c in CoordinateSystem]
Json = dict[str, Any]


def riders(n: int, seed: int = 3) -> list[tuple[float, float]]:
    """(lon, lat) in WGS-84 around Xi'an, a few far outside the data."""
    rng = np.random.default_rng(seed)
    lon = XIAN[0] + rng.normal(0.0, 0.08, n)
    lat = XIAN[1] + rng.normal(0.0, 0.07, n)
    lon[::50], lat[::50] = lon[::50] + 3.0, lat[::50] - 2.0
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


def in_crs(points: list[tuple[float, float]], crs: str) -> list[tuple[float, float]]:
    lon, lat = from_wgs84([p[0] for p in points], [p[1] for p in points], CoordinateSystem(crs))
    return list(zip(np.atleast_1d(lon).tolist(), np.atleast_1d(lat).tolist(), strict=True))


def post(client: TestClient, points: list[tuple[float, float]], **filters: Any) -> list[Json]:
    body = {"points": [{"lat": lat, "lon": lon} for lon, lat in points], **filters}
    response = client.post(BATCH, json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    results: list[Json] = NearestBatchResults.model_validate_json(response.content).model_dump()[
        "results"
    ]
    assert len(results) == len(points)
    return response.json()["results"]  # type: ignore[no-any-return]


def get(client: TestClient, point: tuple[float, float], **filters: Any) -> bytes:
    params = {"lon": repr(point[0]), "lat": repr(point[1]), **filters}
    response = client.get(NEAREST, params=params)
    assert response.status_code == 200, response.text
    return response.content


def as_query(filters: Json) -> Json:
    """The GET form of batch filters: lists become comma-separated, booleans lower case."""
    return {
        key: ",".join(value) if isinstance(value, list) else str(value).lower()
        if isinstance(value, bool) else value
        for key, value in filters.items()
    }  # fmt: skip


# --- each result is the single answer ----------------------------------------------------


FILTERS = [
    {"k": 7},
    {"k": 3, "amenities": ["microwave"], "radius_m": 2500.0},  # a mask over the full index
    {"k": 2, "amenities": ["aed"]},  # under 2 % of stations: a restricted index
    {"k": 5, "kinds": ["service_point"], "amenities": ["wifi", "water"]},
    {"k": 100, "radius_m": 400.0},
    {"k": 4, "open_at": WEDNESDAY_0300},  # the hours are checked station by station
    {"k": 6, "open_at": WEDNESDAY_1000_UTC, "amenities": ["microwave"], "kinds": ["love_station"]},
]


@pytest.mark.parametrize("crs", CRSES)
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(map(str, f)))
def test_each_result_is_byte_for_byte_the_single_answer(
    synthetic_client: TestClient, synthetic_stations: Any, crs: str, filters: Json
) -> None:
    wgs84 = [(p.lon, p.lat) for p in make_points(synthetic_stations)] + riders(60)
    points = in_crs(wgs84, crs)  # as a rider's phone would send them
    fixed = {**filters, "open_at": filters.get("open_at", WEDNESDAY_1000_UTC)}
    results = post(synthetic_client, points, crs=crs, **fixed)
    for point, result in zip(points, results, strict=True):
        single = get(synthetic_client, point, crs=crs, **as_query(fixed))
        assert orjson.dumps(result) == single
    assert any(r["features"] for r in results)


def test_without_an_instant_every_rider_is_answered_at_one_server_instant(
    synthetic_client: TestClient,
) -> None:
    points = riders(120, seed=8)
    # An opening-hours boundary may pass between the batch and the single requests (the server
    # clock decides each): then ask again. A real difference shows on every attempt.
    for _attempt in range(3):
        before = datetime.now(SHANGHAI)
        results = post(synthetic_client, points, k=6, amenities=["water"])
        singles = [json.loads(get(synthetic_client, p, k=6, amenities="water")) for p in points]
        after = datetime.now(SHANGHAI)
        instants = {r["query"].pop("at") for r in results}
        assert len(instants) == 1
        assert before <= datetime.fromisoformat(instants.pop()) <= after
        for single in singles:
            del single["query"]["at"]
        if results == singles:
            break
    assert results == singles


def test_results_keep_the_order_of_the_points(synthetic_client: TestClient) -> None:
    points = riders(2000, seed=5)
    shuffled = [points[i] for i in np.random.default_rng(1).permutation(len(points))]
    for sent in (points, shuffled):
        results = post(synthetic_client, sent, k=1)
        origins = [tuple(r["query"]["origin"]) for r in results]
        assert origins == [(round(lon, 7), round(lat, 7)) for lon, lat in sent]


def test_the_default_k_is_five_like_the_single_query(synthetic_client: TestClient) -> None:
    [result] = post(synthetic_client, [XIAN])
    assert result["numberReturned"] == 5


# --- size limits ---------------------------------------------------------------------------


def test_ten_thousand_points_are_answered(synthetic_client: TestClient) -> None:
    points = riders(MAX_BATCH_POINTS, seed=11)
    body = {"points": [{"lat": lat, "lon": lon} for lon, lat in points], "k": 1}
    # Laid out generously (indent 6, CRLF line ends), 10,000 points are over the 1 MiB
    # default body limit; this path's limit leaves room for them.
    raw = json.dumps(body, indent=6).replace("\n", "\r\n").encode()
    assert 1 << 20 < len(raw) < MAX_BATCH_BYTES
    response = synthetic_client.post(
        BATCH, content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text[:500]
    results = response.json()["results"]
    assert len(results) == MAX_BATCH_POINTS
    assert all(r["numberReturned"] == 1 for r in results[1:50])


def test_ten_thousand_and_one_points_are_refused(synthetic_client: TestClient) -> None:
    body = {"points": [{"lat": 34.26, "lon": 108.94}] * (MAX_BATCH_POINTS + 1)}
    problem = assert_problem(synthetic_client.post(BATCH, json=body), 422, "points")
    assert "10000" in problem["detail"] and "10001" in problem["detail"]


def test_a_body_over_the_limit_is_a_413_problem(synthetic_client: TestClient) -> None:
    raw = b'{"points": [' + b" " * MAX_BATCH_BYTES + b"]}"
    response = synthetic_client.post(
        BATCH, content=raw, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


# --- mistakes are 422 problems naming the field -------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"points": [{"lat": 34.2, "lon": 108.9}, {"lat": 91.0, "lon": 108.9}]}, "points[1].lat"),
        ({"points": [{"lat": 34.2, "lon": 108.9}] * 3 + [{"lat": 34.2}]}, "points[3].lon"),
        ({"points": [{"lat": "34.2", "lon": 108.9}]}, "points[0].lat"),  # a quoted number
        ({"points": [{"lat": True, "lon": 108.9}]}, "points[0].lat"),
        ({"points": [{"lat": 34.2, "lon": 108.9, "id": "r1"}]}, "points[0].id"),
        ({"points": [[108.9, 34.2]]}, "points[0]"),
        ({"points": []}, "points"),
        ({"kk": 3}, "kk"),  # a typo is refused, never ignored
        ({"k": 0}, "k"),
        ({"k": 101}, "k"),
        ({"k": 2.5}, "k"),
        ({"k": "2"}, "k"),  # a quoted number
        ({"radius_m": 50_001}, "radius_m"),
        ({"radius_m": 0}, "radius_m"),
        ({"crs": "WGS84"}, "crs"),
        ({"amenities": ["sauna"]}, "amenities"),
        ({"amenities": "water,microwave"}, "amenities"),  # the GET form is one string here
        ({"kinds": ["love_station,service_point"]}, "kinds"),
        ({"open_at": "2026-11-27T12:30:00"}, "open_at"),  # no offset
        ({"open_at": "2026-11-27T12:30:00 08:00"}, "open_at"),  # a space is not a "+" here
        ({"open_now": "yes"}, "open_now"),
    ],
)
def test_a_bad_field_is_a_422_problem_naming_it(
    client: TestClient, change: Json, field: str
) -> None:
    body = {"points": [{"lat": 34.26, "lon": 108.94}], **change}
    assert_problem(client.post(BATCH, json=body), 422, field)


def test_every_bad_point_is_named(client: TestClient) -> None:
    points: list[Json] = [{"lat": 34.26, "lon": 108.94}] * 20
    points[4] = {"lat": -95.0, "lon": 108.94}
    points[17] = {"lat": 34.26, "lon": 1e9}
    problem = assert_problem(client.post(BATCH, json={"points": points}), 422, "points[4].lat")
    assert {e["field"] for e in problem["errors"]} == {"points[4].lat", "points[17].lon"}


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_not_json(client: TestClient, constant: bytes) -> None:
    raw = b'{"points": [{"lat": ' + constant + b', "lon": 108.94}]}'
    response = client.post(BATCH, content=raw, headers={"content-type": "application/json"})
    assert "not valid JSON" in assert_problem(response, 422, "body")["detail"]


@pytest.mark.parametrize("raw", [b"", b"[]", b'"points"', b"{", b"points=1"])
def test_a_body_that_is_not_a_json_object_is_refused(client: TestClient, raw: bytes) -> None:
    assert_problem(client.post(BATCH, content=raw), 422, "body")


def test_open_now_with_open_at_names_both(client: TestClient) -> None:
    body = {"points": [{"lat": 34.26, "lon": 108.94}], "open_now": True, "open_at": WEDNESDAY_0300}
    problem = assert_problem(client.post(BATCH, json=body), 422, "open_now")
    assert {e["field"] for e in problem["errors"]} == {"open_now", "open_at"}


def test_a_filter_in_the_query_string_is_refused_not_ignored(client: TestClient) -> None:
    response = client.post(f"{BATCH}?k=3", json={"points": [{"lat": 34.26, "lon": 108.94}]})
    assert_problem(response, 422, "k")


def test_open_now_filters_at_the_server_clock(synthetic_client: TestClient) -> None:
    points = riders(40, seed=2)
    results = post(synthetic_client, points, k=5, open_now=True)
    assert all(f["properties"]["open_status"] == "open" for r in results for f in r["features"])


def test_the_openapi_document_describes_the_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"][BATCH]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["additionalProperties"] is False and schema["required"] == ["points"]
    point = schema["properties"]["points"]["items"]
    assert set(point["properties"]) == {"lat", "lon"} and point["additionalProperties"] is False
    assert schema["properties"]["points"]["maxItems"] == MAX_BATCH_POINTS
    assert "$defs" not in json.dumps(schema)  # every reference resolves inside the document
