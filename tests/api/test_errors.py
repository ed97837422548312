"""Bad requests answer 4xx with RFC 9457 problem details naming the field, never 500."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.problem import PROBLEM_JSON, assert_problem

NEAREST = "/v1/stations/nearest"
AT = "lat=34.26&lon=108.94"  # a valid position near 钟楼, Xi'an
XSS = "<script>alert(1)</script>"

# (query string after "?", field the problem must name)
BAD_NEAREST: list[tuple[str, str]] = [
    # out of range
    ("lat=91&lon=108.94", "lat"),
    ("lat=-91&lon=108.94", "lat"),
    ("lat=90.0000001&lon=108.94", "lat"),
    ("lat=34.26&lon=181", "lon"),
    ("lat=34.26&lon=-180.0001", "lon"),
    # not finite
    ("lat=NaN&lon=108.94", "lat"),
    ("lat=nan&lon=108.94", "lat"),
    ("lat=34.26&lon=nan", "lon"),
    ("lat=inf&lon=108.94", "lat"),
    ("lat=-inf&lon=108.94", "lat"),
    ("lat=Infinity&lon=108.94", "lat"),
    ("lat=34.26&lon=-Infinity", "lon"),
    ("lat=1e309&lon=108.94", "lat"),
    # not numbers
    ("lat=abc&lon=108.94", "lat"),
    ("lat=&lon=108.94", "lat"),
    ("lat=0x10&lon=108.94", "lat"),
    ("lat=34.26&lon=108%2C94", "lon"),
    ("lat=34.26%2C108.94&lon=108.94", "lat"),
    ("lat=true&lon=108.94", "lat"),
    ("lat=34.26&lon=false", "lon"),
    # missing
    ("lon=108.94", "lat"),
    ("lat=34.26", "lon"),
    ("", "lat"),
    # k
    (f"{AT}&k=0", "k"),
    (f"{AT}&k=101", "k"),
    (f"{AT}&k=1.5", "k"),
    (f"{AT}&k=-1", "k"),
    (f"{AT}&k=abc", "k"),
    (f"{AT}&k=", "k"),
    (f"{AT}&k=true", "k"),
    # radius_m
    (f"{AT}&radius_m=0", "radius_m"),
    (f"{AT}&radius_m=-5", "radius_m"),
    (f"{AT}&radius_m=50000.001", "radius_m"),
    (f"{AT}&radius_m=nan", "radius_m"),
    (f"{AT}&radius_m=inf", "radius_m"),
    (f"{AT}&radius_m=1km", "radius_m"),
    # vocabularies
    (f"{AT}&amenities=unknown", "amenities"),
    (f"{AT}&amenities=water,unknown", "amenities"),
    (f"{AT}&amenities=Microwave", "amenities"),
    (f"{AT}&amenities=water;microwave", "amenities"),
    (f"{AT}&kinds=unknown", "kinds"),
    (f"{AT}&kinds=love_station,hotel", "kinds"),
    (f"{AT}&crs=utm", "crs"),
    (f"{AT}&crs=WGS84", "crs"),  # case-sensitive like every other code; the detail lists wgs84
    (f"{AT}&crs=EPSG:4326", "crs"),
    (f"{AT}&crs=", "crs"),
    # time
    (f"{AT}&open_at=2026-11-27T12:30:00", "open_at"),
    (f"{AT}&open_at=2026-11-27", "open_at"),
    (f"{AT}&open_at=yesterday", "open_at"),
    (f"{AT}&open_at=2026-13-01T12:00:00%2B08:00", "open_at"),
    (f"{AT}&open_at=2026-11-27T25:00:00%2B08:00", "open_at"),
    (f"{AT}&open_at=", "open_at"),
    (f"{AT}&open_now=maybe", "open_now"),
    # not parameters of this endpoint
    (f"{AT}&foo=1", "foo"),
    (f"{AT}&radius=5", "radius"),
    (f"{AT}&amenity=water", "amenity"),
    (f"{AT}&LAT=34.26", "LAT"),
    # repeated
    ("lat=1&lat=2&lon=108.94", "lat"),
    (f"{AT}&amenities=water&amenities=microwave", "amenities"),
    (f"{AT}&k=5&k=5", "k"),
    # markup in a value
    (f"{AT}&amenities={XSS}", "amenities"),
    (f"{AT}&kinds={XSS}", "kinds"),
    (f"lat={XSS}&lon=108.94", "lat"),
]

BAD_LISTING: list[tuple[str, str]] = [
    ("bbox=108.9,34.2,109.0", "bbox"),
    ("bbox=108.9,34.2,109.0,34.3,1", "bbox"),
    ("bbox=a,b,c,d", "bbox"),
    ("bbox=nan,34.2,109.0,34.3", "bbox"),
    ("bbox=108.9,34.2,inf,34.3", "bbox"),
    ("bbox=108.9,34.3,109.0,34.2", "bbox"),  # min_lat > max_lat
    ("bbox=108.9,-91,109.0,34.2", "bbox"),
    ("bbox=181,34.2,109.0,34.3", "bbox"),
    ("bbox=", "bbox"),
    ("limit=0", "limit"),
    ("limit=1001", "limit"),
    ("limit=abc", "limit"),
    ("offset=-1", "offset"),
    ("offset=1.5", "offset"),
    ("district=abc", "district"),
    ("district=0101", "district"),
    ("district=6101031", "district"),
    ("amenities=unknown", "amenities"),
    ("kinds=unknown", "kinds"),
    ("crs=utm", "crs"),
    ("foo=1", "foo"),
    ("limit=1&limit=2", "limit"),
    (f"district={XSS}", "district"),
]

BAD_STATION: list[tuple[str, str]] = [
    ("crs=utm", "crs"),
    ("foo=1", "foo"),
    ("crs=gcj02&crs=bd09", "crs"),
]


@pytest.mark.parametrize(("query", "field"), BAD_NEAREST, ids=[q for q, _ in BAD_NEAREST])
def test_bad_nearest_query_is_a_422_problem(client: TestClient, query: str, field: str) -> None:
    assert_problem(client.get(f"{NEAREST}?{query}"), 422, field)


@pytest.mark.parametrize(("query", "field"), BAD_LISTING, ids=[q for q, _ in BAD_LISTING])
def test_bad_listing_query_is_a_422_problem(client: TestClient, query: str, field: str) -> None:
    assert_problem(client.get(f"/v1/stations?{query}"), 422, field)


@pytest.mark.parametrize(("query", "field"), BAD_STATION, ids=[q for q, _ in BAD_STATION])
def test_bad_station_query_is_a_422_problem(client: TestClient, query: str, field: str) -> None:
    assert_problem(client.get(f"/v1/stations/demo-610103-001?{query}"), 422, field)


@pytest.mark.parametrize("code", ["unknown", "water,unknown"])
def test_unknown_amenity_lists_the_valid_codes(client: TestClient, code: str) -> None:
    body = assert_problem(client.get(f"{NEAREST}?{AT}&amenities={code}"), 422, "amenities")
    assert "unknown" in body["detail"]
    for valid in ("water", "microwave", "ebike_charging", "accessible"):
        assert valid in body["detail"]


def test_upper_case_crs_is_refused_with_the_valid_names(client: TestClient) -> None:
    # Decision: crs values are codes, case-sensitive like amenity codes; the problem says which.
    body = assert_problem(client.get(f"{NEAREST}?{AT}&crs=WGS84"), 422, "crs")
    for name in ("wgs84", "gcj02", "bd09"):
        assert name in body["detail"]


def test_unknown_kind_lists_the_valid_kinds(client: TestClient) -> None:
    body = assert_problem(client.get(f"{NEAREST}?{AT}&kinds=unknown"), 422, "kinds")
    assert "love_station" in body["detail"] and "service_point" in body["detail"]


def test_every_problem_in_one_request_is_reported(client: TestClient) -> None:
    body = assert_problem(client.get(f"{NEAREST}?lat=91&lon=abc&k=0&foo=1"), 422, "lat")
    assert {"lat", "lon", "k", "foo"} <= {e["field"] for e in body["errors"]}


def test_markup_in_a_value_comes_back_as_json_text(client: TestClient) -> None:
    response = client.get(f"{NEAREST}?{AT}&amenities={XSS}")
    body = assert_problem(response, 422, "amenities")
    assert "html" not in response.headers["content-type"]
    assert not response.text.lstrip().startswith("<")
    assert XSS in body["detail"]  # as inert JSON text, for a client to escape on display


def test_open_now_with_open_at_is_refused(client: TestClient) -> None:
    response = client.get(f"{NEAREST}?{AT}&open_now=true&open_at=2026-11-27T12:30:00%2B08:00")
    body = assert_problem(response, 422)
    assert "open_now" in body["detail"] and "open_at" in body["detail"]


def test_open_now_with_open_at_names_the_fields_in_errors(client: TestClient) -> None:
    response = client.get(f"{NEAREST}?{AT}&open_now=true&open_at=2026-11-27T12:30:00%2B08:00")
    body = assert_problem(response, 422, "open_at")
    assert "{" not in body["detail"]


@pytest.mark.parametrize(
    "open_at",
    [
        "2026-11-27T12:30:00+08:00",  # unencoded: the "+" arrives as a space, the API restores it
        "2026-11-27T12:30:00.250+08:00",
        "2026-11-27T12:30+0800",
        "2026-11-27T12:30:00%2B08:00",
        "2026-11-27T04:30:00Z",
        "2026-11-26T23:30:00-05:00",
    ],
)
def test_open_at_with_an_offset_is_accepted(client: TestClient, open_at: str) -> None:
    response = client.get(f"{NEAREST}?{AT}&open_at={open_at}&k=1")
    assert response.status_code == 200, response.text
    if "+" in open_at:
        assert b"+08" in response.request.url.query  # the client really sent a raw "+"
    assert response.json()["query"]["at"].startswith("2026-11-2")


def test_an_unencoded_plus_offset_means_the_same_instant(client: TestClient) -> None:
    raw = client.get(f"{NEAREST}?{AT}&open_at=2026-11-27T12:30:00+08:00&k=3").json()
    encoded = client.get(f"{NEAREST}?{AT}&open_at=2026-11-27T12:30:00%2B08:00&k=3").json()
    utc = client.get(f"{NEAREST}?{AT}&open_at=2026-11-27T04:30:00Z&k=3").json()
    assert raw["query"]["at"] == encoded["query"]["at"] == "2026-11-27T12:30:00+08:00"
    assert raw["features"] == encoded["features"] == utc["features"]


def test_unknown_station_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/stations/no-such-station"), 404)
    assert "no-such-station" in body["detail"]


@pytest.mark.parametrize("path", ["/nope", "/v1/nope", "/v2/stations/nearest", "/V1/stations"])
def test_unknown_route_is_a_404_problem(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"{NEAREST}?{AT}"),
        ("PUT", "/v1/amenities"),
        ("PATCH", "/v1/stations"),
        ("POST", "/healthz"),
    ],
)
def test_wrong_method_is_a_405_problem(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


def test_head_is_answered_like_get(client: TestClient) -> None:
    response = client.head(f"{NEAREST}?{AT}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"


@pytest.mark.parametrize("query", ["lat=0&lon=-180", "lat=-90&lon=-180", "lat=-90&lon=10"])
def test_bd09_at_the_edge_of_the_range_is_not_a_server_error(
    client: TestClient, query: str
) -> None:
    response = client.get(f"{NEAREST}?{query}&crs=bd09")
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert_problem(response, 422)


@pytest.mark.parametrize("open_at", ["0001-01-01T00:00:00%2B09:00", "9999-06-01T12:00:00%2B08:00"])
def test_extreme_open_at_is_not_a_server_error(client: TestClient, open_at: str) -> None:
    response = client.get(f"{NEAREST}?{AT}&open_at={open_at}")
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert_problem(response, 422, "open_at")


def test_open_at_as_a_unix_timestamp_is_refused(client: TestClient) -> None:
    assert_problem(client.get(f"{NEAREST}?{AT}&open_at=1700000000"), 422, "open_at")


def test_space_separated_open_at_with_a_raw_plus_is_accepted(client: TestClient) -> None:
    response = client.get(f"{NEAREST}?{AT}&open_at=2026-11-27 12:30:00+08:00&k=1")
    assert response.status_code == 200, response.text


def test_number_with_underscores_is_refused(client: TestClient) -> None:
    assert_problem(client.get("/v1/stations/nearest?lat=3_4.26&lon=108.94"), 422, "lat")


NEAREST_PARAMS = [
    "lat",
    "lon",
    "crs",
    "k",
    "radius_m",
    "amenities",
    "kinds",
    "open_now",
    "open_at",
    "foo",
]


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.sampled_from(NEAREST_PARAMS),
    value=st.one_of(
        st.text(max_size=30),
        st.floats().map(repr),
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
    ),
)
def test_any_single_bad_value_is_a_4xx_problem_never_a_500(
    client: TestClient, name: str, value: str
) -> None:
    params = {"lat": "34.26", "lon": "108.94", name: value}
    response = client.get(NEAREST, params=params)
    assert response.status_code in (200, 422), (params, response.text)
    if response.status_code == 422:
        assert response.headers["content-type"] == PROBLEM_JSON
        json.loads(response.content)


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lat=st.floats(min_value=-90, max_value=90),
    lon=st.floats(min_value=-180, max_value=180),
    crs=st.sampled_from(["wgs84", "gcj02"]),
    k=st.integers(min_value=1, max_value=100),
)
def test_any_position_in_range_is_answered(
    client: TestClient, lat: float, lon: float, crs: str, k: int
) -> None:
    params = {"lat": repr(lat), "lon": repr(lon), "crs": crs, "k": str(k)}
    response = client.get(NEAREST, params=params)
    assert response.status_code == 200, (params, response.text)
    assert len(response.json()["features"]) == min(k, 203)
