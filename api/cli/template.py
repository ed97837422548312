"""``yizhan template FILE.xlsx``: the Excel import template (Chinese headers, three examples,
the amenity list and instructions in Chinese), as ``GET /v1/imports/template.xlsx`` serves it."""

from __future__ import annotations

import argparse
from pathlib import Path

from api.cli.common import SubParsers
from api.settings import Settings


def add_parser(commands: SubParsers) -> None:
    template = commands.add_parser(
        "template", help="write the Excel import template (Chinese headers, examples, help)"
    )
    template.add_argument("file", type=Path, help="where to write it, e.g. 驿站导入模板.xlsx")
    template.set_defaults(func=run, db=None)


def run(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from stations.files.template import write_template

    write_template(args.file)
    print(f"wrote the import template to {args.file}: fill in its sheet 驿站, then import it")
    return 0
