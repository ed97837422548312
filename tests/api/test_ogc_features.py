"""OGC API – Features under /ogc, over HTTP on real stores: the documents, paging, limits, the
bbox and property filters, and refusals. The oracle is ``GET /v1/stations``, paged through in
full and filtered by brute force here: the collection must list exactly what it lists."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stations.amenities import CODES
from stations.model import Access, Kind, StationDraft, StationId, Status
from stations.store.geopackage.store import GeoPackageStore
from tests.api.admin_fixtures import admin_env, if_match
from tests.api.ogc import (
    CONF,
    CRS84,
    GEOJSON,
    ITEMS,
    Feature,
    assert_ogc_problem,
    follow,
    ids,
    next_link,
    v1_features,
    working_amenities,
)
from tests.api.stores import open_client

MAX_LIMIT = 10_000
BIG = MAX_LIMIT + 400  # more than one maximal page, retired stations left out
DISTRICTS = ("610102", "610103", "610104", "610112")
XIAN = (108.9423, 34.2610)


@pytest.fixture(scope="module")
def big_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """10,400 stations around Xi'an: every kind, access, district; some amenities out of order,
    some retired, some closed for now; positions with 6 decimals (the answers' rounding is 7)."""
    rng = random.Random(14)
    common = ("water", "microwave", "phone_charging", "seating", "toilet", "aed")
    drafts = []
    for i in range(BIG):
        amenities = tuple(c for c in CODES if c in common and rng.random() < 0.5)
        broken = tuple((c, datetime(2026, 3, 1, tzinfo=UTC)) for c in amenities[:1])
        drafts.append(
            StationDraft(
                id=StationId(f"big-{i:05d}"),
                name=f"测试驿站{i}",
                kind=rng.choice(list(Kind)),
                lon=round(XIAN[0] + rng.uniform(-0.3, 0.3), 6),
                lat=round(XIAN[1] + rng.uniform(-0.3, 0.3), 6),
                address=None,
                district_code=rng.choice(DISTRICTS),
                amenities=amenities,
                opening_hours="24/7",
                phone=None,
                host=None,
                status=rng.choices(list(Status), weights=(97, 2, 1))[0],
                access=rng.choice(list(Access)),
                out_of_order=broken if rng.random() < 0.1 else (),
            )
        )
    db = tmp_path_factory.mktemp("ogc-big") / "s.gpkg"
    store = GeoPackageStore(db)
    try:
        store.save_all(drafts, actor="test")
    finally:
        store.close()
    with open_client(db) as client:
        yield client


@pytest.fixture(scope="module")
def big_listing(big_client: TestClient) -> list[Feature]:
    return v1_features(big_client.get)


@pytest.fixture(scope="module")
def demo_listing(demo_client: TestClient) -> list[Feature]:
    return v1_features(demo_client.get)


def _json(client: TestClient, url: str, media_type: str = "application/json") -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    return response.json()


def _rels(body: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {x["rel"]: x for x in body["links"]}


# -- the documents -------------------------------------------------------------------------


def test_the_landing_page_links_to_everything(client: TestClient) -> None:
    landing = _json(client, "/ogc")
    assert landing == _json(client, "/ogc/")  # OWSLib asks for the base URL with a slash
    assert landing["title"] and landing["description"]
    rels = _rels(landing)
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    openapi = "application/vnd.oai.openapi+json;version=3.0"
    assert rels["service-desc"]["type"] == openapi
    assert _json(client, rels["service-desc"]["href"], openapi)["openapi"].startswith("3.0.")
    assert rels["service-doc"]["type"] == "text/html"
    page = client.get(rels["service-doc"]["href"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/ogc/api" in page.text  # Swagger UI over the /ogc document
    assert rels["data"]["href"] == "http://testserver/ogc/collections"
    assert _json(client, rels["conformance"]["href"]) == _json(client, "/ogc/conformance")


def test_conformance_declares_core_geojson_and_openapi(client: TestClient) -> None:
    declared = _json(client, "/ogc/conformance")["conformsTo"]
    assert sorted(declared) == [f"{CONF}core", f"{CONF}geojson", f"{CONF}oas30"]


def test_the_one_collection_describes_itself(client: TestClient) -> None:
    listed = _json(client, "/ogc/collections")
    assert [c["id"] for c in listed["collections"]] == ["stations"]
    stations = _json(client, "/ogc/collections/stations")
    assert listed["collections"][0] == stations
    assert stations["itemType"] == "feature" and stations["crs"] == [CRS84]
    assert stations["title"] and stations["description"]
    rels = _rels(stations)
    assert rels["items"]["type"] == GEOJSON
    assert rels["items"]["href"] == f"http://testserver{ITEMS}"
    queryables = rels["http://www.opengis.net/def/rel/ogc/1.0/queryables"]
    assert queryables["type"] == "application/schema+json"
    assert rels["self"]["href"] == "http://testserver/ogc/collections/stations"


def test_the_extent_is_the_bounding_box_of_every_listed_station(
    client: TestClient, demo_listing: list[Feature]
) -> None:
    lon = [f["geometry"]["coordinates"][0] for f in demo_listing]
    lat = [f["geometry"]["coordinates"][1] for f in demo_listing]
    spatial = _json(client, "/ogc/collections/stations")["extent"]["spatial"]
    assert spatial["crs"] == CRS84
    assert spatial["bbox"] == [pytest.approx([min(lon), min(lat), max(lon), max(lat)], abs=1e-7)]


def test_the_queryables_are_a_json_schema_of_the_filters(client: TestClient) -> None:
    schema = _json(client, "/ogc/collections/stations/queryables", "application/schema+json")
    assert schema["type"] == "object" and schema["$schema"].startswith("https://json-schema.org/")
    props = schema["properties"]
    assert set(props) == {"amenities", "kind", "access", "district_code"}
    assert props["amenities"]["items"]["enum"] == list(CODES)
    assert props["kind"]["enum"] == [k.value for k in Kind]
    assert props["access"]["enum"] == [a.value for a in Access]


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections/lakes",
        "/ogc/collections/lakes/items",
        "/ogc/collections/lakes/queryables",
        "/ogc/collections/stations/items/no-such-station",
        "/ogc/nothing/here",
    ],
)
def test_what_does_not_exist_is_a_404_problem(client: TestClient, path: str) -> None:
    assert_ogc_problem(client.get(path), 404, "NotFound")


def test_other_methods_are_refused_with_the_allowed_ones(client: TestClient) -> None:
    for path in ("/ogc", "/ogc/collections", f"{ITEMS}/demo-610102-001"):
        response = client.post(path)
        assert response.status_code == 405, path
        assert response.headers["allow"] == "GET, HEAD"


def test_the_main_openapi_document_leaves_ogc_to_its_own(client: TestClient) -> None:
    paths = _json(client, "/openapi.json")["paths"]
    assert not [p for p in paths if p.startswith("/ogc")]


# -- items: the same stations as GET /v1/stations ------------------------------------------


def test_items_are_the_v1_listing_feature_for_feature(
    client: TestClient, demo_listing: list[Feature]
) -> None:
    items = follow(client.get, f"{ITEMS}?limit=50")
    assert ids(items) == ids(demo_listing) == sorted(ids(demo_listing))
    for item, listed in zip(items, demo_listing, strict=True):
        assert item == listed  # geometry (lon, lat in CRS84) and every property


def test_one_item_is_its_entry_in_the_items(client: TestClient) -> None:
    items = follow(client.get, f"{ITEMS}?limit=10000")
    for wanted in items[::40]:
        item = _json(client, f"{ITEMS}/{wanted['id']}", GEOJSON)
        rels = _rels(item)
        assert rels["self"]["href"] == f"http://testserver{ITEMS}/{wanted['id']}"
        assert rels["collection"]["href"] == "http://testserver/ogc/collections/stations"
        del item["links"]
        assert item == wanted


def test_paging_links_are_geojson_and_cover_every_station_once(client: TestClient) -> None:
    first = _json(client, f"{ITEMS}?limit=7", GEOJSON)
    assert first["numberReturned"] == 7 and first["numberMatched"] == 203
    assert first["timeStamp"].endswith("Z")
    assert {x["type"] for x in first["links"]} == {GEOJSON}
    assert "prev" not in _rels(first)
    second = _json(client, next_link(first) or "", GEOJSON)
    assert _json(client, _rels(second)["prev"]["href"], GEOJSON)["features"] == first["features"]
    everything = follow(client.get, f"{ITEMS}?limit=7")
    assert len(everything) == len(set(ids(everything))) == 203


def test_the_default_limit_is_ten(client: TestClient) -> None:
    page = _json(client, ITEMS, GEOJSON)
    assert (page["numberReturned"], len(page["features"])) == (10, 10)


def test_a_limit_above_the_maximum_is_capped_not_refused(big_client: TestClient) -> None:
    for limit in (MAX_LIMIT, MAX_LIMIT + 1, 10**30):
        page = _json(big_client, f"{ITEMS}?limit={limit}", GEOJSON)
        assert page["numberReturned"] == len(page["features"]) == MAX_LIMIT
        assert page["numberMatched"] > MAX_LIMIT
        assert f"limit={MAX_LIMIT}" in (next_link(page) or "")


def test_the_whole_big_collection_is_the_v1_listing(
    big_client: TestClient, big_listing: list[Feature]
) -> None:
    assert 0 < BIG - len(big_listing) < BIG // 20  # some retired, left out
    assert ids(follow(big_client.get, f"{ITEMS}?limit=10000")) == ids(big_listing)


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5", "", "1e3", "+5", " 5", "１０"])
def test_a_limit_that_is_no_positive_whole_number_is_refused(
    client: TestClient, limit: str
) -> None:
    body = assert_ogc_problem(
        client.get(ITEMS, params={"limit": limit}), 400, "InvalidParameterValue"
    )
    assert body["errors"][0]["field"] == "limit" and "limit" in body["detail"]


@pytest.mark.parametrize("offset", ["-1", "x", "1.0", ""])
def test_a_bad_offset_is_refused(client: TestClient, offset: str) -> None:
    assert_ogc_problem(client.get(ITEMS, params={"offset": offset}), 400, "InvalidParameterValue")


def test_an_offset_past_the_end_is_an_empty_page(client: TestClient) -> None:
    page = _json(client, f"{ITEMS}?offset=500&limit=3", GEOJSON)
    assert page["features"] == [] and page["numberMatched"] == 203
    assert next_link(page) is None


# -- filters against brute force -----------------------------------------------------------


def _inside(feature: Feature, box: Sequence[float]) -> bool:
    lon, lat = (float(x) for x in feature["geometry"]["coordinates"])
    west, south, east, north = box
    across = lon >= west or lon <= east  # the box crosses the antimeridian
    return south <= lat <= north and (west <= lon <= east if west <= east else across)


@pytest.mark.parametrize(
    "bbox",
    [
        "108.9,34.2,109.0,34.3",
        "108.90,34.20,0,109.00,34.30,100",  # the 6-number form: heights ignored
        "-180,-90,180,90",
        "170,-90,-170,90",  # crosses the antimeridian: nothing in Xi'an
        "108.946355,34.283069,108.946355,34.283069",  # one station's position: boundary kept
        "0,0,1,1",
    ],
)
def test_bbox_keeps_exactly_the_stations_inside(
    client: TestClient, demo_listing: list[Feature], bbox: str
) -> None:
    numbers = [float(x) for x in bbox.split(",")]
    box = [numbers[0], numbers[1], numbers[3], numbers[4]] if len(numbers) == 6 else numbers
    expected = [f["id"] for f in demo_listing if _inside(f, box)]
    assert ids(follow(client.get, f"{ITEMS}?bbox={bbox}&limit=37")) == expected


def test_bbox_over_the_big_store(big_client: TestClient, big_listing: list[Feature]) -> None:
    rng = random.Random(3)
    for _ in range(5):
        west, south = XIAN[0] + rng.uniform(-0.3, 0.2), XIAN[1] + rng.uniform(-0.3, 0.2)
        box = (round(west, 4), round(south, 4), round(west + 0.1, 4), round(south + 0.1, 4))
        expected = [f["id"] for f in big_listing if _inside(f, box)]
        url = f"{ITEMS}?bbox={','.join(map(str, box))}&limit=500"
        assert ids(follow(big_client.get, url)) == expected


FILTERS: list[dict[str, str]] = [
    {"amenities": "water"},
    {"amenities": "water,microwave"},
    {"amenities": "aed,toilet, seating"},
    {"kind": "service_point"},
    {"access": "union_members"},
    {"district_code": "610103"},
    {"district_code": "610401"},  # a district with no station
    {"kind": "love_station", "access": "public", "amenities": "water"},
    {"district_code": "610112", "amenities": "phone_charging", "bbox": "108.8,34.1,109.0,34.3"},
]


def _passes(feature: Feature, where: dict[str, str]) -> bool:
    props = feature["properties"]
    wanted = {c.strip() for c in where.get("amenities", "").split(",") if c.strip()}
    box = where.get("bbox")
    return (
        wanted <= working_amenities(feature)
        and all(props[k] == where[k] for k in ("kind", "access", "district_code") if k in where)
        and (box is None or _inside(feature, [float(x) for x in box.split(",")]))
    )


@pytest.mark.parametrize("where", FILTERS, ids=lambda w: "&".join(f"{k}={v}" for k, v in w.items()))
def test_queryables_filter_exactly_as_brute_force(
    big_client: TestClient, big_listing: list[Feature], where: dict[str, str]
) -> None:
    expected = [f["id"] for f in big_listing if _passes(f, where)]
    assert expected or where == {"district_code": "610401"}  # the oracle has something to find
    query = "&".join(f"{k}={v}" for k, v in where.items())
    found = follow(big_client.get, f"{ITEMS}?{query}&limit=2000")
    assert ids(found) == expected


def test_an_amenity_out_of_order_does_not_count(
    big_client: TestClient, big_listing: list[Feature]
) -> None:
    broken = next(f for f in big_listing if f["properties"]["out_of_order"])
    code = next(iter(broken["properties"]["out_of_order"]))
    found = ids(follow(big_client.get, f"{ITEMS}?amenities={code}&limit=10000"))
    assert broken["id"] not in found


@pytest.mark.parametrize(
    "datetime_",
    [
        "2026-03-11T10:00:00Z",
        "2026-03-11T10:00:00.123456789+08:00",
        "2026-03-11T10:00:00 08:00",  # "+" unencoded in a query string arrives as a space
        "2026-03-11",
        "2026-01-01T00:00:00Z/2026-12-31T23:59:60Z",
        "../2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z/..",
        "/2026-01-01T00:00:00Z",
    ],
)
def test_datetime_is_accepted_and_keeps_every_station(client: TestClient, datetime_: str) -> None:
    # Stations have no temporal geometry: OGC 17-069r4 /req/core/fc-time-response C.
    response = client.get(ITEMS, params={"datetime": datetime_})
    assert response.status_code == 200, response.text
    assert response.json()["numberMatched"] == 203


# -- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"amenity": "water"}, "amenity", "OptionNotSupported"),
        ({"crs": CRS84}, "crs", "OptionNotSupported"),
        ({"filter": "kind='x'"}, "filter", "OptionNotSupported"),
        ({"amenities": "water,sauna"}, "amenities", "InvalidParameterValue"),
        ({"kind": "hotel"}, "kind", "InvalidParameterValue"),
        ({"access": "everyone"}, "access", "InvalidParameterValue"),
        ({"district_code": "6101"}, "district_code", "InvalidParameterValue"),
        ({"datetime": "yesterday"}, "datetime", "InvalidParameterValue"),
        ({"datetime": "2026-02-30"}, "datetime", "InvalidParameterValue"),
        ({"datetime": "../.."}, "datetime", "InvalidParameterValue"),
        ({"datetime": "2026-03-11T10:00:00"}, "datetime", "InvalidParameterValue"),  # no offset
        ({"datetime": "2026-03-11T10:00:61Z"}, "datetime", "InvalidParameterValue"),
        ({"f": "html"}, "f", "InvalidParameterValue"),
    ],
)
def test_unknown_parameters_and_bad_values_are_400_problems(
    client: TestClient, params: dict[str, str], field: str, code: str
) -> None:
    body = assert_ogc_problem(client.get(ITEMS, params=params), 400, code)
    assert field in body["detail"] and body["errors"][0]["field"] == field


@pytest.mark.parametrize("path", ["/ogc", "/ogc/conformance", "/ogc/collections/stations"])
def test_metadata_takes_no_parameter_but_f(client: TestClient, path: str) -> None:
    assert client.get(path, params={"f": "json"}).status_code == 200
    assert_ogc_problem(client.get(path, params={"limit": "5"}), 400, "OptionNotSupported")


@pytest.mark.parametrize(
    "bbox",
    [
        "1,2,3",  # three numbers
        "1,2,3,4,5",  # five
        "108.9,34.2,109.0,34.3,1,2,3",  # seven
        "108.9,34.2,109.0,north",
        "108.9,nan,109.0,34.3",
        "108.9,34.2,109.0,1e999",
        "108.9,34.3,109.0,34.2",  # min_lat above max_lat
        "181,34.2,109.0,34.3",  # longitude out of range
        "108.9,-91,109.0,34.3",  # latitude out of range
        "108.9,34.2,5,109.0,34.3,1",  # the lower height above the upper
        "",
    ],
)
def test_a_bad_bbox_is_a_400_problem_naming_it(client: TestClient, bbox: str) -> None:
    response = client.get(ITEMS, params={"bbox": bbox})
    body = assert_ogc_problem(response, 400, "InvalidParameterValue")
    assert response.headers["content-type"] == "application/problem+json"
    assert body["errors"][0]["field"] == "bbox" and "bbox" in body["detail"]


def test_a_reader_who_prefers_chinese_gets_chinese(client: TestClient) -> None:
    headers = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    body = assert_ogc_problem(
        client.get(ITEMS, params={"bbox": "1,2,3"}, headers=headers), 400, "InvalidParameterValue"
    )
    assert "逗号" in body["detail"] and body["description"] == body["detail"]
    english = client.get(ITEMS, params={"bbox": "1,2,3"}, headers={"Accept-Language": "en"})
    assert "comma-separated" in english.json()["detail"]
    assert "没有集合" in client.get("/ogc/collections/x", headers=headers).json()["detail"]


# -- a retired station leaves the collection -----------------------------------------------


def test_a_retired_station_is_gone_from_the_items(tmp_path: Path) -> None:
    with admin_env(tmp_path) as env:
        client = env.client
        before = ids(follow(client.get, f"{ITEMS}?limit=9"))
        station_id = before[3]
        assert _json(client, f"{ITEMS}/{station_id}", GEOJSON)["id"] == station_id
        retired = client.delete(
            f"/v1/stations/{station_id}", headers=env.auth("admin") | if_match(1)
        )
        assert retired.status_code == 200, retired.text
        assert_ogc_problem(client.get(f"{ITEMS}/{station_id}"), 404, "NotFound")
        after = ids(follow(client.get, f"{ITEMS}?limit=9"))
        assert after == [i for i in before if i != station_id] == ids(v1_features(client.get))
