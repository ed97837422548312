"""What the sub-commands share: the parser class, the --db option, the store, progress bars.

Nothing here imports a store, tqdm or NumPy at module level: every sub-command module imports
this one while ``yizhan --help`` builds its parser, and that must stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

from api.settings import DEFAULT_DB, Settings

if TYPE_CHECKING:
    from stations.store.base import StationStore

EXIT_USAGE = 2

# What a sub-command's module sets as ``func``: the parsed arguments, the settings from the
# environment and the store (``--db`` or $YIZHAN_DB) in, the exit status out.
Run: TypeAlias = Callable[[argparse.Namespace, Settings, str], int]


class Parser(argparse.ArgumentParser):
    """A parser whose usage errors are one line that names the help to read, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # A sub-command's prog is already "yizhan import" (or "yizhan token create").
        self.exit(EXIT_USAGE, f"yizhan: {message} (see `{self.prog} -h`)\n")

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """As argparse's, but an option no parser knows is blamed on the sub-command it was
        given to, whose help lists the options there are (argparse blames the top parser)."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self._chosen(parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def _chosen(self, parsed: argparse.Namespace) -> Parser:
        """The innermost sub-command parser ``parsed`` went through (``self`` if none)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                chosen = action.choices.get(str(getattr(parsed, action.dest, "")))
                if isinstance(chosen, Parser):
                    return chosen._chosen(parsed)
        return self


# What each sub-command's ``add_parser`` adds itself to (argparse keeps the class private).
SubParsers: TypeAlias = "argparse._SubParsersAction[Parser]"


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        help=f"the store: a GeoPackage path or a postgresql:// URL (default: $YIZHAN_DB or "
        f"{DEFAULT_DB})",
    )


def add_crs_option(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    from geo.crs import CoordinateSystem

    parser.add_argument(
        "--crs", choices=[c.value for c in CoordinateSystem], default="wgs84", help=help_text
    )


def add_repeated_option(
    parser: argparse.ArgumentParser, flag: str, metavar: str, help_text: str
) -> None:
    """An option given once per value (``--amenity a --amenity b``), a list, empty by default."""
    parser.add_argument(flag, action="append", default=[], metavar=metavar, help=help_text)


def where(db: str) -> str:
    """The store as it may be printed: a database URL without its password."""
    from stations.store.open import is_postgres_url
    from stations.store.postgis.connection import redact

    return redact(db) if is_postgres_url(db) else db


@contextmanager
def opened_store(db: str, *, create: bool = True) -> Iterator[StationStore]:
    """The store at ``db``, closed however the block ends."""
    from stations.store.open import open_store

    store = open_store(db, create=create)
    try:
        yield store
    finally:
        store.close()


def progress_bar(desc: str, unit: str, total: int | None = None) -> Any:  # tqdm has no types
    from tqdm import tqdm

    # disable=None: no bar when stderr is not a terminal (logs, pipes, tests).
    return tqdm(desc=desc, total=total, unit=unit, disable=None, file=sys.stderr)
