"""``GET /map``: the published station map for the current data, as ``yizhan map`` writes it.

A page is rendered once per data version and (tiles, lang), then served from memory; a new
snapshot (``live.catalog.data_version``) makes the next request render again, and so does an
hour's age (its hours are intervals from the build time). The page is
self-contained (assets inlined), so this one response is all a browser needs but the tiles.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.conditional import if_none_match_hits
from api.deps import LiveDep
from api.maps.texts import Lang, Tiles
from api.problems import ProblemError
from api.schemas import problem_responses
from stations.reading.catalog import Catalog

HTML: Final = "text/html; charset=utf-8"
_PARAMS: Final = frozenset({"tiles", "lang"})
_CREATE_LOCK: Final = threading.Lock()

router = APIRouter(
    tags=["map"],
    responses=problem_responses(422),
)


#: A page's hours are open intervals from its build time for a fixed horizon (api/maps/hours.py):
#: render again after this long even when the data has not changed, so they never run out.
MAX_PAGE_AGE_S: Final = 3600.0


@dataclass(frozen=True, slots=True)
class _Page:
    data_version: int
    body: bytes
    etag: str
    built_s: float  # time.monotonic() when rendered


class MapPages:
    """Rendered pages of one app by (tiles, lang), each for the data version it was made from.

    One lock: concurrent first requests render a page once, the others wait and reuse it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[tuple[Tiles, Lang], _Page] = {}

    def get(self, catalog: Catalog, tiles: Tiles, lang: Lang) -> _Page:
        with self._lock:
            page = self._pages.get((tiles, lang))
            if (
                page is None
                or page.data_version != catalog.data_version
                or time.monotonic() - page.built_s > MAX_PAGE_AGE_S
            ):
                page = _render(catalog, tiles, lang)
                self._pages[(tiles, lang)] = page
            return page


def _render(catalog: Catalog, tiles: Tiles, lang: Lang) -> _Page:
    # Folium (and pandas under it, ~50 MiB) loads with the first map asked for, not with every
    # serving process.
    from api.maps.publish import data_date_of, publishable
    from api.maps.render import page_html, render_map

    stations = publishable(catalog.visible)
    html = page_html(render_map(stations, tiles=tiles, lang=lang, data_date=data_date_of(stations)))
    body = html.encode("utf-8")
    etag = f'"{catalog.data_version}-{hashlib.sha256(body).hexdigest()[:16]}"'
    return _Page(catalog.data_version, body, etag, time.monotonic())


def _map_pages(request: Request) -> MapPages:
    state = request.app.state
    with _CREATE_LOCK:
        pages: MapPages | None = getattr(state, "map_pages", None)
        if pages is None:
            pages = state.map_pages = MapPages()
    return pages


@router.get(
    "/map",
    operation_id="getMap",
    response_class=Response,
    responses={
        200: {"description": "The map page (HTML)", "content": {HTML: {}}},
        304: {"description": "Not modified since the ETag in If-None-Match"},
    },
)
def get_map(
    request: Request,
    live: LiveDep,
    tiles: Annotated[
        Tiles,
        Query(description="osm: OpenStreetMap tiles, WGS-84 (default); amap: Amap, GCJ-02"),
    ] = Tiles.OSM,
    lang: Annotated[Lang, Query(description="page text: zh (default) or en")] = "zh",
) -> Response:
    """The station map for the current data: one self-contained HTML page, no CDN."""
    unknown = sorted(set(request.query_params) - _PARAMS)
    if unknown:
        raise ProblemError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            f"unknown parameter(s): {', '.join(unknown)}; /map takes tiles and lang",
            errors=[{"field": key, "reason": "is not a parameter of /map"} for key in unknown],
        )
    page = _map_pages(request).get(live.catalog, tiles, lang)
    # no-cache: browsers may keep the page but must ask again, so new data shows at once.
    headers = {"ETag": page.etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if if_none_match_hits(request.headers.get("if-none-match", ""), page.etag):
        return Response(status_code=HTTPStatus.NOT_MODIFIED, headers=headers)
    return Response(page.body, media_type=HTML, headers=headers)
