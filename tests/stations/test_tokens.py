from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stations.editing.tokens import Role, Token, check_token_fields, new_secret, secret_hash
from stations.errors import InvalidInput

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("districts", "code", "allowed"),
    [
        (("610103",), "610103", True),
        (("610103",), "610112", False),
        (("6101",), "610112", True),
        (("6101",), "610402", False),
        (("61",), "610402", True),
    ],
)
def test_editor_scope_is_a_prefix(districts: tuple[str, ...], code: str, allowed: bool) -> None:
    assert Token("e", Role.EDITOR, districts, NOW).may_write(code) is allowed


def test_admin_writes_everywhere() -> None:
    assert Token("a", Role.ADMIN, (), NOW).may_write("110101")


def test_secrets_are_random_and_hashed() -> None:
    a, b = new_secret(), new_secret()
    assert a != b and a.startswith("yz_") and len(a) > 40
    assert secret_hash(a) != secret_hash(b) and len(secret_hash(a)) == 64


@pytest.mark.parametrize(
    ("name", "role", "districts", "field"),
    [
        ("", "editor", ["610103"], "name"),
        ("has space", "editor", ["610103"], "name"),
        ("ok", "owner", [], "role"),
        ("ok", "editor", [], "district"),
        ("ok", "editor", ["61010"], "district"),
        ("ok", "admin", ["6101"], "district"),
    ],
)
def test_token_fields_are_checked(name: str, role: str, districts: list[str], field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_token_fields(name, role, districts)
    assert field in {p.field for p in exc.value.problems}


def test_valid_fields() -> None:
    assert check_token_fields("beilin", "editor", ["610103", "610103"]) == (
        Role.EDITOR,
        ("610103",),
    )
