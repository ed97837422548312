"""Load test of ``GET /v1/stations/nearest`` on a real ``yizhan serve``, next to a bare "ceiling".

Run from the repository root::

    .venv/bin/python bench/http_load.py [--n 20000] [--seconds 10] [--workers 1,2]
                                        [--connections 1,64] [--client auto|wrk|python]
                                        [--server-env OMP_NUM_THREADS=1] [--patch-nodelay]

(This file is not named ``bench/http.py``: a script's own directory comes first on
``sys.path``, so a ``bench/http.py`` would shadow the standard library's ``http`` package for
every script in bench/, and ``bench/nearest.py`` would fail as soon as it imports geopandas.)

What it does, loopback only and for a fixed time:

1. Saves N synthetic stations (bench/synthetic.py) into a GeoPackage in a temporary directory
   with ``store.save_all`` (removed at exit).
2. For each worker count, starts Yizhan through its public command line,
   ``yizhan serve --db STORE --host 127.0.0.1 --port P --workers W``, and the ceiling
   (bench/ceiling_app.py: a bare Starlette app whose one endpoint parses lat/lon, runs the same
   ``find_nearby`` over the same Catalog and returns a minimal JSON body, launched by
   ``yizhan serve``'s own code with only the app factory swapped, so uvicorn gets exactly the
   options Yizhan gets: workers, log level, access log). Server output goes to files in the
   temporary directory. Readiness: ``GET /healthz`` answers (and the ceiling's says it is the
   ceiling), then the server's processes stop using CPU (every worker has built its snapshot).
3. Checks one answer of each (same ids), then for 1 and 64 concurrent keep-alive connections
   runs a short warm-up and a measured run of ``--seconds`` against each server, with the rider
   position varying per request (``--positions`` riders near city centres, cycled; k=5,
   ``amenities=microwave,phone_charging``). Both servers' event loop and HTTP parser are
   printed (asyncio + httptools: both use ``yizhan serve``'s code).
4. Prints requests/s, p50/p90/p99 latency, errors, bytes per response, the CPU the server and
   the load generator used, and the ratio Yizhan / ceiling; then the targets (issue 16):
   Yizhan ≥ 75 % of the ceiling's requests/s in every cell, and its p99 at 64 connections
   ≤ 1.3× the ceiling's.

The load generator is wrk (Debian's package; the script installs it with ``apt-get install -y
wrk`` when it is missing and it runs as root, or says how), one thread, with a Lua script that
picks the next rider position for each request and reports the latency percentiles. Without wrk
it falls back to a lean asyncio raw-socket HTTP/1.1 keep-alive client in this process
(``--client python``), which costs several times more CPU per request than wrk.

How the CPU is shared, and what that means for the figures: the machine has 2 cores and the
generator, the server's processes (uvicorn supervisor + workers) and anything else running
(another engineer's tests) share them; nothing is pinned. wrk is a single event-loop thread in
C and uses a small fraction of a core at these rates (printed as "client CPU"); the server
columns show how many cores the server actually got. With ``--workers 1`` the server can use at
most one core, so the generator does not compete with it; with ``--workers 2`` the two workers
want both cores and every cycle the generator (or any other process) uses is taken from them:
the 2-worker figures are a lower bound for a machine whose load comes from elsewhere. The
generator is closed-loop (each connection sends its next request when the answer arrives), so
at C connections the mean latency is C / throughput (Little's law): the latency targets are
therefore ratios to the ceiling measured in the same cell. This is a script, not a test:
figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import FILTER, K, describe, drafts, generate, rider_positions
from stations.store.geopackage.store import GeoPackageStore

_ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")

#: --patch-nodelay: a sitecustomize for both servers that gives uvicorn's pre-bound listener
#: proto=IPPROTO_TCP. With --workers > 1 uvicorn binds the socket itself with proto 0, accepted
#: sockets inherit it, and asyncio then skips TCP_NODELAY: every keep-alive response whose
#: headers and body are separate writes waits for the client's delayed ACK (about 40 ms on
#: Linux; uvicorn issue #3149). ``yizhan serve`` no longer uses uvicorn's multi-worker
#: supervisor (api/server/supervisor.py binds each worker's socket with IPPROTO_TCP), so the
#: patch now changes nothing there; it is kept to measure plain uvicorn setups.
NODELAY_PATCH = """
import socket
import uvicorn.config

_bind_socket = uvicorn.config.Config.bind_socket


def _bind_tcp_socket(self):
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        sock.set_inheritable(True)
    return sock


uvicorn.config.Config.bind_socket = _bind_tcp_socket
"""
#: Issue 16: Yizhan's p99 at 64 connections within 1.3× the ceiling's, and ≥ 75 % of its req/s.
P99_RATIO_TARGET = 1.3
RATIO_TARGET = 0.75


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path


def yizhan_command(db: Path, port: int, workers: int) -> list[str]:
    """The public command line; ``python -m api.cli`` where the console script is missing."""
    script = Path(sys.executable).with_name("yizhan")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    return [*cli, "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers)]  # fmt: skip


def ceiling_command(db: Path, port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "bench.ceiling_app", "--db", str(db), "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers)]  # fmt: skip


@contextmanager
def running(
    name: str, command: list[str], port: int, log: Path, extra_env: dict[str, str]
) -> Iterator[Server]:
    """Start a server in its own process group; stop it (SIGINT, then SIGKILL) after."""
    env = {**os.environ, **extra_env}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (extra_env.get("PYTHONPATH"), str(_ROOT))))
    with log.open("ab") as out:
        proc = subprocess.Popen(command, cwd=_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    server = Server(name, proc, port, log)
    try:
        wait_ready(server)
        yield server
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown, workers included
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this script started
            proc.wait()


def wait_ready(server: Server, timeout_s: float = 120.0) -> None:
    """Until GET /healthz answers 200, then until the process tree is idle (every worker has
    built its snapshot: a second worker may still be building when the first answers)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if server.proc.poll() is not None:
            tail = server.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{server.name} exited ({server.proc.returncode}):\n{tail}")
        try:
            status, _body = get(server.port, "/healthz", timeout=1.0)
            if status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} not ready after {timeout_s:.0f} s")
        time.sleep(0.1)
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        before = tree_cpu_s(server.proc.pid)
        time.sleep(0.3)
        quiet = quiet + 1 if tree_cpu_s(server.proc.pid) - before < 0.03 else 0


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def tree_pids(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's supervisor and its worker processes)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with suppress(OSError):
                todo.extend(int(c) for c in task.read_text().split())
    return pids


def process_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def tree_cpu_s(pid: int) -> float:
    return sum(process_cpu_s(p) for p in tree_pids(pid))


def tree_cpu_by_process(pid: int) -> dict[int, float]:
    return {p: process_cpu_s(p) for p in tree_pids(pid)}


def is_helper(pid: int) -> bool:
    """multiprocessing's resource tracker: a child of uvicorn's supervisor, not a worker."""
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


# --------------------------------------------------------------------------------------------
# Load generators
# --------------------------------------------------------------------------------------------


@dataclass
class Load:
    """One measured run against one server."""

    requests: int
    seconds: float
    errors: int
    bytes_per_response: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


LUA = """-- written by bench/http_load.py: the next rider position for every request
local paths = {
%s
}
local n = #paths
local i = 0
function init(args)
  i = tonumber(args[1]) or 0
end
function request()
  i = i %% n + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\\"requests\\":%%d,\\"duration_us\\":%%d,\\"bytes\\":%%d,\\"connect\\":%%d," ..
    "\\"read\\":%%d,\\"write\\":%%d,\\"status\\":%%d,\\"timeout\\":%%d,\\"p50_us\\":%%d," ..
    "\\"p90_us\\":%%d,\\"p99_us\\":%%d,\\"max_us\\":%%d}\\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
"""


def find_wrk(install: bool) -> str | None:
    """wrk's path; installs Debian's package when allowed, missing and running as root."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("  wrk is missing: install it with `apt-get install -y wrk` (as root)")
        return None
    print("  wrk is missing: installing Debian's package (apt-get install -y wrk) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "install", "-y", "wrk"], ["apt-get", "update"],
                 ["apt-get", "install", "-y", "wrk"]):  # fmt: skip
        done = subprocess.run(step, env=env, capture_output=True, check=False)
        if step[1] == "install" and done.returncode == 0:
            break
    return shutil.which("wrk")


def run_wrk(
    wrk: str, script: Path, port: int, connections: int, seconds: float, offset: int
) -> Load:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s", "-s",
         str(script), f"http://127.0.0.1:{port}", "--", str(offset)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    r = json.loads(line.removeprefix("WRK_JSON "))
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return Load(
        requests=r["requests"], seconds=r["duration_us"] / 1e6, errors=errors,
        bytes_per_response=r["bytes"] / max(1, r["requests"]),
        p50_ms=r["p50_us"] / 1e3, p90_ms=r["p90_us"] / 1e3, p99_ms=r["p99_us"] / 1e3,
        max_ms=r["max_us"] / 1e3,
        client_cpu_s=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    )  # fmt: skip


def run_python(
    paths: Sequence[str], port: int, connections: int, seconds: float, offset: int
) -> Load:
    """The fallback generator: asyncio, raw sockets, HTTP/1.1 keep-alive, Content-Length only
    (both servers send it)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    latencies: list[float] = []
    counters = {"errors": 0, "bytes": 0}
    requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode() for p in paths]

    async def connection(start: int, deadline: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i, clock = start, time.perf_counter
        try:
            while clock() < deadline:
                i = (i + 1) % len(requests)
                t0 = clock()
                writer.write(requests[i])
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length)
                latencies.append(clock() - t0)
                counters["bytes"] += len(head) + len(body)
                if head[9:12] != b"200":
                    counters["errors"] += 1
        except (OSError, asyncio.IncompleteReadError):
            counters["errors"] += 1
        finally:
            writer.close()

    async def all_connections() -> float:
        t0 = time.perf_counter()
        deadline = t0 + seconds
        await asyncio.gather(*(connection(offset + c * 97, deadline) for c in range(connections)))
        return time.perf_counter() - t0

    elapsed = asyncio.run(all_connections())
    after = resource.getrusage(resource.RUSAGE_SELF)
    ms = np.array(latencies) * 1e3 if latencies else np.array([np.nan])
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return Load(
        requests=len(latencies), seconds=elapsed, errors=counters["errors"],
        bytes_per_response=counters["bytes"] / max(1, len(latencies)),
        p50_ms=float(p50), p90_ms=float(p90), p99_ms=float(p99), max_ms=float(np.max(ms)),
        client_cpu_s=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass
class Cell:
    server: str
    workers: int
    connections: int
    load: Load
    server_cores: float
    per_process: list[float]  # cores of each worker process (the supervisor left out)


def measure(
    server: Server, run: Any, connections: int, seconds: float, warmup_s: float, offset: int
) -> Cell:
    run(server.port, connections, warmup_s, offset + 50_000)
    before = tree_cpu_by_process(server.proc.pid)
    load = run(server.port, connections, seconds, offset)
    after = tree_cpu_by_process(server.proc.pid)
    used = {p: after[p] - before.get(p, 0.0) for p in after}
    workers = [used[p] / load.seconds for p in used if p != server.proc.pid and not is_helper(p)]
    if not workers:  # one worker: uvicorn serves in the process itself
        workers = [used.get(server.proc.pid, 0.0) / load.seconds]
    return Cell(server.name, 0, connections, load, sum(used.values()) / load.seconds, workers)


def check_answers(yizhan: Server, ceiling: Server, path: str) -> str:
    """The ceiling is the ceiling, and both give the same ids for ``path``."""
    kinds = [json.loads(get(s.port, "/healthz")[1]).get("server") for s in (yizhan, ceiling)]
    if kinds != [None, "ceiling"]:
        raise RuntimeError(f"/healthz says the servers are {kinds}, not [Yizhan, ceiling]")
    status_y, body_y = get(yizhan.port, path)
    status_c, body_c = get(ceiling.port, path)
    if status_y != 200 or status_c != 200:
        raise RuntimeError(
            f"{path}: yizhan {status_y} {body_y[:300]!r}, ceiling {status_c} {body_c[:300]!r}"
        )
    ids_y = [f["id"] for f in json.loads(body_y)["features"]]
    ids_c = json.loads(body_c)["ids"]
    if ids_y != ids_c:
        raise RuntimeError(f"{path}: yizhan answers {ids_y}, the ceiling {ids_c}")
    return f"same {len(ids_y)} ids; bodies {len(body_y):,} B (GeoJSON) vs {len(body_c)} B"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<52} {value:>16}  {note}".rstrip(), flush=True)


def print_header(client: str) -> None:
    print(
        f"  {'workers':>7} {'conns':>5}  {'server':<8} {'req/s':>8} {'p50 ms':>7} "
        f"{'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} {'B/resp':>6} "
        f"{'srv CPU':>8}  {client + ' CPU':>9}  per worker (cores)"
    )


def print_cells(cells: list[Cell]) -> None:
    for c in cells:
        ld = c.load
        print(
            f"  {c.workers:>7} {c.connections:>5}  {c.server:<8} {ld.rps:>8,.0f} "
            f"{ld.p50_ms:>7.2f} {ld.p90_ms:>7.2f} {ld.p99_ms:>7.2f} {ld.max_ms:>7.1f} "
            f"{ld.errors:>6} {ld.bytes_per_response:>6.0f} {c.server_cores:>8.2f}  "
            f"{ld.client_cpu_s / ld.seconds:>9.2f}  "
            f"{' + '.join(f'{w:.2f}' for w in c.per_process)}",
            flush=True,
        )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=20_000, help="stations (default 20,000)")
    ap.add_argument("--seconds", type=int, default=10, help="measured seconds per cell")
    ap.add_argument("--warmup", type=int, default=2, help="warm-up seconds per cell")
    ap.add_argument("--workers", default="1,2", help="worker counts (default 1,2)")
    ap.add_argument("--connections", default="1,64", help="connection counts (default 1,64)")
    ap.add_argument("--positions", type=int, default=4000, help="distinct rider positions")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator (auto: wrk, installed if missing, else python)",
    )
    ap.add_argument("--no-install", action="store_true", help="never run apt-get for wrk")
    ap.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for both servers, e.g. OMP_NUM_THREADS=1 (repeatable)",
    )
    ap.add_argument(
        "--patch-nodelay",
        action="store_true",
        help="patch uvicorn's own multi-worker socket (uvicorn #3149); no effect on "
        "`yizhan serve`, whose workers bind their own sockets (api/server/supervisor.py)",
    )
    args = ap.parse_args(argv)
    try:
        server_env = dict(item.split("=", 1) for item in args.server_env)
    except ValueError:
        ap.error("--server-env takes NAME=VALUE")
    workers_list = [int(w) for w in args.workers.split(",")]
    conns_list = [int(c) for c in args.connections.split(",")]
    if not (1 <= args.seconds <= 60 and 1 <= args.warmup <= 10):
        ap.error("keep it bounded: 1 ≤ --seconds ≤ 60, 1 ≤ --warmup ≤ 10 (whole seconds)")
    started = time.perf_counter()

    print(
        f"\n== Setup: N={args.n:,} stations, k={K}, amenities={','.join(FILTER)}, "
        f"{args.positions:,} rider positions, {args.seconds:g} s per cell "
        f"(+{args.warmup:g} s warm-up), {os.cpu_count()} CPUs",
        flush=True,
    )
    wrk = None if args.client == "python" else find_wrk(not args.no_install)
    if args.client == "wrk" and wrk is None:
        print("  wrk is required by --client wrk and is missing")
        return 2
    client = "wrk" if wrk else "python"
    row("load generator", client, wrk or "asyncio raw-socket keep-alive client, this process")
    inherited = {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "GOMP_"))}
    shown = " ".join(f"{k}={v}" for k, v in {**inherited, **server_env}.items())
    row("servers' OpenMP / extra environment", shown or "none")

    with tempfile.TemporaryDirectory(prefix="yizhan-bench-http-") as tmp_name:
        tmp = Path(tmp_name)
        if args.patch_nodelay:
            (tmp / "nodelay").mkdir()
            (tmp / "nodelay" / "sitecustomize.py").write_text(NODELAY_PATCH)
            server_env["PYTHONPATH"] = os.pathsep.join(
                filter(None, (str(tmp / "nodelay"), server_env.get("PYTHONPATH")))
            )
            row("servers patched", "TCP_NODELAY", "uvicorn's listener gets proto=IPPROTO_TCP")
        db = tmp / "stations.gpkg"
        batch = drafts(generate(args.n, np.random.default_rng(args.seed)))
        store = GeoPackageStore(db, create=True)
        t0 = time.perf_counter()
        store.save_all(batch, actor="bench")
        store.close()
        row(
            "GeoPackage store (store.save_all)",
            f"{time.perf_counter() - t0:8.2f} s",
            describe(batch),
        )
        amen = ",".join(FILTER)
        paths = [
            f"/v1/stations/nearest?lat={p.lat:.6f}&lon={p.lon:.6f}&k={K}&amenities={amen}"
            for p in rider_positions(args.positions, args.seed)
        ]
        script = tmp / "riders.lua"
        script.write_text(LUA % ",\n".join(json.dumps(p) for p in paths))

        def run(port: int, connections: int, seconds: float, offset: int) -> Load:
            if wrk is not None:
                return run_wrk(wrk, script, port, connections, seconds, offset)
            return run_python(paths, port, connections, seconds, offset)

        cells: list[Cell] = []
        for workers in workers_list:
            print(f"\n== --workers {workers}", flush=True)
            y_port, c_port = free_port(), free_port()
            t0 = time.perf_counter()
            with (
                running(
                    "yizhan",
                    yizhan_command(db, y_port, workers),
                    y_port,
                    tmp / f"yizhan-{workers}.log",
                    server_env,
                ) as yizhan,
                running(
                    "ceiling",
                    ceiling_command(db, c_port, workers),
                    c_port,
                    tmp / f"ceiling-{workers}.log",
                    server_env,
                ) as ceiling,
            ):
                row("both servers ready", f"{time.perf_counter() - t0:8.1f} s")
                for server in (yizhan, ceiling):
                    row(f"{server.name}'s HTTP stack", "", http_stack_of(server))
                row("one answer of each", "", check_answers(yizhan, ceiling, paths[0]))
                print_header(client)
                for connections in conns_list:
                    for server in (yizhan, ceiling):
                        cell = measure(
                            server,
                            run,
                            connections,
                            args.seconds,
                            args.warmup,
                            offset=len(cells) * 997,
                        )
                        cell.workers = workers
                        cells.append(cell)
                        print_cells([cell])

        report(cells, client, conns_list, patched=args.patch_nodelay)
    row("total wall time", f"{time.perf_counter() - started:8.1f} s")
    return 0


def http_stack_of(server: Server) -> str:
    """The event loop and HTTP parser the server said it serves with (``yizhan serve`` prints
    them at start, for the ceiling too: it runs the same serving code)."""
    found = re.search(r"HTTP stack: (.+)", server.log.read_text(errors="replace"))
    return found.group(1).strip() if found else "not reported"


def report(cells: list[Cell], client: str, conns_list: list[int], *, patched: bool) -> None:
    print(f"\n== Results ({client}, keep-alive, loopback; latency in ms)")
    print_header(client)
    print_cells(cells)
    print("\n== Targets")
    by_key = {(c.server, c.workers, c.connections): c for c in cells}
    for (server, workers, conns), cell in by_key.items():
        if server != "yizhan":
            continue
        ceiling = by_key.get(("ceiling", workers, conns))
        if ceiling is not None:
            ratio = cell.load.rps / ceiling.load.rps
            row(
                f"Yizhan / ceiling req/s, --workers {workers}, {conns} conn",
                f"{ratio:8.0%}",
                "MET" if ratio >= RATIO_TARGET else f"NOT MET (target ≥ {RATIO_TARGET:.0%})",
            )
    high = max(conns_list)
    for (server, workers, conns), cell in by_key.items():
        ceiling = by_key.get(("ceiling", workers, conns))
        if server == "yizhan" and conns == high and ceiling is not None:
            p99, ceiling_p99 = cell.load.p99_ms, ceiling.load.p99_ms
            ratio = p99 / ceiling_p99
            row(
                f"Yizhan p99 / ceiling p99 at {conns} conn, --workers {workers}",
                f"{ratio:7.2f}×",
                f"{p99:.1f} / {ceiling_p99:.1f} ms: "
                + (
                    "MET"
                    if ratio <= P99_RATIO_TARGET
                    else f"NOT MET (target ≤ {P99_RATIO_TARGET}×)"
                ),
            )
    if not patched and any(
        c.workers > 1 and c.connections == 1 and 35 < c.load.p50_ms < 60 for c in cells
    ):
        print(
            "  NOTE: ~40 ms per request on one connection with --workers > 1 is Nagle's "
            "algorithm meeting delayed ACKs: a listening socket without TCP_NODELAY on "
            "its accepted connections (uvicorn #3149; see api/server/supervisor.py)"
        )
    spinning = [c for c in cells if max(c.per_process) > 1.1]
    if spinning:
        print(
            f"  NOTE: one worker process used more than one core ({spinning[0].server}, "
            f"{max(spinning[0].per_process):.2f}): pykdtree's OpenMP team spinning between "
            "queries; --server-env OMP_NUM_THREADS=1 measures without it"
        )
    lopsided = [
        c
        for c in cells
        if len(c.per_process) > 1
        and c.connections > 1
        and min(c.per_process) < 0.1 * max(c.per_process)
    ]
    for c in lopsided:
        print(
            f"  NOTE: {c.server} --workers {c.workers}, {c.connections} conns: one worker "
            "served nearly every connection (shared listening socket, connections opened "
            "in a burst: the first worker to wake accepts them all)"
        )
    errors = sum(c.load.errors for c in cells)
    row(
        "errors (non-200, connect, read, write, timeout)",
        f"{errors:8d}",
        "none" if errors == 0 else "SOME",
    )


if __name__ == "__main__":
    raise SystemExit(main())
