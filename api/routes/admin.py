"""Admin routes: create, edit, retire and revert stations; read their history.

Every write needs ``Authorization: Bearer <token>``; every change to an existing station needs
``If-Match`` with the ETag the editor read. The serving process sees a write at once (its
snapshot is rebuilt); other processes within ``YIZHAN_REFRESH_S``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Concatenate, ParamSpec

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.types import DecoratedCallable
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.auth import ExpectedVersion, StoreDep, TokenDep
from api.deps import LiveDep
from api.instants import utc_text
from api.openapi import json_body
from api.params.common import CrsParams
from api.presenter import report_json, station_feature
from api.responses import GeoJSONResponse
from api.schemas import (
    AmenitiesReplace,
    AmenityStateBody,
    StationCreate,
    StationFeature,
    StationUpdate,
    problem_responses,
)
from geo.crs import CoordinateSystem
from stations.editing import edits as editing
from stations.editing.tokens import Token
from stations.errors import InvalidInput, Problem
from stations.hours import SHANGHAI
from stations.model import Station, StationId
from stations.reading.catalog import opening_status
from stations.reading.live import LiveCatalog
from stations.store.base import StationStore

router = APIRouter(
    prefix="/v1",
    tags=["admin"],
    responses=problem_responses(401, 403, 404, 412, 413, 422, 428),
)

P = ParamSpec("P")


class RevertParams(CrsParams):
    to_version: Annotated[int, Query(ge=1, le=10**9, description="The version to restore.")]


class CreateParams(CrsParams):
    allow_duplicates: Annotated[
        bool,
        Field(
            description="Create the station even when it is a likely duplicate (within 30 m "
            "of a station that is not retired, with a similar name); without it that is a 409 "
            "naming the station."
        ),
    ] = False


@dataclass(frozen=True)
class Editor:
    """What every write needs: who writes (the bearer's token), to which store, and the live
    snapshot to refresh once it is written."""

    token: Token
    store: StationStore
    live: LiveCatalog

    async def write(
        self,
        edit: Callable[Concatenate[StationStore, Token, P], Station],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Station:
        """``edit(store, token, *args, **kwargs)``, run off the event loop."""
        return await run_in_threadpool(edit, self.store, self.token, *args, **kwargs)

    async def apply(
        self,
        q: CrsParams,
        edit: Callable[Concatenate[StationStore, Token, P], Station],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Response:
        """Write as :meth:`write` does; answer with the station written, in ``q.crs``, and
        its ETag."""
        return await _written(await self.write(edit, *args, **kwargs), q, self.live)


@dataclass(frozen=True)
class StationEditor(Editor):
    """An editor of an existing station, at the version its If-Match names."""

    station_id: StationId
    version: int


async def _editor(token: TokenDep, store: StoreDep, live: LiveDep) -> Editor:
    return Editor(token, store, live)


EditorDep = Annotated[Editor, Depends(_editor)]


async def _station_editor(
    station_id: str, editor: EditorDep, version: ExpectedVersion
) -> StationEditor:
    return StationEditor(editor.token, editor.store, editor.live, StationId(station_id), version)


StationEditorDep = Annotated[StationEditor, Depends(_station_editor)]
CrsQuery = Annotated[CrsParams, Query()]


def _write_route(
    method: str, path: str, operation_id: str, **options: Any
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A write route: answers the station written as a GeoJSON Feature."""
    return router.api_route(
        path,
        methods=[method],
        operation_id=operation_id,
        response_class=GeoJSONResponse,
        response_model=StationFeature,
        **options,
    )


@_write_route(
    "POST",
    "/stations",
    "createStation",
    status_code=201,
    responses=problem_responses(409),
    openapi_extra={"requestBody": json_body(StationCreate)},
)
async def create_station(
    request: Request, editor: EditorDep, q: Annotated[CreateParams, Query()]
) -> Response:
    """Add a station (position in `crs`); answers 201 with its Location and ETag, or 409 when
    it is a likely duplicate of a station that is not retired."""
    body = await json_object(request)
    # The snapshot as of now: its index finds the stations near the new one.
    catalog = await run_in_threadpool(editor.live.refresh)
    station = await editor.write(
        editing.create_station,
        body,
        q.crs,
        allow_duplicates=q.allow_duplicates,
        nearby=catalog.near,
    )
    response = await _written(station, q, editor.live)
    response.status_code = 201
    response.headers["Location"] = f"/v1/stations/{station.id}"
    return response


@_write_route(
    "PATCH",
    "/stations/{station_id}",
    "patchStation",
    openapi_extra={
        "requestBody": json_body(
            StationUpdate, media_types=("application/json", "application/merge-patch+json")
        )
    },
)
async def patch_station(request: Request, editor: StationEditorDep, q: CrsQuery) -> Response:
    """Change fields by JSON merge patch (RFC 7396); null clears an optional field."""
    patch = await json_object(request)
    return await editor.apply(
        q,
        editing.patch_station,
        editor.station_id,
        patch,
        expected_version=editor.version,
        crs=q.crs,
    )


@_write_route(
    "PUT",
    "/stations/{station_id}/amenities",
    "replaceStationAmenities",
    openapi_extra={"requestBody": json_body(AmenitiesReplace)},
)
async def replace_amenities(request: Request, editor: StationEditorDep, q: CrsQuery) -> Response:
    """Replace the amenity set: a JSON list of codes, or {"amenities": [...]}."""
    codes = _amenity_codes(await _json_value(request))
    return await editor.apply(
        q, editing.replace_amenities, editor.station_id, codes, expected_version=editor.version
    )


def _amenity_codes(body: Any) -> list[Any]:
    """The list of codes a body sends, bare or as {"amenities": [...]}."""
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
    return body


@_write_route(
    "PUT",
    "/stations/{station_id}/amenities/{code}",
    "setStationAmenityState",
    openapi_extra={"requestBody": json_body(AmenityStateBody)},
)
async def set_amenity_state(
    code: str, request: Request, editor: StationEditorDep, q: CrsQuery
) -> Response:
    """Mark a listed amenity out of order (it stays listed, shown as out of order, and no longer
    satisfies an amenity filter) or working again: {"state": "out_of_order" | "working"}, with
    an optional "since" instant."""
    body = await json_object(request)
    return await editor.apply(
        q,
        editing.set_amenity_state,
        editor.station_id,
        code,
        body,
        expected_version=editor.version,
    )


@_write_route("POST", "/stations/{station_id}/verify", "verifyStation")
async def verify_station(editor: StationEditorDep, q: CrsQuery) -> Response:
    """Record that you confirmed the station on site now (verified_at): a new version, audited.
    Edits never set it."""
    return await editor.apply(
        q, editing.verify_station, editor.station_id, expected_version=editor.version
    )


@_write_route("DELETE", "/stations/{station_id}", "retireStation")
async def retire_station(editor: StationEditorDep, q: CrsQuery) -> Response:
    """Retire a station: kept with its history, gone from courier results."""
    return await editor.apply(
        q, editing.retire_station, editor.station_id, expected_version=editor.version
    )


@_write_route("POST", "/stations/{station_id}/revert", "revertStation")
async def revert_station(editor: StationEditorDep, q: Annotated[RevertParams, Query()]) -> Response:
    """Restore an earlier version's fields as a new version."""
    return await editor.apply(
        q,
        editing.revert_station,
        editor.station_id,
        to_version=q.to_version,
        expected_version=editor.version,
    )


@router.get("/stations/{station_id}/history", operation_id="getStationHistory")
async def get_history(station_id: str, token: TokenDep, store: StoreDep) -> dict[str, Any]:
    """Every version of a station, newest first: who, when, what changed (before/after), the
    rider reports a version accepted; and every rider report about it."""
    current = await run_in_threadpool(store.get, StationId(station_id))
    # History names colleagues (actors): only those who may edit the station read it.
    editing.authorize(token, None, current.to_draft())
    entries = await run_in_threadpool(store.history, StationId(station_id))
    reports = await run_in_threadpool(store.reports_of, StationId(station_id))
    return {
        "station_id": station_id,
        "history": [
            {
                "version": e.version,
                "action": e.action.value,
                "actor": e.actor,
                "at": utc_text(e.at),
                "changes": e.changes,
                **({"reports": list(e.reports)} if e.reports else {}),
            }
            for e in entries
        ],
        # Every rider report about the station, open and resolved, newest first.
        "reports": [report_json(r) for r in reports],
    }


async def _written(station: Station, q: CrsParams, live: LiveCatalog) -> Response:
    return GeoJSONResponse(
        await written_feature(station, live, q.crs), headers={"ETag": f'"{station.version}"'}
    )


async def written_feature(
    station: Station, live: LiveCatalog, crs: CoordinateSystem = CoordinateSystem.WGS84
) -> dict[str, Any]:
    """The station just written, as couriers now see it (its open reports included)."""
    # This process answers couriers from the new data at once.
    catalog = await run_in_threadpool(live.refresh)
    shown = catalog.by_id.get(station.id, station)
    if shown.version != station.version:  # another write came in between: show this one's
        shown = station
    hours = opening_status(shown, datetime.now(SHANGHAI), catalog.report_rule)
    return station_feature(shown, crs, hours)


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


async def json_object(request: Request) -> dict[str, Any]:
    body = await _json_value(request)
    if not isinstance(body, dict):
        raise InvalidInput([Problem("body", "must be a JSON object of station fields")])
    return body
