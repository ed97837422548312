"""``yizhan nearest``: the nearest stations to one position, or (``--batch``) to every row of a
CSV file of rider positions, written as CSV."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from api.cli.common import (
    SubParsers,
    add_crs_option,
    add_db_option,
    add_repeated_option,
    opened_store,
    progress_bar,
)
from api.settings import Settings
from stations.errors import YizhanError
from stations.model import COURIER_ACCESS, Access

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from api.routing import Routing
    from geo.crs import CoordinateSystem
    from geo.position import LonLat
    from stations.reading.catalog import Catalog
    from stations.reading.locator import Match, NearbyQuery
    from stations.reading.rider_points import RiderPoints

# How many stations a rider gets when --k is not given: a short list to choose from on the
# command line, the one nearest in a batch (one row per rider in its output).
DEFAULT_K = 5
DEFAULT_BATCH_K = 1


def add_parser(commands: SubParsers) -> None:
    near = commands.add_parser(
        "nearest", help="the nearest stations to a position, or to every row of a CSV file"
    )
    add_db_option(near)
    near.add_argument("--lat", type=float, default=None, help="the position (not with --batch)")
    near.add_argument("--lon", type=float, default=None)
    near.add_argument(
        "--batch",
        type=Path,
        default=None,
        metavar="POINTS.csv",
        help="match every row of a CSV file with lat,lon (and optional id) columns",
    )
    near.add_argument(
        "--out", type=Path, default=None, metavar="RESULTS.csv", help="where --batch writes"
    )
    near.add_argument(
        "--k", type=int, default=None, help="how many (1-100; default 5, with --batch 1)"
    )
    add_repeated_option(near, "--amenity", "CODE", "required amenity; repeat for several")
    near.add_argument(
        "--access",
        action="append",
        default=[],
        choices=[a.value for a in Access],
        help="who the rider is (repeat for several; default public and outdoor_workers)",
    )
    near.add_argument(
        "--verified-within-days",
        type=int,
        default=None,
        metavar="DAYS",
        help="only stations an editor verified on site within DAYS days (1-3650)",
    )
    add_crs_option(near)
    near.add_argument("--radius-m", type=float, default=None)
    near.add_argument("--open-now", action="store_true", help="only stations open now")
    near.add_argument("--json", action="store_true", help="print GeoJSON instead of a table")
    near.add_argument(
        "--rank",
        choices=["distance", "time"],
        default=None,
        help="time: by e-bike ride time (YIZHAN_ROUTING: tiles or a URL); default time when "
        "routing is configured, else distance",
    )
    near.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from geo.crs import CoordinateSystem
    from geo.origin import checked_position, origin_in_wgs84
    from stations.amenities import check_codes
    from stations.reading.locator import find_nearby

    if args.batch is not None:
        return _run_batch(args, settings, db)
    if args.lat is None or args.lon is None or args.out is not None:
        raise YizhanError("give --lat and --lon, or --batch POINTS.csv --out RESULTS.csv")
    k = _checked_k(args, DEFAULT_K)
    crs = CoordinateSystem(args.crs)
    checked_position(args.lon, args.lat)  # range check in the caller's system
    origin = origin_in_wgs84(args.lon, args.lat, crs)
    catalog = _load_catalog(db)
    query = _query(args, k, check_codes(args.amenity))
    if (args.rank or ("time" if settings.routing else "distance")) == "time":
        return _run_by_time(args, settings, catalog, origin, query, crs)
    matches = find_nearby(catalog, origin, query)
    if args.json:
        _print_geojson(matches, origin, crs, query.at)
    else:
        _print_table(matches)
    return 0


def _run_by_time(
    args: argparse.Namespace,
    settings: Settings,
    catalog: Catalog,
    origin: LonLat,
    query: NearbyQuery,
    crs: CoordinateSystem,
) -> int:
    """The nearest by ride time, the engine started for this one question (YIZHAN_ROUTING)."""
    import orjson

    from api.presenter import timed_collection

    with _engine(settings) as routing:
        answer = routing.rank(catalog, origin, query)
    if args.json:
        collection = timed_collection(answer, origin, crs, query.at)
        sys.stdout.write(orjson.dumps(collection, option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    if not answer.matches:
        print("no station matches")
    for t in answer.matches:
        m = t.match
        mark = "" if t.source == "engine" else " (estimate)"
        print(f"{t.duration_s / 60:6.1f} min{mark}  {m.distance_m:9.1f} m  "
              f"{m.hours.state.value:7}  {m.station.id}  {m.station.name}")  # fmt: skip
    return 0


@contextmanager
def _engine(settings: Settings) -> Iterator[Routing]:
    """The ride-time engine started for one command (YIZHAN_ROUTING), stopped after it."""
    from api.routing import Routing

    routing = Routing(settings)
    routing.start()
    try:
        yield routing
    finally:
        routing.stop()
    if routing.configured and routing.url is None:
        print(f"yizhan: ride times estimated: {routing.state}", file=sys.stderr)


def _run_batch(args: argparse.Namespace, settings: Settings, db: str) -> int:
    """Every row of a points file matched to its nearest stations, written as CSV."""
    import time

    from geo.crs import CoordinateSystem
    from geo.origin import origins_in_wgs84
    from stations.amenities import check_codes
    from stations.reading.batch import neighbours_of_many
    from stations.reading.rider_points import read_points, write_matches

    if args.lat is not None or args.lon is not None or args.json or args.out is None:
        raise YizhanError("--batch POINTS.csv needs --out RESULTS.csv, and no --lat, --lon, --json")
    k = _checked_k(args, DEFAULT_BATCH_K)
    crs = CoordinateSystem(args.crs)
    amenities = check_codes(args.amenity)
    points = read_points(args.batch)  # bad rows end here, before anything is written
    lon_deg, lat_deg = origins_in_wgs84(points.lon, points.lat, crs)
    catalog = _load_catalog(db)
    started_s = time.perf_counter()
    query = _query(args, k, amenities)
    if (args.rank or ("time" if settings.routing else "distance")) == "time":
        rows = _batch_by_time(args, settings, catalog, points, lon_deg, lat_deg, query, crs)
        print(f"{lon_deg.size} points ranked by ride time, {rows} rows in "
              f"{time.perf_counter() - started_s:.1f} s: {args.out}")  # fmt: skip
        return 0
    with progress_bar("matching", " points", lon_deg.size) as bar:
        found = neighbours_of_many(catalog, lon_deg, lat_deg, query, progress=bar.update)
    with progress_bar("writing", " points", lon_deg.size) as bar:
        try:
            rows = write_matches(args.out, points, found, catalog, crs, progress=bar.update)
        except OSError as exc:
            raise YizhanError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    matched = int((found.positions[:, :1] >= 0).sum())
    print(
        f"{lon_deg.size} points, {matched} with a station, {rows} rows in "
        f"{time.perf_counter() - started_s:.1f} s: {args.out}"
    )
    return 0


def _batch_by_time(
    args: argparse.Namespace,
    settings: Settings,
    catalog: Catalog,
    points: RiderPoints,
    lon_deg: NDArray[np.float64],
    lat_deg: NDArray[np.float64],
    query: NearbyQuery,
    crs: CoordinateSystem,
) -> int:
    """Every rider ranked by ride time exactly as the single query ranks (one matrix request
    each), written with the ride columns; returns the rows written."""
    from geo.position import LonLat
    from stations.reading.rider_points import write_timed_matches

    answers = []
    with _engine(settings) as routing, progress_bar("routing", " points", lon_deg.size) as bar:
        for lon, lat in zip(lon_deg.tolist(), lat_deg.tolist(), strict=True):
            answers.append(routing.rank(catalog, LonLat(lon, lat), query))
            bar.update(1)
    try:
        return write_timed_matches(args.out, points, answers, catalog, crs)
    except OSError as exc:
        raise YizhanError(f"cannot write {args.out}: {exc.strerror or exc}") from None


def _checked_k(args: argparse.Namespace, default_k: int) -> int:
    """--k, or ``default_k`` without it, once it and --radius-m are within the API's limits."""
    k = default_k if args.k is None else args.k
    if not 1 <= k <= 100:
        raise YizhanError(f"--k must be between 1 and 100, not {k}")
    if args.radius_m is not None and not 0 < args.radius_m <= 50_000:
        raise YizhanError(f"--radius-m must be in (0, 50000], not {args.radius_m}")
    days = args.verified_within_days
    if days is not None and not 1 <= days <= 3650:
        raise YizhanError(f"--verified-within-days must be between 1 and 3650, not {days}")
    return k


def _query(args: argparse.Namespace, k: int, amenities: tuple[str, ...]) -> NearbyQuery:
    """The query for now in Xi'an, whose ``at`` is also the instant the output's hours are for."""
    from stations.hours import SHANGHAI
    from stations.reading.locator import nearby_query

    return nearby_query(
        now=datetime.now(SHANGHAI),
        k=k,
        radius_m=args.radius_m,
        amenities=amenities,
        open_now=args.open_now,
        access=frozenset(Access(a) for a in args.access) or COURIER_ACCESS,
        verified_within_days=args.verified_within_days,
    )


def _load_catalog(db: str) -> Catalog:
    from stations.reading.catalog import Catalog

    with opened_store(db, create=False) as store:
        read = store.read_stations()  # with the open rider reports, as a server reads them
        return Catalog(read.stations, data_version=read.data_version)


def _print_geojson(
    matches: list[Match], origin: LonLat, crs: CoordinateSystem, at: datetime
) -> None:
    import orjson

    from api.presenter import nearest_collection

    collection = nearest_collection(matches, origin, crs, at)
    sys.stdout.write(orjson.dumps(collection, option=orjson.OPT_INDENT_2).decode() + "\n")


def _print_table(matches: list[Match]) -> None:
    if not matches:
        print("no station matches")
    for m in matches:
        print(
            f"{m.distance_m:9.1f} m  {m.bearing_deg:5.1f}°  {m.hours.state.value:7}  "
            f"{m.station.id}  {m.station.name}"
        )
