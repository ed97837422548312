"""A structured access log: one JSON object per request, safe to keep and to ship.

uvicorn's own access log prints the raw query string, which for ``/v1/stations/nearest`` is a
rider's position to the centimetre. This one never writes a header (so no bearer token), and
writes query parameters by name with positions rounded to 0.001° (about 110 m north-south,
90-100 m east-west in China): enough to see where load comes from, not whose door it is. A
value that is not a number is written as ``"?"`` rather than verbatim: it may still be a
position in some odd spelling. Request bodies (batch points, imports) are never logged.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from datetime import UTC, datetime
from typing import Final
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("yizhan.access")

POSITION_DECIMALS: Final = 3  # 0.001° ≈ 110 m of latitude: rider privacy (issue 5, item 6)
_POSITION_PARAMS: Final = frozenset({"lat", "lon", "bbox"})
_MAX_VALUE_CHARS: Final = 64  # other values are short by contract; a long one is cut
#: Parameter names that may carry a credential when a client misplaces one: value hidden.
_SECRET_HINTS: Final = ("token", "secret", "key", "pass", "auth", "sig")


def configure() -> None:
    """Send access records to stderr as bare JSON lines, once per process."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # not again through uvicorn's or the root logger's format


def rounded_position(text: str) -> str:
    """A coordinate (or comma-separated coordinates, e.g. a bbox) rounded for the log."""
    parts = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            return "?"
        if not math.isfinite(value):
            return "?"
        parts.append(f"{value:.{POSITION_DECIMALS}f}")
    return ",".join(parts)


def loggable_query(query_string: bytes) -> dict[str, str]:
    """Query parameters as they may be logged: positions rounded, long values cut."""
    safe: dict[str, str] = {}
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    for name, value in pairs:
        key = name[:_MAX_VALUE_CHARS]
        lowered = name.lower()
        if lowered in _POSITION_PARAMS:
            safe[key] = rounded_position(value)
        elif any(hint in lowered for hint in _SECRET_HINTS):
            safe[key] = "***"
        else:
            safe[key] = value[:_MAX_VALUE_CHARS]
    return safe


class AccessLog:
    """ASGI middleware writing one record per HTTP request when its response ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.pid = os.getpid()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app dies before answering, the server sends a 500
        sent = 0

        async def counting_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self._write(scope, status, sent, time.perf_counter() - started)

    def _write(self, scope: Scope, status: int, sent: int, elapsed_s: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        record = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": scope["method"],
            "path": scope["path"],
            "query": loggable_query(scope.get("query_string", b"")),
            "status": status,
            "ms": round(elapsed_s * 1000, 2),
            "bytes": sent,
            "client": client[0] if client else None,
            "pid": self.pid,
        }
        log.info(orjson.dumps(record).decode())
