"""Nearest by ride time with the real engine on the Helsinki sample: the order is the engine's
own durations sorted (asked independently), "open" is judged at arrival, and a stopped engine
leaves the geodesic order with estimated durations and says why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from geo.position import LonLat
from geo.valhalla import Sidecar, engine_bin, ride_times
from stations.model import Station, StationId
from stations.reading.catalog import Catalog
from stations.reading.locator import nearby_query
from stations.reading.ride_rank import DETOUR, find_by_ride_time
from tests.conftest import MakeDraft

ROOT = Path(__file__).resolve().parents[2]
RIDER = LonLat(24.9384, 60.1699)
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday, 18:00 in China
SPOTS = [
    (24.9401, 60.1700),
    (24.9450, 60.1720),
    (24.9300, 60.1650),
    (24.9500, 60.1680),
    (24.9420, 60.1660),
    (24.9360, 60.1740),
    (24.9470, 60.1760),
    (24.9390, 60.1670),
]


@pytest.fixture(scope="module")
def engine(helsinki_tiles: Path) -> Iterator[Sidecar]:
    with Sidecar(helsinki_tiles, bin_dir=engine_bin(ROOT / ".venv-routing" / "bin")) as sidecar:
        yield sidecar


def _stations(make_draft: MakeDraft, **fields: object) -> list[Station]:
    out = []
    for n, (lon, lat) in enumerate(SPOTS):
        draft = make_draft(id=StationId(f"h-{n}"), lon=lon, lat=lat, opening_hours="24/7", **fields)
        out.append(Station(**{k: getattr(draft, k) for k in draft.__slots__}, version=1,  # type: ignore[attr-defined]
                           updated_at=NOW))  # fmt: skip
    return out


def test_the_order_is_the_engines_durations_sorted(engine: Sidecar, make_draft: MakeDraft) -> None:
    catalog = Catalog(_stations(make_draft))
    rides = partial(ride_times, engine.url, speed_kmh=20, timeout_s=5)
    answer = find_by_ride_time(
        catalog, RIDER, nearby_query(now=NOW, k=5), rides, speed_kmh=20, candidates=20
    )
    assert answer.fallback is None
    oracle = ride_times(engine.url, (RIDER.lon, RIDER.lat), SPOTS, speed_kmh=20, timeout_s=5)
    expected = sorted(
        (ride.duration_s, f"h-{n}") for n, ride in enumerate(oracle) if ride is not None
    )[:5]
    assert [(m.duration_s, m.match.station.id) for m in answer.matches] == expected
    assert all(m.source == "engine" and m.route_distance_m for m in answer.matches)


def test_open_is_judged_at_arrival(engine: Sidecar, make_draft: MakeDraft) -> None:
    stations = _stations(make_draft)
    oracle = ride_times(engine.url, (RIDER.lon, RIDER.lat), SPOTS, speed_kmh=20, timeout_s=5)
    slowest = max((r.duration_s, n) for n, r in enumerate(oracle) if r is not None)
    # That station closes one minute from now: open now, closed when the rider gets there.
    closes = (NOW + timedelta(minutes=1)).astimezone(UTC)
    hours = f"Mo-Su 00:00-{(closes + timedelta(hours=8)).strftime('%H:%M')}"  # China time
    n = slowest[1]
    stations[n] = Station(**{**{k: getattr(stations[n], k) for k in stations[n].__slots__},  # type: ignore[attr-defined]
                             "opening_hours": hours})  # fmt: skip
    catalog = Catalog(stations)
    assert slowest[0] > 60
    rides = partial(ride_times, engine.url, speed_kmh=20, timeout_s=5)
    query = nearby_query(now=NOW, k=8, open_now=True)
    answer = find_by_ride_time(catalog, RIDER, query, rides, speed_kmh=20)
    assert f"h-{n}" not in {m.match.station.id for m in answer.matches}
    assert len(answer.matches) == len([r for r in oracle if r is not None]) - 1


def test_a_stopped_engine_keeps_the_geodesic_order_with_estimates(
    helsinki_tiles: Path, make_draft: MakeDraft
) -> None:
    catalog = Catalog(_stations(make_draft))
    sidecar = Sidecar(helsinki_tiles, bin_dir=engine_bin(ROOT / ".venv-routing" / "bin")).start()
    sidecar.stop()
    rides = partial(ride_times, sidecar.url, speed_kmh=20, timeout_s=1)
    answer = find_by_ride_time(catalog, RIDER, nearby_query(now=NOW, k=5), rides, speed_kmh=20)
    assert answer.fallback is not None and "did not answer" in answer.fallback
    distances = [m.match.distance_m for m in answer.matches]
    assert distances == sorted(distances)
    for m in answer.matches:
        assert m.source == "estimate" and m.route_distance_m is None
        assert m.duration_s == pytest.approx(m.match.distance_m * DETOUR / (20 / 3.6), abs=0.1)
    no_engine = find_by_ride_time(catalog, RIDER, nearby_query(now=NOW, k=5), None, speed_kmh=20)
    assert no_engine.fallback == "no routing engine is configured"


def test_the_geodesically_nearest_station_behind_the_tracks_ranks_second(
    engine: Sidecar, make_draft: MakeDraft
) -> None:
    """West of Helsinki's central station the rail yard lies between the rider and the nearer
    station: 187 m away as the crow flies, it is a longer ride than one 226 m away."""
    rider = LonLat(24.939283, 60.172163)
    behind = make_draft(id=StationId("behind-the-tracks"), lon=24.942474, lat=60.172699)
    around = make_draft(id=StationId("round-the-corner"), lon=24.943287, lat=60.171801)
    catalog = Catalog(
        [Station(**{k: getattr(d, k) for k in d.__slots__}, version=1, updated_at=NOW)  # type: ignore[attr-defined]
         for d in (behind, around)]
    )  # fmt: skip
    by_distance = find_by_ride_time(catalog, rider, nearby_query(now=NOW, k=2), None, speed_kmh=20)
    assert [m.match.station.id for m in by_distance.matches] == ["behind-the-tracks",
                                                                 "round-the-corner"]  # fmt: skip
    rides = partial(ride_times, engine.url, speed_kmh=20, timeout_s=5)
    by_time = find_by_ride_time(catalog, rider, nearby_query(now=NOW, k=2), rides, speed_kmh=20)
    ranked = [(m.match.station.id, m.duration_s) for m in by_time.matches]
    assert [station for station, _ in ranked] == ["round-the-corner", "behind-the-tracks"]
    assert ranked[1][1] - ranked[0][1] >= 30  # seconds saved by riding to the farther one
