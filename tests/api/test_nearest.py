"""GET /v1/stations/nearest against a brute-force GeographicLib oracle, in every crs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from geo.crs import CoordinateSystem, from_wgs84
from tests.api.problem import assert_problem
from tests.api.synthetic import (
    HOURS_STATE,
    OFFICE_HOURS,
    WEDNESDAY_0300,
    WEDNESDAY_1000_UTC,
    Oracle,
    Point,
    Ranked,
    SynStation,
    angle_diff_deg,
    azimuth_deg,
    distance_m,
    make_points,
    state_at,
)

NEAREST = "/v1/stations/nearest"
README_EXAMPLE = f"{NEAREST}?lat=34.2610&lon=108.9423&amenities=microwave&open_now=true"
CRSES = [c.value for c in CoordinateSystem]
Json = dict[str, Any]


@pytest.fixture(scope="module")
def oracles(synthetic_stations: list[SynStation]) -> list[Oracle]:
    return [Oracle(p, synthetic_stations) for p in make_points(synthetic_stations)]


@pytest.fixture(scope="module")
def by_id(synthetic_stations: list[SynStation]) -> dict[str, SynStation]:
    return {s.id: s for s in synthetic_stations}


def in_crs(lon: float, lat: float, crs: str) -> tuple[float, float]:
    x, y = from_wgs84(lon, lat, CoordinateSystem(crs))
    return float(x), float(y)


def ask(client: TestClient, point: Point, crs: str = "wgs84", **params: object) -> Json:
    """Query from ``point`` (WGS-84) converted to ``crs``, the way a rider's phone would."""
    lon, lat = in_crs(point.lon, point.lat, crs)
    query = {"lat": repr(lat), "lon": repr(lon), "crs": crs, **params}
    response = client.get(NEAREST, params=query)
    assert response.status_code == 200, (query, response.text)
    assert response.headers["content-type"] == "application/geo+json"
    body: Json = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["coordinate_system"] == crs
    assert body["numberReturned"] == len(body["features"])
    return body


def assert_matches(
    features: Sequence[Json], expected: Sequence[Ranked], oracle: Oracle, tie_m: float = 1e-6
) -> None:
    """Same stations in the same order, distances to 1 mm. Ids may differ only between
    stations whose oracle distances are within ``tie_m`` yet not equal (exact ties go by id)."""
    assert len(features) == len(expected), ([f["id"] for f in features], expected)
    for feature, want in zip(features, expected, strict=True):
        assert abs(feature["properties"]["distance_m"] - want.distance_m) <= 1e-3
        if feature["id"] != want.id:
            other = oracle.distance_of(feature["id"])
            assert other != want.distance_m, f"exact tie not broken by id: {feature['id']}"
            assert abs(other - want.distance_m) <= tie_m, (feature["id"], want)
    distances = [f["properties"]["distance_m"] for f in features]
    assert distances == sorted(distances)


# -- the README example --------------------------------------------------------------------


def test_readme_example_answers_nearest_first(demo_client: TestClient) -> None:
    response = demo_client.get(README_EXAMPLE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["coordinate_system"] == "wgs84"
    features = body["features"]
    assert 1 <= len(features) <= 5
    distances = [f["properties"]["distance_m"] for f in features]
    assert distances == sorted(distances)
    for f in features:
        props = f["properties"]
        assert f["type"] == "Feature" and f["id"] == props["id"]
        assert "microwave" in props["amenities"]
        assert props["open_status"] == "open"
        assert 0.0 <= props["bearing_deg"] < 360.0
        assert props["links"]["amap"].startswith("https://uri.amap.com/")
        assert props["links"]["baidu"].startswith("https://api.map.baidu.com/")
    # The planted station (stations/data/DEMO.md): 24/7 with a microwave, ~130 m away.
    first = features[0]
    assert first["id"] == "demo-610103-001"
    assert first["geometry"] == {"type": "Point", "coordinates": [108.943062, 34.260011]}
    here = Point(108.9423, 34.2610)
    there = SynStation("x", "love_station", 108.943062, 34.260011, "610103", frozenset(), "")
    assert abs(first["properties"]["distance_m"] - distance_m(here, there)) <= 1e-3
    assert 120 < first["properties"]["distance_m"] < 140
    assert angle_diff_deg(first["properties"]["bearing_deg"], azimuth_deg(here, there)) <= 0.006


# -- the oracle in all three coordinate systems --------------------------------------------


def test_the_oracle_shortcut_equals_exhaustive_search(oracles: list[Oracle]) -> None:
    def rare(s: SynStation) -> bool:
        return "aed" in s.amenities

    for oracle in (oracles[0], oracles[-1], oracles[-4]):
        for k, keep, radius_m in [(10, None, None), (5, rare, None), (100, None, 900.0)]:
            assert oracle.nearest(k, keep, radius_m) == oracle.exhaustive(k, keep, radius_m)


@pytest.mark.parametrize("crs", CRSES)
def test_nearest_equals_the_geodesic_oracle(
    synthetic_client: TestClient, oracles: list[Oracle], by_id: dict[str, SynStation], crs: str
) -> None:
    # Converting the query point costs up to ~1e-5 m, so near-ties get that much room.
    tie_m = 1e-6 if crs == "wgs84" else 1e-4
    for oracle in oracles:
        body = ask(synthetic_client, oracle.point, crs, k=10)
        assert_matches(body["features"], oracle.nearest(10), oracle, tie_m)
        origin = in_crs(oracle.point.lon, oracle.point.lat, crs)
        assert body["query"]["origin"] == pytest.approx(list(origin), abs=1e-7)
        for feature in body["features"]:
            station = by_id[feature["id"]]
            assert feature["geometry"]["type"] == "Point"
            expected = in_crs(station.lon, station.lat, crs)  # [lon, lat], in the asked crs
            assert feature["geometry"]["coordinates"] == pytest.approx(list(expected), abs=1e-7)
            bearing = feature["properties"]["bearing_deg"]
            assert 0.0 <= bearing < 360.0
            assert angle_diff_deg(bearing, azimuth_deg(oracle.point, station)) <= 0.006


def test_exact_ties_are_broken_by_id(synthetic_client: TestClient, oracles: list[Oracle]) -> None:
    tied = 0
    for oracle in oracles:
        features = ask(synthetic_client, oracle.point, k=3)["features"]
        for a, b in pairwise(features):
            if a["properties"]["distance_m"] == b["properties"]["distance_m"]:
                tied += 1
                assert a["id"] < b["id"]
    assert tied >= 3, "the synthetic data should put exact ties at the top of some answers"


def test_close_pairs_are_told_apart(synthetic_client: TestClient, oracles: list[Oracle]) -> None:
    """Stations 1–6 m apart: the order of the two follows the oracle, not the index's sphere."""
    close = 0
    for oracle in oracles:
        expected = oracle.nearest(3)
        features = ask(synthetic_client, oracle.point, k=3)["features"]
        assert_matches(features, expected, oracle)
        gaps = [b.distance_m - a.distance_m for a, b in pairwise(expected)]
        close += any(0 < gap < 6 for gap in gaps)
    assert close >= 3


# -- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amenities",
    [
        "microwave",
        "microwave,wifi",
        "wifi,microwave,water",
        "aed",  # under 2 % of stations: served by a restricted index
        "aed,water",
        "battery_swap,toilet",
    ],
)
def test_amenity_filter_equals_the_oracle_on_the_filtered_set(
    synthetic_client: TestClient, oracles: list[Oracle], amenities: str
) -> None:
    wanted = set(amenities.split(","))
    for oracle in oracles[:12]:
        body = ask(synthetic_client, oracle.point, k=7, amenities=amenities)
        for feature in body["features"]:
            assert wanted <= set(feature["properties"]["amenities"])
        assert_matches(body["features"], oracle.nearest(7, lambda s: wanted <= s.amenities), oracle)


@pytest.mark.parametrize(
    ("kinds", "keep"),
    [
        ("service_point", {"service_point"}),
        ("love_station", {"love_station"}),
        ("love_station,service_point", {"love_station", "service_point"}),
    ],
)
def test_kinds_filter_equals_the_oracle(
    synthetic_client: TestClient, oracles: list[Oracle], kinds: str, keep: set[str]
) -> None:
    for oracle in oracles[:10]:
        body = ask(synthetic_client, oracle.point, k=6, kinds=kinds)
        assert {f["properties"]["kind"] for f in body["features"]} <= keep
        assert_matches(body["features"], oracle.nearest(6, lambda s: s.kind in keep), oracle)


@pytest.mark.parametrize("radius_m", [5.0, 150.0, 800.0, 3000.0, 50_000.0])
def test_radius_keeps_only_stations_within_it(
    synthetic_client: TestClient, oracles: list[Oracle], radius_m: float
) -> None:
    k = 100
    for oracle in oracles[::3]:
        body = ask(synthetic_client, oracle.point, k=k, radius_m=radius_m)
        assert all(f["properties"]["distance_m"] <= radius_m for f in body["features"])
        assert_matches(body["features"], oracle.nearest(k, radius_m=radius_m), oracle)


@pytest.mark.parametrize("k", [1, 2, 5, 37, 100])
def test_k_is_respected(synthetic_client: TestClient, oracles: list[Oracle], k: int) -> None:
    for oracle in oracles[:4]:
        assert_matches(
            ask(synthetic_client, oracle.point, k=k)["features"], oracle.nearest(k), oracle
        )


def test_default_k_is_five(synthetic_client: TestClient, oracles: list[Oracle]) -> None:
    assert len(ask(synthetic_client, oracles[0].point)["features"]) == 5


# -- opening hours -------------------------------------------------------------------------


def _open_at(column: int) -> Callable[[SynStation], bool]:
    return lambda s: HOURS_STATE[s.opening_hours][column] == "open"


@pytest.mark.parametrize(
    ("open_at", "column"),
    [
        (WEDNESDAY_0300, 0),
        (WEDNESDAY_0300.replace("+08:00", "%2B08:00"), 0),
        (WEDNESDAY_1000_UTC, 1),
    ],
    ids=["03:00 raw plus", "03:00 encoded plus", "10:00 as UTC"],
)
def test_open_at_keeps_only_stations_open_then(
    synthetic_client: TestClient,
    oracles: list[Oracle],
    by_id: dict[str, SynStation],
    open_at: str,
    column: int,
) -> None:
    for oracle in oracles[:10]:
        lon, lat = oracle.point.lon, oracle.point.lat
        response = synthetic_client.get(f"{NEAREST}?lat={lat!r}&lon={lon!r}&k=8&open_at={open_at}")
        assert response.status_code == 200, response.text
        features = response.json()["features"]
        assert features
        for feature in features:
            assert feature["properties"]["open_status"] == "open"
            assert feature["properties"]["opening_hours"] == (
                by_id[feature["id"]].opening_hours or None
            )
            if column == 0:  # 03:00: office hours are over
                assert feature["properties"]["opening_hours"] != OFFICE_HOURS
        assert_matches(features, oracle.nearest(8, _open_at(column)), oracle)


def test_without_a_filter_open_status_is_for_the_reported_instant(
    synthetic_client: TestClient, oracles: list[Oracle], by_id: dict[str, SynStation]
) -> None:
    """No open_at/open_now: nothing is filtered out, and each station's status is the one its
    hours give at the instant the answer reports (the server clock)."""
    seen = set()
    for oracle in oracles[:10]:
        body = ask(synthetic_client, oracle.point, k=30)
        at = datetime.fromisoformat(body["query"]["at"])
        assert at.tzinfo is not None
        assert_matches(body["features"], oracle.nearest(30), oracle)
        for feature in body["features"]:
            state = state_at(by_id[feature["id"]].opening_hours, at)
            if state is not None:
                assert feature["properties"]["open_status"] == state, feature["properties"]
            seen.add(feature["properties"]["open_status"])
    assert {"open", "unknown"} <= seen


@pytest.mark.parametrize("crs", CRSES)
def test_every_filter_at_once_equals_the_oracle(
    synthetic_client: TestClient, oracles: list[Oracle], crs: str
) -> None:
    def keep(s: SynStation) -> bool:
        return "microwave" in s.amenities and s.kind == "love_station" and _open_at(1)(s)

    for oracle in oracles[:10]:
        body = ask(
            synthetic_client,
            oracle.point,
            crs,
            k=4,
            radius_m=4000,
            amenities="microwave",
            kinds="love_station",
            open_at=WEDNESDAY_1000_UTC,
        )
        assert_matches(body["features"], oracle.nearest(4, keep, radius_m=4000), oracle, 1e-4)


# -- navigation links ----------------------------------------------------------------------


def _lonlat(text: str) -> tuple[float, float]:
    lon, lat = text.split(",")[:2]
    return float(lon), float(lat)


def _latlng(text: str) -> tuple[float, float]:
    assert text.startswith("latlng:")
    lat, lon = text.removeprefix("latlng:").split(",")
    return float(lon), float(lat)


@pytest.mark.parametrize("crs", CRSES)
def test_navigation_links_use_each_vendors_coordinates(
    synthetic_client: TestClient, oracles: list[Oracle], by_id: dict[str, SynStation], crs: str
) -> None:
    """Whatever crs the rider uses, Amap gets GCJ-02 and Baidu gets BD-09."""
    for oracle in oracles[:5]:
        body = ask(synthetic_client, oracle.point, crs, k=5)
        me_gcj = in_crs(oracle.point.lon, oracle.point.lat, "gcj02")
        me_bd = in_crs(oracle.point.lon, oracle.point.lat, "bd09")
        for feature in body["features"]:
            station, name = by_id[feature["id"]], feature["properties"]["name"]
            amap = urlsplit(feature["properties"]["links"]["amap"])
            assert (amap.scheme, amap.netloc) == ("https", "uri.amap.com")
            q = {
                key: values[0] for key, values in parse_qs(amap.query, strict_parsing=True).items()
            }
            assert q["coordinate"] == "gaode"
            assert _lonlat(q["to"]) == pytest.approx(
                in_crs(station.lon, station.lat, "gcj02"), abs=1e-6
            )
            assert q["to"].split(",", 2)[2] == name
            assert _lonlat(q["from"]) == pytest.approx(me_gcj, abs=1e-6)

            baidu = urlsplit(feature["properties"]["links"]["baidu"])
            assert (baidu.scheme, baidu.netloc) == ("https", "api.map.baidu.com")
            q = {
                key: values[0] for key, values in parse_qs(baidu.query, strict_parsing=True).items()
            }
            assert q["coord_type"] == "bd09ll"
            where, label = q["destination"].split("|", 1)
            assert _latlng(where) == pytest.approx(
                in_crs(station.lon, station.lat, "bd09"), abs=1e-6
            )
            assert label == f"name:{name}"
            assert _latlng(q["origin"].split("|", 1)[0]) == pytest.approx(me_bd, abs=1e-6)


def test_an_empty_answer_is_an_empty_collection(synthetic_client: TestClient) -> None:
    body = ask(synthetic_client, Point(116.39, 39.91), k=5, radius_m=1000)  # Beijing
    assert body["features"] == [] and body["numberReturned"] == 0


@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_lat_and_lon_swapped_are_named_as_such(client: TestClient, crs: str) -> None:
    response = client.get(f"/v1/stations/nearest?lat=108.9&lon=34.2&crs={crs}")
    body = assert_problem(response, 422, "lat")
    assert "lat and lon look swapped: lat=34.2, lon=108.9?" in body["detail"]
    assert body["errors"][0]["field"] == "lat"
    both = client.get("/v1/stations/nearest?lat=108.9&lon=34.2&k=0")
    assert {e["field"] for e in assert_problem(both, 422, "lat")["errors"]} == {"lat", "k"}
    chinese = client.get(
        "/v1/stations/nearest?lat=108.9&lon=34.2", headers={"Accept-Language": "zh-CN"}
    )
    assert "纬度和经度可能填反了：应为 lat=34.2, lon=108.9？" in chinese.json()["detail"]


@pytest.mark.parametrize("query", ["lat=95&lon=200", "lat=108.9&lon=nan", "lat=91&lon=3_4"])
def test_an_impossible_position_gets_no_swap_hint(client: TestClient, query: str) -> None:
    body = assert_problem(client.get(f"/v1/stations/nearest?{query}"), 422)
    assert "swapped" not in body["detail"]
