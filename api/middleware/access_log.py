"""A structured access log: one JSON object per request, safe to keep and to ship.

uvicorn's own access log prints the raw path and query string, which for
``/v1/stations/nearest`` is a rider's position to the centimetre. This one writes only what is
known to be safe, because a request the API refuses (422) is exactly the one whose content
nobody checked: a position under a wrong name (``latitude=``, ``lng``, ``x``), in a wrong
spelling (``lat=34,261234``), or a token in a wrong place (``&t=yz_…``).

- The query string as ``api.middleware.query_rules`` lets it be written: defined parameters'
  values in their known form only, other parameters by safe name alone, no secret at all.
- The path is the matched route's template (``/v1/stations/{station_id}``), or ``"(unmatched)"``.
- No header is written (so no bearer token), and no request body (batch points, imports).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.instants import utc_now_text
from api.middleware.query_rules import loggable_query, query_pieces
from api.route_table import matching_templates

log = logging.getLogger("yizhan.access")

UNMATCHED: Final = "(unmatched)"  # no route template: the raw path may hold anything


def configure() -> None:
    """Send access records to stderr as bare JSON lines, once per process."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # not again through uvicorn's or the root logger's format


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

    def route_template(self, scope: Scope) -> str:
        """The path as its route's template: ``/v1/stations/{station_id}``, never the id."""
        # The router records the route it chose in the scope it was given; that is this one
        # unless a middleware passed on a copy (HeadAsGet does, for HEAD).
        template = getattr(scope.get("route"), "path_format", None)
        if isinstance(template, str):
            return template
        # Not routed on this scope: answered by a middleware before routing (413, 414, the
        # query limits' 422), or routed on a copy.
        app = scope.get("app")
        found = matching_templates(app, scope["path"]) if app is not None else []
        return found[0].template if found else UNMATCHED

    def _write(self, scope: Scope, status: int, sent: int, elapsed_s: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        query_string: bytes = scope.get("query_string", b"")
        query = loggable_query(query_string)
        record = {
            "ts": utc_now_text("milliseconds"),
            "method": scope["method"],
            "path": self.route_template(scope),
            "query": query,
            # Parameters not in "query": names not safe to write, and those past the cap.
            "query_dropped": len(query_pieces(query_string)) - len(query),
            "status": status,
            "ms": round(elapsed_s * 1000, 2),
            "bytes": sent,
            "client": client[0] if client else None,
            "pid": self.pid,
        }
        log.info(orjson.dumps(record).decode())
