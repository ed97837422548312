"""Several real `yizhan serve` processes on one store converge after an edit within a second
(DESIGN §2: each process notices the store's change counter and rebuilds its snapshot)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.admin_fixtures import BEILIN, ROOT, YIZHAN, bearer, cli_token, seed_store
from tests.api.problem import assert_problem

pytestmark = pytest.mark.slow

CONVERGE_S = 1.0  # issue 3, item 6: every process sees a write within one second
STARTUP_S = 30.0
HEALTH = "/healthz"


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def text_log(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(db: Path, log: Path, *extra: str) -> Iterator[Server]:
    """A real `yizhan serve` on a free loopback port, with the default settings; stopped (its
    whole process group, workers included) on the way out."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*YIZHAN, "serve", "--db", str(db), "--port", str(port), *extra],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.text_log()
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{server.url} did not start:\n{server.text_log()}")


def lag_until(seen: Callable[[], bool], since: float, *, limit_s: float = 5.0) -> float:
    """Seconds from ``since`` until ``seen()`` first holds (polled every ~10 ms)."""
    while not seen():
        assert time.monotonic() - since < limit_s, "never converged"
        time.sleep(0.01)
    return time.monotonic() - since


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("workers")
    db = seed_store(directory)
    return db, cli_token(db, "ops-admin", "admin")


def _station(url: str, station_id: str) -> httpx.Response:
    # A new connection per request, so that with --workers each may land on another worker.
    response = httpx.get(f"{url}/v1/stations/{station_id}", timeout=5.0)
    assert response.status_code == 200, response.text
    return response


def _nearby_ids(url: str, lon: float, lat: float) -> list[str]:
    response = httpx.get(
        f"{url}/v1/stations/nearest", params={"lon": lon, "lat": lat, "k": 20}, timeout=5.0
    )
    assert response.status_code == 200, response.text
    return [f["id"] for f in response.json()["features"]]


def test_two_serve_processes_on_one_store_converge_within_a_second(
    store: tuple[Path, str], tmp_path: Path
) -> None:
    db, secret = store
    station_id = f"seed-{BEILIN}-01"
    with ExitStack() as stack:
        a = stack.enter_context(serving(db, tmp_path / "a.log"))
        b = stack.enter_context(serving(db, tmp_path / "b.log"))
        wait_ready(a)
        wait_ready(b)
        lags: dict[str, float] = {}
        for round_ in (1, 2):
            current = _station(a.url, station_id)
            new_name = f"进程A改名第{round_}次"
            edited = httpx.patch(
                f"{a.url}/v1/stations/{station_id}",
                json={"name": new_name},
                headers=bearer(secret) | {"If-Match": current.headers["ETag"]},
            )
            written = time.monotonic()
            assert edited.status_code == 200, edited.text
            version = edited.headers["ETag"]
            lags[f"rename {round_}"] = lag_until(
                lambda etag=version: _station(b.url, station_id).headers["ETag"] == etag, written
            )
            assert _station(b.url, station_id).json()["properties"]["name"] == new_name

        lon, lat = _station(b.url, station_id).json()["geometry"]["coordinates"]
        assert station_id in _nearby_ids(b.url, lon, lat)
        retired = httpx.delete(
            f"{a.url}/v1/stations/{station_id}", headers=bearer(secret) | {"If-Match": version}
        )
        written = time.monotonic()
        assert retired.status_code == 200, retired.text
        lags["retire"] = lag_until(lambda: station_id not in _nearby_ids(b.url, lon, lat), written)

        print(
            "\ncross-process lag (B sees A's write), s: "
            + ", ".join(f"{k} {v:.3f}" for k, v in lags.items())
        )
        assert max(lags.values()) < CONVERGE_S, lags

        # A real chunked upload (no Content-Length) over 1 MiB is refused as it streams in.
        def chunks() -> Iterator[bytes]:
            for _ in range(48):
                yield b" " * 65536

        too_big = httpx.post(
            f"{b.url}/v1/stations",
            content=chunks(),
            headers=bearer(secret) | {"Content-Type": "application/json"},
        )
        assert_problem(too_big, 413)
    for server in (a, b):
        assert secret not in server.text_log()  # access logs carry no Authorization header


class Pinned:
    """A keep-alive connection to a server, and the worker process that accepted it."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5.0)
        self.local_port = 0
        self.worker: int | None = None
        self.etag(HEALTH)  # opens the connection

    def etag(self, path: str) -> str:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        sock = self.connection.sock
        assert sock is not None, "the server closed a keep-alive connection"
        port: int = sock.getsockname()[1]
        # http.client reopens a closed connection silently, perhaps to the other worker.
        assert self.local_port in (0, port), "the connection was reopened"
        self.local_port = port
        return response.getheader("ETag") or ""


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        with suppress(OSError):  # a helper process may exit meanwhile
            for task in Path(f"/proc/{parent}/task").iterdir():
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                queue += children
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    with suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    return inodes


def assign_workers(server_pid: int, server_port: int, pinned: list[Pinned]) -> None:
    """Find, through /proc, which worker process holds the server end of each connection."""
    server_end: dict[int, str] = {}  # client port -> inode of the server's socket
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        if local_port == server_port:
            server_end[remote_port] = fields[9]
    owners = {pid: _socket_inodes(pid) for pid in _descendants(server_pid)}
    for p in pinned:
        p.worker = next(
            (pid for pid, inodes in owners.items() if server_end.get(p.local_port) in inodes),
            None,
        )


def test_serve_with_two_workers_converges_within_a_second(
    store: tuple[Path, str], tmp_path: Path
) -> None:
    db, secret = store
    station_id = f"seed-{BEILIN}-02"
    path = f"/v1/stations/{station_id}"
    with serving(db, tmp_path / "workers.log", "--workers", "2") as server:
        wait_ready(server)
        deadline = time.monotonic() + STARTUP_S
        while server.text_log().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, server.text_log()
            time.sleep(0.05)
        # The event loop and the parser: asyncio's, and llhttp's (pyproject installs httptools).
        assert re.search(r"HTTP stack: asyncio \+ httptools [\d.]+", server.text_log())
        port = int(server.url.rsplit(":", 1)[1])
        # Open keep-alive connections together until both workers hold some of them.
        pinned: list[Pinned] = []
        with ThreadPoolExecutor(8) as pool:
            for _ in range(6):
                pinned += pool.map(lambda _: Pinned(port), range(8))
                assign_workers(server.process.pid, port, pinned)
                if len({p.worker for p in pinned} - {None}) >= 2:
                    break
        by_worker = {p.worker: p for p in pinned if p.worker is not None}
        assert len(by_worker) == 2, "could not reach both workers"
        assert {p.etag(path) for p in by_worker.values()} == {'"1"'}

        edited = httpx.patch(
            f"{server.url}{path}",
            json={"phone": "029-12345678"},
            headers=bearer(secret) | {"If-Match": '"1"'},
        )
        written = time.monotonic()
        assert edited.status_code == 200, edited.text
        lags: dict[int, float] = {}
        while len(lags) < len(by_worker):  # poll every worker in each round
            assert time.monotonic() - written < 5.0, f"workers never converged: {lags}"
            for worker, p in by_worker.items():
                if worker not in lags and p.etag(path) == '"2"':
                    lags[worker] = time.monotonic() - written
            time.sleep(0.01)
        # Then 20 consecutive GETs, spread over every pinned connection, all show the edit.
        assert [pinned[i % len(pinned)].etag(path) for i in range(20)] == ['"2"'] * 20
        assert _station(server.url, station_id).json()["properties"]["phone"] == "029-12345678"
        print(
            "\n--workers 2: each worker shows the edit after, s: "
            + ", ".join(f"pid {pid} {lag:.3f}" for pid, lag in lags.items())
        )
        assert max(lags.values()) < CONVERGE_S, lags
        for p in pinned:
            p.connection.close()
    assert secret not in server.text_log()
