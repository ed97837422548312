"""Slow, oversized and surplus clients against a real `yizhan serve` (issue 9, item 8), over raw
sockets: a stalled head or body is answered 408 and closed within its timeout, an over-long
request line is a 414 (not a reset), connections beyond the limit get a 503 at once, the
process never runs out of descriptors, and it raises its own soft limit on open files.

Timeouts are set to 1 s; bounds are loose (a loaded 2-core machine), but a server that waits
forever, resets, or stops answering /healthz fails them.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import select
import selectors
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import h11
import pytest

from tests.api.admin_fixtures import ROOT, YIZHAN, seed_store
from tests.api.test_serving import _workers
from tests.api.test_workers import Server, _stop, free_port, wait_ready

pytestmark = pytest.mark.slow

TIMEOUT_S = 1.0  # YIZHAN_HEADER_TIMEOUT_S and YIZHAN_BODY_TIMEOUT_S for these servers
SLACK_S = 2.5  # how late a close may come on a loaded machine
EARLY_S = 0.8  # a close before this would not be the timeout at work
SHORT = {"YIZHAN_HEADER_TIMEOUT_S": str(TIMEOUT_S), "YIZHAN_BODY_TIMEOUT_S": str(TIMEOUT_S)}
HALF_HEAD = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
BATCH = "/v1/stations/nearest:batch"
BATCH_BODY = json.dumps({"points": [{"lat": 34.2596, "lon": 108.9479}], "k": 1}).encode()


@contextmanager
def serving_with(
    db: Path, log: Path, env: dict[str, str], *extra: str, nofile: tuple[int, int] | None = None
) -> Iterator[Server]:
    """`yizhan serve` with these YIZHAN_* variables and, if given, this (soft, hard) limit on
    open files; stopped (its whole process group) on the way out."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}

    def limit_files() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, nofile)

    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*YIZHAN, "serve", "--db", str(db), "--port", str(port), *extra],
            cwd=ROOT,
            env=clean | env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=limit_files,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_ready(server)
        yield server
    finally:
        _stop(process)


def _port(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", _port(server)), timeout=5.0)


@dataclass
class Ending:
    """How a connection ended: what the server sent, when (s after ``since``), and whether
    it closed cleanly (EOF) or reset."""

    data: bytes
    after_s: float
    how: str  # "eof", "reset" or "open" (still open at the deadline)


def _endings(socks: list[socket.socket], since: float, limit_s: float) -> list[Ending]:
    """Read every socket until the server closes it (or ``limit_s`` after ``since``)."""
    endings = {s: Ending(b"", 0.0, "open") for s in socks}
    selector = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        selector.register(s, selectors.EVENT_READ)
    deadline = since + limit_s
    while selector.get_map() and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=max(0.0, deadline - time.monotonic())):
            sock: socket.socket = key.fileobj  # type: ignore[assignment]
            ending = endings[sock]
            try:
                chunk = sock.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                chunk, ending.how = b"", "reset"
            ending.data += chunk
            if not chunk:
                ending.after_s = time.monotonic() - since
                ending.how = "reset" if ending.how == "reset" else "eof"
                selector.unregister(sock)
    selector.close()
    return [endings[s] for s in socks]


def _response(raw: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
    """Status, headers and body of the one HTTP response in ``raw`` (h11 checks its framing)."""
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    client.send(h11.EndOfMessage())
    client.receive_data(raw)
    response = client.next_event()
    assert isinstance(response, h11.Response), raw[:300]
    body = b""
    while not isinstance(event := client.next_event(), h11.EndOfMessage):
        assert isinstance(event, h11.Data), (event, raw[:300])
        body += event.data
    return response.status_code, dict(response.headers), body


def _assert_problem(raw: bytes, status: int) -> dict[bytes, bytes]:
    code, headers, body = _response(raw)
    assert code == status, raw[:300]
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"connection"] == b"close"
    problem = json.loads(body)
    assert problem["status"] == status and problem["title"] and problem["detail"]
    return headers


def _healthz(server: Server, timeout_s: float = 1.0) -> int:
    """The status of GET /healthz on a new connection, answered within ``timeout_s``."""
    with _connect(server) as sock:
        sock.settimeout(timeout_s)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    return _response(raw)[0]


def _allow_open_files(count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(count, hard), hard))


def _open_files(pid: int) -> tuple[int, int]:
    """The (soft, hard) limit on open files of process ``pid``, from /proc."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError(f"no open-file limit for {pid}")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_store(tmp_path_factory.mktemp("slow-clients"))


@pytest.fixture(scope="module")
def server(db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """1 s timeouts; started with a soft limit of 512 open files under a hard one of 4096."""
    log = tmp_path_factory.mktemp("slow-clients-log") / "serve.log"
    with serving_with(db, log, SHORT, nofile=(512, 4096)) as running:
        yield running


def test_stalled_request_heads_are_answered_408_and_closed_within_the_timeout(
    server: Server,
) -> None:
    since = time.monotonic()
    socks = [_connect(server) for _ in range(100)]
    for sock in socks:
        sock.sendall(HALF_HEAD)
    assert _healthz(server) == 200  # while they stall
    endings = _endings(socks, since, TIMEOUT_S + SLACK_S)
    for sock in socks:
        sock.close()
    for ending in endings:
        assert ending.how == "eof", ending
        assert EARLY_S <= ending.after_s <= TIMEOUT_S + SLACK_S, ending
        _assert_problem(ending.data, 408)
    assert _healthz(server) == 200


def test_a_head_dribbled_a_byte_at_a_time_must_still_arrive_within_the_timeout(
    server: Server,
) -> None:
    """Never idle for a whole second, but never done either (slowloris)."""
    with _connect(server) as sock:
        since = time.monotonic()
        for byte in HALF_HEAD:
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable:
                break
            sock.sendall(bytes([byte]))
        [ending] = _endings([sock], since, TIMEOUT_S + SLACK_S)
    assert ending.how == "eof" and EARLY_S <= ending.after_s <= TIMEOUT_S + SLACK_S, ending
    _assert_problem(ending.data, 408)


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(server: Server) -> None:
    with _connect(server) as sock:
        [ending] = _endings([sock], time.monotonic(), TIMEOUT_S + SLACK_S)
    assert ending == Ending(b"", ending.after_s, "eof") and ending.after_s >= EARLY_S


def test_stalled_bodies_are_answered_408_while_the_application_waits_for_them(
    server: Server,
) -> None:
    head = (
        f"POST {BATCH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n"
    ).encode()
    since = time.monotonic()
    socks = [_connect(server) for _ in range(50)]
    for sock in socks:
        sock.sendall(head + b'{"points": [')  # the application is now in receive()
    assert _healthz(server) == 200
    endings = _endings(socks, since, TIMEOUT_S + SLACK_S)
    for sock in socks:
        sock.close()
    for ending in endings:
        assert ending.how == "eof" and ending.after_s >= EARLY_S, ending
        _assert_problem(ending.data, 408)
    # A client cut off mid-body is no server error: no traceback, logged as gone (499).
    time.sleep(0.3)
    log = server.text_log()
    assert "Traceback" not in log and "unhandled error" not in log
    assert '"status":499' in log


def test_a_body_that_keeps_arriving_is_not_cut_off(server: Server) -> None:
    """Two and a half timeouts in all, but never a whole one without a byte."""
    head = (
        f"POST {BATCH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BATCH_BODY)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with _connect(server) as sock:
        sock.sendall(head)
        step = len(BATCH_BODY) // 8 + 1
        for start in range(0, len(BATCH_BODY), step):
            time.sleep(0.3)
            sock.sendall(BATCH_BODY[start : start + step])
        [ending] = _endings([sock], time.monotonic(), 10.0)
    assert ending.how == "eof", ending
    status, _, body = _response(ending.data)
    assert status == 200, body
    assert len(json.loads(body)["results"]) == 1


def test_an_over_long_request_line_is_a_414_and_an_over_large_head_a_431_not_a_reset(
    server: Server,
) -> None:
    long_line = b"GET /healthz?q=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    big_head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 40_000 + b"\r\n\r\n"
    for raw, status in [(long_line, 414), (big_head, 431)]:
        with _connect(server) as sock:
            sock.sendall(raw)  # all of it: the server reads what it refuses
            [ending] = _endings([sock], time.monotonic(), 5.0)
        assert ending.how == "eof", (status, ending)
        _assert_problem(ending.data, status)
    # Within the limits (a 3 KiB line, a 20 KiB head), the application answers.
    fits = [
        b"GET /healthz?q=" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: "
        + b"a" * 20_000
        + b"\r\n\r\n",
    ]
    for raw in fits:
        with _connect(server) as sock:
            sock.sendall(raw)
            [ending] = _endings([sock], time.monotonic(), 5.0)
        assert _response(ending.data)[0] == 200


def test_kept_alive_pipelined_and_early_answered_requests_are_unaffected(
    server: Server,
) -> None:
    with _connect(server) as sock:
        reader = sock.makefile("rb")

        def answer() -> int:
            status_line = reader.readline()
            length = 0
            while (line := reader.readline()) != b"\r\n":
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            reader.read(length)
            return int(status_line.split()[1])

        get = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        for _ in range(3):  # 1.5 s on one connection: each head has its own timeout
            sock.sendall(get)
            assert answer() == 200
            time.sleep(0.5)
        sock.sendall(get + get)  # pipelined
        assert (answer(), answer()) == (200, 200)
        # Refused before its body is read (no token); the rest of the body still comes.
        body = b"x" * 50_000
        sock.sendall(
            b"POST /v1/stations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        assert answer() == 401
        sock.sendall(body)
        sock.sendall(get)
        assert answer() == 200


def test_the_soft_open_file_limit_is_raised_to_the_hard_limit(server: Server) -> None:
    assert _open_files(server.process.pid) == (4096, 4096)
    assert "open-file limit 4096" in server.text_log()


def test_connections_beyond_the_limit_get_a_503_at_once(db: Path, tmp_path: Path) -> None:
    env = SHORT | {"YIZHAN_MAX_CONNECTIONS": "50"}
    with serving_with(db, tmp_path / "serve.log", env) as server:
        time.sleep(0.3)  # wait_ready's connections are gone
        since = time.monotonic()
        socks = [_connect(server) for _ in range(120)]  # that say nothing
        first = _endings(socks, since, 0.6)
        refused = [e for e in first if e.data]
        assert len(refused) == 70, [e.how for e in first]
        for ending in refused:
            assert ending.how == "eof", ending
            headers = _assert_problem(ending.data, 503)
            assert headers[b"retry-after"] == b"1"
        idle = [s for s, e in zip(socks, first, strict=True) if not e.data]
        assert _healthz(server) == 503  # the 50 idle ones hold their places
        # Until the header timeout closes them: then /healthz answers, within a second.
        deadline = time.monotonic() + TIMEOUT_S + SLACK_S
        while (status := _healthz(server)) != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status == 200
        later = _endings(idle, since, TIMEOUT_S + SLACK_S)
        assert all(e.how == "eof" and not e.data for e in later), later
        for sock in socks:
            sock.close()
        assert "Refused slow, oversized or surplus clients: 1 × 503" in server.text_log()


def test_a_flood_of_idle_connections_never_exhausts_the_descriptors(
    db: Path, tmp_path: Path
) -> None:
    """1,024 open files at most (the hard limit too: nothing to raise), 1,200 connections."""
    _allow_open_files(1400)  # this test's own sockets
    with serving_with(db, tmp_path / "serve.log", SHORT, nofile=(1024, 1024)) as server:
        pid = server.process.pid
        with ExitStack() as stack:
            most = 0
            for _ in range(1200):
                sock = stack.enter_context(socket.socket())
                sock.setblocking(False)
                code = sock.connect_ex(("127.0.0.1", _port(server)))
                assert code in (0, errno.EINPROGRESS), code
            flood_end = time.monotonic() + 1.0
            while time.monotonic() < flood_end:
                most = max(most, len(os.listdir(f"/proc/{pid}/fd")))
                time.sleep(0.02)
            assert most < 1024
            # The idle ones time out; new connections are answered while the flood stays.
            deadline = time.monotonic() + TIMEOUT_S + SLACK_S
            status = 0
            while status != 200 and time.monotonic() < deadline:
                with suppress(OSError):  # a reset or a timeout: the flood is still arriving
                    status = _healthz(server)
                time.sleep(0.1)
            assert status == 200
            most = max(most, len(os.listdir(f"/proc/{pid}/fd")))
        assert most < 1024
        log = server.text_log()
        assert "Too many open files" not in log and "out of system resource" not in log


def test_workers_raise_their_limit_and_enforce_the_same_timeouts_and_sizes(
    db: Path, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with serving_with(db, log, SHORT, "--workers", "2", nofile=(512, 2048)) as server:
        deadline = time.monotonic() + 30
        while len(workers := _workers(server.process.pid)) < 2:
            assert time.monotonic() < deadline, server.text_log()
            time.sleep(0.05)
        for pid in [server.process.pid, *workers]:
            assert _open_files(pid) == (2048, 2048)
        since = time.monotonic()
        stalled = [_connect(server) for _ in range(10)]  # over both workers
        for sock in stalled:
            sock.sendall(HALF_HEAD)
        with _connect(server) as sock:
            sock.sendall(b"GET /healthz?q=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            [ending] = _endings([sock], time.monotonic(), 5.0)
        _assert_problem(ending.data, 414)
        for ending in _endings(stalled, since, TIMEOUT_S + SLACK_S):
            assert ending.how == "eof", ending
            _assert_problem(ending.data, 408)
        for sock in stalled:
            sock.close()
