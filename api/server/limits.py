"""What one `yizhan serve` process lets clients hold: time to send a request, connections, and
the open-file budget those connections come out of.

uvicorn on its own waits forever for a request head or body that never completes, answers its
``limit_concurrency`` 503 only once a request has arrived (an idle connection holds its file
descriptor until the client goes), and at the default limit of 1,024 open files stops accepting
anyone once idle sockets have used them up. api/server/protocol.py enforces the limits chosen here.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass
from typing import Final

from api.settings import Settings, SettingsError

#: Request line (method, target, version) at most 8 KiB: nginx's default (the line must fit one
#: of its 8 KiB ``large_client_header_buffers``) and Apache's ``LimitRequestLine``. Yizhan's
#: longest real request, a bbox listing with amenities and kinds, is under 2 KiB.
MAX_REQUEST_LINE: Final = 8 << 10
#: The whole request head at most 32 KiB: nginx's default (4 × 8 KiB), so whatever a default
#: nginx forwards gets through. Yizhan reads a few short headers (a bearer token, If-Match).
MAX_REQUEST_HEAD: Final = 32 << 10
#: Descriptors kept for the process's own files. Measured at rest: 13 (the store's database,
#: WAL and shared-memory files, the event loop, the listening socket, pipes); imports and
#: exports add temporary files and PostgreSQL two connections.
RESERVED_FDS: Final = 128
#: uvicorn's default listen backlog, the most asked for. asyncio accepts up to ``backlog``
#: connections a turn of its loop, but a connection is counted (``connection_made``) two turns
#: after its accept and a reset one's descriptor freed a turn after that: up to three batches
#: hold descriptors beyond the connections counted, so the budget keeps 3 × backlog for them.
UVICORN_BACKLOG: Final = 2048
_BATCHES_IN_FLIGHT: Final = 3
#: Default connections per process when descriptors allow more. Measured, a connection costs
#: 5 KB (new) to 11 KB (kept alive after a request) of the process's memory: 4,096 are under
#: 50 MB beside a snapshot of up to ~0.45 GiB. A process answers a few thousand requests a
#: second, so more connections than this would only queue longer; behind a proxy it sees the
#: proxy's few dozen upstream connections.
DEFAULT_MAX_CONNECTIONS: Final = 4096
#: A soft limit to ask for when the hard limit is unlimited (not possible on Linux).
FDS_WITHOUT_HARD_LIMIT: Final = 65536


@dataclass(frozen=True, slots=True)
class ServerLimits:
    header_timeout_s: float  # a request head must arrive whole within this (408, or a close)
    body_timeout_s: float  # a request body may pause at most this long (408)
    max_connections: int  # open connections served; beyond them a new one gets a 503
    #: Open connections at most, 503s being answered included; beyond it a new connection is
    #: reset at once, so that accept() never runs out of descriptors.
    max_open: int
    backlog: int  # the listen backlog, which bounds how many connections are accepted at once
    fd_limit: int  # the soft limit on open files the budget was made from
    max_request_line: int = MAX_REQUEST_LINE
    max_request_head: int = MAX_REQUEST_HEAD

    def describe(self) -> str:
        return (
            f"up to {self.max_connections} connections per process (open-file limit "
            f"{self.fd_limit}), request head within {self.header_timeout_s:g} s, body pauses "
            f"up to {self.body_timeout_s:g} s"
        )


def raise_fd_limit() -> int:
    """Raise the soft limit on open files to the hard limit (as the Go runtime does: the soft
    limit of 1,024 exists for programs that use select(), and asyncio uses epoll). Returns the
    soft limit in force afterwards; never lowers it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FDS_WITHOUT_HARD_LIMIT if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):  # e.g. macOS caps it below an unlimited hard limit
            pass
    return FDS_WITHOUT_HARD_LIMIT if soft == resource.RLIM_INFINITY else soft


def server_limits(settings: Settings, fd_limit: int) -> ServerLimits:
    """The limits for a process that may open ``fd_limit`` files.

    The budget: the process's own files, then batches of accepted connections not yet counted
    (see UVICORN_BACKLOG), then open connections. Of those, a quarter is kept for answering
    503s to connections over ``max_connections`` (each is closed within seconds); past them a
    connection is reset. Measured under a flood of 1,200 connections at 1,024 open files.
    """
    spare = fd_limit - RESERVED_FDS
    backlog = min(UVICORN_BACKLOG, spare // 8)  # batches in flight: 3/8, connections: 5/8
    max_open = spare - _BATCHES_IN_FLIGHT * backlog
    if backlog < 1 or max_open < 2:
        raise SettingsError(f"the open-file limit of {fd_limit} is too low to serve; raise it")
    default = min(DEFAULT_MAX_CONNECTIONS, max_open * 3 // 4)
    wanted = settings.max_connections or default
    if wanted > max_open - 1:
        raise SettingsError(
            f"{wanted} connections (YIZHAN_MAX_CONNECTIONS or --max-connections) are more than "
            f"the open-file limit of {fd_limit} allows (at most {max_open - 1}); raise the hard "
            "limit (ulimit -Hn, LimitNOFILE=) or ask for fewer"
        )
    return ServerLimits(
        header_timeout_s=settings.header_timeout_s,
        body_timeout_s=settings.body_timeout_s,
        max_connections=wanted,
        max_open=max_open,
        backlog=backlog,
        fd_limit=fd_limit,
    )
