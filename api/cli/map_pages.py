"""``yizhan map --out DIR``: static HTML station maps, self-contained, for any web server."""

from __future__ import annotations

import argparse
from pathlib import Path

from api.cli.common import SubParsers, add_db_option, opened_store
from api.settings import Settings
from stations.errors import YizhanError


def add_parser(commands: SubParsers) -> None:
    mp = commands.add_parser(
        "map", help="publish static HTML station maps (self-contained, no CDN)"
    )
    add_db_option(mp)
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
        dest="coverage_m",
        type=_coverage_radii,
        default=(),
        metavar="M[,M...]",
        help="add toggleable coverage circles of these radii in metres, e.g. 500,1000",
    )
    mp.add_argument(
        "--photos",
        action="store_true",
        help="inline each station's newest photo thumbnail (320 px JPEG) into its popup",
    )
    mp.set_defaults(func=run)


def _coverage_radii(text: str) -> tuple[int, ...]:
    """``500,1000`` → (500, 1000): whole metres, 1 to 10 000, at most four, sorted."""
    try:
        radii_m = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole metres separated by commas, e.g. 500,1000, not {text!r}"
        ) from None
    if not 1 <= len(radii_m) <= 4 or not all(1 <= r <= 10_000 for r in radii_m):
        raise argparse.ArgumentTypeError(
            f"expected one to four radii from 1 to 10000 metres, not {text!r}"
        )
    return tuple(radii_m)


def run(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from api.maps.payload import Thumbnail
    from api.maps.publish import newest_thumbnails, publish, publishable
    from api.maps.texts import Tiles
    from stations.hours import SHANGHAI
    from stations.model import StationId

    if args.out.exists() and not args.out.is_dir():
        raise YizhanError(f"--out {args.out} is a file; give a directory to write index.html into")
    photos: dict[StationId, Thumbnail] | None = None
    with opened_store(db, create=False) as store:
        stations = store.list_stations()
        if args.photos:
            photos = newest_thumbnails(store, (s.id for s in publishable(stations)))
    try:
        done = publish(
            stations,
            args.out,
            tiles=Tiles(args.tiles),
            lang=args.lang,
            coverage_m=args.coverage_m,
            by_district=args.by_district,
            photos=photos,
        )
    except OSError as exc:
        raise YizhanError(f"cannot write the map into {args.out}: {exc.strerror or exc}") from None
    size_kb = sum(p.size_bytes for p in done.pages) / 1024
    with_photos = (
        ""
        if done.photos is None
        else f" with {done.photos.count} photo thumbnail(s) ({done.photos.kb:,} KB)"
    )
    print(
        f"published {done.stations} active stations in {len(done.pages)} page(s), "
        f"{size_kb:,.0f} KB{with_photos}: {done.index}"
    )
    if done.hours_until is not None:
        until = done.hours_until.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        print(f"opening hours on the pages run until {until} (Asia/Shanghai): publish again before")
    return 0
