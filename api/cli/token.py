"""``yizhan token create|list|revoke``: the admin tokens that let editors and admins write."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from api.cli.common import Parser, SubParsers, add_db_option, add_repeated_option, opened_store
from api.settings import Settings
from stations.errors import YizhanError

if TYPE_CHECKING:
    from stations.store.base import StationStore


def add_parser(commands: SubParsers) -> None:
    token = commands.add_parser("token", help="admin tokens: create, list, revoke")
    token_commands = token.add_subparsers(dest="token_command", required=True, parser_class=Parser)
    create = token_commands.add_parser("create", help="create a token; prints its secret once")
    add_db_option(create)
    create.add_argument("--role", required=True, choices=["editor", "admin"])
    add_repeated_option(
        create,
        "--district",
        "ADCODE",
        "district an editor may write (6101 = all of Xi'an); repeatable",
    )
    create.add_argument("--name", required=True, help="who holds it, e.g. beilin-zhang")
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)")
    add_db_option(listing)
    revoke = token_commands.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("name")
    add_db_option(revoke)
    token.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings, db: str) -> int:
    # Only `create` may make a new store: listing or revoking in one that is not there is a typo.
    with opened_store(db, create=args.token_command == "create") as store:
        _ACTIONS[args.token_command](args, store)
    return 0


def _create(args: argparse.Namespace, store: StationStore) -> None:
    from datetime import UTC

    from stations.editing.tokens import Token, check_token_fields, new_secret, secret_hash

    role, districts = check_token_fields(args.name, args.role, args.district)
    secret = new_secret()
    token = Token(args.name, role, districts, datetime.now(UTC))
    try:
        store.add_token(token, secret_hash(secret))
    except ValueError as exc:
        raise YizhanError(str(exc)) from None
    scope = ", ".join(districts) or "all districts"
    print(
        f"created {role.value} token {args.name!r} for {scope}; "
        "the secret is shown once, keep it safe:"
    )
    print(secret)


def _list(args: argparse.Namespace, store: StationStore) -> None:
    for t in store.list_tokens():
        state = "active" if t.active else f"revoked {t.revoked_at:%Y-%m-%d %H:%M}Z"
        print(f"{t.name}\t{t.role.value}\t{','.join(t.districts) or '*'}\t{state}")


def _revoke(args: argparse.Namespace, store: StationStore) -> None:
    store.revoke_token(args.name)
    print(f"revoked token {args.name!r}")


_ACTIONS: dict[str, Callable[[argparse.Namespace, StationStore], None]] = {
    "create": _create,
    "list": _list,
    "revoke": _revoke,
}
