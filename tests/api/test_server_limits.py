"""The pieces behind `yizhan serve`'s limits on slow, oversized and surplus clients, without a
server: the head meter, the refusals' bytes, the descriptor budget and the settings."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import subprocess
from pathlib import Path

import h11
import pytest

from api.server import protocol
from api.server.head_meter import HeadMeter
from api.server.limits import (
    DEFAULT_MAX_CONNECTIONS,
    MAX_REQUEST_HEAD,
    MAX_REQUEST_LINE,
    RESERVED_FDS,
    ServerLimits,
    server_limits,
)
from api.server.refusals import Refusals
from api.settings import Settings, SettingsError
from tests.api.admin_fixtures import ROOT, YIZHAN, seed_store

HEAD = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def _meter() -> HeadMeter:
    return HeadMeter(MAX_REQUEST_LINE, MAX_REQUEST_HEAD)


def _feed(meter: HeadMeter, *pieces: bytes) -> int | None:
    for piece in pieces:
        status = meter.feed(piece)
        if status is not None:
            return status
    return None


def _line(length: int) -> bytes:
    """A request line of exactly ``length`` bytes (without its CRLF)."""
    start, end = b"GET /healthz?q=", b" HTTP/1.1"
    return start + b"a" * (length - len(start) - len(end)) + end


@pytest.mark.parametrize("size", [1, 2, 3, 7, len(HEAD)])
def test_a_head_in_any_pieces_is_measured_to_its_blank_line(size: int) -> None:
    meter = _meter()
    body = b"x" * 100_000  # a body after the head is not part of it
    data = HEAD + body
    cuts = list(range(0, len(HEAD), size))
    pieces = [data[a:b] for a, b in zip(cuts, [*cuts[1:], len(data)], strict=True)]
    assert _feed(meter, *pieces) is None
    assert meter.ended
    assert meter.size == len(HEAD)
    assert meter.line == len(b"GET /healthz HTTP/1.1")


def test_a_request_line_at_the_limit_passes_and_one_byte_more_is_a_414() -> None:
    assert _feed(_meter(), _line(MAX_REQUEST_LINE) + b"\r\nHost: x\r\n\r\n") is None
    assert _feed(_meter(), _line(MAX_REQUEST_LINE + 1) + b"\r\nHost: x\r\n\r\n") == 414


def test_a_long_request_line_is_refused_before_its_end_arrives() -> None:
    meter = _meter()
    assert meter.feed(b"GET /" + b"a" * 4096) is None
    assert meter.feed(b"a" * 4096) == 414  # no line feed yet, and already over


def test_a_head_over_the_limit_is_a_431_and_one_at_it_passes() -> None:
    start = b"GET / HTTP/1.1\r\nX-Pad: "
    filler = MAX_REQUEST_HEAD - len(start) - len(b"\r\n\r\n")
    at_limit = start + b"a" * filler + b"\r\n\r\n"
    assert len(at_limit) == MAX_REQUEST_HEAD
    assert _feed(_meter(), at_limit) is None
    over = start + b"a" * (filler + 1) + b"\r\n\r\n"
    pieces = [over[i : i + 1000] for i in range(0, len(over), 1000)]
    assert _feed(_meter(), *pieces) == 431


def test_bare_line_feeds_end_a_head_too() -> None:
    meter = _meter()
    assert _feed(meter, b"GET / HTTP/1.1\nHost: x\n", b"\n" + b"x" * 50_000) is None
    assert meter.ended and meter.size == len(b"GET / HTTP/1.1\nHost: x\n\n")
    assert meter.line == len(b"GET / HTTP/1.1")


def _limits(**changes: object) -> ServerLimits:
    return server_limits(Settings(**changes), 20_000)  # type: ignore[arg-type]


def test_every_refusal_is_a_complete_problem_json_response_that_closes() -> None:
    refusals = Refusals.for_limits(_limits())
    cases = {
        408: refusals.head_timeout,
        414: refusals.line_too_long,
        431: refusals.head_too_large,
        503: refusals.busy,
    }
    cases_body = {408: refusals.body_timeout}
    for status, raw in [*cases.items(), *cases_body.items()]:
        client = h11.Connection(h11.CLIENT)
        client.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
        client.send(h11.EndOfMessage())
        client.receive_data(raw)
        response = client.next_event()
        assert isinstance(response, h11.Response) and response.status_code == status
        headers = dict(response.headers)
        assert headers[b"content-type"] == b"application/problem+json"
        assert headers[b"connection"] == b"close"
        data = client.next_event()
        assert isinstance(data, h11.Data)
        assert isinstance(client.next_event(), h11.EndOfMessage)
        problem = json.loads(data.data)
        assert problem["status"] == status and problem["title"] and problem["detail"]
    assert b"Retry-After: 1\r\n" in refusals.busy


def test_the_default_connection_limit_follows_the_open_file_limit() -> None:
    small = server_limits(Settings(), 1024)
    # The process's own files, three accepted batches not yet counted, then connections: never
    # more than the limit in all, and room kept to answer 503s.
    assert RESERVED_FDS + 3 * small.backlog + small.max_open <= 1024
    assert small.max_connections < small.max_open
    assert small.max_connections == 420
    assert server_limits(Settings(), 20_000).max_connections == DEFAULT_MAX_CONNECTIONS
    assert server_limits(Settings(), 1 << 20).max_connections == DEFAULT_MAX_CONNECTIONS


def test_a_connection_limit_the_descriptors_cannot_hold_is_one_clear_error() -> None:
    assert server_limits(Settings(max_connections=500), 1024).max_connections == 500
    with pytest.raises(SettingsError, match=r"open-file limit of 1024 allows \(at most 559\)"):
        server_limits(Settings(max_connections=5000), 1024)
    with pytest.raises(SettingsError, match="too low"):
        server_limits(Settings(), 100)


def test_limits_are_read_from_yizhan_variables() -> None:
    env = {
        "YIZHAN_HEADER_TIMEOUT_S": "1.5",
        "YIZHAN_BODY_TIMEOUT_S": "2",
        "YIZHAN_MAX_CONNECTIONS": "50",
    }
    limits = server_limits(Settings.from_env(env), 20_000)
    assert (limits.header_timeout_s, limits.body_timeout_s) == (1.5, 2.0)
    assert limits.max_connections == 50
    assert Settings.from_env({}).max_connections is None
    for name, bad in [("YIZHAN_MAX_CONNECTIONS", "0"), ("YIZHAN_HEADER_TIMEOUT_S", "-1")]:
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: bad})


def _serve_with_256_open_files(*args: str) -> subprocess.CompletedProcess[str]:
    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    return subprocess.run(
        [*YIZHAN, "serve", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        preexec_fn=low_limit,
    )


def test_serve_refuses_a_connection_limit_it_cannot_hold_in_one_line(tmp_path: Path) -> None:
    db = str(seed_store(tmp_path))
    done = _serve_with_256_open_files("--db", db, "--max-connections", "0")
    assert done.returncode == 2 and "--max-connections" in done.stderr
    assert "at least 1" in done.stderr and "Traceback" not in done.stderr
    done = _serve_with_256_open_files("--db", db, "--max-connections", "5000")
    assert done.returncode == 2, done.stderr
    assert "open-file limit of 256 allows" in done.stderr and "Traceback" not in done.stderr


def test_refusals_are_logged_as_counts_at_most_once_per_interval(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A flood of slow clients must not become a flood of log lines, nor go unreported."""
    monkeypatch.setattr(protocol, "REPORT_EVERY_S", 0.2)
    said = protocol.RefusalLog(logging.getLogger("test.refusals"))

    async def flood() -> None:
        loop = asyncio.get_running_loop()
        for kind in ["503", "503", "408", "reset", "503"]:
            said.add(kind, loop)
        await asyncio.sleep(0.4)

    with caplog.at_level(logging.WARNING, logger="test.refusals"):
        asyncio.run(flood())
    assert [r.getMessage() for r in caplog.records] == [
        "Refused slow, oversized or surplus clients: 1 × 503",
        "Refused slow, oversized or surplus clients: 1 × 408, 2 × 503, 1 × reset",
    ]
