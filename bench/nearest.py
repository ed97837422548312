"""Benchmark of the nearest-station path at national scale: index, catalog and locator.

Run from the repository root (``make bench`` does)::

    python bench/nearest.py [--n 1000000] [--queries 2000] [--seed 1]

Builds N synthetic stations clustered around Chinese city centres, then measures and prints:

* how long the Station objects, the Catalog snapshot and the NearestIndex alone take to build,
  and the resident-memory growth of each (VmRSS from /proc/self/status; Linux only);
* k=5 query latency p50/p99 through the whole locator (``find_nearby``: index, exact geodesic
  re-rank, opening hours of every match) without a filter, with a two-amenity filter, and with
  the filter plus ``open_at``, and of the bare ``NearestIndex.nearest``;
* the same question answered by brute force (numpy haversine over every point, then pyproj on
  the best few) and by geopandas ``sjoin_nearest``, with the ratios to the locator;
* agreement of the locator with the exact ranking (pyproj geodesic distance to every station,
  ties by id) on a sample of queries;
* the targets (filtered k=5 ≤ 50 µs p50 at 1,000,000 stations, index build ≤ 2 s), met or not.

This is a script, not a test: figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.geodesic import WGS84
from geo.nearest import NearestIndex
from geo.position import LonLat
from geo.sphere import unit_vector
from stations.amenities import CODES, mask_of
from stations.hours import SHANGHAI, Hours, Openness
from stations.model import Kind, Station, StationId, Status
from stations.reading.catalog import PROMOTE_AFTER, Catalog
from stations.reading.locator import NearbyQuery, find_nearby

# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------

#: (name, lon, lat, weight): city centres (WGS-84, approximate) and a relative station count.
CITIES: tuple[tuple[str, float, float, float], ...] = (
    ("Beijing", 116.4074, 39.9042, 10.0),
    ("Shanghai", 121.4737, 31.2304, 10.0),
    ("Guangzhou", 113.2644, 23.1291, 8.0),
    ("Shenzhen", 114.0579, 22.5431, 8.0),
    ("Chengdu", 104.0665, 30.5723, 6.0),
    ("Chongqing", 106.5516, 29.5630, 6.0),
    ("Hangzhou", 120.1551, 30.2741, 5.0),
    ("Wuhan", 114.3055, 30.5928, 5.0),
    ("Xi'an", 108.9398, 34.3416, 4.0),
    ("Tianjin", 117.2010, 39.0842, 4.0),
    ("Nanjing", 118.7969, 32.0603, 4.0),
    ("Suzhou", 120.5853, 31.2989, 4.0),
    ("Zhengzhou", 113.6254, 34.7466, 3.0),
    ("Changsha", 112.9388, 28.2282, 3.0),
    ("Dongguan", 113.7518, 23.0207, 3.0),
    ("Shenyang", 123.4315, 41.8057, 2.5),
    ("Qingdao", 120.3826, 36.0671, 2.5),
    ("Hefei", 117.2272, 31.8206, 2.5),
    ("Foshan", 113.1214, 23.0215, 2.5),
    ("Jinan", 117.1205, 36.6512, 2.0),
    ("Harbin", 126.5350, 45.8038, 2.0),
    ("Kunming", 102.8329, 24.8801, 2.0),
    ("Dalian", 121.6147, 38.9140, 2.0),
    ("Xiamen", 118.0894, 24.4798, 2.0),
    ("Fuzhou", 119.2965, 26.0745, 2.0),
    ("Ningbo", 121.5440, 29.8683, 2.0),
    ("Wuxi", 120.3119, 31.4912, 2.0),
    ("Changchun", 125.3235, 43.8171, 1.5),
    ("Shijiazhuang", 114.5149, 38.0428, 1.5),
    ("Nanning", 108.3669, 22.8170, 1.5),
    ("Guiyang", 106.6302, 26.6477, 1.5),
    ("Nanchang", 115.8579, 28.6820, 1.5),
    ("Taiyuan", 112.5489, 37.8706, 1.5),
    ("Wenzhou", 120.6994, 27.9943, 1.5),
    ("Zhuhai", 113.5767, 22.2707, 1.0),
    ("Urumqi", 87.6168, 43.8256, 1.0),
    ("Lanzhou", 103.8343, 36.0611, 1.0),
    ("Hohhot", 111.7492, 40.8424, 1.0),
    ("Haikou", 110.1999, 20.0440, 0.8),
    ("Yinchuan", 106.2309, 38.4872, 0.6),
    ("Xining", 101.7782, 36.6171, 0.6),
    ("Sanya", 109.5119, 18.2528, 0.5),
    ("Lhasa", 91.1409, 29.6456, 0.3),
)

#: Share of stations offering each amenity (codes not listed: 10 %).
AMENITY_SHARE: dict[str, float] = {
    "water": 0.95,
    "microwave": 0.60,
    "fridge": 0.35,
    "phone_charging": 0.90,
    "ebike_charging": 0.30,
    "battery_swap": 0.10,
    "seating": 0.92,
    "air_conditioning": 0.75,
    "heating": 0.60,
    "first_aid": 0.70,
    "aed": 0.05,
    "repair_tools": 0.40,
    "tyre_pump": 0.45,
    "umbrella": 0.50,
    "toilet": 0.40,
    "wifi": 0.55,
    "books": 0.30,
    "lockers": 0.15,
    "womens_room": 0.05,
    "nursing_room": 0.05,
    "meals": 0.08,
    "accessible": 0.20,
}

#: (opening_hours text, share). None is "not recorded".
HOURS_MIX: tuple[tuple[str | None, float], ...] = (
    ("24/7", 0.30),
    ("Mo-Fr 09:00-18:00; PH off", 0.25),  # office hours, closed on public holidays
    ("Mo-Su 08:00-20:00", 0.20),  # daily
    ("Mo-Su 20:00-08:00", 0.05),  # overnight
    ("Mo-Sa 07:00-21:00; Su 09:00-17:00", 0.05),
    (None, 0.10),
    ("", 0.05),
)

STATUS_MIX: tuple[tuple[Status, float], ...] = (
    (Status.ACTIVE, 0.965),
    (Status.CLOSED_TEMPORARILY, 0.02),
    (Status.RETIRED, 0.015),
)

FILTER: tuple[str, ...] = ("microwave", "phone_charging")
K = 5
#: Wednesday evening in Shanghai: office-hours stations closed, daily ones about to close.
AT = datetime(2025, 3, 12, 19, 30, tzinfo=SHANGHAI)
KM_PER_DEG = 111.32


@dataclass
class Synthetic:
    """Column arrays of the generated stations, in id order (id = f"s{row:07d}")."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    bits: NDArray[np.int64]
    kind: NDArray[np.int64]  # index into Kind
    hours: NDArray[np.int64]  # index into HOURS_MIX
    status: NDArray[np.int64]  # index into STATUS_MIX


def generate(n: int, rng: np.random.Generator) -> Synthetic:
    weights = np.array([c[3] for c in CITIES])
    centre_lon = np.array([c[1] for c in CITIES])
    centre_lat = np.array([c[2] for c in CITIES])
    # Each city is a few district clusters (2-12 km from the centre), each a gaussian blob of
    # 1.5-6 km; 4 % of stations are spread far out (sigma 35 km) around the city.
    n_districts = 8
    district_dx = rng.normal(0.0, 6.0, (len(CITIES), n_districts))
    district_dy = rng.normal(0.0, 6.0, (len(CITIES), n_districts))
    district_sigma = rng.uniform(1.5, 6.0, (len(CITIES), n_districts))
    district_w = rng.dirichlet(np.ones(n_districts), len(CITIES))
    city = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
    u = rng.random(n)
    district = (u[:, None] > np.cumsum(district_w, axis=1)[city]).sum(axis=1)
    district = np.minimum(district, n_districts - 1)
    sigma = np.where(rng.random(n) < 0.04, 35.0, district_sigma[city, district])
    dx = district_dx[city, district] + rng.normal(0.0, 1.0, n) * sigma
    dy = district_dy[city, district] + rng.normal(0.0, 1.0, n) * sigma
    lat = centre_lat[city] + dy / KM_PER_DEG
    lon = centre_lon[city] + dx / (KM_PER_DEG * np.cos(np.radians(lat)))
    # Some stations share a building: 0.5 % copy another station's position exactly (ties).
    dup = np.flatnonzero(rng.random(n) < 0.005)
    src = rng.integers(0, n, dup.size)
    lon[dup], lat[dup] = lon[src], lat[src]
    bits = np.zeros(n, dtype=np.int64)
    for i, code in enumerate(CODES):
        bits |= (rng.random(n) < AMENITY_SHARE.get(code, 0.10)).astype(np.int64) << i
    kind = (rng.random(n) < 0.2).astype(np.int64)  # 80 % love stations
    hours = rng.choice(len(HOURS_MIX), size=n, p=[p for _t, p in HOURS_MIX])
    status = rng.choice(len(STATUS_MIX), size=n, p=[p for _s, p in STATUS_MIX])
    return Synthetic(np.round(lon, 6), np.round(lat, 6), bits, kind, hours, status)


def build_stations(syn: Synthetic) -> list[Station]:
    kinds = list(Kind)
    amenity_tuples: dict[int, tuple[str, ...]] = {}

    def amenities(bits: int) -> tuple[str, ...]:
        found = amenity_tuples.get(bits)
        if found is None:
            found = amenity_tuples[bits] = tuple(c for i, c in enumerate(CODES) if bits >> i & 1)
        return found

    updated = datetime(2025, 1, 1, tzinfo=UTC)
    rows = zip(
        syn.lon.tolist(),
        syn.lat.tolist(),
        syn.bits.tolist(),
        syn.kind.tolist(),
        syn.hours.tolist(),
        syn.status.tolist(),
        strict=True,
    )
    return [
        Station(
            id=StationId(f"s{i:07d}"),
            name=f"爱心驿站 {i}",
            kind=kinds[kind],
            lon=lon,
            lat=lat,
            address=None,
            district_code="110105",
            amenities=amenities(bits),
            opening_hours=HOURS_MIX[hours][0],
            phone=None,
            host=None,
            status=STATUS_MIX[status][0],
            version=1,
            updated_at=updated,
        )
        for i, (lon, lat, bits, kind, hours, status) in enumerate(rows)
    ]


def query_points(count: int, rng: np.random.Generator) -> list[LonLat]:
    """Riders near city centres: a city by weight, a gaussian 5 km offset."""
    weights = np.array([c[3] for c in CITIES])
    city = rng.choice(len(CITIES), size=count, p=weights / weights.sum())
    lat = np.array([CITIES[c][2] for c in city]) + rng.normal(0, 5.0, count) / KM_PER_DEG
    lon = np.array([CITIES[c][1] for c in city]) + rng.normal(0, 5.0, count) / (
        KM_PER_DEG * np.cos(np.radians(lat))
    )
    return [LonLat(float(x), float(y)) for x, y in zip(lon, lat, strict=True)]


# --------------------------------------------------------------------------------------------
# Measurement helpers
# --------------------------------------------------------------------------------------------


def rss_mib() -> float:
    """Current resident set size of this process (VmRSS), MiB; NaN where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


def peak_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """(result, seconds)."""
    t0 = time.perf_counter_ns()
    result = fn()
    return result, (time.perf_counter_ns() - t0) / 1e9


def latencies_us(fn: Callable[[LonLat], Any], points: Sequence[LonLat]) -> NDArray[np.float64]:
    out = np.empty(len(points))
    clock = time.perf_counter_ns
    for i, p in enumerate(points):
        t0 = clock()
        fn(p)
        out[i] = clock() - t0
    return out / 1e3


def pct(values: NDArray[np.float64]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


class Table:
    """Rows of (label, value, note), printed as they come so a slow step shows progress."""

    def section(self, title: str) -> None:
        print(f"\n== {title}", flush=True)

    def row(self, label: str, value: str, note: str = "") -> None:
        print(f"  {label:<52} {value:>16}  {note}".rstrip(), flush=True)

    def latency(self, label: str, us: NDArray[np.float64], note: str = "") -> tuple[float, float]:
        p50, p99 = pct(us)
        self.row(label, f"{p50:8.1f} / {p99:8.1f}", note or f"µs p50/p99, n={us.size}")
        return p50, p99


def tree_bytes(index: NearestIndex) -> dict[str, int]:
    """Approximate memory held by a NearestIndex: the k-d tree's copy of the unit vectors and
    its permutation (pykdtree's nodes are not exposed; the RSS growth above includes them) and
    its own contiguous lon/lat arrays (the scalar re-rank reads them through memoryviews; the
    catalog's arrays are shared when they are already contiguous float64)."""
    n = len(index)
    out: dict[str, int] = {}
    if n:
        out["tree: unit vectors (n x 3 float64)"] = n * 3 * 8
        out["tree: index permutation (n uint32)"] = n * 4
    out["lon/lat arrays (2 x n float64)"] = index.lon_deg.nbytes + index.lat_deg.nbytes
    return out


# --------------------------------------------------------------------------------------------
# Baselines
# --------------------------------------------------------------------------------------------


class BruteForce:
    """Vectorised haversine to every point, then exact pyproj distances of the best ``few``."""

    def __init__(self, lon: NDArray[np.float64], lat: NDArray[np.float64], few: int = 64):
        self.lon, self.lat = lon, lat
        self.lon_r, self.lat_r = np.radians(lon), np.radians(lat)
        self.cos_lat = np.cos(self.lat_r)
        self.few = min(few, lon.size)

    def nearest(self, p: LonLat, k: int) -> list[int]:
        lon0, lat0 = math.radians(p.lon), math.radians(p.lat)
        h = (
            np.sin((self.lat_r - lat0) * 0.5) ** 2
            + math.cos(lat0) * self.cos_lat * np.sin((self.lon_r - lon0) * 0.5) ** 2
        )
        few = np.argpartition(h, self.few - 1)[: self.few]
        _f, _b, d = WGS84.inv(
            np.full(few.size, p.lon), np.full(few.size, p.lat), self.lon[few], self.lat[few]
        )
        order = np.lexsort((few, d))[:k]
        return few[order].tolist()


def exact_ranking(
    dist: NDArray[np.float64],
    candidates: NDArray[np.int64],
    k: int,
    accept: Callable[[int], bool] | None = None,
) -> list[int]:
    """The first k of ``candidates`` (positions) ordered by (exact distance, position) that pass
    ``accept``. Sorts a generous prefix, falling back to a full sort if it runs out."""
    d = dist[candidates]
    for size in (256, 4096, candidates.size):
        size = min(size, candidates.size)
        if size < candidates.size:
            part = np.argpartition(d, size - 1)[:size]
            # Include every candidate tied with the largest kept distance.
            part = np.flatnonzero(d <= d[part].max())
        else:
            part = np.arange(candidates.size)
        order = part[np.lexsort((candidates[part], d[part]))]
        chosen: list[int] = []
        for j in order.tolist():
            pos = int(candidates[j])
            if accept is None or accept(pos):
                chosen.append(pos)
                if len(chosen) == k:
                    return chosen
        if size == candidates.size:
            return chosen
    return []


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=1_000_000, help="stations (default 1,000,000)")
    ap.add_argument("--queries", type=int, default=2000, help="timed locator queries")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=200, help="untimed queries before each run")
    ap.add_argument("--brute-queries", type=int, default=50)
    ap.add_argument("--sjoin-queries", type=int, default=30)
    ap.add_argument(
        "--sjoin-n", type=int, default=0, help="stations in the sjoin baseline (default: all)"
    )
    ap.add_argument("--check", type=int, default=20, help="queries checked against exact")
    ap.add_argument("--no-sjoin", action="store_true", help="skip the geopandas baseline")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    t = Table()
    started = time.perf_counter()

    t.section(
        f"Setup: N={args.n:,} stations around {len(CITIES)} city centres, "
        f"seed={args.seed}, python {sys.version.split()[0]}, numpy {np.__version__}"
    )
    rss0 = rss_mib()
    syn, secs = timed(lambda: generate(args.n, rng))
    t.row("generate columns (numpy)", f"{secs:8.2f} s")
    stations, secs = timed(lambda: build_stations(syn))
    t.row("build Station objects", f"{secs:8.2f} s", f"RSS +{rss_mib() - rss0:,.0f} MiB")
    gc.collect()
    mix_us = sum(
        share * timed(lambda h=h: [Hours.parse(h) for _ in range(500)])[1] / 500 * 1e6
        for h, share in HOURS_MIX
    )

    rss1 = rss_mib()
    catalog, cat_secs = timed(lambda: Catalog(stations))
    rss2 = rss_mib()
    t.row(
        "Catalog build (sort, dicts, arrays, hours, index)",
        f"{cat_secs:8.2f} s",
        f"RSS +{rss2 - rss1:,.0f} MiB; {len(catalog):,} visible",
    )
    t.row(
        "  of which Hours.parse, one per station (estimate)",
        f"{mix_us * len(catalog) / 1e6:8.2f} s",
        f"{mix_us:.1f} µs/station, mix-weighted",
    )
    distinct_hours = len({id(h) for h in catalog.hours})
    t.row(
        "  Hours objects held / distinct texts",
        f"{distinct_hours:,} / {len({h.text for h in catalog.hours})}",
        "one compiled Hours per station",
    )
    _none, secs = timed(gc.collect)
    t.row(
        "  one full gc.collect() with the catalog alive",
        f"{secs:8.2f} s",
        "a gen-2 pause the server would see",
    )
    gc.collect()

    rss3 = rss_mib()
    index, idx_secs = timed(lambda: NearestIndex(catalog.lon, catalog.lat))
    rss4 = rss_mib()
    t.row(
        "NearestIndex build alone (same points)",
        f"{idx_secs:8.2f} s",
        f"RSS +{rss4 - rss3:,.0f} MiB",
    )
    sizes = tree_bytes(index)
    for label, size in sizes.items():
        t.row(f"  {label}", f"{size / 2**20:8.1f} MiB")
    t.row("  approx total", f"{sum(sizes.values()) / 2**20:8.1f} MiB")
    del index
    gc.collect()
    gc.freeze()  # as the server does after building a snapshot (stations/reading/live.py)

    # ---------------------------------------------------------------- locator latency
    warm = query_points(args.warmup, rng)
    points = query_points(args.queries, rng)
    q_plain = NearbyQuery(at=AT, k=K)
    q_filter = NearbyQuery(at=AT, k=K, amenities=FILTER)
    q_open = NearbyQuery(at=AT, k=K, amenities=FILTER, open_at=AT)

    t.section(
        f"Query latency, k={K}, {args.queries} points near city centres, "
        f"at {AT.isoformat()} (µs p50 / p99)"
    )
    sel_first = timed(lambda: find_nearby(catalog, points[0], q_filter))[1]
    selection = catalog.selection(mask_of(FILTER), frozenset())
    t.row(
        f"first (b) call, {'+'.join(FILTER)}: builds mask",
        f"{sel_first * 1e3:8.2f} ms",
        f"{selection.fraction:.1%} of stations pass; restricted index: "
        f"{'yes' if selection.index is not None else 'no'}",
    )
    bare_index = catalog.index
    mask, fraction = selection.mask, selection.fraction

    def run(label: str, fn: Callable[[LonLat], Any], note: str = "") -> tuple[float, float]:
        for p in warm:
            fn(p)
        gc.collect()
        return t.latency(label, latencies_us(fn, points), note)

    results: dict[str, tuple[float, float]] = {}
    # The bare k-d tree query of the same k on the same points: the floor the locator is
    # measured against (issue 16: ≤ 4× filtered, ≤ 6× with open_at).
    normals = {id(p): np.array([unit_vector(p.lon, p.lat)]) for p in [*warm, *points]}
    results["kdtree"] = run(
        "bare k-d tree query, k=5 (pykdtree, no re-rank)",
        lambda p: bare_index.query_chords(normals[id(p)], K, np.inf),
    )
    results["bare"] = run(
        "NearestIndex.nearest k=5 (no locator)", lambda p: bare_index.nearest(p.lon, p.lat, K)
    )
    results["bare_mask"] = run(
        "NearestIndex.nearest k=5 + amenity mask",
        lambda p: bare_index.nearest(p.lon, p.lat, K, mask=mask, mask_fraction=fraction),
    )
    rss_q0 = rss_mib()
    results["a"] = run(
        "(a) find_nearby, no filter  [1st pass]", lambda p: find_nearby(catalog, p, q_plain)
    )
    results["a2"] = run(
        "(a) find_nearby, no filter  [same points again]",
        lambda p: find_nearby(catalog, p, q_plain),
    )
    results["b"] = run(
        "(b) find_nearby, 2 amenities  [1st pass]", lambda p: find_nearby(catalog, p, q_filter)
    )
    results["b2"] = run(
        "(b) find_nearby, 2 amenities  [same points again]",
        lambda p: find_nearby(catalog, p, q_filter),
    )
    results["c"] = run(
        "(c) find_nearby, 2 amenities + open_at  [1st]", lambda p: find_nearby(catalog, p, q_open)
    )
    results["c2"] = run(
        "(c) find_nearby, 2 amenities + open_at  [again]", lambda p: find_nearby(catalog, p, q_open)
    )
    t.row(
        "RSS growth during the locator runs",
        f"{rss_mib() - rss_q0:8.1f} MiB",
        "per-station Hours caches",
    )
    t.row("(c) uses the (b) filter's cached mask", "", "no separate first-call cost")
    promoted = catalog.selection(mask_of(FILTER), frozenset()).index is not None
    t.row(
        "(b)'s filter searched through its own index",
        "yes" if promoted else "no",
        f"a filter asked {PROMOTE_AFTER} times of a snapshot gets one (warm-up included)",
    )

    # Break the locator's cost down on one configuration.
    match_us = np.empty(len(points))
    hits_per_query = [
        bare_index.nearest(p.lon, p.lat, K, mask=mask, mask_fraction=fraction) for p in points
    ]
    t.section("Where (b)'s time goes (per query, same points)")

    def matches_only(i: int) -> None:
        for hit in hits_per_query[i]:
            catalog.hours[hit.position].status(AT)

    for i in range(len(points)):
        t0 = time.perf_counter_ns()
        matches_only(i)
        match_us[i] = (time.perf_counter_ns() - t0) / 1e3
    t.latency("hours status of the 5 matches", match_us)
    # Hours.status alone, by expression, on fresh Hours instances (as a new snapshot has).
    for text, _p in HOURS_MIX:
        fresh = [Hours(text) for _ in range(300)]  # not parse(): it shares one instance
        cold = latencies_us(lambda _p, h=fresh: h.pop().status(AT), [points[0]] * 300)
        again_h = Hours.parse(text)
        again_h.status(AT)
        warm_us = latencies_us(lambda _p, h=again_h: h.status(AT), [points[0]] * 300)
        t.row(
            f"  Hours.status {text!r}"[:54],
            f"{np.median(cold):8.1f} / {np.median(warm_us):8.1f}",
            "µs p50 first call on an instance / repeated",
        )

    # ---------------------------------------------------------------- brute force
    t.section(
        f"Brute force: numpy haversine over all points + pyproj on best 64 "
        f"({args.brute_queries} queries)"
    )
    vis_lon, vis_lat = catalog.lon, catalog.lat
    brute_all = BruteForce(vis_lon, vis_lat)
    keep = np.flatnonzero(mask)
    brute_f = BruteForce(vis_lon[keep], vis_lat[keep])
    bq = points[: args.brute_queries]
    brute_all.nearest(bq[0], K)
    brute_a = t.latency("brute, no filter", latencies_us(lambda p: brute_all.nearest(p, K), bq))
    brute_f.nearest(bq[0], K)
    brute_b = t.latency(
        "brute, 2 amenities (pre-filtered arrays)",
        latencies_us(lambda p: brute_f.nearest(p, K), bq),
    )
    t.row("ratio brute / locator (a), p50", f"{brute_a[0] / results['a'][0]:8.0f} x")
    t.row("ratio brute / locator (b), p50", f"{brute_b[0] / results['b'][0]:8.0f} x")

    # ---------------------------------------------------------------- geopandas
    sjoin_b: tuple[float, float] | None = None
    if not args.no_sjoin:
        sjoin_b = run_sjoin(t, args, catalog, keep, points, results)

    # ---------------------------------------------------------------- correctness
    t.section(
        f"Correctness: locator ids vs exact pyproj ranking over all {len(catalog):,} "
        f"stations, ties by id ({args.check} queries)"
    )
    # Ground truth from the generated columns, not from the catalog's arrays.
    visible_rows = np.flatnonzero(syn.status != 2)
    truth_lon, truth_lat = syn.lon[visible_rows], syn.lat[visible_rows]
    want = mask_of(FILTER)
    truth_filter = np.flatnonzero((syn.bits[visible_rows] & want) == want)
    hours_by_text = {h: Hours.parse(h) for h, _p in HOURS_MIX}

    def truth_open(pos: int) -> bool:
        row = visible_rows[pos]
        if STATUS_MIX[syn.status[row]][0] is not Status.ACTIVE:
            return False
        return hours_by_text[HOURS_MIX[syn.hours[row]][0]].state(AT) is Openness.OPEN

    all_pos = np.arange(visible_rows.size)
    agree = {"a": 0, "b": 0, "c": 0}
    mismatches: list[str] = []
    check_secs = time.perf_counter()
    for p in points[: args.check]:
        n_vis = visible_rows.size
        _f, _b, dist = WGS84.inv(np.full(n_vis, p.lon), np.full(n_vis, p.lat), truth_lon, truth_lat)
        dist = np.asarray(dist)
        expected = {
            "a": exact_ranking(dist, all_pos, K),
            "b": exact_ranking(dist, truth_filter, K),
            "c": exact_ranking(dist, truth_filter, K, truth_open),
        }
        for key, query in (("a", q_plain), ("b", q_filter), ("c", q_open)):
            got = [m.station.id for m in find_nearby(catalog, p, query)]
            exp = [f"s{visible_rows[i]:07d}" for i in expected[key]]
            if got == exp:
                agree[key] += 1
            else:
                mismatches.append(f"{key} at {p}: got {got}, expected {exp}")
    for key, label in (("a", "no filter"), ("b", "2 amenities"), ("c", "2 amenities + open_at")):
        t.row(f"({key}) {label}", f"agree: {agree[key]}/{args.check}")
    t.row("exact check time", f"{time.perf_counter() - check_secs:8.1f} s")
    for line in mismatches[:5]:
        print("  MISMATCH", line)

    # ---------------------------------------------------------------- targets
    t.section("Targets")
    b50 = results["b"][0]
    c50 = results["c"][0]
    ok_b = b50 <= 50.0
    t.row(
        "filtered k=5 at N stations, p50 ≤ 50 µs: (b) 1st pass",
        f"{b50:8.1f} µs",
        "MET" if ok_b else "NOT MET",
    )
    t.row(
        "  (b) same points again",
        f"{results['b2'][0]:8.1f} µs",
        "MET" if results["b2"][0] <= 50 else "NOT MET",
    )
    t.row(
        "  (c) with open_at, 1st pass / again",
        f"{c50:6.1f} /{results['c2'][0]:6.1f} µs",
        "MET" if max(c50, results["c2"][0]) <= 50 else "NOT MET",
    )
    t.row(
        "  bare NearestIndex.nearest + mask (no locator)",
        f"{results['bare_mask'][0]:8.1f} µs",
        "MET" if results["bare_mask"][0] <= 50 else "NOT MET",
    )
    tree = results["kdtree"][0]
    for key, label, limit in (("b", "(b) filtered", 4.0), ("c", "(c) filtered + open_at", 6.0)):
        ratio = results[key][0] / tree
        t.row(
            f"{label} p50 ÷ bare k-d tree p50 ≤ {limit:g}×",
            f"{ratio:7.1f}×",
            f"{results[key][0]:.1f} / {tree:.1f} µs: " + ("MET" if ratio <= limit else "NOT MET"),
        )
    t.row("index build ≤ 2 s", f"{idx_secs:8.2f} s", "MET" if idx_secs <= 2.0 else "NOT MET")
    if args.n != 1_000_000:
        print(f"  (targets are stated for N=1,000,000; this run used N={args.n:,})")
    all_agree = all(v == args.check for v in agree.values())
    t.row("agreement with exact ranking", "all" if all_agree else "NO", "")
    if sjoin_b is not None:
        t.row("sjoin / locator (b) p50", f"{sjoin_b[0] / results['b'][0]:8.0f} x")
    t.row("peak RSS (VmHWM)", f"{peak_rss_mib():8.0f} MiB")
    t.row("total wall time", f"{time.perf_counter() - started:8.1f} s")
    return 0 if all_agree else 1


def run_sjoin(
    t: Table,
    args: argparse.Namespace,
    catalog: Catalog,
    keep: NDArray[np.int64],
    points: Sequence[LonLat],
    results: dict[str, tuple[float, float]],
) -> tuple[float, float]:
    import geopandas as gpd  # only this baseline needs it
    from pyproj import Transformer

    # Asia North Albers Equal Area Conic (ESRI:102025): a projected CRS covering China, so
    # sjoin_nearest measures planar metres. Planar distance in it is not the geodesic
    # (scale error up to a few %), so its answer can differ from the locator's.
    crs = "+proj=aea +lat_1=15 +lat_2=65 +lat_0=30 +lon_0=95 +datum=WGS84 +units=m +no_defs"
    n_total = len(catalog)
    n = min(args.sjoin_n or n_total, n_total)
    t.section(
        f"geopandas {gpd.__version__} sjoin_nearest, per query "
        f"({args.sjoin_queries} queries, {n:,} stations, CRS Asia North Albers)"
    )
    if n < n_total:
        print(f"  NOTE: measured on a subset of {n:,} of {n_total:,} stations", flush=True)
    to_proj = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    rss0 = rss_mib()

    def frame(rows: NDArray[np.int64]) -> gpd.GeoDataFrame:
        x, y = to_proj.transform(catalog.lon[rows], catalog.lat[rows])
        return gpd.GeoDataFrame({"position": rows}, geometry=gpd.points_from_xy(x, y), crs=crs)

    rows_all = np.arange(n)
    rows_f = keep[keep < n]
    right, secs = timed(lambda: frame(rows_all))
    t.row("GeoDataFrame of the stations (project + points)", f"{secs:8.2f} s")
    _sindex, secs = timed(lambda: right.sindex)
    t.row(
        "its STRtree (built by the first sjoin_nearest)",
        f"{secs:8.2f} s",
        f"RSS +{rss_mib() - rss0:,.0f} MiB incl. frame",
    )
    right_f = frame(rows_f)
    _sindex, secs_f = timed(lambda: right_f.sindex)
    t.row("filtered frame's STRtree (2 amenities)", f"{secs_f:8.2f} s")

    def one(p: LonLat, stations: gpd.GeoDataFrame) -> list[int]:
        x, y = to_proj.transform(p.lon, p.lat)
        left = gpd.GeoDataFrame(geometry=gpd.points_from_xy([x], [y]), crs=crs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            joined = gpd.sjoin_nearest(left, stations, how="inner", distance_col="d")
        return joined["position"].tolist()

    sq = points[: args.sjoin_queries]
    for p in sq[:3]:
        one(p, right)
        one(p, right_f)
    lat_a = t.latency(
        "sjoin_nearest, no filter (k=1 only)", latencies_us(lambda p: one(p, right), sq)
    )
    lat_b = t.latency(
        "sjoin_nearest, 2 amenities (pre-filtered frame)",
        latencies_us(lambda p: one(p, right_f), sq),
    )
    t.row(
        "ratio sjoin / locator (a), p50",
        f"{lat_a[0] / results['a'][0]:8.0f} x",
        "sjoin gives the 1 nearest (+ties), not k=5",
    )
    t.row("ratio sjoin / locator (b), p50", f"{lat_b[0] / results['b'][0]:8.0f} x")
    return lat_b


if __name__ == "__main__":
    raise SystemExit(main())
