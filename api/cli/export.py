"""``yizhan export FILE``: the active stations as .csv, .xlsx, .geojson or .gpkg."""

from __future__ import annotations

import argparse
from pathlib import Path

from api.cli.common import SubParsers, add_db_option, opened_store
from api.settings import Settings


def add_parser(commands: SubParsers) -> None:
    exp = commands.add_parser(
        "export", help="export active stations (.csv, .xlsx, .geojson, .gpkg)"
    )
    exp.add_argument("file", type=Path)
    add_db_option(exp)
    exp.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from stations.files.exporting import export_file

    with opened_store(db, create=False) as store:
        count = export_file(store, args.file)
    print(f"exported {count} active stations to {args.file}")
    return 0
