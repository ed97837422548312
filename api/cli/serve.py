"""``yizhan serve``: check the store once, then hand over to the supervisor and its workers."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from api.cli.common import SubParsers, add_db_option, where
from api.settings import Settings


def add_parser(commands: SubParsers) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API")
    add_db_option(serve)
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
    serve.set_defaults(func=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def run(args: argparse.Namespace, settings: Settings, db: str) -> int:
    # Looked up at call time, not imported by name: bench/ceiling_app.py swaps
    # api.server.supervisor.serve to serve its own app through this very command.
    from api.server import supervisor
    from stations.store.open import is_postgres_url, open_store

    open_store(db, create=False).close()  # fail here, in one line, not in each worker
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    # Workers are new processes that read YIZHAN_DB; a relative path must not depend on them.
    os.environ["YIZHAN_DB"] = db if is_postgres_url(db) else str(Path(db).resolve())
    if args.max_connections is not None:  # read by serve() from the environment, as is the rest
        os.environ["YIZHAN_MAX_CONNECTIONS"] = str(args.max_connections)
    print(
        f"Yizhan serves {where(db)} on http://{host}:{port} (docs: http://{host}:{port}/docs)",
        file=sys.stderr,
    )
    return supervisor.serve(host, port, workers)
