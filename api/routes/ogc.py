"""OGC API – Features Part 1 (Core, GeoJSON, OpenAPI 3.0) under ``/ogc``: the stations as one
feature collection that QGIS, GDAL and OWSLib open, answered from the in-memory snapshot
``GET /v1/stations`` lists from, so both list exactly the same stations.

These routes stay out of the main ``/openapi.json`` (``include_in_schema=False``): ``/ogc/api``
is their own OpenAPI 3.0 document (``api.ogc_openapi``).
"""

from __future__ import annotations

import functools
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse, Response

from api.deps import CatalogDep
from api.instants import utc_now_text
from api.ogc_documents import (
    COLLECTION_ID,
    JSON,
    OPENAPI_JSON,
    SCHEMA_JSON,
    collection,
    collections,
    conformance,
    landing_page,
    link,
    page_links,
    queryables,
)
from api.ogc_openapi import ogc_openapi
from api.ogc_params import (
    META_PARAMS,
    OgcCode,
    check_format,
    check_names,
    items_query,
    ogc_problem,
)
from api.presenter import listing_collection
from api.problems import ProblemError
from api.routes.docs import NOSNIFF, STATIC
from api.schemas import GEOJSON
from geo.crs import CoordinateSystem
from stations.model import StationId
from stations.reading.locator import list_stations

PREFIX = "/ogc"
router = APIRouter(prefix=PREFIX, tags=["ogc"], include_in_schema=False)


def _answer(body: Any, media_type: str) -> Response:
    return Response(orjson.dumps(body), media_type=media_type)


def _base(request: Request) -> str:
    """The absolute URL of /ogc as this client reached it (behind a proxy: its root path)."""
    return str(request.base_url).rstrip("/") + PREFIX


def _metadata(request: Request) -> str:
    """Check a metadata request's parameters (``f`` only); the base URL."""
    check_names(request, META_PARAMS)
    check_format(request)
    return _base(request)


def _known_collection(request: Request, collection_id: str) -> None:
    if collection_id != COLLECTION_ID:
        raise ogc_problem(
            request, HTTPStatus.NOT_FOUND, OgcCode.NOT_FOUND,
            f"no collection {collection_id!r}; the one collection is {COLLECTION_ID!r}",
            f"没有集合 {collection_id!r}；唯一的集合是 {COLLECTION_ID!r}",
        )  # fmt: skip


@router.get("")
@router.get("/")
async def get_landing_page(request: Request) -> Response:
    """The landing page: links to the API definition, conformance and the collections."""
    base = _metadata(request)
    return _answer(landing_page(base, f"{base}/docs"), JSON)


@router.get("/api")
async def get_api_definition(request: Request) -> Response:
    """The OpenAPI 3.0 document of /ogc."""
    return _answer(_openapi_document(_metadata(request)), OPENAPI_JSON)


@functools.lru_cache(maxsize=8)
def _openapi_document(base: str) -> dict[str, Any]:
    # One per host name clients use (localhost, the LAN address, a proxy's name).
    return ogc_openapi(base)


@router.get("/docs")
async def get_api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over /ogc/api, from the vendored copy /docs uses (no CDN)."""
    root = str(request.scope.get("root_path", "")).rstrip("/")  # as api.routes.docs does
    page = get_swagger_ui_html(
        openapi_url=f"{root}{PREFIX}/api",
        title="Yizhan 驿站 OGC API – Features - Swagger UI",
        swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC}/favicon-32x32.png",
    )
    page.headers.update({"Cache-Control": "no-cache", **NOSNIFF})
    return page


@router.get("/conformance")
async def get_conformance(request: Request) -> Response:
    """The conformance classes: Core, GeoJSON, OpenAPI 3.0."""
    _metadata(request)
    return _answer(conformance(), JSON)


@router.get("/collections")
async def get_collections(request: Request, catalog: CatalogDep) -> Response:
    """The feature collections: one, ``stations``."""
    return _answer(collections(_metadata(request), catalog), JSON)


@router.get("/collections/{collection_id}")
async def describe_collection(
    request: Request, catalog: CatalogDep, collection_id: str
) -> Response:
    """The stations collection: extent, CRS, links."""
    base = _metadata(request)
    _known_collection(request, collection_id)
    return _answer(collection(base, catalog), JSON)


@router.get("/collections/{collection_id}/queryables")
async def get_queryables(request: Request, collection_id: str) -> Response:
    """What the items filter on, as a JSON Schema."""
    base = _metadata(request)
    _known_collection(request, collection_id)
    return _answer(queryables(base), SCHEMA_JSON)


@router.get("/collections/{collection_id}/items")
async def get_features(request: Request, catalog: CatalogDep, collection_id: str) -> Response:
    """A page of stations ordered by id, with self/next/prev links."""
    _known_collection(request, collection_id)
    q = items_query(request)
    page = list_stations(catalog, q)
    links = page_links(
        str(request.url), offset=q.offset, limit=q.limit, returned=len(page.stations),
        matched=page.matched,
    )  # fmt: skip
    stations = [s for _, s in page.stations]
    body = listing_collection(stations, CoordinateSystem.WGS84, matched=page.matched, links=links)
    body["timeStamp"] = utc_now_text("seconds")
    return _answer(body, GEOJSON)


@router.get("/collections/{collection_id}/items/{feature_id}")
async def get_feature(
    request: Request, catalog: CatalogDep, collection_id: str, feature_id: str
) -> Response:
    """One station, as it appears in the items (a retired station is not one)."""
    base = _metadata(request)
    _known_collection(request, collection_id)
    position = catalog.position_of(StationId(feature_id))
    if position is None:
        raise ogc_problem(
            request, HTTPStatus.NOT_FOUND, OgcCode.NOT_FOUND,
            f"no station {feature_id!r} in {COLLECTION_ID!r}",
            f"{COLLECTION_ID!r} 中没有站点 {feature_id!r}",
        )  # fmt: skip
    station = catalog.visible[position]
    listed = listing_collection([station], CoordinateSystem.WGS84, matched=1, links=[])
    feature: dict[str, Any] = listed["features"][0]
    here = f"{base}/collections/{COLLECTION_ID}"
    feature["links"] = [
        link(str(request.url), "self", GEOJSON, "This station"),
        link(here, "collection", JSON, "The collection it belongs to"),
    ]
    return _answer(feature, GEOJSON)


#: Methods other than GET (HEAD is GET to the app, api.middleware.head) that reach /ogc.
_OTHER_METHODS = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@router.api_route("", methods=_OTHER_METHODS)
@router.api_route("/{rest:path}", methods=["GET", *_OTHER_METHODS])
async def no_such_resource(request: Request, rest: str = "") -> Response:
    """Anything else under /ogc: 404 in the OGC shape, or 405 for another method on one of
    the resources above (all read-only). Answered here because the app's 405 handler finds
    the allowed methods in the main OpenAPI document, which these routes are not in."""
    path = request.url.path
    if request.method != "GET" and any(
        route.endpoint is not no_such_resource and route.path_regex.fullmatch(path)
        for route in router.routes
        if isinstance(route, APIRoute)
    ):
        raise ProblemError(
            HTTPStatus.METHOD_NOT_ALLOWED, "use one of: GET, HEAD", headers={"Allow": "GET, HEAD"}
        )
    raise ogc_problem(
        request, HTTPStatus.NOT_FOUND, OgcCode.NOT_FOUND,
        f"no such resource: {path}; start at {PREFIX}",
        f"没有此资源：{path}；请从 {PREFIX} 开始",
    )  # fmt: skip
