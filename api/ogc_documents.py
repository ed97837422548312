"""The metadata documents of ``/ogc`` (OGC API – Features Part 1, OGC 17-069r4): landing page,
conformance declaration, the ``stations`` collection and its queryables, as plain JSON values.

Pure functions of the API's base URL (absolute, e.g. ``http://host:8000/ogc``) and the catalog,
so the routes stay thin and the tests can call them.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.datastructures import URL

from api.ogc_params import ADCODE
from api.schemas import GEOJSON
from stations.amenities import VOCABULARY
from stations.model import Access, Kind
from stations.reading.catalog import Catalog

Json = dict[str, Any]

COLLECTION_ID: Final = "stations"
CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
JSON: Final = "application/json"
SCHEMA_JSON: Final = "application/schema+json"
OPENAPI_JSON: Final = "application/vnd.oai.openapi+json;version=3.0"
HTML: Final = "text/html"
_CONF: Final = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CONFORMANCE: Final = (f"{_CONF}core", f"{_CONF}geojson", f"{_CONF}oas30")
QUERYABLES_REL: Final = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

TITLE: Final = "Yizhan 驿站: courier rest stations"
DESCRIPTION: Final = (
    "Courier rest stations (爱心驿站) and service points as OGC API – Features, from the same "
    "data the Yizhan API serves: every station couriers may see (retired ones are not listed), "
    "WGS-84 longitude/latitude (CRS84), ordered by id."
)
COLLECTION_TITLE: Final = "驿站 Courier rest stations"
COLLECTION_DESCRIPTION: Final = (
    "爱心驿站与服务点：位置、设施、开放时间。Courier rest stations and service points with "
    "their amenities, opening hours (OSM syntax, Asia/Shanghai) and who may use them. "
    "Filter with bbox and the queryables amenities, kind, access, district_code."
)


def link(href: str, rel: str, media_type: str, title: str) -> Json:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def landing_page(base: str, docs_url: str) -> Json:
    """The landing page (/req/core/root-success): what the API is and where everything is."""
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "links": [
            link(base, "self", JSON, "This document"),
            link(f"{base}/api", "service-desc", OPENAPI_JSON, "The API definition (OpenAPI 3.0)"),
            link(docs_url, "service-doc", HTML, "The API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "Conformance classes implemented"),
            link(f"{base}/collections", "data", JSON, "The feature collections"),
        ],
    }


def conformance() -> Json:
    return {"conformsTo": list(CONFORMANCE)}


def collections(base: str, catalog: Catalog) -> Json:
    return {
        "links": [link(f"{base}/collections", "self", JSON, "This document")],
        "collections": [collection(base, catalog)],
    }


def collection(base: str, catalog: Catalog) -> Json:
    """The one collection, its spatial extent the bounding box of every listed station (none
    when there are none: an empty box has no corners)."""
    here = f"{base}/collections/{COLLECTION_ID}"
    body: Json = {
        "id": COLLECTION_ID,
        "title": COLLECTION_TITLE,
        "description": COLLECTION_DESCRIPTION,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            link(here, "self", JSON, "This collection"),
            link(f"{here}/items", "items", GEOJSON, "The stations (GeoJSON)"),
            link(f"{here}/queryables", QUERYABLES_REL, SCHEMA_JSON, "What the items filter on"),
        ],
    }
    if len(catalog):
        box = [
            float(catalog.lon.min()), float(catalog.lat.min()),
            float(catalog.lon.max()), float(catalog.lat.max()),
        ]  # fmt: skip
        body["extent"] = {"spatial": {"bbox": [box], "crs": CRS84}}
    return body


def queryables(base: str) -> Json:
    """The queryables as a JSON Schema (OGC 19-079r2 §6.2 shape): each one a station property
    that the items request filters on by equality (``amenities``: has every one listed)."""
    codes = [a.code for a in VOCABULARY]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{COLLECTION_ID}/queryables",
        "type": "object",
        "title": COLLECTION_TITLE,
        "properties": {
            "amenities": {
                "title": "设施 Amenities",
                "description": "Comma-separated codes; a station is kept when it has every one "
                "in working order. 逗号分隔；驿站须全部具备（且可用）。 "
                + "; ".join(f"{a.code} {a.zh} {a.en}" for a in VOCABULARY),
                "type": "array",
                "items": {"type": "string", "enum": codes},
            },
            "kind": {
                "title": "类型 Kind",
                "description": "love_station 爱心驿站, service_point 服务点",
                "type": "string",
                "enum": [k.value for k in Kind],
            },
            "access": {
                "title": "开放对象 Access",
                "description": "Who may use it: public 公众, outdoor_workers 户外劳动者, "
                "union_members 工会会员",
                "type": "string",
                "enum": [a.value for a in Access],
            },
            "district_code": {
                "title": "行政区划代码 District adcode",
                "description": "The whole 6-digit adcode, e.g. 610103 (西安市碑林区)",
                "type": "string",
                "pattern": ADCODE,
            },
        },
        "additionalProperties": False,
    }


def page_links(url: str, *, offset: int, limit: int, returned: int, matched: int) -> list[Json]:
    """self, and next/prev when there are more stations that way; all typed GeoJSON, since
    clients such as QGIS follow a ``next`` link only when its type is application/geo+json."""
    here = URL(url)
    links = [link(str(here), "self", GEOJSON, "This page")]
    if offset + returned < matched:
        after = here.include_query_params(offset=offset + returned, limit=limit)
        links.append(link(str(after), "next", GEOJSON, "Next page"))
    if offset > 0:
        before = here.include_query_params(offset=max(0, offset - limit), limit=limit)
        links.append(link(str(before), "prev", GEOJSON, "Previous page"))
    return links
