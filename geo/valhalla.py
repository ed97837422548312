"""The Valhalla routing engine (MIT) as Yizhan runs it: tiles built from an OpenStreetMap extract,
and the engine's own HTTP service as a local sidecar, asked for ride times from one point to many.

Valhalla's Python wheels (PyPI ``pyvalhalla``) need Python ≥ 3.12 while Yizhan runs on 3.11, so
the engine lives in a virtual environment of its own (``make routing`` makes ``.venv-routing``)
and Yizhan calls its tools and its service, never its Python module. This module knows nothing
of stations: points in, seconds and metres out.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Where ``make routing`` puts the engine, relative to the project.
ROUTING_VENV: Final = Path(".venv-routing")
#: What a tile build leaves in its folder besides the tiles: the engine's configuration.
CONFIG_NAME: Final = "valhalla.json"


class RoutingUnavailable(RuntimeError):
    """The engine cannot be used: not installed, no tiles, not running, too slow or failing."""


def engine_bin(override: str | Path | None = None) -> Path:
    """The folder holding ``valhalla_build_tiles`` and ``valhalla_service``: ``override``, else
    ``.venv-routing/bin`` of the working folder, else the one ``make routing`` made next to
    this interpreter's venv (so the commands work from any folder), else the one on PATH.
    Raises RoutingUnavailable saying how to install it."""
    beside_venv = Path(sys.prefix).parent / ROUTING_VENV / "bin"
    candidates = [Path(override)] if override else [ROUTING_VENV / "bin", beside_venv]
    on_path = shutil.which("valhalla_build_tiles")
    if on_path and not override:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "valhalla_build_tiles").exists() and (folder / "valhalla_service").exists():
            return folder.resolve()
    raise RoutingUnavailable(
        "the Valhalla engine is not installed: run `make routing` (Python 3.12 and PyPI's "
        "pyvalhalla in .venv-routing), or name its bin folder with YIZHAN_VALHALLA_BIN"
    )


@dataclass(frozen=True, slots=True)
class BuiltTiles:
    folder: Path
    seconds: float
    size_bytes: int
    tiles: int


def build_tiles(pbf: Path, out: Path, *, bin_dir: Path, threads: int = 2) -> BuiltTiles:
    """Build routing tiles for the extract ``pbf`` into ``out`` (made if missing; a previous
    build there is replaced), with the engine's configuration in ``out/valhalla.json``. Raises
    RoutingUnavailable with the engine's last lines when it fails."""
    if not pbf.is_file():
        raise RoutingUnavailable(f"no OpenStreetMap extract at {pbf}")
    out.mkdir(parents=True, exist_ok=True)
    tile_dir = (out / "tiles").resolve()
    if tile_dir.exists():
        shutil.rmtree(tile_dir)
    config = _run(
        bin_dir / "valhalla_build_config",
        "--mjolnir-tile-dir", str(tile_dir),
        "--mjolnir-tile-extract", str(out.resolve() / "tiles.tar"),
        "--mjolnir-concurrency", str(threads),
        "--mjolnir-admin", "",
        "--mjolnir-timezone", "",
    )  # fmt: skip
    settings = json.loads(config)
    settings["mjolnir"]["logging"] = {"type": "std_out", "color": False}
    # No admin or timezone databases (above): a ride's time needs neither (they name countries
    # and apply time-dependent restrictions, which Yizhan does not ask for).
    (out / CONFIG_NAME).write_text(json.dumps(settings, indent=1), encoding="utf-8")
    started = time.perf_counter()
    _run(native(bin_dir / "valhalla_build_tiles"), "-c", str(out / CONFIG_NAME), str(pbf.resolve()))
    seconds = time.perf_counter() - started
    files = [p for p in tile_dir.rglob("*.gph")]
    size = sum(p.stat().st_size for p in tile_dir.rglob("*") if p.is_file())
    if not files:
        raise RoutingUnavailable(f"the build left no tiles in {tile_dir}: is {pbf} an extract?")
    return BuiltTiles(out, seconds, size, len(files))


def native(tool: Path) -> Path:
    """The engine's own executable behind the wheel's Python wrapper ``tool`` (in the wheel's
    ``valhalla/bin`` of the same environment), or ``tool`` itself: started directly, the
    service does without a Python process of ~43 MB in front of it."""
    for inner in sorted(
        tool.parent.parent.glob(f"lib/python3*/site-packages/valhalla/bin/{tool.name}")
    ):
        if os.access(inner, os.X_OK):
            return inner
    return tool


def has_tiles(folder: Path) -> bool:
    """Whether ``folder`` holds a finished build (its configuration and at least one tile)."""
    return (folder / CONFIG_NAME).is_file() and any((folder / "tiles").rglob("*.gph"))


def engine_env(bin_dir: Path) -> dict[str, str]:
    """The environment the engine's tools run in: its wrapper scripts look themselves up on
    PATH before starting the executable they wrap."""
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def _run(tool: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            [str(tool), *args], capture_output=True, text=True, timeout=3600, check=False,
            env=engine_env(tool.parent),
        )  # fmt: skip
    except OSError as exc:
        raise RoutingUnavailable(f"cannot run {tool.name}: {exc}") from exc
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise RoutingUnavailable(f"{tool.name} failed ({done.returncode}): {tail}")
    return done.stdout


@dataclass(frozen=True, slots=True)
class Ride:
    duration_s: float
    distance_m: float  # along the route the engine chose


class Sidecar:
    """The engine's HTTP service for one tile build, on a free loopback port, in its own
    process: started by ``start()``, stopped by ``stop()`` (and as a context manager)."""

    def __init__(self, folder: Path, *, bin_dir: Path, threads: int = 1) -> None:
        if not has_tiles(folder):
            raise RoutingUnavailable(f"no routing tiles in {folder}: run `yizhan routing build`")
        self.folder, self.bin_dir, self.threads = folder, bin_dir, threads
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> Sidecar:
        settings = json.loads((self.folder / CONFIG_NAME).read_text(encoding="utf-8"))
        settings["httpd"]["service"]["listen"] = f"tcp://127.0.0.1:{self.port}"
        # Exit on SIGTERM at once (the default drains for ~30 s): nothing to save.
        settings["httpd"]["service"]["drain_seconds"] = 0
        settings["httpd"]["service"]["shutdown_seconds"] = 0
        settings["loki"]["logging"] = settings["thor"]["logging"] = {"type": "std_out"}
        config = self.folder / f"service-{self.port}.json"
        config.write_text(json.dumps(settings), encoding="utf-8")
        self._process = subprocess.Popen(
            [str(native(self.bin_dir / "valhalla_service")), str(config), str(self.threads)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=engine_env(self.bin_dir), start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RoutingUnavailable(f"valhalla_service exited ({self._process.returncode})")
            if status(self.url, timeout_s=1.0):
                return self
            time.sleep(0.05)
        self.stop()
        raise RoutingUnavailable(f"valhalla_service did not answer within {timeout_s:g} s")

    def stop(self) -> None:
        """Stop the service: its whole process group (where ``valhalla_service`` is the wheel's
        Python wrapper, the engine is its child)."""
        process, self._process = self._process, None
        if process is None:
            return
        # The engine takes its time over SIGTERM (seconds): a second later it is killed; it
        # holds nothing to save (tiles are read-only).
        for sig, grace_s in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                _wait_group_gone(process, grace_s)
                break
            except subprocess.TimeoutExpired:
                continue
        process.wait(5)

    def __enter__(self) -> Sidecar:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_group_gone(leader: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Wait until no process of ``leader``'s group is left (reaping the leader meanwhile: a
    zombie still counts as a member)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        leader.poll()
        try:
            os.killpg(leader.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    raise subprocess.TimeoutExpired(f"process group {leader.pid}", timeout_s)


def status(url: str, *, timeout_s: float) -> bool:
    """Whether the service at ``url`` answers its status route."""
    try:
        with urllib.request.urlopen(f"{url}/status", timeout=timeout_s) as answer:
            return bool(answer.status == 200)
    except (OSError, ValueError):
        return False


def ride_times(
    url: str,
    origin: tuple[float, float],
    targets: list[tuple[float, float]],
    *,
    speed_kmh: float,
    timeout_s: float,
) -> list[Ride | None]:
    """Ride times by bicycle at ``speed_kmh`` (an e-bike: Valhalla's "Road" bicycle, whose speed
    it takes up to 25 km/h) from ``origin`` to each target, all (lon, lat) WGS-84, in order;
    None for a target the engine cannot reach. One matrix request; when the engine refuses it
    because some target lies in a part of the map the origin does not connect to, each target
    is asked alone. Raises RoutingUnavailable when the engine does not answer within
    ``timeout_s`` or cannot route from the origin at all."""
    deadline = time.monotonic() + timeout_s
    try:
        return _matrix(url, origin, targets, speed_kmh, timeout_s)
    except _Refused as refused:
        if len(targets) == 1:
            return [None]
        first = refused
    rides: list[Ride | None] = []
    for target in targets:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RoutingUnavailable(f"the engine was too slow (over {timeout_s:g} s)")
        try:
            rides += _matrix(url, origin, [target], speed_kmh, left)
        except _Refused:
            rides.append(None)
    if all(ride is None for ride in rides):
        raise RoutingUnavailable(f"the engine cannot route from here: {first}")
    return rides


class _Refused(Exception):
    """The engine answered 400 (e.g. locations in unconnected parts of the map)."""


def _matrix(
    url: str,
    origin: tuple[float, float],
    targets: list[tuple[float, float]],
    speed_kmh: float,
    timeout_s: float,
) -> list[Ride | None]:
    request = {
        "sources": [_location(origin)],
        "targets": [_location(target) for target in targets],
        "costing": "bicycle",
        "costing_options": {"bicycle": {"bicycle_type": "Road", "cycling_speed": speed_kmh}},
        "units": "kilometers",
    }
    post = urllib.request.Request(
        f"{url}/sources_to_targets",
        data=json.dumps(request).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(post, timeout=timeout_s) as answer:
            matrix = json.loads(answer.read())["sources_to_targets"]
    except urllib.error.HTTPError as exc:
        if exc.code == 400:
            raise _Refused(_reason(exc)) from exc
        raise RoutingUnavailable(f"the engine failed: {_reason(exc)}") from exc
    except (OSError, ValueError, KeyError) as exc:
        raise RoutingUnavailable(f"the engine did not answer: {exc}") from exc
    if isinstance(matrix, dict):  # the concise form: {"durations": [[…]], "distances": [[…]]}
        pairs = list(zip(matrix["durations"][0], matrix["distances"][0], strict=True))
    else:  # the verbose form (the service's default): [[{"time", "distance", …}, …]]
        pairs = [(cell.get("time"), cell.get("distance")) for cell in matrix[0]]
    if len(pairs) != len(targets):
        raise RoutingUnavailable(f"the engine answered {len(pairs)} of {len(targets)} targets")
    return [None if d is None or m is None else Ride(float(d), float(m) * 1000.0) for d, m in pairs]


#: How far from a road a point may be and still be routed from or to it. Valhalla's default
#: (35 km) snaps a point far outside the map to its edge and answers a wrong time.
SNAP_CUTOFF_M: Final = 1000


def _location(point: tuple[float, float]) -> dict[str, float]:
    return {"lon": point[0], "lat": point[1], "search_cutoff": SNAP_CUTOFF_M}


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read()).get("error", exc.reason))
    except (OSError, ValueError):
        return str(exc.reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
