"""``GET /docs``: the interactive API docs (Swagger UI), with everything they load served here.

FastAPI's own ``/docs`` page loads Swagger UI from cdn.jsdelivr.net, so it is blank offline
and wherever the CDN is slow or blocked. This one is the same page (FastAPI's
``get_swagger_ui_html``) pointed at a vendored copy of swagger-ui-dist under
``/static/docs/``, pinned by SHA-256 (``api/docs_vendor/swagger-ui/README.md``). The app
turns FastAPI's own ``/docs`` and ``/redoc`` off; ReDoc is not offered.
"""

from __future__ import annotations

import functools
import hashlib
import html
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from importlib.resources import files
from typing import Final

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import Response

from api.conditional import if_none_match_hits

#: The swagger-ui-dist release vendored in ``api/docs_vendor/swagger-ui/``.
VERSION: Final = "5.35.0"
STATIC: Final = "/static/docs"

#: Vendored file → SHA-256 of its bytes in the npm tarball (the vendor README's table).
PINNED: Final[dict[str, str]] = {
    "swagger-ui-bundle.js": "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
    "swagger-ui.css": "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d",
    "favicon-32x32.png": "3ed612f41e050ca5e7000cad6f1cbe7e7da39f65fca99c02e99e6591056e5837",
    "LICENSE": "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
    "NOTICE": "0d20d1adef18aee3f40dd258172155521ce702ac445cb5f7b7d60ed32dad2fb2",
    "swagger-ui-bundle.js.LICENSE.txt": (
        "37eb6e7e59aed57b2c1acf076574b818ea07b74265717e0bd67b59e0baf9abbb"
    ),
}

#: The files served under ``STATIC``, with their media types.
SERVED: Final[dict[str, str]] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",  # RFC 9239
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

#: The URLs are not versioned, so a browser keeps a file for a day, then revalidates it by its
#: ETag (a 304 unless an update changed the bytes).
ASSET_CACHE: Final = "public, max-age=86400"
NOSNIFF: Final = {"X-Content-Type-Options": "nosniff"}

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@functools.cache
def asset(name: str) -> Asset:
    """A served file's bytes, read once and checked against ``PINNED``."""
    body = (files("api.docs_vendor") / "swagger-ui" / name).read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    if digest != PINNED[name]:
        raise RuntimeError(
            f"api/docs_vendor/swagger-ui/{name} is not the pinned swagger-ui-dist {VERSION} file "
            f"(sha256 {digest}, expected {PINNED[name]}); see its README.md"
        )
    return Asset(body, SERVED[name], f'"{digest[:32]}"')


@router.get("/docs")
def swagger_ui(request: Request) -> Response:
    """Swagger UI for ``/openapi.json``, loading nothing from another origin."""
    root = str(request.scope.get("root_path", "")).rstrip("/")  # as FastAPI's own /docs does
    page = get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title=html.escape(f"{request.app.title} - Swagger UI"),
        swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC}/favicon-32x32.png",
    )
    page.headers.update({"Cache-Control": "no-cache", **NOSNIFF})
    return page


def _serve(name: str) -> Callable[[Request], Response]:
    def serve(request: Request) -> Response:
        found = asset(name)
        headers = {"ETag": found.etag, "Cache-Control": ASSET_CACHE, **NOSNIFF}
        if if_none_match_hits(request.headers.get("if-none-match", ""), found.etag):
            return Response(status_code=HTTPStatus.NOT_MODIFIED, headers=headers)
        return Response(found.body, media_type=found.media_type, headers=headers)

    serve.__name__ = f"swagger_ui_{name.replace('-', '_').replace('.', '_')}"
    return serve


for _name in SERVED:
    router.add_api_route(f"{STATIC}/{_name}", _serve(_name), methods=["GET"])
