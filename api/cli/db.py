"""``yizhan db upgrade``: create the store's schema or migrate it to this version's."""

from __future__ import annotations

import argparse

from api.cli.common import Parser, SubParsers, add_db_option, where
from api.settings import Settings


def add_parser(commands: SubParsers) -> None:
    dbp = commands.add_parser("db", help="store schema")
    db_commands = dbp.add_subparsers(dest="db_command", required=True, parser_class=Parser)
    upgrade = db_commands.add_parser("upgrade", help="create or migrate the store's schema")
    add_db_option(upgrade)
    dbp.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings, db: str) -> int:
    from stations.store.open import upgrade_store

    version = upgrade_store(db)
    print(f"{where(db)} is at schema version {version}")
    return 0
