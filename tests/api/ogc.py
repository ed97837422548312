"""Helpers for the OGC API – Features tests: paging as clients page, and the independent oracle
(``GET /v1/stations``, the listing the /ogc collection must equal, paged through in full)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import httpx

from tests.api.problem import assert_problem

GEOJSON: Final = "application/geo+json"
ITEMS: Final = "/ogc/collections/stations/items"
CONF: Final = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

Feature = dict[str, Any]
Get = Callable[[str], httpx.Response]


def next_link(body: dict[str, Any]) -> str | None:
    """The ``next`` link as QGIS takes it: only one typed application/geo+json."""
    hrefs = [x["href"] for x in body["links"] if x["rel"] == "next" and x.get("type") == GEOJSON]
    assert len(hrefs) <= 1, body["links"]
    return hrefs[0] if hrefs else None


def follow(get: Get, url: str, *, max_pages: int = 10_000) -> list[Feature]:
    """Every feature from ``url`` on, following ``next`` links; each page checked for its
    counts and its media type."""
    features: list[Feature] = []
    for _ in range(max_pages):
        response = get(url)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == GEOJSON
        body = response.json()
        assert body["numberReturned"] == len(body["features"])
        features.extend(body["features"])
        found = next_link(body)
        if found is None:
            assert len(features) == body["numberMatched"]
            return features
        url = found
    raise AssertionError(f"more than {max_pages} pages")


def v1_features(get: Get, **params: str) -> list[Feature]:
    """Every station ``GET /v1/stations`` lists (1,000 a page), in its order."""
    query = "&".join(f"{k}={v}" for k, v in {"limit": "1000", **params}.items())
    return follow(get, f"/v1/stations?{query}")


def ids(features: list[Feature]) -> list[str]:
    return [f["id"] for f in features]


def working_amenities(feature: Feature) -> set[str]:
    """What an amenity filter counts: listed and not out of order."""
    props = feature["properties"]
    return set(props["amenities"]) - set(props["out_of_order"])


def assert_ogc_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """A problem+json document (RFC 9457) that also has OGC's exception members."""
    body = assert_problem(response, status)
    assert body["code"] == code, body
    assert isinstance(body["description"], str) and body["description"].strip(), body
    return body
