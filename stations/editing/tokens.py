"""Admin tokens: roles, district scopes, and how secrets are made and checked.

A secret is 32 random bytes (URL-safe base64, prefixed ``yz_``); only its SHA-256 is stored.
A slow password hash would add nothing: the secret has 256 bits of entropy, so its hash
cannot be brute-forced, and a fast hash keeps every request's check cheap.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from stations.errors import InvalidInput, Problem

SECRET_PREFIX: Final = "yz_"
_NAME_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@\-]{0,63}")
_SCOPE_RE: Final = re.compile(r"[1-9][0-9](?:[0-9]{2}){0,2}")  # 2, 4 or 6 digits


class Role(StrEnum):
    EDITOR = "editor"  # writes stations in its districts
    ADMIN = "admin"  # writes anything


@dataclass(frozen=True, slots=True)
class Token:
    name: str
    role: Role
    districts: tuple[str, ...]  # adcode prefixes: "6101" covers all of Xi'an
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def may_write(self, district_code: str) -> bool:
        """Whether this token may write a station in ``district_code`` (a 6-digit adcode)."""
        if self.role is Role.ADMIN:
            return True
        return any(district_code.startswith(prefix) for prefix in self.districts)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_token_fields(name: str, role: str, districts: list[str]) -> tuple[Role, tuple[str, ...]]:
    """Validate a new token's fields; raises InvalidInput naming each bad one."""
    problems: list[Problem] = []
    if not _NAME_RE.fullmatch(name):
        problems.append(
            Problem("name", "use 1-64 letters, digits and . _ @ -, starting with a letter or digit")
        )
    try:
        parsed_role = Role(role)
    except ValueError:
        parsed_role = Role.EDITOR
        problems.append(Problem("role", f"{role!r} is not one of editor, admin"))
    bad = [d for d in districts if not _SCOPE_RE.fullmatch(d)]
    if bad:
        problems.append(
            Problem("district", f"{', '.join(bad)}: use a 2-, 4- or 6-digit adcode prefix")
        )
    if parsed_role is Role.EDITOR and not districts:
        problems.append(Problem("district", "an editor needs at least one district"))
    if parsed_role is Role.ADMIN and districts:
        problems.append(Problem("district", "an admin writes everywhere; give no district"))
    if problems:
        raise InvalidInput(problems)
    return parsed_role, tuple(dict.fromkeys(districts))
