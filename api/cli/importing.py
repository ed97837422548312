"""``yizhan import FILE``: stations from a CSV, GeoJSON or .xlsx file into the store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from api.cli.common import (
    EXIT_USAGE,
    SubParsers,
    add_crs_option,
    add_db_option,
    opened_store,
    progress_bar,
)
from api.settings import Settings

if TYPE_CHECKING:
    from stations.files.report import ImportReport


def add_parser(commands: SubParsers) -> None:
    imp = commands.add_parser("import", help="import stations from a CSV, GeoJSON or .xlsx file")
    imp.add_argument("file", type=Path)
    add_db_option(imp)
    add_crs_option(imp, "coordinate system of the file's positions (default wgs84)")
    imp.add_argument("--dry-run", action="store_true", help="validate and count; write nothing")
    imp.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="write rows that look like a station within 30 m with a similar name",
    )
    imp.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from geo.crs import CoordinateSystem
    from stations.files.importing import import_file

    crs = CoordinateSystem(args.crs)
    with opened_store(db) as store, progress_bar("saving", " rows") as bar:
        report = import_file(
            store,
            args.file,
            crs=crs,
            dry_run=args.dry_run,
            allow_duplicates=args.allow_duplicates,
            progress=bar.update,
        )
    _print_findings(args.file.name, report)
    for c in report.conversions:  # what was read from Chinese, so the writer sees what is saved
        print(f"{args.file.name}: row {c.row}: {c.field}: “{c.given}” → {c.saved}")
    print(("dry run: " if args.dry_run else "") + report.summary())
    return EXIT_USAGE if report.blocked else 0


def _print_findings(file_name: str, report: ImportReport) -> None:
    """Rejected rows and likely duplicates on stderr, one line each, named by file and row."""
    for rejection in report.rejected:
        print(f"{file_name}: {rejection}", file=sys.stderr)
    for d in report.duplicates:
        near = f"row {d.near_row}" if d.near_row is not None else "stored station"
        near += f" {d.near_id}" if d.near_id else ""
        print(
            f"{file_name}: row {d.row}: likely duplicate: {d.name!r} is {d.distance_m:.1f} m "
            f"from {near} {d.near_name!r}",
            file=sys.stderr,
        )
    if report.duplicates_block:
        print(
            "yizhan: likely duplicates; if they are different stations, import again with "
            "--allow-duplicates",
            file=sys.stderr,
        )
