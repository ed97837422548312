"""Where a ``GET /v1/stations/nearest`` request's time goes in a real server under load.

Run from the repository root (``make profile-nearest``)::

    .venv/bin/python bench/profile_nearest.py [--repo PATH] [--n 20000] [--seconds 15]
                                              [--connections 64] [--raw FILE]

Issue 16, item 6: a profile of the nearest route before and after. This samples a running
``yizhan serve --workers 1`` with py-spy (a sampling profiler that reads the process from
outside: the server runs unmodified; each sample pauses it for a moment) while wrk loads it
exactly as bench/http_load.py does (same synthetic stations, rider positions, k and amenity
filter).

``--repo`` profiles another checkout of Yizhan with the same script, e.g. the commit before
issue 16 (``git worktree add /tmp/before COMMIT``): the store is made and the server started by
that checkout's own code and this venv's packages.

It prints the requests served per second under the profiler, then two tables over the samples
of the worker's threads that were running Python (idle waits are not sampled):

* **exclusive**: each sample counted once, for the innermost frame that belongs to a group
  (the HTTP protocol and event loop, Starlette and FastAPI, Yizhan's middlewares, logging, the
  nearest search, the answer's encoding, other Yizhan code);
* **inclusive**: the share of samples inside a few frames that matter (the endpoint, the access
  log, ``find_nearby``, the answer), whatever they call.

``--raw`` keeps py-spy's collapsed stacks (one line per stack and its count; flame-graph tools
read them). This is a script, not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT))

from bench.http_load import (  # noqa: E402
    LUA,
    Server,
    find_wrk,
    free_port,
    row,
    run_wrk,
    stop,
    wait_ready,
)
from bench.synthetic import FILTER, K, rider_positions  # noqa: E402

#: Groups of frames, by the path of their file; the first that matches a frame names it.
GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Yizhan middlewares (access log, limits, headers)", re.compile(r"(^|/)api/middleware/")),
    ("the answer (presenter, orjson)", re.compile(r"(^|/)api/presenter\.py|orjson")),
    (
        "the nearest search (reading, geo, pyproj, k-d tree)",
        re.compile(r"(^|/)(stations/reading|geo)/|pyproj|pykdtree"),
    ),
    ("other Yizhan code (routes, parameters)", re.compile(r"(^|/)(api|stations)/")),
    ("logging (the access log's records)", re.compile(r"(^|/)logging/")),
    (
        "FastAPI, Starlette, pydantic (routing, responses)",
        re.compile(r"(^|/)(fastapi|starlette|pydantic|pydantic_core|anyio)/"),
    ),
    (
        "HTTP protocol, event loop (uvicorn, httptools)",
        re.compile(r"(^|/)(uvicorn|httptools|h11|asyncio)/|selectors\.py|socket\.py"),
    ),
)
OTHER = "other (interpreter, standard library)"

Frames = list[tuple[str, str]]  # (function, file) of each frame, outermost first


def _inside(func: str, file: str) -> Callable[[Frames], bool]:
    """Whether a stack has a frame of ``func`` (any function if empty) in a file matching
    ``file``."""
    pattern = re.compile(file)
    return lambda frames: any((not func or fn == func) and pattern.search(f) for fn, f in frames)


_in_search = _inside("find_nearby", r"(^|/)stations/reading/locator\.py")
_in_presenter = _inside("", r"(^|/)api/presenter\.py")

#: Shares of samples printed as "inclusive": (label, whether a stack counts).
INCLUSIVE: tuple[tuple[str, Callable[[Frames], bool]], ...] = (
    ("the endpoint (parameters, search, answer)",
     _inside("find_nearest_stations", r"(^|/)api/routes/")),
    ("find_nearby (the search)", _in_search),
    ("the answer's encoding (presenter, search left out)",
     lambda frames: _in_presenter(frames) and not _in_search(frames)),
    ("the access log's record (AccessLog._write)",
     _inside("AccessLog._write", r"(^|/)api/middleware/access_log\.py")),
    ("FastAPI's dependency solving", _inside("solve_dependencies", r"(^|/)fastapi/")),
)  # fmt: skip

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::\d+)?\)$")


def find_py_spy(install: bool) -> str | None:
    """py-spy beside this interpreter or on PATH; pip-installed into this venv if allowed."""
    beside = Path(sys.executable).with_name("py-spy")
    if beside.exists():
        return str(beside)
    found = shutil.which("py-spy")
    if found or not install:
        return found
    print("  py-spy is missing: installing it into this venv (pip install py-spy) ...", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=False)
    return str(beside) if beside.exists() else shutil.which("py-spy")


def make_store(repo: Path, db: Path, n: int, seed: int) -> None:
    """The synthetic stations, saved by ``repo``'s own code (its schema, its writer)."""
    code = (
        "import sys, numpy as np\n"
        f"sys.path.insert(0, {str(repo)!r})\n"
        "from bench.synthetic import drafts, generate\n"
        "from stations.store.geopackage.store import GeoPackageStore\n"
        f"store = GeoPackageStore({str(db)!r}, create=True)\n"
        f"store.save_all(drafts(generate({n}, np.random.default_rng({seed}))), actor='bench')\n"
        "store.close()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=repo, check=True)


def start_server(repo: Path, db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    env["PYTHONPATH"] = str(repo)
    command = [sys.executable, "-m", "api.cli", "serve", "--db", str(db), "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1"]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def group_of(file: str) -> str:
    return next((name for name, pattern in GROUPS if pattern.search(file)), OTHER)


def frames_of(stack: str) -> Frames:
    """(function, file) of each frame of a collapsed stack, outermost first (the thread's own
    name, py-spy's first element, left out)."""
    out = []
    for part in stack.split(";"):
        match = _FRAME.match(part.strip())
        if match:
            out.append((match["func"], match["file"]))
    return out


def summarise(collapsed: str) -> tuple[int, collections.Counter[str], collections.Counter[str]]:
    exclusive: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = frames_of(stack)
        if not frames:
            continue
        total += count
        exclusive[next((group_of(f) for _fn, f in reversed(frames) if group_of(f) != OTHER),
                       OTHER)] += count  # fmt: skip
        for label, counts in INCLUSIVE:
            if counts(frames):
                inclusive[label] += count
    return total, exclusive, inclusive


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--repo", type=Path, default=_ROOT, help="the checkout to profile")
    ap.add_argument("--n", type=int, default=20_000, help="stations (default 20,000)")
    ap.add_argument("--seconds", type=int, default=15, help="profiled seconds under load")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--positions", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    ap.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks here")
    ap.add_argument("--no-install", action="store_true", help="never install wrk or py-spy")
    args = ap.parse_args(argv)
    repo = args.repo.resolve()
    if not (1 <= args.seconds <= 120):
        ap.error("keep it bounded: 1 ≤ --seconds ≤ 120")
    wrk = find_wrk(not args.no_install)
    py_spy = find_py_spy(not args.no_install)
    if wrk is None or py_spy is None:
        print("  wrk and py-spy are both needed")
        return 2
    head = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%h %s"],
                          capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    print(f"\n== Profile of GET /v1/stations/nearest: {repo} ({head[:70]})")
    row("stations / rider positions / connections",
        f"{args.n:,} / {args.positions:,} / {args.connections}",
        f"k={K}, amenities={','.join(FILTER)}, --workers 1")  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="yizhan-profile-") as tmp_name:
        tmp = Path(tmp_name)
        db, log, raw = tmp / "stations.gpkg", tmp / "server.log", tmp / "stacks.txt"
        make_store(repo, db, args.n, args.seed)
        paths = [
            f"/v1/stations/nearest?lat={p.lat:.6f}&lon={p.lon:.6f}&k={K}&amenities={','.join(FILTER)}"
            for p in rider_positions(args.positions, args.seed)
        ]
        script = tmp / "riders.lua"
        script.write_text(LUA % ",\n".join(json.dumps(p) for p in paths))
        port = free_port()
        proc = start_server(repo, db, port, log)
        try:
            wait_ready(Server("yizhan", proc, port, log))
            run_wrk(wrk, script, port, args.connections, 3, 0)  # warm-up
            spy = subprocess.Popen(
                [py_spy, "record", "--pid", str(proc.pid), "--subprocesses",
                 "--rate", str(args.rate), "--duration", str(args.seconds), "--format", "raw",
                 "--output", str(raw)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            time.sleep(0.5)  # py-spy attaches
            load = run_wrk(wrk, script, port, args.connections, args.seconds - 1, 1000)
            _out, err = spy.communicate(timeout=args.seconds + 60)
            if spy.returncode != 0 or not raw.exists():
                print(f"  py-spy failed ({spy.returncode}): {err.decode(errors='replace')[-500:]}")
                return 1
        finally:
            stop(proc)
        collapsed = raw.read_text(errors="replace")
        if args.raw is not None:
            args.raw.write_text(collapsed)
    total, exclusive, inclusive = summarise(collapsed)
    row("requests per second under the profiler", f"{load.rps:,.0f}",
        f"p50 {load.p50_ms:.2f} ms, p99 {load.p99_ms:.2f} ms, {load.errors} errors")  # fmt: skip
    row("samples (threads running Python)", f"{total:,}", f"{args.rate}/s for {args.seconds} s")
    if not total:
        return 1
    print("\n== Exclusive: each sample once, for its innermost frame in a group")
    for name, _pattern in (*GROUPS, (OTHER, None)):
        row(name, f"{exclusive[name] / total:6.1%}")
    print("\n== Inclusive: samples inside each frame, whatever it calls")
    for label, _counts in INCLUSIVE:
        row(label, f"{inclusive[label] / total:6.1%}")
    print(
        f"\n  per request: {1e6 / load.rps:.0f} µs of one worker's time at "
        f"{load.rps:,.0f} req/s (the worker is the only busy process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
