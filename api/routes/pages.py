"""``GET /``: the rider's page, and the files it loads (``api.pages``).

Every file is answered with its ETag and ``Cache-Control: no-cache``: a browser may keep it but
asks again each time (a 304 while unchanged); offline, the service worker's versioned cache
serves them. The routes are pages, not API, so the OpenAPI document leaves them out. The query
string of ``/`` is ignored: WeChat adds its own (``?from=singlemessage``) to shared links.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Final

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.conditional import if_none_match_hits
from api.pages.shell import (
    PAGE,
    SERVICE_WORKER,
    Asset,
    content_security_policy,
    rider_shell,
)
from api.problems import ProblemError

NOSNIFF: Final = {"X-Content-Type-Options": "nosniff"}
OWN_FILES: Final = "/static/rider"
LEAFLET_FILES: Final = "/static/vendor/leaflet"

router = APIRouter(include_in_schema=False)


@router.get("/")
def get_rider_page(request: Request) -> Response:
    """The rider's page: the nearest open station with what a rider needs."""
    headers = {
        "Content-Security-Policy": content_security_policy(),
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
    }
    return _answer(request, PAGE, headers)


@router.get("/sw.js")
def get_service_worker(request: Request) -> Response:
    """The page's service worker, its cache version written in."""
    return _answer(request, SERVICE_WORKER)


@router.get("/manifest.webmanifest")
def get_manifest(request: Request) -> Response:
    """The web app manifest (name, icons, start URL)."""
    return _answer(request, "/manifest.webmanifest")


@router.get(OWN_FILES + "/{name}")
def get_rider_file(request: Request, name: str) -> Response:
    """One of the page's own scripts, stylesheets or icons."""
    return _answer(request, f"{OWN_FILES}/{name}")


@router.get(LEAFLET_FILES + "/{name:path}")
def get_leaflet_file(request: Request, name: str) -> Response:
    """A file of the vendored Leaflet release."""
    return _answer(request, f"{LEAFLET_FILES}/{name}")


def _answer(request: Request, url: str, headers: dict[str, str] | None = None) -> Response:
    asset: Asset | None = rider_shell().assets.get(url)
    if asset is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no such file: {url}; the rider's page is at /")
    return asset_response(request, asset, headers)


def asset_response(
    request: Request, asset: Asset, headers: dict[str, str] | None = None
) -> Response:
    """A page's file: gzip-compressed when the browser takes it, each form with its own ETag,
    304 when the browser has it, ``no-cache`` (pages check, the rider's service worker keeps)."""
    squeezed = asset.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding"))
    etag = asset.gzip_etag if squeezed else asset.etag
    common = {"ETag": etag, "Cache-Control": "no-cache", **NOSNIFF, **(headers or {})}
    if asset.gzipped is not None:
        common["Vary"] = "Accept-Encoding"
    if if_none_match_hits(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=HTTPStatus.NOT_MODIFIED, headers=common)
    if squeezed:
        common["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=common)
    return Response(asset.body, media_type=asset.media_type, headers=common)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header takes gzip (RFC 9110 §12.5.3: named or "*", q > 0)."""
    chosen: dict[str, float] = {}
    for item in (accept_encoding or "").split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name.strip():
            chosen[name.strip().lower()] = q
    return chosen.get("gzip", chosen.get("*", 0.0)) > 0
