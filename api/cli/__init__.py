"""The ``yizhan`` command line: serve, import, import-osm, export, template, nearest, db, token,
map, routing.

One module a sub-command: each adds its own sub-parser and runs it; ``common`` holds what they
share. User mistakes end with one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from api.cli import (
    db,
    export,
    import_osm,
    importing,
    map_pages,
    nearest,
    routing,
    serve,
    template,
    token,
)
from api.cli.common import EXIT_USAGE, Parser, Run
from api.settings import Settings, SettingsError
from geo.position import InvalidCoordinate
from stations.amenities import UnknownAmenity
from stations.errors import YizhanError

# In the order `yizhan --help` lists them.
_COMMANDS = (serve, importing, import_osm, export, template, nearest, db, token, map_pages, routing)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="yizhan", description="Yizhan courier rest-station locator.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in _COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        run: Run = args.func
        return run(args, settings, str(args.db or settings.db))
    except (YizhanError, SettingsError, UnknownAmenity, InvalidCoordinate) as exc:
        print(f"yizhan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
