"""What Yizhan records itself, over HTTP on both stores: ``verified_at`` set only by
``POST …/verify`` (If-Match, audited, never by an edit), amenities out of order
(``PUT …/amenities/{code}``: still listed, no longer satisfying a filter) and the nearest
filter ``verified_within_days``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.admin_fixtures import BOTH_STORES, AdminEnv, create, env_on, fetch, history, if_match
from tests.api.problem import assert_problem


@pytest.fixture(scope="module", params=BOTH_STORES)
def env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AdminEnv]:
    with env_on(request, tmp_path_factory.mktemp("field-state")) as env:
        yield env


def _verify(env: AdminEnv, station_id: str, version: int | None = None) -> Any:
    if version is None:
        _, version = fetch(env, station_id)
    return env.client.post(
        f"/v1/stations/{station_id}/verify", headers=env.auth("admin") | if_match(version)
    )


def _amenity(env: AdminEnv, station_id: str, code: str, body: Any, **headers: str) -> Any:
    _, version = fetch(env, station_id)
    return env.client.put(
        f"/v1/stations/{station_id}/amenities/{code}",
        json=body,
        headers=env.auth("admin") | if_match(version) | headers,
    )


def _near(env: AdminEnv, feature: dict[str, Any], **params: Any) -> dict[str, dict[str, Any]]:
    lon, lat = feature["geometry"]["coordinates"]
    response = env.client.get(
        "/v1/stations/nearest", params={"lon": lon, "lat": lat, "k": 100, "radius_m": 300, **params}
    )
    assert response.status_code == 200, response.text
    return {f["id"]: f["properties"] for f in response.json()["features"]}


def test_verify_sets_verified_at_as_an_audited_version(env: AdminEnv) -> None:
    feature = create(env)
    station_id = feature["id"]
    assert feature["properties"]["verified_at"] is None
    before = datetime.now(UTC).replace(microsecond=0)
    response = _verify(env, station_id)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    props = response.json()["properties"]
    verified = datetime.fromisoformat(props["verified_at"])
    assert before <= verified <= datetime.now(UTC)
    assert props["last_confirmed_at"] == props["verified_at"]
    latest = history(env, station_id)[0]
    assert (latest["version"], latest["action"], latest["actor"]) == (2, "verify", "admin")
    assert set(latest["changes"]) == {"verified_at", "last_confirmed_at"}


def test_verify_needs_the_current_version(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    assert_problem(
        env.client.post(f"/v1/stations/{station_id}/verify", headers=env.auth("admin")), 428
    )
    assert _verify(env, station_id).status_code == 200
    stale = _verify(env, station_id, version=1)
    assert_problem(stale, 412)
    assert fetch(env, station_id)[1] == 2


def test_an_editor_verifies_only_in_their_districts(env: AdminEnv) -> None:
    station_id = create(env, district="610112")["id"]  # 未央区, outside 碑林
    _, version = fetch(env, station_id)
    response = env.client.post(
        f"/v1/stations/{station_id}/verify",
        headers=env.auth("beilin-editor") | if_match(version),
    )
    assert_problem(response, 403)


def test_edits_never_set_or_clear_verified_at(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    verified = _verify(env, station_id).json()["properties"]["verified_at"]
    _, version = fetch(env, station_id)
    patched = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"name": "改名驿站"},
        headers=env.auth("admin") | if_match(version),
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"]["verified_at"] == verified
    for field in ("verified_at", "last_confirmed_at", "out_of_order"):
        refused = env.client.patch(
            f"/v1/stations/{station_id}",
            json={field: None},
            headers=env.auth("admin") | if_match(version + 1),
        )
        assert_problem(refused, 422, field)
    # Reverting to version 1 (never verified) restores the fields, not the verification.
    reverted = env.client.post(
        f"/v1/stations/{station_id}/revert",
        params={"to_version": 1},
        headers=env.auth("admin") | if_match(version + 1),
    )
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["properties"]["name"] != "改名驿站"
    assert reverted.json()["properties"]["verified_at"] == verified


def test_verified_within_days_keeps_only_recently_verified_stations(env: AdminEnv) -> None:
    verified = create(env)
    never = create(env)
    _verify(env, verified["id"])
    # Created one after the other, the two are at most a few hundred metres apart.
    found = _near(env, verified, verified_within_days=1, radius_m=3000)
    assert verified["id"] in found and never["id"] not in found
    assert {verified["id"], never["id"]} <= set(_near(env, verified, radius_m=3000))
    batch = env.client.post(
        "/v1/stations/nearest:batch",
        json={
            "points": [dict(zip(("lon", "lat"), verified["geometry"]["coordinates"], strict=True))],
            "k": 100,
            "radius_m": 3000,
            "verified_within_days": 1,
        },
    )
    assert batch.status_code == 200, batch.text
    ids = {f["id"] for f in batch.json()["results"][0]["features"]}
    assert verified["id"] in ids and never["id"] not in ids
    for bad in (0, 3651, "x", 1.5):
        response = env.client.get(
            "/v1/stations/nearest",
            params={"lon": 108.9, "lat": 34.2, "verified_within_days": bad},
        )
        assert_problem(response, 422, "verified_within_days")


def test_an_amenity_out_of_order_stays_listed_and_fails_the_filter(env: AdminEnv) -> None:
    feature = create(env, amenities=["water", "microwave"])
    station_id = feature["id"]
    assert station_id in _near(env, feature, amenities="microwave")
    response = _amenity(env, station_id, "microwave", {"state": "out_of_order"})
    assert response.status_code == 200, response.text
    props = response.json()["properties"]
    assert props["amenities"] == ["water", "microwave"]
    assert set(props["out_of_order"]) == {"microwave"}
    found = _near(env, feature, amenities="microwave")
    assert station_id not in found
    shown = _near(env, feature, amenities="water")[station_id]
    assert set(shown["out_of_order"]) == {"microwave"}
    latest = history(env, station_id)[0]
    assert (latest["action"], list(latest["changes"])) == ("amenity_state", ["out_of_order"])
    # Marking it again changes nothing: same version, the first "since" kept.
    again = _amenity(env, station_id, "microwave", {"state": "out_of_order"})
    assert again.headers["ETag"] == response.headers["ETag"]
    assert again.json()["properties"]["out_of_order"] == props["out_of_order"]
    fixed = _amenity(env, station_id, "microwave", {"state": "working"})
    assert fixed.json()["properties"]["out_of_order"] == {}
    assert station_id in _near(env, feature, amenities="microwave")


def test_out_of_order_since_an_instant_and_dropped_with_the_amenity(env: AdminEnv) -> None:
    station_id = create(env, amenities=["water", "microwave", "toilet"])["id"]
    since = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    response = _amenity(
        env, station_id, "toilet", {"state": "out_of_order", "since": since.isoformat()}
    )
    assert response.json()["properties"]["out_of_order"] == {"toilet": "2026-11-30T09:30:00Z"}
    _, version = fetch(env, station_id)
    replaced = env.client.put(
        f"/v1/stations/{station_id}/amenities",
        json=["water", "microwave"],
        headers=env.auth("admin") | if_match(version),
    )
    assert replaced.json()["properties"]["out_of_order"] == {}


@pytest.mark.parametrize(
    ("code", "body", "field"),
    [
        ("coffee", {"state": "out_of_order"}, "amenity"),  # not in the vocabulary
        ("toilet", {"state": "out_of_order"}, "amenity"),  # not listed by the station
        ("microwave", {"state": "broken"}, "state"),
        ("microwave", {}, "state"),
        ("microwave", {"state": "working", "colour": "red"}, "colour"),
        ("microwave", {"state": "out_of_order", "since": "yesterday"}, "since"),
        ("microwave", {"state": "out_of_order", "since": "2099-01-01T00:00:00Z"}, "since"),
        ("microwave", ["out_of_order"], "body"),
    ],
)
def test_bad_amenity_states_are_refused_naming_the_field(
    env: AdminEnv, code: str, body: Any, field: str
) -> None:
    station_id = create(env, amenities=["water", "microwave"])["id"]
    assert_problem(_amenity(env, station_id, code, body), 422, field)
    assert fetch(env, station_id)[1] == 1


def test_an_import_keeps_what_yizhan_recorded(env: AdminEnv) -> None:
    feature = create(env, amenities=["water", "microwave"])
    station_id = feature["id"]
    _verify(env, station_id)
    _amenity(env, station_id, "microwave", {"state": "out_of_order"})
    before, version = fetch(env, station_id)
    props = before["properties"]
    lon, lat = before["geometry"]["coordinates"]
    csv = (
        "id,name,kind,lon,lat,district_code,amenities,opening_hours\n"
        f"{station_id},导入改名,love_station,{lon},{lat},{props['district_code']},"
        "water;microwave,24/7\n"
    )
    response = env.client.post(
        "/v1/imports",
        files={"file": ("s.csv", csv.encode(), "text/csv")},
        headers=env.auth("admin"),
    )
    assert response.status_code == 200, response.text
    after, new_version = fetch(env, station_id)
    assert new_version == version + 1
    assert after["properties"]["name"] == "导入改名"
    for field in ("verified_at", "last_confirmed_at", "out_of_order"):
        assert after["properties"][field] == props[field], field


def test_verifying_a_retired_station_is_refused(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    retired = env.client.delete(
        f"/v1/stations/{station_id}", headers=env.auth("admin") | if_match(1)
    )
    assert retired.status_code == 200, retired.text
    assert_problem(_verify(env, station_id, version=2), 422, "status")
