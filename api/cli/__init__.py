"""The ``yizhan`` command line: serve, import, export, nearest, token, map.

User mistakes end with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from api.settings import DEFAULT_DB, Settings, SettingsError
from geo.crs import CoordinateSystem
from geo.origin import origin_in_wgs84, origins_in_wgs84
from geo.position import InvalidCoordinate, LonLat
from stations.amenities import UnknownAmenity, check_codes
from stations.errors import YizhanError
from stations.hours import SHANGHAI
from stations.reading.catalog import Catalog
from stations.reading.locator import find_nearby, nearby_query

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"yizhan: {message} (see `yizhan {self.prog.split()[-1]} -h`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="yizhan", description="Yizhan courier rest-station locator.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    crs_choices = [c.value for c in CoordinateSystem]

    serve = sub.add_parser("serve", help="serve the HTTP API")
    _db(serve)
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=None, help="worker processes (default 1)")
    serve.add_argument(
        "--max-connections",
        type=_positive_int,
        default=None,
        metavar="N",
        help="open connections per process; a new one beyond gets a 503 (default: "
        "$YIZHAN_MAX_CONNECTIONS, or derived from the open-file limit, at most 4096)",
    )

    imp = sub.add_parser("import", help="import stations from a CSV, GeoJSON or .xlsx file")
    imp.add_argument("file", type=Path)
    _db(imp)
    imp.add_argument(
        "--crs",
        choices=crs_choices,
        default="wgs84",
        help="coordinate system of the file's positions (default wgs84)",
    )
    imp.add_argument("--dry-run", action="store_true", help="validate and count; write nothing")
    imp.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="write rows that look like a station within 30 m with a similar name",
    )

    exp = sub.add_parser("export", help="export active stations (.csv, .geojson, .gpkg)")
    exp.add_argument("file", type=Path)
    _db(exp)

    near = sub.add_parser(
        "nearest", help="the nearest stations to a position, or to every row of a CSV file"
    )
    _db(near)
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
    near.add_argument(
        "--amenity",
        action="append",
        default=[],
        metavar="CODE",
        help="required amenity; repeat for several",
    )
    near.add_argument("--crs", choices=crs_choices, default="wgs84")
    near.add_argument("--radius-m", type=float, default=None)
    near.add_argument("--open-now", action="store_true", help="only stations open now")
    near.add_argument("--json", action="store_true", help="print GeoJSON instead of a table")

    dbp = sub.add_parser("db", help="store schema")
    db_sub = dbp.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    upgrade = db_sub.add_parser("upgrade", help="create or migrate the store's schema")
    _db(upgrade)

    token = sub.add_parser("token", help="admin tokens: create, list, revoke")
    token_sub = token.add_subparsers(dest="token_command", required=True, parser_class=_Parser)
    create = token_sub.add_parser("create", help="create a token; prints its secret once")
    _db(create)
    create.add_argument("--role", required=True, choices=["editor", "admin"])
    create.add_argument(
        "--district",
        action="append",
        default=[],
        metavar="ADCODE",
        help="district an editor may write (6101 = all of Xi'an); repeatable",
    )
    create.add_argument("--name", required=True, help="who holds it, e.g. beilin-zhang")
    listing = token_sub.add_parser("list", help="list tokens (never their secrets)")
    _db(listing)
    revoke = token_sub.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("name")
    _db(revoke)

    mp = sub.add_parser("map", help="publish static HTML station maps (self-contained, no CDN)")
    _db(mp)
    mp.add_argument("--out", type=Path, required=True, help="directory to write index.html into")
    mp.add_argument(
        "--tiles",
        choices=["osm", "amap"],
        default="osm",
        help="osm: OpenStreetMap tiles, WGS-84 positions (default); amap: Amap tiles, GCJ-02",
    )
    mp.add_argument(
        "--by-district",
        action="store_true",
        help="one page per district plus an index page linking them",
    )
    mp.add_argument("--lang", choices=["zh", "en"], default="zh", help="page text (default zh)")
    mp.add_argument(
        "--coverage",
        type=_coverage_radii,
        default=(),
        metavar="M[,M...]",
        help="add toggleable coverage circles of these radii in metres, e.g. 500,1000",
    )
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def _coverage_radii(text: str) -> tuple[int, ...]:
    """``500,1000`` → (500, 1000): whole metres, 1 to 10 000, at most four, sorted."""
    try:
        radii = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole metres separated by commas, e.g. 500,1000, not {text!r}"
        ) from None
    if not 1 <= len(radii) <= 4 or not all(1 <= r <= 10_000 for r in radii):
        raise argparse.ArgumentTypeError(
            f"expected one to four radii from 1 to 10000 metres, not {text!r}"
        )
    return tuple(radii)


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        help=f"the store: a GeoPackage path or a postgresql:// URL (default: $YIZHAN_DB or "
        f"{DEFAULT_DB})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        db = str(args.db or settings.db)
        command = {
            "serve": _serve,
            "import": _import,
            "export": _export,
            "nearest": _nearest,
            "token": _token,
            "db": _db_command,
            "map": _map,
        }
        return command[args.command](args, settings, db)
    except (YizhanError, SettingsError, UnknownAmenity, InvalidCoordinate) as exc:
        print(f"yizhan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _serve(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from api.server.supervisor import serve
    from stations.store.open import open_store
    from stations.store.postgis.connection import is_postgres_url

    open_store(db, create=False).close()  # fail here, in one line, not in each worker
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    # Workers are new processes that read YIZHAN_DB; a relative path must not depend on them.
    os.environ["YIZHAN_DB"] = db if is_postgres_url(db) else str(Path(db).resolve())
    if args.max_connections is not None:  # read by serve() from the environment, as is the rest
        os.environ["YIZHAN_MAX_CONNECTIONS"] = str(args.max_connections)
    print(
        f"Yizhan serves {_where(db)} on http://{host}:{port} (docs: http://{host}:{port}/docs)",
        file=sys.stderr,
    )
    return serve(host, port, workers)


def _import(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from tqdm import tqdm

    from stations.files.importing import import_file
    from stations.store.open import open_store

    store = open_store(db)
    try:
        with tqdm(desc="saving", unit=" rows", disable=None, file=sys.stderr) as bar:
            report = import_file(
                store,
                args.file,
                crs=CoordinateSystem(args.crs),
                dry_run=args.dry_run,
                allow_duplicates=args.allow_duplicates,
                progress=bar.update,
            )
    finally:
        store.close()
    for rejection in report.rejected:
        print(f"{args.file.name}: {rejection}", file=sys.stderr)
    for d in report.duplicates:
        near = f"row {d.near_row}" if d.near_row is not None else "stored station"
        near += f" {d.near_id}" if d.near_id else ""
        print(
            f"{args.file.name}: row {d.row}: likely duplicate: {d.name!r} is {d.distance_m:.1f} m "
            f"from {near} {d.near_name!r}",
            file=sys.stderr,
        )
    if report.duplicates_block:
        print(
            "yizhan: likely duplicates; if they are different stations, import again with "
            "--allow-duplicates",
            file=sys.stderr,
        )
    print(("dry run: " if args.dry_run else "") + report.summary())
    return EXIT_USAGE if report.blocked else 0


def _export(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from stations.files.exporting import export_file
    from stations.store.open import open_store

    store = open_store(db, create=False)
    try:
        count = export_file(store, args.file)
    finally:
        store.close()
    print(f"exported {count} active stations to {args.file}")
    return 0


def _nearest(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from api.presenter import nearest_collection

    if args.batch is not None:
        return _nearest_batch(args, db)
    if args.lat is None or args.lon is None or args.out is not None:
        raise YizhanError("give --lat and --lon, or --batch POINTS.csv --out RESULTS.csv")
    k = 5 if args.k is None else args.k
    _check_limits(k, args.radius_m)
    crs = CoordinateSystem(args.crs)
    LonLat(args.lon, args.lat)  # range check in the caller's system
    origin = origin_in_wgs84(args.lon, args.lat, crs)
    catalog = _load_catalog(db)
    now = datetime.now(SHANGHAI)
    query = nearby_query(
        now=now,
        k=k,
        radius_m=args.radius_m,
        amenities=check_codes(args.amenity),
        open_now=args.open_now,
    )
    matches = find_nearby(catalog, origin, query)
    if args.json:
        sys.stdout.write(
            orjson.dumps(
                nearest_collection(matches, origin, crs, now), option=orjson.OPT_INDENT_2
            ).decode()
            + "\n"
        )
        return 0
    if not matches:
        print("no station matches")
    for m in matches:
        print(
            f"{m.distance_m:9.1f} m  {m.bearing_deg:5.1f}°  {m.hours.state.value:7}  "
            f"{m.station.id}  {m.station.name}"
        )
    return 0


def _nearest_batch(args: argparse.Namespace, db: str) -> int:
    """Every row of a points file matched to its nearest stations, written as CSV."""
    import time

    from stations.reading.batch import nearest_many, read_points, write_matches

    if args.lat is not None or args.lon is not None or args.json or args.out is None:
        raise YizhanError("--batch POINTS.csv needs --out RESULTS.csv, and no --lat, --lon, --json")
    k = 1 if args.k is None else args.k
    _check_limits(k, args.radius_m)
    crs = CoordinateSystem(args.crs)
    amenities = check_codes(args.amenity)
    points = read_points(args.batch)  # bad rows end here, before anything is written
    lon, lat = origins_in_wgs84(points.lon, points.lat, crs)
    catalog = _load_catalog(db)
    started = time.perf_counter()
    now = datetime.now(SHANGHAI)
    query = nearby_query(
        now=now, k=k, radius_m=args.radius_m, amenities=amenities, open_now=args.open_now
    )
    with _bar("matching", lon.size) as bar:
        found = nearest_many(catalog, lon, lat, query, progress=bar.update)
    with _bar("writing", lon.size) as bar:
        try:
            rows = write_matches(args.out, points, found, catalog, crs, progress=bar.update)
        except OSError as exc:
            raise YizhanError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    matched = int((found.positions[:, :1] >= 0).sum())
    print(
        f"{lon.size} points, {matched} with a station, {rows} rows in "
        f"{time.perf_counter() - started:.1f} s: {args.out}"
    )
    return 0


def _bar(desc: str, total: int) -> Any:
    from tqdm import tqdm

    # disable=None: no bar when stderr is not a terminal (logs, pipes, tests).
    return tqdm(desc=desc, total=total, unit=" points", disable=None, file=sys.stderr)


def _check_limits(k: int, radius_m: float | None) -> None:
    if not 1 <= k <= 100:
        raise YizhanError(f"--k must be between 1 and 100, not {k}")
    if radius_m is not None and not 0 < radius_m <= 50_000:
        raise YizhanError(f"--radius-m must be in (0, 50000], not {radius_m}")


def _load_catalog(db: str) -> Catalog:
    from stations.store.open import open_store

    store = open_store(db, create=False)
    try:
        return Catalog(store.list_stations(), data_version=store.data_version())
    finally:
        store.close()


def _db_command(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from stations.store.open import upgrade_store

    version = upgrade_store(db)
    print(f"{_where(db)} is at schema version {version}")
    return 0


def _where(db: str) -> str:
    """The store as it may be printed: a database URL without its password."""
    from stations.store.postgis.connection import is_postgres_url, redact

    return redact(db) if is_postgres_url(db) else db


def _token(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from datetime import UTC

    from stations.editing.tokens import Token, check_token_fields, new_secret, secret_hash
    from stations.store.open import open_store

    store = open_store(db, create=args.token_command == "create")
    try:
        if args.token_command == "create":
            role, districts = check_token_fields(args.name, args.role, args.district)
            secret = new_secret()
            token = Token(args.name, role, districts, datetime.now(UTC))
            try:
                store.add_token(token, secret_hash(secret))
            except ValueError as exc:
                raise YizhanError(str(exc)) from None
            scope = ", ".join(districts) or "all districts"
            print(
                f"created {role.value} token {args.name!r} for {scope}; "
                "the secret is shown once, keep it safe:"
            )
            print(secret)
        elif args.token_command == "list":
            for t in store.list_tokens():
                state = "active" if t.active else f"revoked {t.revoked_at:%Y-%m-%d %H:%M}Z"
                print(f"{t.name}\t{t.role.value}\t{','.join(t.districts) or '*'}\t{state}")
        else:
            store.revoke_token(args.name)
            print(f"revoked token {args.name!r}")
    finally:
        store.close()
    return 0


def _map(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from api.maps.publish import publish
    from api.maps.texts import Tiles
    from stations.store.open import open_store

    if args.out.exists() and not args.out.is_dir():
        raise YizhanError(f"--out {args.out} is a file; give a directory to write index.html into")
    store = open_store(db, create=False)
    try:
        stations = store.list_stations()
    finally:
        store.close()
    try:
        done = publish(
            stations,
            args.out,
            tiles=Tiles(args.tiles),
            lang=args.lang,
            coverage_m=args.coverage,
            by_district=args.by_district,
        )
    except OSError as exc:
        raise YizhanError(f"cannot write the map into {args.out}: {exc.strerror or exc}") from None
    size_kb = sum(p.size_bytes for p in done.pages) / 1024
    print(
        f"published {done.stations} active stations in {len(done.pages)} page(s), "
        f"{size_kb:,.0f} KB: {done.index}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
