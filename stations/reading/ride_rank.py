"""Nearest stations by ride time: the geodesically nearest candidates that pass every filter but
the opening hours, one matrix of ride times from the rider to them, re-ranked by duration (ties
by distance, then id), and "open" judged at the arrival instant (the asked instant plus the
ride). When the engine cannot answer, the geodesic order stands with durations estimated from
distance × a detour factor ÷ speed, and the answer says so — never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Final, Literal

from geo.position import LonLat
from geo.valhalla import Ride, RoutingUnavailable
from stations.hours import Openness
from stations.reading.catalog import Catalog
from stations.reading.locator import Match, NearbyQuery, find_nearby

#: Ride times from a rider to stations, (lon, lat) WGS-84, in order; None: unreachable.
RideTimes = Callable[[tuple[float, float], list[tuple[float, float]]], Sequence[Ride | None]]

DEFAULT_CANDIDATES: Final = 20
#: Roads are longer than the straight line; 1.3 is a common urban detour (circuity) factor.
DETOUR: Final = 1.3


@dataclass(frozen=True, slots=True)
class TimedMatch:
    match: Match  # its ``hours`` are the status at ``arrival``
    duration_s: float
    route_distance_m: float | None  # along the route; None when estimated
    source: Literal["engine", "estimate"]


@dataclass(frozen=True, slots=True)
class TimedAnswer:
    matches: list[TimedMatch]
    fallback: str | None  # why the engine's times were not used, or None
    speed_kmh: float  # the e-bike speed the rides (and estimates) are for


def find_by_ride_time(
    catalog: Catalog,
    origin: LonLat,
    query: NearbyQuery,
    rides: RideTimes | None,
    *,
    speed_kmh: float,
    candidates: int = DEFAULT_CANDIDATES,
) -> TimedAnswer:
    """Up to ``query.k`` stations fastest to reach from ``origin`` (see the module docstring);
    ``rides`` None: no engine configured, the estimate throughout."""
    wide = replace(query, k=max(candidates, query.k), open_at=None)
    found = find_nearby(catalog, origin, wide)
    fallback: str | None = "no routing engine is configured" if rides is None else None
    timed: list[Ride | None] = [None] * len(found)
    if rides is not None and found:
        try:
            timed = list(rides((origin.lon, origin.lat), [(m.station.lon, m.station.lat)
                                                          for m in found]))  # fmt: skip
        except RoutingUnavailable as exc:
            fallback = str(exc)
    answers: list[tuple[tuple[float, float, str], TimedMatch]] = []
    for match, ride in zip(found, timed, strict=True):
        engine = fallback is None and ride is not None
        duration = ride.duration_s if engine and ride else _estimate_s(match.distance_m, speed_kmh)
        position = catalog.position_of(match.station.id)
        assert position is not None, "a match is one of this catalog's visible stations"
        schedule = catalog.hours[position]
        if query.open_at is not None:
            arrival = query.open_at + timedelta(seconds=duration)
            if schedule.state(arrival) is not Openness.OPEN:
                continue
        at_arrival = schedule.status(query.at + timedelta(seconds=duration))
        item = TimedMatch(
            match._replace(hours=at_arrival),
            duration,
            ride.distance_m if engine and ride else None,
            "engine" if engine else "estimate",
        )
        answers.append(((duration, match.distance_m, match.station.id), item))
    if fallback is not None:  # the geodesic order stands
        chosen = [item for _, item in answers]
    else:
        chosen = [item for _, item in sorted(answers, key=lambda pair: pair[0])]
    return TimedAnswer(chosen[: query.k], fallback, speed_kmh)


def _estimate_s(distance_m: float, speed_kmh: float) -> float:
    return round(distance_m * DETOUR / (speed_kmh / 3.6), 1)
