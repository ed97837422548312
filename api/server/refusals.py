"""The complete responses a connection is refused with: problem+json with ``Connection: close``,
written straight to the socket by ``api.server.protocol`` (the application never sees them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import orjson

from api.server.limits import ServerLimits


@dataclass(frozen=True, slots=True)
class Refusals:
    """The complete responses (head and problem+json body) a connection may be refused with."""

    head_timeout: bytes
    body_timeout: bytes
    line_too_long: bytes
    head_too_large: bytes
    busy: bytes

    @classmethod
    def for_limits(cls, limits: ServerLimits) -> Refusals:
        return cls(
            head_timeout=_response(
                408, f"the request head did not arrive within {limits.header_timeout_s:g} s"
            ),
            body_timeout=_response(
                408, f"the request body stopped arriving for {limits.body_timeout_s:g} s"
            ),
            line_too_long=_response(
                414, f"the request line is over {limits.max_request_line} bytes"
            ),
            head_too_large=_response(
                431, f"the request head is over {limits.max_request_head} bytes"
            ),
            busy=_response(
                503,
                "this server has as many open connections as it serves; try again shortly",
                retry_after_s=1,
            ),
        )


_TITLES: Final = {
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def _response(status: int, detail: str, retry_after_s: int | None = None) -> bytes:
    title = _TITLES[status]
    body = orjson.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    retry = f"Retry-After: {retry_after_s}\r\n" if retry_after_s is not None else ""
    head = (
        f"HTTP/1.1 {status} {title}\r\nContent-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n{retry}Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body
