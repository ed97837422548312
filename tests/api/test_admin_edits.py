"""Editing stations over HTTP: create, merge patch, amenities, retire, history, revert, the
If-Match preconditions, and two editors racing on one version."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from api.schemas import StationFeature
from geo.crs import CoordinateSystem, to_wgs84
from stations.amenities import CODES
from tests.api.admin_fixtures import (
    BEILIN,
    AdminEnv,
    admin_env,
    create,
    etag_version,
    fetch,
    history,
    if_match,
    nearest_ids,
    station_body,
)
from tests.api.problem import assert_problem
from tests.api.stores import open_client

GCJ02 = CoordinateSystem.GCJ02
#: Properties that change with every write or depend on the clock, not on the fields sent.
VOLATILE = {"version", "updated_at", "open_status", "next_change"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminEnv]:
    with admin_env(tmp_path_factory.mktemp("edits")) as env:
        yield env


def write(
    env: AdminEnv,
    method: str,
    station_id: str,
    version: int | None,
    *,
    token: str = "admin",
    suffix: str = "",
    **kwargs: Any,
) -> httpx.Response:
    headers = env.auth(token) | ({} if version is None else if_match(version))
    return env.client.request(
        method, f"/v1/stations/{station_id}{suffix}", headers=headers, **kwargs
    )


def patch(
    env: AdminEnv, station_id: str, version: int | None, body: Any, **kwargs: Any
) -> httpx.Response:
    return write(env, "PATCH", station_id, version, json=body, **kwargs)


def stable(feature: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in feature["properties"].items() if k not in VOLATILE}


def wgs84_of(lon: float, lat: float, crs: CoordinateSystem) -> tuple[float, float]:
    x, y = to_wgs84(lon, lat, crs)
    return float(x), float(y)


# -- create --------------------------------------------------------------------------------


def test_create_answers_201_with_location_and_etag(env: AdminEnv) -> None:
    body = station_body(BEILIN, phone="029-12345678")
    response = env.client.post("/v1/stations", json=body, headers=env.auth("admin"))
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    created = StationFeature.model_validate(response.json())
    assert response.headers["Location"] == f"/v1/stations/{created.id}"

    again = env.client.get(response.headers["Location"])
    assert again.status_code == 200 and etag_version(again) == 1
    feature = StationFeature.model_validate(again.json())
    assert feature.geometry.coordinates == [body["lon"], body["lat"]]
    sent = {k: v for k, v in body.items() if k not in ("lon", "lat")}
    assert {k: feature.properties.model_dump()[k] for k in sent} == sent
    assert feature.properties.status == "active" and feature.properties.version == 1
    assert created.id in nearest_ids(env, body["lon"], body["lat"])


def test_create_reads_the_position_in_the_given_crs(env: AdminEnv) -> None:
    body = station_body(BEILIN, lon=108.947001, lat=34.251402)
    response = env.client.post(
        "/v1/stations", params={"crs": "gcj02"}, json=body, headers=env.auth("admin")
    )
    assert response.status_code == 201, response.text
    assert response.json()["coordinate_system"] == "gcj02"
    feature, _ = fetch(env, response.json()["id"])
    expected = wgs84_of(body["lon"], body["lat"], GCJ02)
    assert feature["geometry"]["coordinates"] == pytest.approx(expected, abs=1e-7)


def test_create_with_a_taken_id_is_a_conflict(env: AdminEnv) -> None:
    existing = create(env)["id"]
    response = env.client.post(
        "/v1/stations", json=station_body(id=existing), headers=env.auth("admin")
    )
    assert existing in assert_problem(response, 409)["detail"]


@pytest.mark.parametrize("field", ["version", "updated_at", "colour"])
def test_create_refuses_fields_it_does_not_take(env: AdminEnv, field: str) -> None:
    before = env.data_version()
    response = env.client.post(
        "/v1/stations", json=station_body(**{field: 3}), headers=env.auth("admin")
    )
    assert_problem(response, 422, field)
    assert env.data_version() == before


def test_create_cannot_make_a_retired_station(env: AdminEnv) -> None:
    response = env.client.post(
        "/v1/stations", json=station_body(status="retired"), headers=env.auth("admin")
    )
    assert_problem(response, 422, "status")


def test_a_second_identical_create_is_a_409_naming_the_first(env: AdminEnv) -> None:
    body = station_body(BEILIN, name="示例·南院门爱心驿站")
    first = env.client.post("/v1/stations", json=body, headers=env.auth("admin"))
    assert first.status_code == 201, first.text
    before = env.data_version()
    second = env.client.post("/v1/stations", json=body, headers=env.auth("admin"))
    problem = assert_problem(second, 409)
    detail = problem["detail"]
    assert f"station {first.json()['id']!r} (示例·南院门爱心驿站) is 0.0 m away" in detail
    assert (problem["near_id"], problem["near_name"], problem["distance_m"]) == (
        first.json()["id"], "示例·南院门爱心驿站", 0.0,
    )  # fmt: skip
    assert "allow_duplicates=true" in detail
    assert env.data_version() == before
    chinese = env.client.post(
        "/v1/stations", json=body, headers=env.auth("admin") | {"Accept-Language": "zh-CN"}
    )
    assert "示例·南院门爱心驿站" in assert_problem(chinese, 409)["detail"]
    allowed = env.client.post(
        "/v1/stations",
        params={"allow_duplicates": "true"},
        json=body,
        headers=env.auth("admin"),
    )
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["id"] != first.json()["id"]


def test_a_create_near_a_similar_name_is_a_duplicate_but_not_near_a_retired_one(
    env: AdminEnv,
) -> None:
    near = create(env, name="测试路口爱心驿站")
    lon, lat = near["geometry"]["coordinates"]
    close = station_body(BEILIN, name="测试路口驿站", lon=lon + 0.0001, lat=lat)  # ~9 m east
    response = env.client.post("/v1/stations", json=close, headers=env.auth("admin"))
    detail = assert_problem(response, 409)["detail"]
    assert f"station {near['id']!r} (测试路口爱心驿站) is 9.2 m away" in detail
    other_number = station_body(BEILIN, name="测试路口2号驿站", lon=lon + 0.0001, lat=lat)
    response = env.client.post("/v1/stations", json=other_number, headers=env.auth("admin"))
    assert response.status_code == 201, response.text  # "2号": a different station
    for station_id in (near["id"], response.json()["id"]):
        _, version = fetch(env, station_id)
        assert write(env, "DELETE", station_id, version).status_code == 200
    response = env.client.post("/v1/stations", json=close, headers=env.auth("admin"))
    assert response.status_code == 201, response.text


def test_allow_duplicates_must_be_a_boolean(env: AdminEnv) -> None:
    response = env.client.post(
        "/v1/stations",
        params={"allow_duplicates": "perhaps"},
        json=station_body(),
        headers=env.auth("admin"),
    )
    assert_problem(response, 422, "allow_duplicates")


# -- merge patch ---------------------------------------------------------------------------


def test_null_clears_an_optional_field_and_keeps_the_rest(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    before, _ = fetch(env, station_id)
    response = patch(env, station_id, 1, {"phone": None})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    after, version = fetch(env, station_id)
    assert version == 2 and after["properties"]["phone"] is None
    assert after["geometry"] == before["geometry"]
    assert stable(after) == {**stable(before), "phone": None}


def test_null_cannot_clear_a_required_field(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    assert_problem(patch(env, station_id, 1, {"name": None}), 422, "name")
    assert fetch(env, station_id)[1] == 1


def test_a_position_sent_in_gcj02_is_stored_in_wgs84(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    sent = (108.951234, 34.256789)
    response = patch(env, station_id, 1, {"lon": sent[0], "lat": sent[1]}, params={"crs": "gcj02"})
    assert response.status_code == 200, response.text
    feature, _ = fetch(env, station_id)
    assert feature["geometry"]["coordinates"] == pytest.approx(wgs84_of(*sent, GCJ02), abs=1e-7)
    in_gcj, _ = fetch(env, station_id, crs="gcj02")
    assert in_gcj["geometry"]["coordinates"] == pytest.approx(sent, abs=1e-7)


def test_only_lon_keeps_lat(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    lon, lat = fetch(env, station_id)[0]["geometry"]["coordinates"]
    response = patch(env, station_id, 1, {"lon": lon + 0.001})
    assert response.status_code == 200, response.text
    assert fetch(env, station_id)[0]["geometry"]["coordinates"] == [lon + 0.001, lat]


def test_only_lon_in_gcj02_keeps_lat_in_gcj02(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    gcj_lon, gcj_lat = fetch(env, station_id, crs="gcj02")[0]["geometry"]["coordinates"]
    response = patch(env, station_id, 1, {"lon": gcj_lon + 0.001}, params={"crs": "gcj02"})
    assert response.status_code == 200, response.text
    now = fetch(env, station_id, crs="gcj02")[0]["geometry"]["coordinates"]
    assert now == pytest.approx([gcj_lon + 0.001, gcj_lat], abs=1e-7)
    wgs = fetch(env, station_id)[0]["geometry"]["coordinates"]
    assert wgs == pytest.approx(wgs84_of(gcj_lon + 0.001, gcj_lat, GCJ02), abs=1e-7)


def test_a_crs_without_a_position_keeps_the_stored_position_exactly(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    before = fetch(env, station_id)[0]["geometry"]
    for n, crs in enumerate(("gcj02", "bd09"), start=1):
        response = patch(env, station_id, n, {"name": f"改名{n}"}, params={"crs": crs})
        assert response.status_code == 200, response.text
    assert fetch(env, station_id)[0]["geometry"] == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "another-id"),
        ("version", 7),
        ("updated_at", "2030-01-01T00:00:00Z"),
        ("colour", "red"),
        ("geometry", {"type": "Point", "coordinates": [108.9, 34.2]}),
        ("distance_m", 0),
        ("Name", "大小写"),
    ],
)
def test_a_field_that_cannot_be_patched_is_named_and_nothing_is_written(
    env: AdminEnv, field: str, value: object
) -> None:
    station_id = create(env)["id"]
    before, _ = fetch(env, station_id)
    data_before = env.data_version()
    response = patch(env, station_id, 1, {"name": "不应写入", field: value})
    body = assert_problem(response, 422, field)
    if field in ("id", "version", "updated_at"):
        assert "read-only" in body["detail"]
    assert env.data_version() == data_before
    assert fetch(env, station_id) == (before, 1)
    assert len(history(env, station_id)) == 1


def test_patch_cannot_retire(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    assert_problem(patch(env, station_id, 1, {"status": "retired"}), 422, "status")


def test_patch_of_an_unknown_station_is_404(env: AdminEnv) -> None:
    assert_problem(patch(env, "no-such-station", 1, {"name": "x"}), 404)


def test_a_write_is_seen_by_couriers_at_once(env: AdminEnv) -> None:
    feature = create(env)
    lon, lat = feature["geometry"]["coordinates"]
    assert patch(env, feature["id"], 1, {"name": "新名字驿站"}).status_code == 200
    response = env.client.get("/v1/stations/nearest", params={"lon": lon, "lat": lat, "k": 1})
    assert response.json()["features"][0]["properties"]["name"] == "新名字驿站"
    assert etag_version(env.client.get(f"/v1/stations/{feature['id']}")) == 2


# -- If-Match ------------------------------------------------------------------------------


WRITES: dict[str, dict[str, Any]] = {
    "PATCH": {"json": {"name": "改"}},
    "PUT": {"suffix": "/amenities", "json": ["wifi"]},
    "DELETE": {},
    "POST": {"suffix": "/revert", "params": {"to_version": 1}},
}


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("header", [None, "", "*"])
def test_a_write_without_if_match_is_428(env: AdminEnv, method: str, header: str | None) -> None:
    station_id = create(env)["id"]
    headers = {} if header is None else {"If-Match": header}
    kwargs = dict(WRITES[method])
    response = env.client.request(
        method,
        f"/v1/stations/{station_id}{kwargs.pop('suffix', '')}",
        headers=env.auth("admin") | headers,
        **kwargs,
    )
    assert "If-Match" in assert_problem(response, 428)["detail"]
    assert fetch(env, station_id)[1] == 1


def test_the_428_names_the_current_version(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    assert patch(env, station_id, 1, {"phone": "029-11112222"}).status_code == 200
    response = patch(env, station_id, None, {"name": "改"})
    body = assert_problem(response, 428)
    assert body["detail"].startswith(
        'send If-Match: "2" (the station\'s current version, from its ETag)'
    )
    assert body["current_version"] == 2
    chinese = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"name": "改"},
        headers=env.auth("admin") | {"Accept-Language": "zh"},
    )
    assert 'If-Match: "2"' in assert_problem(chinese, 428)["detail"]
    assert fetch(env, station_id)[1] == 2


def test_without_if_match_an_unknown_station_is_404(env: AdminEnv) -> None:
    assert_problem(patch(env, "no-such-station", None, {"name": "改"}), 404)


def test_without_a_token_a_missing_if_match_names_no_version(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    response = env.client.patch(f"/v1/stations/{station_id}", json={"name": "改"})
    assert "If-Match" not in assert_problem(response, 401)["detail"]


@pytest.mark.parametrize("method", WRITES)
def test_a_stale_if_match_is_412_with_the_current_version(env: AdminEnv, method: str) -> None:
    station_id = create(env)["id"]
    assert patch(env, station_id, 1, {"phone": "029-2"}).status_code == 200
    data_before = env.data_version()
    response = write(env, method, station_id, 1, **WRITES[method])
    body = assert_problem(response, 412)
    assert body["current_version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert env.data_version() == data_before
    assert [e["version"] for e in history(env, station_id)] == [2, 1]


@pytest.mark.parametrize("header", ['W/"1"', "1", "abc", '"1", "2"', '"01x"', '"-1"'])
def test_a_weak_or_unparseable_if_match_never_matches(env: AdminEnv, header: str) -> None:
    station_id = create(env)["id"]
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"name": "改"},
        headers=env.auth("admin") | {"If-Match": header},
    )
    assert assert_problem(response, 412)["current_version"] == 1
    assert fetch(env, station_id)[1] == 1


def test_an_if_match_that_only_parses_to_the_version_does_not_match(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"name": "改"},
        headers=env.auth("admin") | {"If-Match": '"01"'},
    )
    assert_problem(response, 412)


def test_if_match_may_carry_surrounding_spaces(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    response = env.client.patch(
        f"/v1/stations/{station_id}",
        json={"name": "改"},
        headers=env.auth("admin") | {"If-Match": ' "1" '},
    )
    assert response.status_code == 200, response.text


# -- amenities -----------------------------------------------------------------------------


def put_amenities(env: AdminEnv, station_id: str, version: int, body: Any) -> httpx.Response:
    return write(env, "PUT", station_id, version, suffix="/amenities", json=body)


def test_put_amenities_replaces_the_set(env: AdminEnv) -> None:
    station_id = create(env, amenities=["water", "microwave"])["id"]
    response = put_amenities(env, station_id, 1, ["wifi", "toilet", "water"])
    assert response.status_code == 200, response.text
    # Vocabulary order, whatever order was sent.
    assert fetch(env, station_id)[0]["properties"]["amenities"] == ["water", "toilet", "wifi"]
    response = put_amenities(env, station_id, 2, {"amenities": ["aed"]})
    assert response.status_code == 200, response.text
    assert fetch(env, station_id)[0]["properties"]["amenities"] == ["aed"]
    assert put_amenities(env, station_id, 3, []).status_code == 200
    assert fetch(env, station_id)[0]["properties"]["amenities"] == []
    changes = history(env, station_id)[2]["changes"]
    assert changes == {
        "amenities": {"before": ["water", "microwave"], "after": ["water", "toilet", "wifi"]}
    }


def test_an_unknown_amenity_is_422_listing_the_valid_codes(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    body = assert_problem(put_amenities(env, station_id, 1, ["water", "jacuzzi"]), 422, "amenities")
    assert "jacuzzi" in body["detail"]
    assert all(code in body["detail"] for code in CODES)
    assert fetch(env, station_id)[1] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("water", "amenities"),
        ({"codes": ["water"]}, "codes"),
        ([1, 2], "amenities"),
        ({"amenities": ["water"], "name": "x"}, "name"),
    ],
)
def test_put_amenities_takes_only_a_list_of_codes(env: AdminEnv, body: Any, field: str) -> None:
    station_id = create(env)["id"]
    assert_problem(put_amenities(env, station_id, 1, body), 422, field)
    assert fetch(env, station_id)[1] == 1


# -- retire, history, revert ---------------------------------------------------------------


def test_delete_retires_and_hides_from_couriers_at_once(env: AdminEnv) -> None:
    feature = create(env)
    station_id = feature["id"]
    lon, lat = feature["geometry"]["coordinates"]
    assert station_id in nearest_ids(env, lon, lat)
    response = write(env, "DELETE", station_id, 1)
    assert response.status_code == 200, response.text
    assert response.json()["properties"]["status"] == "retired"
    assert response.headers["ETag"] == '"2"'
    assert station_id not in nearest_ids(env, lon, lat)
    assert station_id not in nearest_ids(env, lon, lat, open_now="true")
    retired, version = fetch(env, station_id)
    assert version == 2 and retired["properties"]["status"] == "retired"
    assert retired["properties"]["open_status"] == "closed"
    entry = history(env, station_id)[0]
    assert entry["action"] == "retire" and entry["actor"] == "admin"
    assert entry["changes"] == {"status": {"before": "active", "after": "retired"}}


def test_history_is_newest_first_with_actor_action_and_changes(env: AdminEnv) -> None:
    station_id = create(env, name="原名驿站", phone="029-1")["id"]
    renamed = patch(env, station_id, 1, {"name": "新名驿站", "phone": None}, token="beilin-editor")
    assert renamed.status_code == 200, renamed.text
    assert put_amenities(env, station_id, 2, ["wifi"]).status_code == 200
    assert write(env, "DELETE", station_id, 3, token="beilin-editor").status_code == 200
    entries = history(env, station_id)
    assert [(e["version"], e["action"], e["actor"]) for e in entries] == [
        (4, "retire", "beilin-editor"),
        (3, "update", "admin"),
        (2, "update", "beilin-editor"),
        (1, "create", "admin"),
    ]
    assert entries[2]["changes"] == {
        "name": {"before": "原名驿站", "after": "新名驿站"},
        "phone": {"before": "029-1", "after": None},
    }
    assert entries[3]["changes"]["name"] == {"before": None, "after": "原名驿站"}
    instants = [datetime.fromisoformat(e["at"]) for e in entries]
    assert all(t.utcoffset() is not None for t in instants)
    assert instants == sorted(instants, reverse=True)


def test_history_of_an_unknown_station_is_404(env: AdminEnv) -> None:
    response = env.client.get("/v1/stations/no-such/history", headers=env.auth("admin"))
    assert_problem(response, 404)


def test_revert_restores_an_earlier_version_as_a_new_one(env: AdminEnv) -> None:
    original = create(env, name="最初的名字", phone="029-7")
    station_id = original["id"]
    lon, lat = original["geometry"]["coordinates"]
    assert (
        patch(env, station_id, 1, {"name": "改过", "phone": None, "lon": lon + 0.01}).status_code
        == 200
    )
    assert write(env, "DELETE", station_id, 2).status_code == 200
    assert station_id not in nearest_ids(env, lon, lat)

    response = write(env, "POST", station_id, 3, suffix="/revert", params={"to_version": 1})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"4"'
    restored, version = fetch(env, station_id)
    assert version == 4
    assert stable(restored) == stable(original)
    assert restored["geometry"] == original["geometry"]
    assert station_id in nearest_ids(env, lon, lat)
    entry = history(env, station_id)[0]
    assert (entry["version"], entry["action"], entry["actor"]) == (4, "revert", "admin")
    assert entry["changes"]["status"] == {"before": "retired", "after": "active"}
    assert entry["changes"]["name"] == {"before": "改过", "after": "最初的名字"}


@pytest.mark.parametrize("to_version", [2, 99])
def test_revert_to_a_version_that_does_not_exist_is_404(env: AdminEnv, to_version: int) -> None:
    station_id = create(env)["id"]
    response = write(
        env, "POST", station_id, 1, suffix="/revert", params={"to_version": to_version}
    )
    assert str(to_version) in assert_problem(response, 404)["detail"]
    assert fetch(env, station_id)[1] == 1


@pytest.mark.parametrize("to_version", ["0", "-1", "x", "1.5"])
def test_revert_needs_a_positive_whole_version(env: AdminEnv, to_version: str) -> None:
    station_id = create(env)["id"]
    response = write(
        env, "POST", station_id, 1, suffix="/revert", params={"to_version": to_version}
    )
    assert_problem(response, 422, "to_version")


def test_revert_of_an_unknown_station_is_404(env: AdminEnv) -> None:
    response = write(env, "POST", "no-such", 1, suffix="/revert", params={"to_version": 1})
    assert_problem(response, 404)


# -- concurrency ---------------------------------------------------------------------------


def _race(clients: tuple[Any, Any], env: AdminEnv, station_id: str) -> list[httpx.Response]:
    barrier = threading.Barrier(2)
    responses: list[httpx.Response | None] = [None, None]

    def edit(i: int) -> None:
        barrier.wait(timeout=10)
        responses[i] = clients[i].patch(
            f"/v1/stations/{station_id}",
            json={"name": f"编辑者{i}的名字"},
            headers=env.auth("admin") | if_match(1),
        )

    threads = [threading.Thread(target=edit, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(r is not None for r in responses)
    return [r for r in responses if r is not None]


@pytest.mark.parametrize("apps", ["one app", "two apps on one store"])
def test_concurrent_edits_with_the_same_if_match_exactly_one_wins(env: AdminEnv, apps: str) -> None:
    with open_client(env.db) as other:
        clients = (env.client, env.client if apps == "one app" else other)
        for _ in range(10):
            station_id = create(env)["id"]
            responses = _race(clients, env, station_id)
            assert sorted(r.status_code for r in responses) == [200, 412], [
                r.text for r in responses
            ]
            won = next(i for i, r in enumerate(responses) if r.status_code == 200)
            winner, loser = responses[won], responses[1 - won]
            assert_problem(loser, 412)
            assert loser.json()["current_version"] == 2
            entries = history(env, station_id)
            assert [e["version"] for e in entries] == [2, 1]
            won_name = winner.json()["properties"]["name"]
            assert entries[0]["changes"]["name"]["after"] == won_name
            # The winner's app has the write in its snapshot at once (the other one polls).
            got = clients[won].get(f"/v1/stations/{station_id}")
            assert got.json()["properties"]["name"] == won_name
