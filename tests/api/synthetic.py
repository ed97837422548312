"""Synthetic stations around Xi'an, written in the import CSV format, and a brute-force oracle.

The oracle is independent of the code under test: GeographicLib's pure-Python ``Geodesic``
(not pyproj), evaluated against every station, ordered by (distance, id).
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import chinese_calendar
import numpy as np
from geographiclib.geodesic import Geodesic

GEOD: Final = Geodesic.WGS84
HOSTILE_NAME: Final = "<img src=x onerror=alert(1)>"
XIAN: Final = (108.9423, 34.2610)  # (lon, lat), the README's example point near 钟楼
CSV_HEADER: Final = "id,name,kind,lon,lat,address,district_code,amenities,opening_hours,phone,host"

#: Opening hours used by the synthetic stations, with their state on an ordinary Wednesday
#: (2026-03-11, no holiday) at 03:00 and at 10:00 Shanghai time: the oracle for open_at.
HOURS_STATE: Final[dict[str, tuple[str, str]]] = {
    "24/7": ("open", "open"),
    "Mo-Fr 09:00-17:00; PH off": ("closed", "open"),
    "Mo-Su 08:00-20:00": ("closed", "open"),
    "Mo-Su 18:00-06:00": ("open", "closed"),
    "Sa,Su 10:00-16:00": ("closed", "closed"),
    "": ("unknown", "unknown"),
}
WEDNESDAY_0300: Final = "2026-03-11T03:00:00+08:00"
WEDNESDAY_1000_UTC: Final = "2026-03-11T02:00:00Z"  # 10:00 in Shanghai
OFFICE_HOURS: Final = "Mo-Fr 09:00-17:00; PH off"

#: Probability of each amenity; "aed" is rare on purpose (under 2 %: the catalog then builds a
#: restricted index for the filter, a different code path from the masked scan).
AMENITY_ODDS: Final[dict[str, float]] = {
    "water": 0.9,
    "microwave": 0.5,
    "phone_charging": 0.7,
    "seating": 0.8,
    "wifi": 0.4,
    "toilet": 0.3,
    "first_aid": 0.6,
    "battery_swap": 0.1,
    "aed": 0.012,
}
DISTRICTS: Final = ("610102", "610103", "610104", "610112", "610113", "610116", "610402")


@dataclass(frozen=True, slots=True)
class SynStation:
    id: str
    kind: str
    lon: float  # WGS-84 degrees, exactly as written to the CSV
    lat: float
    district_code: str
    amenities: frozenset[str]
    opening_hours: str


@dataclass(frozen=True, slots=True)
class Point:
    lon: float
    lat: float


def state_at(hours: str, at: datetime) -> str | None:
    """The state of one of the HOURS_STATE expressions at ``at``, worked out by hand from the
    Shanghai wall clock and the State Council calendar; None where the calendar runs out."""
    local = at.astimezone(ZoneInfo("Asia/Shanghai"))
    clock, weekday = local.time(), local.weekday()
    if hours == "24/7":
        return "open"
    if hours == "":
        return "unknown"
    if hours == OFFICE_HOURS:
        try:
            holiday = chinese_calendar.get_holiday_detail(local.date())
        except NotImplementedError:
            return None
        if holiday[0] and holiday[1] is not None:
            return "closed"
        return _state(weekday < 5 and time(9) <= clock < time(17))
    if hours == "Mo-Su 08:00-20:00":
        return _state(time(8) <= clock < time(20))
    if hours == "Mo-Su 18:00-06:00":
        return _state(clock >= time(18) or clock < time(6))
    if hours == "Sa,Su 10:00-16:00":
        return _state(weekday >= 5 and time(10) <= clock < time(16))
    raise ValueError(hours)


def _state(is_open: bool) -> str:
    return "open" if is_open else "closed"


def make_stations(seed: int = 20261127, n_single: int = 2000) -> list[SynStation]:
    """``n_single`` scattered stations, plus 150 partners 1–6 m from one of them and 20 exact
    duplicates of a position (distance ties, broken by id)."""
    rng = random.Random(seed)
    positions: list[tuple[float, float]] = []
    for _ in range(n_single):
        positions.append((XIAN[0] + rng.gauss(0.0, 0.06), XIAN[1] + rng.gauss(0.0, 0.05)))
    for base in rng.sample(range(n_single), 150):
        lon, lat = positions[base]
        step = GEOD.Direct(lat, lon, rng.uniform(0.0, 360.0), rng.uniform(1.0, 6.0))
        positions.append((step["lon2"], step["lat2"]))
    positions.extend(positions[base] for base in rng.sample(range(n_single), 20))
    order = list(range(len(positions)))
    rng.shuffle(order)  # so ids do not follow the construction order
    stations = []
    hours = list(HOURS_STATE)
    for number, i in enumerate(order, start=1):
        lon, lat = (round(v, 7) for v in positions[i])
        stations.append(
            SynStation(
                id=f"syn-{number:05d}",
                kind="service_point" if rng.random() < 0.2 else "love_station",
                lon=lon,
                lat=lat,
                district_code=rng.choice(DISTRICTS),
                amenities=frozenset(c for c, p in AMENITY_ODDS.items() if rng.random() < p),
                opening_hours=rng.choice(hours),
            )
        )
    return stations


def write_csv(stations: Iterable[SynStation], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER.split(","))
        for s in stations:
            writer.writerow(
                [
                    s.id,
                    f"合成驿站 {s.id}",
                    s.kind,
                    repr(s.lon),
                    repr(s.lat),
                    "",
                    s.district_code,
                    ";".join(sorted(s.amenities)),
                    s.opening_hours,
                    "",
                    "",
                ]
            )
    return path


def make_points(stations: Sequence[SynStation], seed: int = 7, n: int = 30) -> list[Point]:
    """Query points: mostly scattered over the data, some a few metres from a close pair or
    an exact duplicate, where order and ties matter most."""
    rng = random.Random(seed)
    by_position: dict[tuple[float, float], list[SynStation]] = {}
    for s in stations:
        by_position.setdefault((s.lon, s.lat), []).append(s)
    duplicates = [group[0] for group in by_position.values() if len(group) > 1]
    cells: dict[tuple[int, int], set[tuple[float, float]]] = {}
    for lon, lat in by_position:
        cells.setdefault((round(lon / 2e-4), round(lat / 2e-4)), set()).add((lon, lat))
    close_pairs = [
        by_position[min(group)][0]
        for group in cells.values()
        if len(group) == 2 and _metres(*group) < 6.5
    ]
    points = [
        Point(XIAN[0] + rng.gauss(0.0, 0.07), XIAN[1] + rng.gauss(0.0, 0.06)) for _ in range(n - 8)
    ]
    points.append(Point(*XIAN))
    points.append(Point(XIAN[0] + 1.5, XIAN[1] - 0.8))  # outside the cloud: far answers
    for s in rng.sample(duplicates, 3) + rng.sample(close_pairs, 3):
        step = GEOD.Direct(s.lat, s.lon, rng.uniform(0.0, 360.0), rng.uniform(2.0, 15.0))
        points.append(Point(step["lon2"], step["lat2"]))
    return points


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.Inverse(a[1], a[0], b[1], b[0], Geodesic.DISTANCE)["s12"])


@dataclass(frozen=True, slots=True)
class Ranked:
    distance_m: float
    id: str


class Oracle:
    """The stations nearest one query point, ordered by (GeographicLib distance, id).

    Every station is considered. A straight line is never longer than a path along the
    surface, so a station whose 3-D (ECEF) chord from the point already exceeds the answer's
    last distance cannot enter it; only the others get their geodesic computed (about 60 µs
    each in pure Python). ``exhaustive`` skips that shortcut, to check it.
    """

    def __init__(self, point: Point, stations: Sequence[SynStation]) -> None:
        self.point = point
        self.stations = list(stations)
        self.by_id = {s.id: s for s in self.stations}
        lon = np.array([s.lon for s in self.stations])
        lat = np.array([s.lat for s in self.stations])
        chord = np.linalg.norm(
            _ecef(lon, lat) - _ecef(np.array(point.lon), np.array(point.lat)), axis=-1
        )
        self._order = np.argsort(chord, kind="stable").tolist()
        self._chord = chord[self._order].tolist()
        self._done: list[Ranked] = []  # geodesics of the stations in chord order, so far
        self._distance: dict[str, float] = {}

    def distance_of(self, station_id: str) -> float:
        if station_id not in self._distance:
            self._distance[station_id] = distance_m(self.point, self.by_id[station_id])
        return self._distance[station_id]

    def nearest(
        self,
        k: int,
        keep: Callable[[SynStation], bool] | None = None,
        radius_m: float | None = None,
    ) -> list[Ranked]:
        """The k nearest stations passing ``keep`` within ``radius_m`` (inclusive)."""
        while True:
            found = self._best(self._done, k, keep, radius_m)
            limit = found[-1].distance_m if len(found) == k else (radius_m or math.inf)
            n = len(self._done)
            if n == len(self._order) or self._chord[n] - CHORD_SLACK_M > limit:
                return found
            for position in self._order[n : max(2 * n, n + 64)]:
                s = self.stations[position]
                self._done.append(Ranked(self.distance_of(s.id), s.id))

    def exhaustive(
        self,
        k: int,
        keep: Callable[[SynStation], bool] | None = None,
        radius_m: float | None = None,
    ) -> list[Ranked]:
        every = [Ranked(self.distance_of(s.id), s.id) for s in self.stations]
        return self._best(every, k, keep, radius_m)

    def _best(
        self,
        ranked: Iterable[Ranked],
        k: int,
        keep: Callable[[SynStation], bool] | None,
        radius_m: float | None,
    ) -> list[Ranked]:
        chosen = [
            r
            for r in ranked
            if (radius_m is None or r.distance_m <= radius_m)
            and (keep is None or keep(self.by_id[r.id]))
        ]
        return sorted(chosen, key=lambda r: (r.distance_m, r.id))[:k]


#: Rounding in the ECEF chord is nanometres; a millimetre keeps "cannot be closer" true.
CHORD_SLACK_M: Final = 1e-3
_A_M: Final = 6378137.0
_E2: Final = 0.00669437999014  # WGS-84 first eccentricity squared


def _ecef(lon_deg: np.ndarray, lat_deg: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    n = _A_M / np.sqrt(1.0 - _E2 * np.sin(lat) ** 2)
    return np.stack(
        [n * np.cos(lat) * np.cos(lon), n * np.cos(lat) * np.sin(lon), n * (1 - _E2) * np.sin(lat)],
        axis=-1,
    )


def distance_m(point: Point, s: SynStation) -> float:
    return float(GEOD.Inverse(point.lat, point.lon, s.lat, s.lon, Geodesic.DISTANCE)["s12"])


def azimuth_deg(point: Point, s: SynStation) -> float:
    return float(GEOD.Inverse(point.lat, point.lon, s.lat, s.lon)["azi1"]) % 360.0


def angle_diff_deg(a: float, b: float) -> float:
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)


def near_tie(a: float, b: float) -> bool:
    """Distances too close for two GeographicLib builds to be trusted to order alike."""
    return a != b and math.isclose(a, b, rel_tol=0.0, abs_tol=1e-6)
