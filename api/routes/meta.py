"""Service routes: the amenity vocabulary, district names, liveness and readiness."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.responses import JSONResponse, Response

from api.deps import CatalogDep, LiveDep
from api.instants import utc_text
from api.params.common import QueryModel
from api.problems import problem_response
from stations.amenities import VOCABULARY
from stations.districts import matching
from stations.reading.live import Freshness

router = APIRouter()


@router.get("/v1/amenities", operation_id="listAmenities", tags=["stations"])
async def list_amenities() -> dict[str, Any]:
    """The amenity vocabulary with Chinese and English labels."""
    return {"amenities": [{"code": a.code, "zh": a.zh, "en": a.en} for a in VOCABULARY]}


class DistrictParams(QueryModel):
    prefix: Annotated[
        str | None,
        Field(pattern=r"^[1-9][0-9]{0,5}$", description="Only adcodes starting with this"),
    ] = None


@router.get("/v1/districts", operation_id="listDistricts", tags=["stations"])
async def list_districts(q: Annotated[DistrictParams, Query()]) -> Response:
    """China's provinces, cities and counties by adcode, with their names (碑林区) and full
    names (陕西省西安市碑林区); ``prefix=6101`` gives Xi'an's. Stable: cacheable for a day."""
    body = {
        "districts": [
            {"code": d.code, "name": d.name, "full_name": d.full_name, "level": d.level}
            for d in matching(q.prefix or "")
        ]
    }
    return Response(
        orjson.dumps(body),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/healthz", operation_id="health", tags=["service"])
async def health(catalog: CatalogDep) -> dict[str, Any]:
    """Liveness: the process serves a snapshot of this many stations."""
    return {"status": "ok", "stations": len(catalog), "data_version": catalog.data_version}


@router.get(
    "/readyz",
    operation_id="readiness",
    tags=["service"],
    responses={503: {"description": "The snapshot is stale: the store has been unreachable "
                     "from this process for longer than YIZHAN_MAX_STALE_S"}},
)  # fmt: skip
async def readiness(request: Request, live: LiveDep) -> Response:
    """Readiness for a load balancer: whether the store is reachable and how old the snapshot is.

    ``state`` ``ready``: the store answered the last check. ``degraded`` (still 200): the store
    cannot be reached, courier searches are answered from the last snapshot, writes get 503. 503
    (``stale``): the snapshot has not been confirmed for longer than YIZHAN_MAX_STALE_S.
    Never touches the store itself: the refresh thread checks it at least every few seconds,
    and a probe must not queue behind a long import.
    """
    max_stale_s: float = request.app.state.settings.max_stale_s
    body = _readiness(live.freshness(), request.app.state.store_kind, max_stale_s)
    routing = request.app.state.routing
    if routing.configured:  # the ride-time engine: ready, or why answers estimate ride times
        body["routing"] = {"state": routing.state, "engine": routing.url}
    if body["state"] == "stale":
        return problem_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            f"this process has not reached its store for over {max_stale_s:g} s; its station "
            "data may be out of date: check the database and the network to it",
            instance=request.url.path,
            **body,
        )
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _readiness(fresh: Freshness, store_kind: str, max_stale_s: float) -> dict[str, Any]:
    """The readiness document: ``state``, the store's reachability, the snapshot's age."""
    now = datetime.now(UTC)
    confirmed_age_s = None if fresh.checked_at is None else (now - fresh.checked_at).total_seconds()
    stale = confirmed_age_s is None or confirmed_age_s > max_stale_s
    reachable = fresh.store_error is None
    return {
        "state": "stale" if stale else "ready" if reachable else "degraded",
        "store": {
            "reachable": reachable,
            "kind": store_kind,
            "change_feed": (
                "none" if fresh.listening is None else "listening" if fresh.listening else "lost"
            ),
        },
        "snapshot": {
            "data_version": fresh.data_version,
            "stations": fresh.stations,
            "built_at": _iso(fresh.built_at),
            "age_s": round((now - fresh.built_at).total_seconds(), 3),
            "confirmed_at": None if fresh.checked_at is None else _iso(fresh.checked_at),
            "confirmed_age_s": None if confirmed_age_s is None else round(confirmed_age_s, 3),
        },
    }


def _iso(at: datetime) -> str:
    return utc_text(at, "milliseconds")
