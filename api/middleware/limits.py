"""Request size limits, enforced before the request reaches a route: the query string (length,
number of parameters, repeats) and the body (size, before it is read into memory)."""

from __future__ import annotations

from collections import Counter
from http import HTTPStatus
from typing import Final
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response
from stations.editing.photos import MAX_PHOTO_BYTES

MAX_BODY_BYTES: Final = 1 << 20  # 1 MiB: a station edit is a few hundred bytes
MAX_IMPORT_BYTES: Final = 64 << 20  # an official list of ~200,000 rows as CSV
IMPORT_PATH: Final = "/v1/imports"
#: A photo (stations/editing/photos.py) and its multipart envelope.
MAX_PHOTO_UPLOAD_BYTES: Final = MAX_PHOTO_BYTES + 64 * 1024
#: 10,000 points (the batch limit) with full float precision measure 0.53 MB as compact JSON
#: but 0.99 MB indented by 4, at the default limit: 2 MiB leaves ~200 B a point for any layout.
MAX_BATCH_BYTES: Final = 2 << 20
BATCH_PATH: Final = "/v1/stations/nearest:batch"


#: The longest legitimate query (a listing with a bbox, every amenity code, kinds, district and
#: paging) is under 600 bytes; 4 KiB is also below what common proxies accept in a request line.
MAX_QUERY_BYTES: Final = 4096
#: No route takes more than ten parameters.
MAX_QUERY_PARAMS: Final = 32


class QueryLimits:
    """Refuse an over-long query string (414), too many parameters or a repeated one (422),
    in time linear in the query's length, before any route parses it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            refusal = query_refusal(scope["query_string"])
            if refusal is not None:
                status, detail, errors = refusal
                response = problem_response(
                    status, detail, instance=scope["path"], **({"errors": errors} if errors else {})
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


Refusal = tuple[int, str, list[dict[str, str]]]


def query_refusal(query: bytes) -> Refusal | None:
    """Why this raw query string is refused, or None when its size and shape are fine."""
    if len(query) > MAX_QUERY_BYTES:
        detail = (
            f"the query string is {len(query)} bytes; at most {MAX_QUERY_BYTES} are accepted. "
            "No Yizhan route needs that much: check the URL"
        )
        return HTTPStatus.REQUEST_URI_TOO_LONG, detail, []
    pieces = [p for p in query.split(b"&") if p]
    if len(pieces) > MAX_QUERY_PARAMS:
        detail = (
            f"{len(pieces)} query parameters; at most {MAX_QUERY_PARAMS} are accepted "
            "(lists are comma-separated, e.g. amenities=water,microwave)"
        )
        return HTTPStatus.UNPROCESSABLE_ENTITY, detail, []
    # The same decoding as Starlette's QueryParams, so "lat" and "l%61t" are one name.
    counts = Counter(unquote_plus(p.split(b"=", 1)[0].decode("latin-1")) for p in pieces)
    repeated = sorted(name for name, n in counts.items() if n > 1)
    if not repeated:
        return None
    detail = (
        f"parameter(s) given more than once: {', '.join(repeated)}; give each once "
        "(lists are comma-separated, e.g. amenities=water,microwave)"
    )
    return (
        HTTPStatus.UNPROCESSABLE_ENTITY,
        detail,
        [{"field": name, "reason": "given more than once"} for name in repeated],
    )


class BodyTooLarge(Exception):
    pass


class LimitBody:
    """Answer 413 (problem+json) to a body over the limit, by its Content-Length or, when it is
    streamed without one, as soon as the bytes received pass the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(scope, receive, send, limit)


def _limit_for(path: str) -> int:
    # Looked up per request (not a table built at import), so a test can lower one limit.
    if path == IMPORT_PATH:
        return MAX_IMPORT_BYTES
    if path.startswith("/v1/stations/") and path.endswith("/photos"):
        return MAX_PHOTO_UPLOAD_BYTES
    return MAX_BATCH_BYTES if path == BATCH_PATH else MAX_BODY_BYTES


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem_response(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        f"the request body is over {limit // (1 << 20)} MiB; send less",
        instance=scope["path"],
    )
    # The rest of the body is never read: the connection cannot carry another request.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
