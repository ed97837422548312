"""``yizhan routing build --pbf EXTRACT.osm.pbf --out DIR``: routing tiles for ride times, built by
the Valhalla engine from an OpenStreetMap extract (geo/valhalla.py; ``make routing`` installs
the engine)."""

from __future__ import annotations

import argparse
from pathlib import Path

from api.cli.common import SubParsers
from api.settings import Settings
from stations.errors import YizhanError


def add_parser(commands: SubParsers) -> None:
    routing = commands.add_parser("routing", help="the ride-time engine's tiles")
    actions = routing.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="build routing tiles from an OpenStreetMap extract (.osm.pbf)"
    )
    build.add_argument("--pbf", type=Path, required=True, metavar="EXTRACT.osm.pbf")
    build.add_argument("--out", type=Path, required=True, metavar="DIR", help="the tile folder")
    build.add_argument("--threads", type=int, default=2, help="build threads (default 2)")
    build.set_defaults(func=run, db=None)


def run(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from geo.valhalla import RoutingUnavailable, build_tiles, engine_bin

    if not 1 <= args.threads <= 64:
        raise YizhanError(f"--threads must be between 1 and 64, not {args.threads}")
    try:
        bin_dir = engine_bin(settings.valhalla_bin)
        print(f"building routing tiles from {args.pbf} into {args.out} …", flush=True)
        built = build_tiles(args.pbf, args.out, bin_dir=bin_dir, threads=args.threads)
    except RoutingUnavailable as exc:
        raise YizhanError(str(exc)) from None
    print(
        f"built {built.tiles} tiles, {built.size_bytes / 1e6:.1f} MB, in {built.seconds:.1f} s: "
        f"{built.folder} (serve with YIZHAN_ROUTING={built.folder})"
    )
    return 0
