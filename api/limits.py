"""Request body size limits, enforced before the body is read into memory."""

from __future__ import annotations

from typing import Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES: Final = 1 << 20  # 1 MiB: a station edit is a few hundred bytes
MAX_IMPORT_BYTES: Final = 64 << 20  # an official list of ~200,000 rows as CSV
IMPORT_PATH: Final = "/v1/imports"
#: 10,000 points (the batch limit) with full float precision measure 0.53 MB as compact JSON
#: but 0.99 MB indented by 4, at the default limit: 2 MiB leaves ~200 B a point for any layout.
MAX_BATCH_BYTES: Final = 2 << 20
BATCH_PATH: Final = "/v1/stations/nearest:batch"


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
            await _too_large(scope, send, limit)
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
                await _too_large(scope, send, limit)


def _limit_for(path: str) -> int:
    # Looked up per request (not a table built at import), so a test can lower one limit.
    if path == IMPORT_PATH:
        return MAX_IMPORT_BYTES
    return MAX_BATCH_BYTES if path == BATCH_PATH else MAX_BODY_BYTES


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"the request body is over {limit // (1 << 20)} MiB; send less",
            "instance": scope["path"],
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
