"""GET /v1/stations/{id}, GET /v1/stations, GET /v1/amenities, /healthz and the OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from geo.crs import CoordinateSystem, from_wgs84
from stations.amenities import VOCABULARY
from tests.api.problem import assert_problem
from tests.api.stores import build_store, open_client
from tests.api.synthetic import CSV_HEADER, HOSTILE_NAME, WEDNESDAY_0300, SynStation

PLANTED = "demo-610103-001"  # 108.943062, 34.260011 (stations/data/DEMO.md)
PLANTED_LONLAT = (108.943062, 34.260011)
Json = dict[str, Any]


def in_crs(lon: float, lat: float, crs: str) -> tuple[float, float]:
    x, y = from_wgs84(lon, lat, CoordinateSystem(crs))
    return float(x), float(y)


def get_json(client: TestClient, url: str, **params: object) -> Json:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    body: Json = response.json()
    return body


# -- one station ---------------------------------------------------------------------------


def test_one_station_is_a_feature_with_its_version_as_etag(client: TestClient) -> None:
    response = client.get(f"/v1/stations/{PLANTED}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == PLANTED
    assert feature["geometry"] == {"type": "Point", "coordinates": list(PLANTED_LONLAT)}
    props = feature["properties"]
    assert props["id"] == PLANTED and props["kind"] == "love_station"
    assert props["district_code"] == "610103" and "microwave" in props["amenities"]
    assert props["opening_hours"] == "24/7" and props["open_status"] == "open"
    assert props["status"] == "active" and props["version"] == 1
    assert response.headers["etag"] == f'"{props["version"]}"'


def test_if_none_match_with_the_etag_is_not_modified(client: TestClient) -> None:
    etag = client.get(f"/v1/stations/{PLANTED}").headers["etag"]
    for header in (etag, f'"other", {etag}'):
        response = client.get(f"/v1/stations/{PLANTED}", headers={"If-None-Match": header})
        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["etag"] == etag


def test_if_none_match_with_another_etag_sends_the_station(client: TestClient) -> None:
    response = client.get(f"/v1/stations/{PLANTED}", headers={"If-None-Match": '"999"'})
    assert response.status_code == 200
    assert response.json()["id"] == PLANTED


@pytest.mark.parametrize("header", ['W/"1"', "*"])
def test_if_none_match_weak_or_star_is_not_modified(client: TestClient, header: str) -> None:
    response = client.get(f"/v1/stations/{PLANTED}", headers={"If-None-Match": header})
    assert response.status_code == 304


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_one_station_in_another_crs(client: TestClient, crs: str) -> None:
    feature = get_json(client, f"/v1/stations/{PLANTED}", crs=crs)
    assert feature["coordinate_system"] == crs
    expected = in_crs(*PLANTED_LONLAT, crs)
    assert feature["geometry"]["coordinates"] == pytest.approx(list(expected), abs=1e-7)
    # A real shift, not WGS-84 relabelled: GCJ-02 moves Xi'an by hundreds of metres.
    assert abs(feature["geometry"]["coordinates"][0] - PLANTED_LONLAT[0]) > 1e-3


def test_one_station_marker_links(client: TestClient) -> None:
    props = get_json(client, f"/v1/stations/{PLANTED}")["properties"]
    amap = {k: v[0] for k, v in parse_qs(urlsplit(props["links"]["amap"]).query).items()}
    assert amap["coordinate"] == "gaode"
    lon, lat = (float(v) for v in amap["position"].split(","))
    assert (lon, lat) == pytest.approx(in_crs(*PLANTED_LONLAT, "gcj02"), abs=1e-6)
    assert amap["name"] == props["name"]
    baidu = {k: v[0] for k, v in parse_qs(urlsplit(props["links"]["baidu"]).query).items()}
    assert baidu["coord_type"] == "bd09ll"
    lat, lon = (float(v) for v in baidu["location"].split(","))
    assert (lon, lat) == pytest.approx(in_crs(*PLANTED_LONLAT, "bd09"), abs=1e-6)


def test_unknown_station_is_a_404_problem_in_any_crs(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/stations/demo-999999-999?crs=gcj02"), 404)
    assert "demo-999999-999" in body["detail"]


# -- listings ------------------------------------------------------------------------------


def _listing(client: TestClient, **params: object) -> Json:
    body = get_json(client, "/v1/stations", **params)
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"])
    ids = [f["id"] for f in body["features"]]
    assert ids == sorted(ids)
    return body


def _inside(s: SynStation, bbox: tuple[float, float, float, float], crs: str) -> bool:
    lon, lat = in_crs(s.lon, s.lat, crs)
    return bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_bbox_listing_equals_the_stations_inside(
    synthetic_client: TestClient, synthetic_stations: list[SynStation], crs: str
) -> None:
    bbox = (108.90, 34.22, 108.98, 34.30)  # in ``crs``
    text = ",".join(map(str, bbox))
    body = _listing(synthetic_client, bbox=text, crs=crs, limit=1000)
    expected = sorted(s.id for s in synthetic_stations if _inside(s, bbox, crs))
    assert 100 < len(expected) < 1000
    assert [f["id"] for f in body["features"]] == expected
    assert body["numberMatched"] == len(expected)
    assert body["coordinate_system"] == crs
    by_id = {s.id: s for s in synthetic_stations}
    for f in body["features"][:50]:
        s = by_id[f["id"]]
        assert f["geometry"]["coordinates"] == pytest.approx(
            list(in_crs(s.lon, s.lat, crs)), abs=1e-7
        )


def test_the_same_numbers_select_other_stations_in_gcj02(synthetic_client: TestClient) -> None:
    bbox = "108.90,34.22,108.98,34.30"
    wgs = {f["id"] for f in _listing(synthetic_client, bbox=bbox, limit=1000)["features"]}
    gcj = {
        f["id"] for f in _listing(synthetic_client, bbox=bbox, crs="gcj02", limit=1000)["features"]
    }
    assert wgs != gcj


def test_district_prefix_pages_through_every_station(
    synthetic_client: TestClient, synthetic_stations: list[SynStation]
) -> None:
    expected = sorted(s.id for s in synthetic_stations if s.district_code.startswith("6101"))
    assert len(expected) > 1000
    limit = 400
    seen: list[str] = []
    body = _listing(synthetic_client, district="6101", limit=limit)
    pages = 0
    while True:
        pages += 1
        assert body["numberMatched"] == len(expected)
        links = {link["rel"]: link["href"] for link in body["links"]}
        assert "self" in links
        offset = len(seen)
        if offset:
            prev = parse_qs(urlsplit(links["prev"]).query)
            assert prev["offset"] == [str(max(0, offset - limit))] and prev["district"] == ["6101"]
        else:
            assert "prev" not in links
        seen += [f["id"] for f in body["features"]]
        assert all(f["properties"]["district_code"].startswith("6101") for f in body["features"])
        if "next" not in links:
            break
        nxt = parse_qs(urlsplit(links["next"]).query)
        assert nxt["offset"] == [str(len(seen))] and nxt["limit"] == [str(limit)]
        response = synthetic_client.get(links["next"])
        assert response.status_code == 200
        body = response.json()
    assert seen == expected
    assert pages == -(-len(expected) // limit)


def test_an_offset_past_the_end_is_an_empty_page(synthetic_client: TestClient) -> None:
    body = _listing(synthetic_client, district="6101", offset=100_000)
    assert body["features"] == [] and body["numberMatched"] > 1000
    assert "next" not in {link["rel"] for link in body["links"]}


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"district": "610402"}, lambda s: s.district_code == "610402"),
        ({"amenities": "aed,water"}, lambda s: {"aed", "water"} <= s.amenities),
        ({"kinds": "service_point"}, lambda s: s.kind == "service_point"),
        (
            {
                "amenities": "microwave",
                "kinds": "love_station",
                "district": "610103",
                "bbox": "108.85,34.20,109.05,34.32",
            },
            lambda s: (
                "microwave" in s.amenities
                and s.kind == "love_station"
                and s.district_code == "610103"
                and _inside(s, (108.85, 34.20, 109.05, 34.32), "wgs84")
            ),
        ),
    ],
    ids=["district", "amenities", "kinds", "everything"],
)
def test_listing_filters_equal_the_oracle(
    synthetic_client: TestClient, synthetic_stations: list[SynStation], params: Json, keep: Any
) -> None:
    expected = sorted(s.id for s in synthetic_stations if keep(s))
    assert 0 < len(expected) <= 1000
    body = _listing(synthetic_client, limit=1000, **params)
    assert [f["id"] for f in body["features"]] == expected
    assert body["numberMatched"] == len(expected)


def test_default_page_is_a_hundred(client: TestClient) -> None:
    body = _listing(client)
    assert body["numberMatched"] == 203 and body["numberReturned"] == 100


# -- vocabulary, health, OpenAPI -----------------------------------------------------------


def test_amenities_lists_the_vocabulary(client: TestClient) -> None:
    response = client.get("/v1/amenities")
    assert response.status_code == 200
    amenities = response.json()["amenities"]
    assert len(amenities) == 22
    assert [a["code"] for a in amenities] == [a.code for a in VOCABULARY]
    assert all(a["zh"].strip() and a["en"].strip() for a in amenities)
    assert {"code": "microwave", "zh": "微波炉", "en": "meal heating"} in amenities
    assert amenities[0]["code"] == "water" and amenities[-1]["code"] == "accessible"


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["stations"] == 203
    assert isinstance(body["data_version"], int) and body["data_version"] >= 1


@pytest.fixture(scope="module")
def openapi(demo_client: TestClient) -> Json:
    response = demo_client.get("/openapi.json")
    assert response.status_code == 200
    document: Json = response.json()
    return document


def test_openapi_lists_the_routes(openapi: Json) -> None:
    paths = openapi["paths"]
    expected = {
        "/v1/stations/nearest": "findNearestStations",
        "/v1/stations/{station_id}": "getStation",
        "/v1/stations": "listStations",
        "/v1/amenities": "listAmenities",
        "/healthz": "health",
    }
    for path, operation_id in expected.items():
        assert paths[path]["get"]["operationId"] == operation_id
        assert paths[path]["get"]["summary"]


def test_openapi_documents_the_nearest_parameters(openapi: Json) -> None:
    operation = openapi["paths"]["/v1/stations/nearest"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    names = {"lat", "lon", "crs", "k", "radius_m", "amenities", "kinds", "open_now", "open_at"}
    names |= {"access", "verified_within_days", "rank"}
    assert set(params) == names
    assert all(p["in"] == "query" and p.get("description") for p in params.values())
    assert params["lat"]["required"] and params["lon"]["required"]
    assert not any(params[n].get("required") for n in names - {"lat", "lon"})
    assert (params["lat"]["schema"]["minimum"], params["lat"]["schema"]["maximum"]) == (-90, 90)
    assert (params["k"]["schema"]["minimum"], params["k"]["schema"]["maximum"]) == (1, 100)
    assert params["k"]["schema"]["default"] == 5
    radius = params["radius_m"]["schema"]["anyOf"][0]
    assert radius["maximum"] == 50_000 and radius["exclusiveMinimum"] == 0
    assert "offset" in params["open_at"]["description"]
    crs = openapi["components"]["schemas"]["CoordinateSystem"]
    assert crs["enum"] == ["wgs84", "gcj02", "bd09"]
    assert "application/geo+json" in operation["responses"]["200"]["content"]


def test_openapi_documents_errors_as_problem_json(openapi: Json) -> None:
    responses = openapi["paths"]["/v1/stations/nearest"]["get"]["responses"]
    assert "application/problem+json" in responses["422"]["content"]


def test_openapi_documents_the_answer_as_an_object(openapi: Json) -> None:
    content = openapi["paths"]["/v1/stations/nearest"]["get"]["responses"]["200"]["content"]
    assert content["application/geo+json"]["schema"].get("type") != "string"


# -- hostile text ----------------------------------------------------------------------------


def test_a_hostile_name_is_returned_verbatim_as_json_text(hostile_client: TestClient) -> None:
    one = hostile_client.get("/v1/stations/evil-1")
    near = hostile_client.get("/v1/stations/nearest?lat=34.26&lon=108.94")
    listed = hostile_client.get("/v1/stations")
    for response in (one, near, listed):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/geo+json"
        assert response.text.startswith("{")
    feature = one.json()
    assert feature["properties"]["name"] == HOSTILE_NAME
    assert feature["properties"]["address"] == "<script>alert(2)</script>"
    assert near.json()["features"][0]["properties"]["name"] == HOSTILE_NAME
    assert listed.json()["features"][0]["properties"]["name"] == HOSTILE_NAME
    # In the navigation links the name is percent-encoded, never raw markup.
    for props in (feature["properties"], near.json()["features"][0]["properties"]):
        for link in props["links"].values():
            assert "<" not in link and ">" not in link and " " not in link
            assert HOSTILE_NAME in str(parse_qs(urlsplit(link).query))


# -- station status --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def status_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A retired station, a temporarily closed one and an active one, all 24/7."""
    directory = tmp_path_factory.mktemp("status")
    source = directory / "status.csv"
    rows = [
        "retired-1,甲,love_station,108.9423,34.2611,,610103,water,24/7,,,retired",
        "closed-1,乙,love_station,108.9424,34.2612,,610103,water,24/7,,,closed_temporarily",
        "active-1,丙,love_station,108.9500,34.2700,,610103,water,24/7,,,active",
    ]
    source.write_text(f"{CSV_HEADER},status\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with open_client(build_store(directory / "s.gpkg", source)) as client:
        yield client


def test_status_decides_what_couriers_see(status_client: TestClient) -> None:
    near = get_json(status_client, "/v1/stations/nearest", lat=34.2610, lon=108.9423)
    states = {f["id"]: f["properties"]["open_status"] for f in near["features"]}
    assert states == {"closed-1": "closed", "active-1": "open"}  # retired: gone
    open_then = get_json(
        status_client, "/v1/stations/nearest", lat=34.2610, lon=108.9423, open_at=WEDNESDAY_0300
    )
    assert [f["id"] for f in open_then["features"]] == ["active-1"]
    listed = get_json(status_client, "/v1/stations")
    assert [f["id"] for f in listed["features"]] == ["active-1", "closed-1"]
    retired = get_json(status_client, "/v1/stations/retired-1")["properties"]
    assert (retired["status"], retired["open_status"]) == ("retired", "closed")
    assert status_client.get("/healthz").json()["stations"] == 2


# -- responses match the models that document them ------------------------------------------


def test_responses_validate_against_their_documented_models(client: TestClient) -> None:
    from api.schemas import ProblemDetails, StationCollection, StationFeature

    for crs in ("wgs84", "gcj02", "bd09"):
        near = client.get(f"/v1/stations/nearest?lat=34.26&lon=108.94&k=20&crs={crs}")
        StationCollection.model_validate(near.json())
        listed = client.get(f"/v1/stations?limit=50&crs={crs}")
        StationCollection.model_validate(listed.json())
        one = client.get(f"/v1/stations/demo-610103-001?crs={crs}")
        StationFeature.model_validate(one.json())
    bad = client.get("/v1/stations/nearest?lat=nan&lon=1")
    ProblemDetails.model_validate(bad.json())
