"""``yizhan import-osm EXTRACT.osm.pbf``: service points (toilets, drinking water, charging,
repair stands, defibrillators, shelters) from OpenStreetMap, imported or re-synced without
overwriting an editor's change (stations.files.osm_import)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from api.cli.common import SubParsers, add_db_option, opened_store
from api.settings import Settings
from stations.errors import YizhanError

if TYPE_CHECKING:
    from stations.files.osm_import import OsmImportReport

#: Lines of each list printed; the rest are counted (the summary has every count).
_SHOWN = 20


def add_parser(commands: SubParsers) -> None:
    osm = commands.add_parser(
        "import-osm",
        help="import or re-sync service points from an OpenStreetMap extract (.osm.pbf)",
    )
    osm.add_argument("extract", type=Path, metavar="EXTRACT.osm.pbf")
    add_db_option(osm)
    osm.add_argument(
        "--district",
        required=True,
        metavar="ADCODE",
        help="the district new points are recorded under, e.g. 610100 for 西安市 (OpenStreetMap "
        "has no adcodes)",
    )
    osm.add_argument(
        "--bbox",
        default=None,
        metavar="MINLON,MINLAT,MAXLON,MAXLAT",
        help="only points inside this box (WGS-84); retirements stay inside it too",
    )
    osm.add_argument(
        "--dry-run", action="store_true", help="report what would change; write nothing"
    )
    osm.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from stations.files.osm_import import import_osm

    bbox = _bbox(args.bbox) if args.bbox is not None else None
    with opened_store(db) as store:
        report = import_osm(
            store, args.extract, district_code=args.district, bbox=bbox, dry_run=args.dry_run
        )
    _print_details(report)
    print(("dry run: nothing written\n" if args.dry_run else "") + report.summary())
    return 0


def _bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4:
        raise YizhanError(f"--bbox takes four numbers minlon,minlat,maxlon,maxlat, not {text!r}")
    min_lon, min_lat, max_lon, max_lat = numbers
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise YizhanError(
            f"--bbox {text}: need -180 ≤ minlon < maxlon ≤ 180 and -90 ≤ minlat < maxlat ≤ 90"
        )
    return min_lon, min_lat, max_lon, max_lat


def _print_details(report: OsmImportReport) -> None:
    """What changed, station by station (the first few of each list)."""
    sections = [
        ("created", [str(s) for s in report.created]),
        ("updated", [str(s) for s in report.updated]),
        ("retired", [f"{r.station_id} {r.name}: {r.why}" for r in report.retired]),
        ("kept (an editor changed it)",
         [f"{k.station_id} {k.field}: ours {k.ours!r}, OpenStreetMap {k.osm!r}"
          for k in report.kept]),
        ("left out", [f"{element}: {why}" for element, why in report.invalid]),
    ]  # fmt: skip
    for title, lines in sections:
        for line in lines[:_SHOWN]:
            print(f"{title}: {line}")
        if len(lines) > _SHOWN:
            print(f"{title}: … and {len(lines) - _SHOWN} more")
