"""Courier routes: nearest stations, one station, listings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Final

import numpy as np
import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from numpy.typing import NDArray
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response, StreamingResponse

from api.conditional import if_none_match_hits
from api.deps import CatalogDep
from api.instants import utc_now_text
from api.openapi import json_body, query_parameters
from api.params.batch import NearestBatchBody
from api.params.common import CrsParams
from api.params.listing import ListParams
from api.params.nearest import NearestParams
from api.presenter import (
    listing_collection,
    nearest_json,
    nearest_jsons,
    station_feature,
    timed_collection,
)
from api.problems import ProblemError
from api.responses import GeoJSONResponse
from api.routing import Routing
from api.schemas import GEOJSON, StationCollection, StationFeature, problem_responses
from geo.crs import CoordinateSystem
from geo.position import LonLat
from stations.errors import StationNotFound
from stations.hours import SHANGHAI
from stations.model import StationId
from stations.reading.batch import find_nearby_many
from stations.reading.catalog import Catalog, opening_status
from stations.reading.locator import NearbyQuery, find_nearby, list_stations


def _courier_router() -> APIRouter:
    return APIRouter(prefix="/v1", tags=["stations"], responses=problem_responses(422, 500))


router = _courier_router()


class NearestBatchResults(BaseModel):
    """The answer to a batch: ``results[i]`` answers ``points[i]``."""

    results: list[StationCollection]


def _nearest_params(request: Request) -> NearestParams:
    """The nearest query's parameters, validated by pydantic directly: FastAPI's generic
    query-model path was a large share of the answer's cost (bench/http_load.py).
    Errors are reported exactly as FastAPI reports them (RequestValidationError, loc "query")."""
    try:
        return NearestParams.model_validate(dict(request.query_params))
    except ValidationError as exc:
        errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from None


#: The courier hot path, on a router of its own: FastAPI resolving three dependencies per request
#: (repeated parameters, the catalog, the query model) was 30 % of the answer's cost in-process.
#: The route does the same three steps itself. Included before ``router`` (see api/app.py), so
#: /v1/stations/nearest is matched before /v1/stations/{station_id}.
nearest_router = _courier_router()


@nearest_router.get(
    "/stations/nearest",
    operation_id="findNearestStations",
    response_class=GeoJSONResponse,
    response_model=StationCollection,
    openapi_extra={"parameters": query_parameters(NearestParams)},
)
async def find_nearest_stations(request: Request) -> Response:
    """Stations near a position, nearest first (geodesic distance, ties by id)."""
    q = _nearest_params(request)
    catalog: Catalog = request.app.state.live.catalog
    now = datetime.now(SHANGHAI)
    query = q.to_query(now)
    origin = q.origin()
    routing: Routing = request.app.state.routing
    if (q.rank or ("time" if routing.configured else "distance")) == "time":
        timed = await run_in_threadpool(_timed_answer, catalog, origin, q.crs, query, routing)
        return GeoJSONResponse(timed)
    matches = find_nearby(catalog, origin, query)
    return Response(nearest_json(matches, origin, q.crs, query.at), media_type=GEOJSON)


@nearest_router.api_route(
    "/stations/nearest:batch", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
async def refuse_batch_method() -> None:
    """The batch takes POST only; without this route, GET would ask for a station with the id
    "nearest:batch" and answer 404."""
    raise StarletteHTTPException(HTTPStatus.METHOD_NOT_ALLOWED)


@router.post(
    "/stations/nearest:batch",
    operation_id="findNearestStationsBatch",
    response_class=JSONResponse,
    response_model=NearestBatchResults,
    responses=problem_responses(413),
    openapi_extra={"requestBody": json_body(NearestBatchBody)},
)
async def find_nearest_stations_batch(request: Request, catalog: CatalogDep) -> Response:
    """Stations near each of up to 10,000 positions: one FeatureCollection each, in order."""
    if request.query_params:
        # Filters go in the body; a query string here would otherwise be ignored.
        names = sorted(set(request.query_params))
        raise ProblemError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            f"query parameter(s) {', '.join(names)}: this endpoint takes every filter in its "
            "JSON body",
            errors=[{"field": n, "reason": "is not a parameter of this endpoint"} for n in names],
        )
    raw = await request.body()
    now = datetime.now(SHANGHAI)  # one instant for every rider, as if asked at once
    body = await run_in_threadpool(NearestBatchBody.parse, raw)
    routing: Routing = request.app.state.routing
    by_time = (body.rank or ("time" if routing.configured else "distance")) == "time"
    answer = _batch_answer(catalog, body, now, routing if by_time else None)
    return StreamingResponse(answer, media_type="application/json")


#: Features computed and encoded per step of a batch answer (~7 MB of JSON): the answer is
#: streamed, so a maximal batch holds one step in memory, not the whole 150 MB document.
BATCH_STEP_FEATURES: Final = 5000


async def _batch_answer(
    catalog: Catalog, body: NearestBatchBody, now: datetime, routing: Routing | None = None
) -> AsyncIterator[bytes]:
    """``{"results": [...]}``, one step of riders at a time, each step off the event loop so
    other requests flow; a client that leaves stops the work after the current step. With
    ``routing``, each rider ranked by ride time exactly as the single query ranks."""
    query = body.to_query(now)
    lon, lat = body.origins()
    step = max(1, BATCH_STEP_FEATURES // body.k)
    yield b'{"results":['
    for start in range(0, len(lon), step):
        chunk = slice(start, start + step)
        if routing is None:
            encoded = await run_in_threadpool(
                _batch_step, catalog, lon[chunk], lat[chunk], body.crs, query
            )
        else:
            encoded = await run_in_threadpool(
                _timed_batch_step, catalog, lon[chunk], lat[chunk], body.crs, query, routing
            )
        yield encoded if start == 0 else b"," + encoded
    yield b"]}"


def _timed_batch_step(
    catalog: Catalog,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    crs: CoordinateSystem,
    query: NearbyQuery,
    routing: Routing,
) -> bytes:
    """The riders' FeatureCollections ranked by ride time, comma-separated JSON."""
    return b",".join(
        orjson.dumps(_timed_answer(catalog, LonLat(x, y), crs, query, routing))
        for x, y in zip(lon.tolist(), lat.tolist(), strict=True)
    )


def _timed_answer(
    catalog: Catalog, origin: LonLat, crs: CoordinateSystem, query: NearbyQuery, routing: Routing
) -> dict[str, Any]:
    """One rider's answer ranked by ride time (the single query's and each batch rider's)."""
    return timed_collection(routing.rank(catalog, origin, query), origin, crs, query.at)


def _batch_step(
    catalog: Catalog,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    crs: CoordinateSystem,
    query: NearbyQuery,
) -> bytes:
    """The riders' FeatureCollections, comma-separated JSON."""
    matches = find_nearby_many(catalog, lon, lat, query)
    return b",".join(nearest_jsons(matches, lon, lat, crs, query.at))


@router.get(
    "/stations/{station_id}",
    operation_id="getStation",
    response_class=GeoJSONResponse,
    response_model=StationFeature,
    responses={304: {"description": "Not modified"}, **problem_responses(404)},
)
async def get_station(
    station_id: str,
    catalog: CatalogDep,
    q: Annotated[CrsParams, Query()],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One station as a GeoJSON Feature; its ETag is its version."""
    station = catalog.by_id.get(StationId(station_id))
    if station is None:
        raise StationNotFound(station_id)
    etag = f'"{station.version}"'
    if if_none_match is not None and if_none_match_hits(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    hours = opening_status(station, datetime.now(SHANGHAI))
    return GeoJSONResponse(station_feature(station, q.crs, hours), headers={"ETag": etag})


@router.get(
    "/stations",
    operation_id="listStations",
    response_class=GeoJSONResponse,
    response_model=StationCollection,
)
async def list_stations_route(
    request: Request, catalog: CatalogDep, q: Annotated[ListParams, Query()]
) -> GeoJSONResponse:
    """Stations in a bounding box and/or district with the given amenities, ordered by id."""
    page = list_stations(catalog, q.to_query())
    links = [{"rel": "self", "type": GEOJSON, "href": str(request.url)}]
    if q.offset + q.limit < page.matched:
        nxt = request.url.include_query_params(offset=q.offset + q.limit)
        links.append({"rel": "next", "type": GEOJSON, "href": str(nxt)})
    if q.offset > 0:
        prev = request.url.include_query_params(offset=max(0, q.offset - q.limit))
        links.append({"rel": "prev", "type": GEOJSON, "href": str(prev)})
    body = listing_collection(
        [s for _, s in page.stations], q.crs, matched=page.matched, links=links
    )
    body["timeStamp"] = utc_now_text()
    return GeoJSONResponse(body)
