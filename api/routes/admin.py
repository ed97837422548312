"""Admin routes: create, edit, retire and revert stations; read their history.

Every write needs ``Authorization: Bearer <token>``; every change to an existing station needs
``If-Match`` with the ETag the editor read. The serving process sees a write at once (its
snapshot is rebuilt); other processes within ``YIZHAN_REFRESH_S``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.auth import ExpectedVersion, StoreDep, TokenDep
from api.deps import LiveDep
from api.instants import utc_text
from api.openapi import json_body
from api.params import StationParams
from api.presenter import station_feature
from api.responses import GeoJSONResponse
from api.schemas import (
    AmenitiesReplace,
    StationCreate,
    StationFeature,
    StationUpdate,
    problem_responses,
)
from stations.editing import edits as editing
from stations.errors import InvalidInput, Problem
from stations.hours import SHANGHAI
from stations.model import Station, StationId
from stations.reading.catalog import opening_status

router = APIRouter(
    prefix="/v1",
    tags=["admin"],
    responses=problem_responses(401, 403, 404, 412, 413, 422, 428),
)


class RevertParams(StationParams):
    to_version: Annotated[int, Query(ge=1, le=10**9, description="The version to restore.")]


@router.post(
    "/stations",
    operation_id="createStation",
    status_code=201,
    response_class=GeoJSONResponse,
    response_model=StationFeature,
    responses=problem_responses(409),
    openapi_extra={"requestBody": json_body(StationCreate)},
)
async def create_station(
    request: Request,
    token: TokenDep,
    store: StoreDep,
    live: LiveDep,
    q: Annotated[StationParams, Query()],
) -> Response:
    """Add a station (position in `crs`); answers 201 with its Location and ETag."""
    body = await _json_object(request)
    station = await run_in_threadpool(editing.create_station, store, token, body, q.crs)
    response = await _written(station, q, live)
    response.status_code = 201
    response.headers["Location"] = f"/v1/stations/{station.id}"
    return response


@router.patch(
    "/stations/{station_id}",
    operation_id="patchStation",
    response_class=GeoJSONResponse,
    response_model=StationFeature,
    openapi_extra={
        "requestBody": json_body(
            StationUpdate, media_types=("application/json", "application/merge-patch+json")
        )
    },
)
async def patch_station(
    station_id: str,
    request: Request,
    token: TokenDep,
    version: ExpectedVersion,
    store: StoreDep,
    live: LiveDep,
    q: Annotated[StationParams, Query()],
) -> Response:
    """Change fields by JSON merge patch (RFC 7396); null clears an optional field."""
    patch = await _json_object(request)
    station = await run_in_threadpool(
        lambda: editing.patch_station(
            store, token, StationId(station_id), patch, expected_version=version, crs=q.crs
        )
    )
    return await _written(station, q, live)


@router.put(
    "/stations/{station_id}/amenities",
    operation_id="replaceStationAmenities",
    response_class=GeoJSONResponse,
    response_model=StationFeature,
    openapi_extra={"requestBody": json_body(AmenitiesReplace)},
)
async def replace_amenities(
    station_id: str,
    request: Request,
    token: TokenDep,
    version: ExpectedVersion,
    store: StoreDep,
    live: LiveDep,
    q: Annotated[StationParams, Query()],
) -> Response:
    """Replace the amenity set: a JSON list of codes, or {"amenities": [...]}."""
    body = await _json_value(request)
    if isinstance(body, dict):
        unknown = [k for k in body if k != "amenities"]
        if unknown or "amenities" not in body:
            raise InvalidInput(
                [Problem(k, 'is not a field here; send {"amenities": [...]}') for k in unknown]
                or [Problem("amenities", "is required")]
            )
        body = body["amenities"]
    if not isinstance(body, list):
        raise InvalidInput([Problem("amenities", "must be a list of amenity codes")])
    codes = body
    station = await run_in_threadpool(
        lambda: editing.replace_amenities(
            store, token, StationId(station_id), codes, expected_version=version
        )
    )
    return await _written(station, q, live)


@router.delete(
    "/stations/{station_id}",
    operation_id="retireStation",
    response_class=GeoJSONResponse,
    response_model=StationFeature,
)
async def retire_station(
    station_id: str,
    token: TokenDep,
    version: ExpectedVersion,
    store: StoreDep,
    live: LiveDep,
    q: Annotated[StationParams, Query()],
) -> Response:
    """Retire a station: kept with its history, gone from courier results."""
    station = await run_in_threadpool(
        lambda: editing.retire_station(
            store, token, StationId(station_id), expected_version=version
        )
    )
    return await _written(station, q, live)


@router.post(
    "/stations/{station_id}/revert",
    operation_id="revertStation",
    response_class=GeoJSONResponse,
    response_model=StationFeature,
)
async def revert_station(
    station_id: str,
    token: TokenDep,
    version: ExpectedVersion,
    store: StoreDep,
    live: LiveDep,
    q: Annotated[RevertParams, Query()],
) -> Response:
    """Restore an earlier version's fields as a new version."""
    station = await run_in_threadpool(
        lambda: editing.revert_station(
            store,
            token,
            StationId(station_id),
            to_version=q.to_version,
            expected_version=version,
        )
    )
    return await _written(station, q, live)


@router.get("/stations/{station_id}/history", operation_id="getStationHistory")
async def get_history(station_id: str, token: TokenDep, store: StoreDep) -> dict[str, Any]:
    """Every version of a station, newest first: who, when, what changed (before/after)."""
    current = await run_in_threadpool(store.get, StationId(station_id))
    # History names colleagues (actors): only those who may edit the station read it.
    editing.authorize(token, None, current.to_draft())
    entries = await run_in_threadpool(store.history, StationId(station_id))
    return {
        "station_id": station_id,
        "history": [
            {
                "version": e.version,
                "action": e.action.value,
                "actor": e.actor,
                "at": utc_text(e.at),
                "changes": e.changes,
            }
            for e in entries
        ],
    }


async def _written(station: Station, q: StationParams, live: LiveDep) -> Response:
    # This process answers couriers from the new data at once.
    await run_in_threadpool(live.refresh)
    hours = opening_status(station, datetime.now(SHANGHAI))
    return GeoJSONResponse(
        station_feature(station, q.crs, hours), headers={"ETag": f'"{station.version}"'}
    )


async def _json_value(request: Request) -> Any:
    raw = await request.body()
    try:
        # orjson refuses NaN and Infinity (not JSON) and lone surrogates.
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        error = exc
    try:
        # JSON text may escape a lone surrogate ("\ud800"); the stdlib parser reads it, so the
        # field check can name the field that holds it instead of blaming the whole body.
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidInput([Problem("body", f"is not valid JSON: {error}")]) from None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


async def _json_object(request: Request) -> dict[str, Any]:
    body = await _json_value(request)
    if not isinstance(body, dict):
        raise InvalidInput([Problem("body", "must be a JSON object of station fields")])
    return body
