"""The "ceiling" for bench/http_load.py: the least an HTTP server can do to answer a nearest query.

A bare Starlette app with one endpoint, ``GET /v1/stations/nearest?lat=&lon=&k=&amenities=``,
that parses the position, k and amenity codes, asks the same ``find_nearby`` over the same kind
of ``Catalog`` (built once from the same store) and returns a minimal JSON body: the ids and
distances. No validation model, no middleware, no GeoJSON, no coordinate conversion, no
navigation links, no access log of its own, no snapshot refresh. ``GET /healthz`` says it is up
and that it is the ceiling. Whatever Yizhan's endpoint costs beyond this is the price of its
features and framework.

Served exactly as ``yizhan serve`` serves Yizhan: ``main`` runs Yizhan's own command line
(``yizhan serve --db … --host … --port … --workers …``) with
``api.server.supervisor.serve`` wrapped so that only the application changes (this module's
factory instead of ``api.app:create_app``);
every other option (workers and their SO_REUSEPORT sockets, uvicorn's log level, access log, …)
is whatever the command line uses today. If the command line stops going through
``api.server.supervisor.serve``, the launch fails loudly instead of serving Yizhan under the
ceiling's name::

    .venv/bin/python -m bench.ceiling_app --db STORE --port 8001 [--workers 2]

run from the repository root (workers import this module as ``bench.ceiling_app``).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from datetime import datetime

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from geo.position import InvalidCoordinate, LonLat
from stations.amenities import UnknownAmenity, check_codes
from stations.hours import SHANGHAI
from stations.reading.catalog import Catalog
from stations.reading.locator import NearbyQuery, find_nearby
from stations.store.open import open_store

APP = "bench.ceiling_app:create_app"
YIZHAN_APP = "api.app:create_app"


def create_app() -> Starlette:
    """Build the catalog from the store in $YIZHAN_DB (set by ``yizhan serve``), then the app."""
    store = open_store(os.environ["YIZHAN_DB"], create=False)
    try:
        catalog = Catalog(store.list_stations(), data_version=store.data_version())
    finally:
        store.close()
    gc.freeze()  # as stations/reading/live.py does after each snapshot

    async def nearest(request: Request) -> Response:
        params = request.query_params
        try:
            origin = LonLat(float(params["lon"]), float(params["lat"]))
            k = int(params.get("k", "5"))
            amenities = check_codes(
                params.get("amenities", "").split(",") if params.get("amenities") else ()
            )
        except (KeyError, ValueError, InvalidCoordinate, UnknownAmenity):
            return Response(b'{"error":"bad query"}', 400, media_type="application/json")
        query = NearbyQuery(at=datetime.now(SHANGHAI), k=k, amenities=amenities)
        matches = find_nearby(catalog, origin, query)
        body = {
            "ids": [m.station.id for m in matches],
            "distance_m": [round(m.distance_m, 3) for m in matches],
        }
        return Response(orjson.dumps(body), media_type="application/json")

    async def health(request: Request) -> Response:
        body = {"status": "ok", "stations": len(catalog), "server": "ceiling"}
        return Response(orjson.dumps(body), media_type="application/json")

    return Starlette(routes=[Route("/v1/stations/nearest", nearest), Route("/healthz", health)])


def main(argv: Sequence[str] | None = None) -> int:
    """``yizhan serve`` with the ceiling's app factory in place of Yizhan's."""
    from api import cli
    from api.server import supervisor as serving

    real_serve = serving.serve
    swapped: list[str] = []

    def serve_ceiling(host: str, port: int, workers: int, app: str = serving.APP) -> int:
        if app != YIZHAN_APP:
            raise SystemExit(
                f"bench/ceiling_app.py: `yizhan serve` served {app!r}; update this launcher"
            )
        swapped.append(APP)
        return real_serve(host, port, workers, app=APP)

    serving.serve = serve_ceiling  # type: ignore[assignment]
    try:
        status = cli.main(["serve", *(sys.argv[1:] if argv is None else argv)])
    finally:
        serving.serve = real_serve  # type: ignore[assignment]
    if not swapped and status == 0:
        raise SystemExit(
            "bench/ceiling_app.py: `yizhan serve` no longer calls api.server.supervisor.serve; "
            "update this launcher"
        )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
