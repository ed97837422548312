"""Who may write what: the authorization matrix over every admin route, district scopes
(including moves across districts), revocation, and secrets that never leak."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from stations.editing.tokens import Role
from tests.api.admin_fixtures import (
    BEILIN,
    WEIYANG,
    AdminEnv,
    admin_env,
    bearer,
    cli,
    create,
    fetch,
    history,
    if_match,
    station_body,
    store_token,
)
from tests.api.problem import assert_problem

OK = "ok"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminEnv]:
    # Tokens made and revoked with the real `yizhan token` command.
    with admin_env(tmp_path_factory.mktemp("auth"), via_cli=True) as env:
        yield env


# -- the matrix ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    authorization: Callable[[AdminEnv], str | None]  # the Authorization header, or none
    district: str  # where the station it writes is
    expected: str | int  # OK, 401 or 403
    token_name: str | None = None


PRINCIPALS: dict[str, Principal] = {
    "no token": Principal(lambda env: None, BEILIN, 401),
    "Basic scheme": Principal(lambda env: "Basic x", BEILIN, 401),
    "Bearer alone": Principal(lambda env: "Bearer", BEILIN, 401),
    "unknown token": Principal(lambda env: "Bearer yz_" + "A" * 43, BEILIN, 401),
    "revoked token": Principal(lambda env: f"Bearer {env.secrets['revoked-admin']}", WEIYANG, 401),
    "editor in district": Principal(
        lambda env: f"Bearer {env.secrets['beilin-editor']}", BEILIN, OK, "beilin-editor"
    ),
    "editor outside": Principal(
        lambda env: f"Bearer {env.secrets['beilin-editor']}", WEIYANG, 403, "beilin-editor"
    ),
    "editor by city prefix": Principal(
        lambda env: f"Bearer {env.secrets['xian-editor']}", WEIYANG, OK, "xian-editor"
    ),
    "admin": Principal(lambda env: f"Bearer {env.secrets['admin']}", WEIYANG, OK, "admin"),
}

ROUTES = ("create", "patch", "amenities", "delete", "revert", "history")
SUCCESS = dict.fromkeys(ROUTES, 200) | {"create": 201}


def prepare(env: AdminEnv, route: str, district: str) -> tuple[str | None, int]:
    """The station a route acts on (made by the admin) and its current version."""
    if route == "create":
        return None, 0
    station_id = create(env, district)["id"]
    if route != "revert":
        return station_id, 1
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"name": "第二版"},
        headers={**env.auth("admin"), **if_match(1)},
    )
    assert response.status_code == 200, response.text
    return station_id, 2


def send(
    env: AdminEnv,
    route: str,
    station_id: str | None,
    version: int,
    district: str,
    authorization: str | None,
) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    if route != "create" and route != "history":
        headers.update(if_match(version))
    path = f"/v1/stations/{station_id}"
    client = env.client
    if route == "create":
        return client.post("/v1/stations", json=station_body(district), headers=headers)
    if route == "patch":
        return client.patch(path, json={"name": "改名驿站"}, headers=headers)
    if route == "amenities":
        return client.put(f"{path}/amenities", json=["water", "wifi"], headers=headers)
    if route == "delete":
        return client.delete(path, headers=headers)
    if route == "revert":
        return client.post(f"{path}/revert", params={"to_version": 1}, headers=headers)
    return client.get(f"{path}/history", headers=headers)


def _matrix_params() -> Iterator[Any]:
    for who, route in itertools.product(PRINCIPALS, ROUTES):
        yield pytest.param(who, route, id=f"{who}-{route}")


@pytest.mark.parametrize(("who", "route"), list(_matrix_params()))
def test_authorization_matrix(
    env: AdminEnv, caplog: pytest.LogCaptureFixture, who: str, route: str
) -> None:
    caplog.set_level(logging.DEBUG)
    principal = PRINCIPALS[who]
    station_id, version = prepare(env, route, principal.district)
    data_before = env.data_version()
    stored_before = fetch(env, station_id) if station_id else None
    history_before = history(env, station_id) if station_id else None

    authorization = principal.authorization(env)
    response = send(env, route, station_id, version, principal.district, authorization)

    if principal.expected == OK:
        assert response.status_code == SUCCESS[route], response.text
        if route != "history":
            written_id = station_id or response.json()["id"]
            assert history(env, written_id)[0]["actor"] == principal.token_name
    else:
        body = assert_problem(response, int(principal.expected))
        if principal.expected == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            # Missing, malformed, unknown and revoked all get the very same answer.
            anonymous = send(env, route, station_id, version, principal.district, None)
            assert body == anonymous.json()
        # A refused request writes nothing.
        assert env.data_version() == data_before
        if station_id is not None:
            assert fetch(env, station_id) == stored_before
            assert history(env, station_id) == history_before
    _assert_no_secret(env, response, caplog)


def _assert_no_secret(
    env: AdminEnv, response: httpx.Response, caplog: pytest.LogCaptureFixture
) -> None:
    for secret in env.secrets.values():
        assert secret not in response.text
        assert all(secret not in value for value in response.headers.values())
        assert secret not in caplog.text


# -- district scope beyond the matrix ------------------------------------------------------


def _refused_without_writing(env: AdminEnv, station_id: str, response: httpx.Response) -> None:
    assert_problem(response, 403)
    assert fetch(env, station_id)[1] == 1
    assert [e["version"] for e in history(env, station_id)] == [1]


def test_an_editor_cannot_move_a_station_out_of_its_district(env: AdminEnv) -> None:
    station_id = create(env, BEILIN)["id"]
    data_before = env.data_version()
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"district_code": WEIYANG},
        headers={**env.auth("beilin-editor"), **if_match(1)},
    )
    _refused_without_writing(env, station_id, response)
    assert env.data_version() == data_before
    assert fetch(env, station_id)[0]["properties"]["district_code"] == BEILIN


def test_an_editor_cannot_pull_a_station_into_its_district(env: AdminEnv) -> None:
    station_id = create(env, WEIYANG)["id"]
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"district_code": BEILIN},
        headers={**env.auth("beilin-editor"), **if_match(1)},
    )
    _refused_without_writing(env, station_id, response)


def test_a_city_prefix_editor_may_move_a_station_within_the_city(env: AdminEnv) -> None:
    station_id = create(env, BEILIN)["id"]
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"district_code": WEIYANG},
        headers={**env.auth("xian-editor"), **if_match(1)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["properties"]["district_code"] == WEIYANG


def test_an_editor_cannot_revert_a_station_to_a_version_outside_its_district(
    env: AdminEnv,
) -> None:
    station_id = create(env, WEIYANG)["id"]
    moved = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"district_code": BEILIN},
        headers={**env.auth("admin"), **if_match(1)},
    )
    assert moved.status_code == 200, moved.text
    response = env.client.post(
        f"/v1/stations/{station_id}/revert",
        params={"to_version": 1},
        headers={**env.auth("beilin-editor"), **if_match(2)},
    )
    assert_problem(response, 403)
    feature, version = fetch(env, station_id)
    assert version == 2
    assert feature["properties"]["district_code"] == BEILIN


@pytest.mark.parametrize("district", ["610402", "610202", "110101"])
def test_an_editor_cannot_create_outside_its_city(env: AdminEnv, district: str) -> None:
    data_before = env.data_version()
    response = env.client.post(
        "/v1/stations", json=station_body(district), headers=env.auth("xian-editor")
    )
    body = assert_problem(response, 403)
    assert district in body["detail"]
    assert env.data_version() == data_before


def test_refusals_come_before_validation_and_preconditions(env: AdminEnv) -> None:
    """Without a valid token nothing about the request is judged (no 422, no 428)."""
    station_id = create(env, BEILIN)["id"]
    path = f"/v1/stations/{station_id}"
    for response in (
        env.client.patch(path, content=b"{not json"),
        env.client.patch(path, json={"name": "x"}),  # no If-Match either
        env.client.post("/v1/stations", json={"colour": "red"}),
        env.client.delete(path),
    ):
        assert_problem(response, 401)


@pytest.mark.parametrize("header", [None, "Bearer yz_unknown"])
def test_an_unknown_station_is_not_revealed_without_a_valid_token(
    env: AdminEnv, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    for response in (
        env.client.get("/v1/stations/no-such-station/history", headers=headers),
        env.client.patch("/v1/stations/no-such-station", json={}, headers=headers | if_match(1)),
        env.client.delete("/v1/stations/no-such-station", headers=headers | if_match(1)),
    ):
        assert_problem(response, 401)


# -- tokens --------------------------------------------------------------------------------


def test_revoking_a_token_takes_effect_at_once_on_a_running_app(env: AdminEnv) -> None:
    secret = store_token(env.db, "short-lived", Role.EDITOR, BEILIN)
    station_id = create(env, BEILIN)["id"]
    path = f"/v1/stations/{station_id}"
    first = env.client.patch(
        path, json={"phone": "029-1"}, headers={**bearer(secret), **if_match(1)}
    )
    assert first.status_code == 200, first.text
    cli("token", "revoke", "short-lived", "--db", env.db)
    second = env.client.patch(
        path, json={"phone": "029-2"}, headers={**bearer(secret), **if_match(2)}
    )
    assert_problem(second, 401)
    assert fetch(env, station_id)[0]["properties"]["phone"] == "029-1"


def test_a_token_in_the_url_is_not_accepted(env: AdminEnv) -> None:
    secret = env.secrets["admin"]
    for name in ("access_token", "token", "authorization"):
        response = env.client.post("/v1/stations", params={name: secret}, json=station_body())
        assert_problem(response, 401)
        assert secret not in response.text


def test_the_auth_scheme_is_case_insensitive(env: AdminEnv) -> None:
    """RFC 9110 §11.1: the scheme name is case-insensitive."""
    response = env.client.post(
        "/v1/stations",
        json=station_body(),
        headers={"Authorization": f"bearer {env.secrets['admin']}"},
    )
    assert response.status_code == 201, response.text


def test_secrets_are_stored_only_hashed_and_never_listed(env: AdminEnv) -> None:
    stored = b"".join(
        p.read_bytes() for p in env.db.parent.iterdir() if p.name.startswith(env.db.name)
    )
    listing = cli("token", "list", "--db", env.db).stdout
    for name, secret in env.secrets.items():
        assert secret.encode() not in stored
        assert name in listing
        assert secret not in listing
    assert "revoked" in next(line for line in listing.splitlines() if "revoked-admin" in line)


def test_the_command_prints_the_secret_once_on_the_last_line(tmp_path: Path) -> None:
    db = tmp_path / "tokens.gpkg"
    out = cli(
        "token",
        "create",
        "--db",
        db,
        "--role",
        "editor",
        "--district",
        BEILIN,
        "--name",
        "beilin-li",
    )
    secret = out.stdout.strip().splitlines()[-1]
    assert secret.startswith("yz_") and len(secret) >= 40
    assert out.stdout.count(secret) == 1 and secret not in out.stderr
    again = cli(
        "token", "create", "--db", db, "--role", "admin", "--name", "beilin-li", check=False
    )
    assert again.returncode == 2 and "exists" in again.stderr
