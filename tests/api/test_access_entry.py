"""Who may use a station (access) and how to get in (entry) over HTTP and the command line:
written by editors, shown to couriers, and a courier's search covers only stations open to them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.schemas import StationFeature
from tests.api.admin_fixtures import (
    BEILIN,
    AdminEnv,
    admin_env,
    cli,
    create,
    fetch,
    history,
    if_match,
    nearest_ids,
)
from tests.api.problem import assert_problem

BATCH = "/v1/stations/nearest:batch"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminEnv]:
    with admin_env(tmp_path_factory.mktemp("access")) as env:
        yield env


def _position(feature: dict[str, Any]) -> tuple[float, float]:
    lon, lat = feature["geometry"]["coordinates"]
    return float(lon), float(lat)


def test_a_new_station_is_public_with_its_entry_unrecorded_by_default(env: AdminEnv) -> None:
    feature = create(env)
    properties = StationFeature.model_validate(feature).properties
    assert (properties.access, properties.entry) == ("public", None)


def test_access_and_entry_are_written_shown_and_recorded(env: AdminEnv) -> None:
    feature = create(env, access="outdoor_workers", entry="face_scan")
    station_id = feature["id"]
    shown, version = fetch(env, station_id)
    assert (shown["properties"]["access"], shown["properties"]["entry"]) == (
        "outdoor_workers",
        "face_scan",
    )
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"entry": "qr_code", "access": "union_members"},
        headers=env.auth("admin") | if_match(version),
    )
    assert response.status_code == 200, response.text
    changes = history(env, station_id)[0]["changes"]
    assert changes["entry"] == {"before": "face_scan", "after": "qr_code"}
    assert changes["access"] == {"before": "outdoor_workers", "after": "union_members"}
    reverted = env.client.post(
        f"/v1/stations/{station_id}/revert",
        params={"to_version": 1},
        headers=env.auth("admin") | if_match(version + 1),
    )
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["properties"]["entry"] == "face_scan"


@pytest.mark.parametrize(("field", "value"), [("access", "everyone"), ("entry", "knock")])
def test_an_unknown_access_or_entry_is_a_422_naming_the_field(
    env: AdminEnv, field: str, value: str
) -> None:
    body = {"name": "测试", "kind": "love_station", "lon": 108.95, "lat": 34.25}
    body |= {"district_code": BEILIN, field: value}
    response = env.client.post("/v1/stations", json=body, headers=env.auth("admin"))
    problem = assert_problem(response, 422, field)
    assert "public" in problem["detail"] or "walk_in" in problem["detail"]


def test_a_courier_finds_only_stations_open_to_couriers_unless_asking_otherwise(
    env: AdminEnv,
) -> None:
    members = create(env, access="union_members")
    workers = create(env, access="outdoor_workers")
    lon, lat = _position(members)
    found = nearest_ids(env, lon, lat)
    assert workers["id"] in found and members["id"] not in found
    assert members["id"] in nearest_ids(env, lon, lat, access="union_members")
    assert workers["id"] not in nearest_ids(env, lon, lat, access="union_members")
    both = nearest_ids(env, lon, lat, access="union_members,outdoor_workers")
    assert {members["id"], workers["id"]} <= set(both)
    problem = assert_problem(
        env.client.get(
            "/v1/stations/nearest", params={"lon": lon, "lat": lat, "access": "everyone"}
        ),
        422,
        "access",
    )
    assert "union_members" in problem["detail"]


def test_the_batch_and_the_command_line_take_access_too(env: AdminEnv) -> None:
    members = create(env, access="union_members")
    lon, lat = _position(members)
    point = {"lon": lon, "lat": lat}

    def batch_ids(**extra: Any) -> list[str]:
        response = env.client.post(BATCH, json={"points": [point], "k": 100, **extra})
        assert response.status_code == 200, response.text
        return [f["id"] for f in response.json()["results"][0]["features"]]

    assert members["id"] not in batch_ids()
    assert members["id"] in batch_ids(access=["union_members"])
    assert_problem(env.client.post(BATCH, json={"points": [point], "access": ["x"]}), 422, "access")
    args = ["nearest", "--db", env.db, "--lon", str(lon), "--lat", str(lat), "--k", "100"]
    assert members["id"] not in cli(*args).stdout
    assert members["id"] in cli(*args, "--access", "union_members").stdout
