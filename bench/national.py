"""National scale on PostGIS: Yizhan's in-memory locator next to the same question asked in SQL.

Run from the repository root::

    .venv/bin/python bench/national.py [--n 190000] [--queries 2000] [--seed 1] [--db URL]

Builds N synthetic stations clustered around Chinese city centres (bench/synthetic.py, on
bench/nearest.py's generator) and saves them with Yizhan's own ``PostGISStore.save_all`` (one
transaction, an audit row per station, as ``yizhan import`` does). Without ``--db`` the script
starts a throw-away PostgreSQL + PostGIS cluster (bench/pgtemp.py: initdb and pg_ctl as the
``postgres`` user, a free loopback port, a temporary directory removed at exit, fsync off); with
``--db postgresql://…`` it works in a new schema of that database and drops the schema at exit.

Then, for the same rider positions (near city centres) and the same two-amenity filter, k=5:

(a) ``find_nearby`` over a ``Catalog`` built from ``store.list_stations()``: exact geodesic
    order (GeographicLib), ties by id, plus each match's opening status;
(b) PostGIS KNN, ``ORDER BY geom <-> point LIMIT k`` on the GiST index, as a prepared statement
    on one connection: the usual SQL answer. Its order is planar distance in *degrees*, so a
    degree of longitude counts as much as a degree of latitude (about 1.2x too much at 35°N);
(c) the exact answer in the database: the KNN's k-th candidate gives an upper bound d on the
    k-th geodesic distance; every station in a box around the rider that holds every point
    within d (in degrees, conservative on the WGS-84 ellipsoid, GiST-indexed) is re-ranked by
    ``ST_Distance(geography)`` (spheroid), ties by id. One statement, one round trip. (Ordering
    by ``geom::geography <-> point::geography`` is no alternative: that operator measures on
    the sphere, and without a geography index it scans the whole table; (c') times it.)

It prints per-query p50/p90/p99 of each, the ratios (target: in-memory ≥ 10x faster than (b) at
p50), how often (a) and (c) return the same ids in the same order (and (a) and (b)), an
independent check of (a) and (c) against pyproj over every station on a sample, the import time,
``list_stations`` alone and the whole snapshot build (list_stations + Catalog).

Timing notes: the SQL figures include the loopback round trip and psycopg's row decoding (text
protocol), the in-memory ones the opening-hours status of each match; (a), (b) and (c) take
turns every 250 riders, so a change in background load falls on all three, in this one process
while the database server runs on the same 2 cores. pykdtree runs each query on an OpenMP team
(one thread per core unless OMP_NUM_THREADS says otherwise, printed at the top): on a machine
whose cores are busy with other processes a query then waits for the team's second thread to be
scheduled, and (a) goes from tens of microseconds to milliseconds; ``OMP_NUM_THREADS=1`` avoids
that. This is a script, not a test: figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.nearest import AT, rss_mib, timed
from bench.pgtemp import temporary_postgis
from bench.synthetic import FILTER, K, describe, drafts, generate, rider_positions
from geo.geodesic import WGS84
from geo.position import LonLat
from stations.amenities import mask_of
from stations.reading.catalog import Catalog
from stations.reading.locator import NearbyQuery, find_nearby
from stations.store.postgis.store import PostGISStore

_WHERE = "amenities @> %(amenities)s::text[] AND status <> 'retired'"
_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
_COLUMNS = "id, name, ST_X(geom), ST_Y(geom), opening_hours"

#: (b) the usual KNN: GiST order by planar distance in degrees.
KNN_SQL = f"SELECT {_COLUMNS} FROM stations WHERE {_WHERE} ORDER BY geom <-> {_POINT} LIMIT %(k)s"

# (c) Why the box is enough: a station within d metres (geodesic) of the rider differs from it
# by at most d / 110,000 degrees of latitude (a degree of meridian is at least 110,574 m on
# WGS-84) and, at latitudes up to φmax = |lat| + that, by at most d / (111,000 cos φmax) degrees
# of longitude (a parallel's radius is N cos φ ≥ a cos φ; a·π/180 = 111,319 m). The point must
# be inline, not from a CTE, or the planner cannot use the GiST index for the KNN.
EXACT_SQL = f"""
WITH knn AS (
    SELECT geom FROM stations WHERE {_WHERE} ORDER BY geom <-> {_POINT} LIMIT %(k)s
), bound AS (
    SELECT max(ST_Distance(geom::geography, {_POINT}::geography)) AS d_m FROM knn
)
SELECT {_COLUMNS}, ST_Distance(geom::geography, {_POINT}::geography) AS distance_m
FROM stations
WHERE {_WHERE}
  AND geom && (
    SELECT ST_Expand(
        {_POINT},
        d_m / 111000.0 / cos(radians(least(89.0, abs(%(lat)s) + d_m / 110000.0))),
        d_m / 110000.0)
    FROM bound)
ORDER BY distance_m, id
LIMIT %(k)s
"""

#: (c') exact-looking but not: geography KNN is on the sphere, and unindexed here.
GEOGRAPHY_KNN_SQL = (
    f"SELECT {_COLUMNS} FROM stations WHERE {_WHERE}"
    f" ORDER BY geom::geography <-> {_POINT}::geography, id LIMIT %(k)s"
)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<56} {value:>24}  {note}".rstrip(), flush=True)


def percentiles(us: NDArray[np.float64]) -> tuple[float, float, float]:
    p50, p90, p99 = np.percentile(us, [50, 90, 99])
    return float(p50), float(p90), float(p99)


def latency_row(label: str, us: NDArray[np.float64]) -> tuple[float, float, float]:
    p = percentiles(us)
    row(label, f"{p[0]:7.1f} /{p[1]:7.1f} /{p[2]:7.1f}", f"µs p50/p90/p99, n={us.size}")
    return p


def measure(
    fn: Callable[[LonLat], Any], points: Sequence[LonLat], warm: Sequence[LonLat]
) -> tuple[NDArray[np.float64], list[Any]]:
    """Per-call wall time in µs, and each call's result (kept for the agreement check)."""
    clock = time.perf_counter_ns
    for p in warm:
        fn(p)
    gc.collect()
    out = np.empty(len(points))
    results: list[Any] = []
    for i, p in enumerate(points):
        t0 = clock()
        result = fn(p)
        out[i] = clock() - t0
        results.append(result)
    return out / 1e3, results


def measure_alternating(
    fns: Sequence[Callable[[LonLat], Any]],
    points: Sequence[LonLat],
    warm: Sequence[LonLat],
    block: int = 250,
) -> list[tuple[NDArray[np.float64], list[Any]]]:
    """``measure`` for several functions over the same points, taking turns a block of points
    at a time, so that a change in the machine's background load falls on all of them."""
    for fn in fns:
        for p in warm:
            fn(p)
    gc.collect()
    clock = time.perf_counter_ns
    out = [np.empty(len(points)) for _ in fns]
    results: list[list[Any]] = [[] for _ in fns]
    for start in range(0, len(points), block):
        for fn, times, kept in zip(fns, out, results, strict=True):
            for i in range(start, min(start + block, len(points))):
                t0 = clock()
                kept.append(fn(points[i]))
                times[i] = clock() - t0
    return [(times / 1e3, kept) for times, kept in zip(out, results, strict=True)]


# --------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------


@contextmanager
def bench_schema(db: str | None) -> Iterator[str]:
    """The URL of a new, empty schema: in a throw-away cluster, or in ``db`` (dropped after)."""
    if db is None:
        section("PostgreSQL: a throw-away cluster (bench/pgtemp.py)")
        with temporary_postgis() as url:
            yield url
        return
    name = f"yizhan_bench_{secrets.token_hex(4)}"
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in db else "?"
    try:
        # libpq URL: options=-c search_path=<schema>,public (PostGIS lives in public).
        yield f"{db}{sep}options=-csearch_path%3D{name}%2Cpublic"
    finally:
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def sql_runner(
    conn: psycopg.Connection[Any], sql: str, amenities: list[str]
) -> Callable[[LonLat], list[tuple[Any, ...]]]:
    cursor = conn.cursor()

    def run(p: LonLat) -> list[tuple[Any, ...]]:
        cursor.execute(
            sql, {"lon": p.lon, "lat": p.lat, "k": K, "amenities": amenities}, prepare=True
        )
        return cursor.fetchall()

    return run


def explain(conn: psycopg.Connection[Any], sql: str, p: LonLat, amenities: list[str]) -> str:
    """The plan's node names, to show the GiST index is used."""
    rows = conn.execute(
        f"EXPLAIN (COSTS OFF) {sql}", {"lon": p.lon, "lat": p.lat, "k": K, "amenities": amenities}
    ).fetchall()
    nodes = [r[0].strip().removeprefix("->").strip() for r in rows]
    keep = ("Limit", "Sort", "Index Scan", "Bitmap", "Seq Scan", "Index Cond")
    return "; ".join(n for n in nodes if n.startswith(keep) and not n.startswith("Sort Key"))


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=190_000, help="stations (default 190,000)")
    ap.add_argument("--queries", type=int, default=2000, help="timed queries per case")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=200, help="untimed queries before each case")
    ap.add_argument(
        "--check", type=int, default=20, help="queries checked against pyproj over every station"
    )
    ap.add_argument(
        "--geography-queries",
        type=int,
        default=20,
        help="queries of the unindexed geography KNN (c')",
    )
    ap.add_argument(
        "--db",
        default=None,
        help="postgresql:// URL of a database with PostGIS to use instead of a "
        "throw-away cluster (the script works in a new schema it drops)",
    )
    args = ap.parse_args(argv)
    if args.db is not None and not args.db.startswith(("postgresql://", "postgres://")):
        ap.error("--db must be a postgresql:// URL")
    started = time.perf_counter()
    section(
        f"Setup: N={args.n:,} synthetic stations, seed={args.seed}, k={K}, "
        f"filter {'+'.join(FILTER)}, python {sys.version.split()[0]}"
    )
    # pykdtree queries run on an OpenMP team (libgomp: one thread per core unless told).
    row(
        "OMP_NUM_THREADS",
        os.environ.get("OMP_NUM_THREADS", "unset"),
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at start",
    )
    syn, secs = timed(lambda: generate(args.n, np.random.default_rng(args.seed)))
    batch, secs2 = timed(lambda: drafts(syn))
    row("generate stations (drafts)", f"{secs + secs2:8.2f} s", describe(batch))
    with bench_schema(args.db) as url:
        ok = run(args, url, batch)
    row("total wall time", f"{time.perf_counter() - started:8.1f} s")
    return 0 if ok else 1


def run(args: argparse.Namespace, url: str, batch: list[Any]) -> bool:
    store = PostGISStore(url, create=True)
    try:
        return _run(args, url, store, batch)
    finally:
        store.close()


def _run(args: argparse.Namespace, url: str, store: PostGISStore, batch: list[Any]) -> bool:
    amenities = list(FILTER)
    with psycopg.connect(url, autocommit=True) as conn:
        versions = conn.execute(
            "SELECT current_setting('server_version'), postgis_lib_version()"
        ).fetchone()
        assert versions is not None
        row("server", f"PostgreSQL {versions[0]}", f"PostGIS {versions[1]}")

        section("Loading and snapshot")
        counts, secs = timed(lambda: store.save_all(batch, actor="bench"))
        row(
            "import into PostGIS (PostGISStore.save_all)",
            f"{secs:8.2f} s",
            f"{counts.created:,} created, {len(batch) / secs:,.0f} stations/s, one transaction "
            "with audit rows",
        )
        _none, secs = timed(lambda: conn.execute("ANALYZE"))
        row("ANALYZE", f"{secs:8.2f} s")
        size = conn.execute(
            "SELECT pg_total_relation_size('stations'), pg_total_relation_size('yizhan_audit')"
        ).fetchone()
        assert size is not None
        row(
            "table sizes: stations / yizhan_audit (with indexes)",
            f"{size[0] / 2**20:6.1f} /{size[1] / 2**20:6.1f} MiB",
        )
        for attempt in ("1st", "2nd"):
            stations, list_secs = timed(store.list_stations)
            row(
                f"store.list_stations() alone, {attempt} call",
                f"{list_secs:8.2f} s",
                f"{len(stations):,} stations",
            )
            del stations
            gc.collect()
        rss0 = rss_mib()
        catalog, build_secs = timed(
            lambda: Catalog(store.list_stations(), data_version=store.data_version())
        )
        row(
            "Catalog build from the store (list_stations + Catalog)",
            f"{build_secs:8.2f} s",
            f"{len(catalog):,} visible; RSS +{rss_mib() - rss0:,.0f} MiB",
        )
        gc.collect()
        gc.freeze()  # as the server does after building a snapshot (stations/reading/live.py)

        points = rider_positions(args.queries + args.warmup, args.seed)
        warm, points = points[: args.warmup], points[args.warmup :]
        query = NearbyQuery(at=AT, k=K, amenities=FILTER)
        section(
            f"Per-query latency, k={K}, {'+'.join(FILTER)} ({_share(catalog)} of the visible "
            f"stations pass), {len(points)} riders near cities; (a), (b), (c) take turns "
            "every 250 riders"
        )
        knn = sql_runner(conn, KNN_SQL, amenities)
        exact = sql_runner(conn, EXACT_SQL, amenities)
        row("plan (b)", explain(conn, KNN_SQL, points[0], amenities))
        row("plan (c)", explain(conn, EXACT_SQL, points[0], amenities))
        (lat_a, res_a), (lat_b, res_b), (lat_c, res_c) = measure_alternating(
            [lambda p: find_nearby(catalog, p, query), knn, exact], points, warm
        )
        pa = latency_row("(a) in-memory find_nearby (exact geodesic)", lat_a)
        pb = latency_row("(b) PostGIS KNN geom <-> point (planar degrees)", lat_b)
        pc = latency_row("(c) PostGIS exact: KNN bound + ST_Distance(geography)", lat_c)
        geo_n = min(args.geography_queries, len(points))
        lat_g, res_g = measure(
            sql_runner(conn, GEOGRAPHY_KNN_SQL, amenities), points[:geo_n], warm[:2]
        )
        pg = latency_row("(c') ORDER BY geom::geography <-> point::geography", lat_g)

        section("Ratios (p50)")
        row(
            "(b) PostGIS KNN / (a) in-memory",
            f"{pb[0] / pa[0]:8.1f} x",
            f"p90 {pb[1] / pa[1]:.1f} x, p99 {pb[2] / pa[2]:.1f} x",
        )
        row(
            "(c) PostGIS exact / (a) in-memory",
            f"{pc[0] / pa[0]:8.1f} x",
            f"p90 {pc[1] / pa[1]:.1f} x, p99 {pc[2] / pa[2]:.1f} x",
        )
        row(
            "(c) PostGIS exact / (b) PostGIS KNN",
            f"{pc[0] / pb[0]:8.1f} x",
            "what exactness costs in the database",
        )
        row("(c') geography KNN / (a) in-memory", f"{pg[0] / pa[0]:8.0f} x", "seq scan + sort")

        section("Agreement on the result ids (same order)")
        ids_a = [[m.station.id for m in r] for r in res_a]
        ids_b = [[r[0] for r in rows] for rows in res_b]
        ids_c = [[r[0] for r in rows] for rows in res_c]
        ids_g = [[r[0] for r in rows] for rows in res_g]
        same_ac = sum(a == c for a, c in zip(ids_a, ids_c, strict=True))
        same_ab = sum(a == b for a, b in zip(ids_a, ids_b, strict=True))
        set_ab = sum(set(a) == set(b) for a, b in zip(ids_a, ids_b, strict=True))
        same_ag = sum(a == g for a, g in zip(ids_a, ids_g, strict=False))
        row(
            "(a) vs (c) exact in the database",
            f"{same_ac}/{len(points)}",
            f"{same_ac / len(points):.1%}",
        )
        row(
            "(a) vs (b) KNN in degrees: same order",
            f"{same_ab}/{len(points)}",
            f"{same_ab / len(points):.1%}; same set of ids: {set_ab}/{len(points)}",
        )
        row("(a) vs (c') geography (sphere) KNN", f"{same_ag}/{geo_n}")
        sample = [i for i, (a, c) in enumerate(zip(ids_a, ids_c, strict=True)) if a != c][:3]
        for i in sample:
            print(f"  differs at {points[i]}: (a) {ids_a[i]}  (c) {ids_c[i]}")
        ok_oracle = oracle_check(catalog, points[: args.check], ids_a, ids_c)

        section("Targets")
        met = pb[0] / pa[0] >= 10.0
        row(
            "in-memory ≥ 10x faster than PostGIS KNN at p50",
            f"{pb[0] / pa[0]:8.1f} x",
            "MET" if met else "NOT MET",
        )
        row(
            "  and than the exact PostGIS answer",
            f"{pc[0] / pa[0]:8.1f} x",
            "MET" if pc[0] / pa[0] >= 10.0 else "NOT MET",
        )
        row(
            "(a) agrees with (c) on every query",
            f"{same_ac}/{len(points)}",
            "yes" if same_ac == len(points) else "NO",
        )
        row("(a) and (c) agree with pyproj on the sample", "yes" if ok_oracle else "NO")
        if args.n != 190_000:
            print(f"  (the target is stated for N=190,000; this run used N={args.n:,})")
    return ok_oracle


def _share(catalog: Catalog) -> str:
    return f"{catalog.selection(mask_of(FILTER), frozenset()).fraction:.0%}"


def oracle_check(
    catalog: Catalog, points: Sequence[LonLat], ids_a: list[list[str]], ids_c: list[list[str]]
) -> bool:
    """(a) and (c) against pyproj's geodesic distance to every filtered station, ties by id."""
    keep = np.flatnonzero(catalog.selection(mask_of(FILTER), frozenset()).mask)
    lon, lat = catalog.lon[keep], catalog.lat[keep]
    ids = np.array([catalog.visible.id_at(i) for i in keep.tolist()])
    agree_a = agree_c = 0
    for i, p in enumerate(points):
        _f, _b, dist = WGS84.inv(np.full(keep.size, p.lon), np.full(keep.size, p.lat), lon, lat)
        order = np.lexsort((ids, np.asarray(dist)))[:K]
        want = ids[order].tolist()
        agree_a += ids_a[i] == want
        agree_c += ids_c[i] == want
    row(f"(a) vs pyproj over all {keep.size:,} filtered stations", f"{agree_a}/{len(points)}")
    row(f"(c) vs pyproj over all {keep.size:,} filtered stations", f"{agree_c}/{len(points)}")
    return agree_a == len(points) and agree_c == len(points)


if __name__ == "__main__":
    raise SystemExit(main())
