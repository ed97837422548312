"""Real OGC clients read /ogc: OWSLib and GDAL's OAPIF driver (through pyogrio) against a real
``yizhan serve``, the way QGIS pages (only ``next`` links typed application/geo+json), and
ogcapi-registry's check of the OpenAPI document against the conformance classes the server
declares. The oracle for "every station" is
``GET /v1/stations``, paged through in full."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pyogrio
import pytest
from fastapi.testclient import TestClient
from ogcapi_registry import (
    FeaturesStrategy,
    get_default_registry,
    parse_conformance_classes,
    validate_conformance,
    validate_ogc_api,
    validate_openapi_with_pydantic,
)
from owslib.ogcapi.features import Features

from tests.api.ogc import CONF, GEOJSON, ITEMS, follow, ids, next_link, v1_features
from tests.api.test_workers import serving, wait_ready

OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
ITEMS_PATH = "/collections/stations/items"  # in the document, relative to its server /ogc


@pytest.fixture(scope="module")
def server(demo_db: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``yizhan serve`` over the demo stations; its base URL."""
    with serving(demo_db, tmp_path_factory.mktemp("ogc-serve") / "serve.log") as running:
        wait_ready(running)
        yield running.url


@pytest.fixture(scope="module")
def v1_ids(server: str) -> list[str]:
    with httpx.Client(base_url=server, timeout=10.0) as http:
        return ids(v1_features(http.get))


def _rel(body: dict[str, Any], rel: str, media_type: str) -> str:
    (href,) = [x["href"] for x in body["links"] if x["rel"] == rel and x["type"] == media_type]
    return str(href)


def test_owslib_reads_the_service_and_pages_through_every_station(
    server: str, v1_ids: list[str]
) -> None:
    api = Features(f"{server}/ogc")
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= {
        x["rel"] for x in api.links
    }
    assert {f"{CONF}core", f"{CONF}geojson", f"{CONF}oas30"} <= set(api.conformance()["conformsTo"])
    assert api.api()["openapi"].startswith("3.0.")  # found by its service-desc media type
    assert api.feature_collections() == ["stations"]
    assert api.collection("stations")["itemType"] == "feature"
    assert set(api.collection_queryables("stations")["properties"]) == {
        "amenities", "kind", "access", "district_code",
    }  # fmt: skip
    page = api.collection_items("stations", limit=7)
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        assert page["numberReturned"] == len(page["features"]) <= 7
        seen.extend(ids(page["features"]))
        href = next_link(page)
        if href is None:
            break
        parts = urlsplit(href)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{server}{ITEMS}"
        page = api.collection_items("stations", **dict(parse_qsl(parts.query)))
    assert pages == -(-len(v1_ids) // 7)
    assert seen == v1_ids and len(set(seen)) == len(seen)
    one = api.collection_item("stations", v1_ids[-1])
    assert one["id"] == v1_ids[-1] and one["geometry"]["type"] == "Point"
    assert page["numberMatched"] == len(v1_ids)


def test_paging_as_qgis_does_reaches_every_station(server: str, v1_ids: list[str]) -> None:
    """QGIS: landing page → ``data`` → the collection's ``items`` link typed GeoJSON, with its
    page size, then ``next`` links typed GeoJSON only."""
    accept = {"Accept": "application/geo+json, application/json;q=0.8"}
    with httpx.Client(timeout=10.0, headers=accept) as http:
        landing = http.get(f"{server}/ogc").json()
        collections = http.get(_rel(landing, "data", "application/json")).json()
        (stations,) = collections["collections"]
        items = _rel(stations, "items", GEOJSON)
        features = follow(http.get, f"{items}?limit=7")
    assert ids(features) == v1_ids and len(set(ids(features))) == len(v1_ids)


def test_qgis_finds_the_page_size_and_the_simple_queryables(client: TestClient) -> None:
    """What QGIS's QgsOapifApiRequest reads of the service-desc document: the page size's
    default and maximum at components/parameters/limit, and, per collection, the "simple
    queryables": the items path's query parameters (style form, not exploded, a schema type)
    other than limit, bbox, crs, datetime and filter, its collection the literal id in the
    path. QGIS then sends a layer filter such as "kind" = 'service_point' as ?kind=…"""
    document = client.get("/ogc/api").json()
    limit = document["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"]) == (10, 10_000)
    simple = {
        p["name"]
        for p in document["paths"][ITEMS_PATH]["get"]["parameters"]
        if p["in"] == "query" and p["style"] == "form" and p["explode"] is False
        and isinstance(p["schema"].get("type"), str)
        and p["name"] not in {"limit", "bbox", "bbox-crs", "crs", "datetime", "filter"}
    }  # fmt: skip
    assert {"amenities", "kind", "access", "district_code"} <= simple
    queryables = client.get("/ogc/collections/stations/queryables").json()["properties"]
    assert set(queryables) <= simple
    answer = client.get(f"{ITEMS}?kind=service_point&limit=1000").json()
    assert {f["properties"]["kind"] for f in answer["features"]} == {"service_point"}


def test_gdal_reads_every_station(server: str, v1_ids: list[str]) -> None:
    """``ogr2ogr out.gpkg OAPIF:http://HOST:8000/ogc stations`` (README) reads what this reads."""
    source = f"OAPIF:{server}/ogc"
    assert [list(layer) for layer in pyogrio.list_layers(source)] == [["stations", "Point"]]
    frame = pyogrio.read_dataframe(source, layer="stations", PAGE_SIZE="50")
    assert list(frame["id"]) == v1_ids
    assert frame.crs is not None and frame.crs.to_epsg() == 4326


def test_ogcapi_registry_finds_the_document_true_to_the_declared_classes(
    client: TestClient,
) -> None:
    landing = client.get("/ogc").json()
    response = client.get(_rel(landing, "service-desc", OPENAPI_30))
    assert response.headers["content-type"] == OPENAPI_30
    document = response.json()
    declared = client.get(_rel(landing, "conformance", "application/json")).json()

    report = validate_conformance(declared["conformsTo"])
    assert report.unrecognised == () and report.specifications == ("ogcapi-features-1",)
    classes = parse_conformance_classes(declared)
    assert isinstance(get_default_registry().get_for_conformance(classes), FeaturesStrategy)
    result = validate_ogc_api(document, declared)
    assert result.is_valid and result.errors == (), result.errors
    direct = FeaturesStrategy().validate(document, classes)
    assert direct.is_valid and direct.errors == () and direct.warnings == (), direct
    structure = validate_openapi_with_pydantic(document)
    assert structure.is_valid, structure.errors
    # The strategy checks the items' limit and bbox only on a templated items path
    # (/collections/{collectionId}/items); this document writes its one collection's paths
    # out, as pygeoapi does (ogcapi-registry's own docstrings call both forms the same
    # operation), so the same check is made here.
    items = document["paths"][ITEMS_PATH]["get"]
    assert {"limit", "bbox", "datetime"} <= {p["name"] for p in items["parameters"]}
    assert {"200", "400"} <= set(items["responses"])
