"""Rider reports and their moderation over HTTP, on both stores: no account, anonymous
reporters (a daily salted hash, no address, no position), deduplication, the rate limit and a
flood, the reported-closed threshold, the moderation list, accepting through the edit path
(If-Match, one audit row naming the reports, a lost race leaving them open) and dismissing."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.admin_fixtures import (
    BOTH_STORES,
    WEIYANG,
    AdminEnv,
    create,
    env_on,
    fetch,
    history,
    if_match,
)
from tests.api.problem import assert_problem

_addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(1, 250), repeat=3))


@pytest.fixture(scope="module", params=BOTH_STORES)
def env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AdminEnv]:
    with env_on(request, tmp_path_factory.mktemp("reports")) as env:
        yield env


def rider(env: AdminEnv, address: str | None = None) -> TestClient:
    """A client from its own address (each rider a different one unless given)."""
    return TestClient(
        env.client.app, client=(address or next(_addresses), 40000), raise_server_exceptions=False
    )


def report(client: TestClient, station_id: str, **body: Any) -> httpx.Response:
    return client.post(f"/v1/stations/{station_id}/reports", json=body)


def reports_of(env: AdminEnv, station_id: str, status: str = "all") -> list[dict[str, Any]]:
    response = env.client.get(
        "/v1/reports", params={"station": station_id, "status": status, "limit": 500},
        headers=env.auth("admin"),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["reports"]
    return found


def resolve(env: AdminEnv, report_id: int, body: dict[str, Any], **headers: str) -> httpx.Response:
    return env.client.post(
        f"/v1/reports/{report_id}/resolve", json=body, headers=env.auth("admin") | headers
    )


def test_a_report_is_stored_and_changes_nothing_by_itself(env: AdminEnv) -> None:
    feature = create(env)
    station_id = feature["id"]
    response = report(rider(env), station_id, category="closed_now", note="门口贴了装修通知")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "open" and body["category"] == "closed_now"
    assert response.headers["Location"] == f"/v1/reports/{body['id']}"
    assert "client_hash" not in body
    after, version = fetch(env, station_id)
    assert version == 1
    assert {k: v for k, v in after["properties"].items() if k != "rider_reports"} == {
        k: v for k, v in feature["properties"].items() if k != "rider_reports"
    }
    assert after["properties"]["rider_reports"] == {"closed_now": 1}
    assert [r["id"] for r in reports_of(env, station_id)] == [body["id"]]


def test_the_store_keeps_no_address_only_a_daily_hash(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    address = "203.0.113.77"
    report(rider(env, address), station_id, category="confirmed_ok")
    if isinstance(env.db, str):  # PostGIS: read the row back through SQL
        import psycopg

        with psycopg.connect(env.db) as conn:
            rows = conn.execute("SELECT * FROM yizhan_reports").fetchall()
    else:
        with sqlite3.connect(env.db) as conn:
            rows = conn.execute("SELECT * FROM yizhan_reports").fetchall()
    text = repr(rows)
    assert address not in text and "203.0.113" not in text
    assert all(len(row[5]) == 32 for row in rows)  # client_hash: 128 bits of an HMAC


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "on_fire"}, "category"),
        ({}, "category"),
        ({"category": 3}, "category"),
        ({"category": "amenity_broken"}, "amenity"),
        ({"category": "amenity_broken", "amenity": "jacuzzi"}, "amenity"),
        ({"category": "amenity_broken", "amenity": "toilet"}, "amenity"),  # not listed
        ({"category": "closed_now", "amenity": "water"}, "amenity"),
        ({"category": "other", "note": "x" * 501}, "note"),
        ({"category": "other", "note": "bell\u0007"}, "note"),
        ({"category": "other", "note": 7}, "note"),
        ({"category": "other", "lat": 34.2, "lon": 108.9}, "lat"),
    ],
)
def test_bad_reports_are_refused_naming_the_field(
    env: AdminEnv, body: dict[str, Any], field: str
) -> None:
    station_id = create(env, amenities=["water", "microwave"])["id"]
    assert_problem(report(rider(env), station_id, **body), 422, field)
    assert reports_of(env, station_id) == []


def test_unknown_and_retired_stations_take_no_reports(env: AdminEnv) -> None:
    assert_problem(report(rider(env), "no-such-station", category="gone"), 404)
    station_id = create(env)["id"]
    env.client.delete(f"/v1/stations/{station_id}", headers=env.auth("admin") | if_match(1))
    assert_problem(report(rider(env), station_id, category="gone"), 404)
    bad = rider(env).post(
        f"/v1/stations/{station_id}/reports", content=b"{nope", headers={"content-type": "x"}
    )
    assert_problem(bad, 422, "body")


def test_the_same_report_within_a_day_counts_once(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    client = rider(env)
    first = report(client, station_id, category="amenity_broken", amenity="microwave")
    again = report(client, station_id, category="amenity_broken", amenity="microwave", note="!")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"] is True
    other = report(rider(env), station_id, category="amenity_broken", amenity="microwave")
    assert other.status_code == 201
    assert len(reports_of(env, station_id)) == 2


def test_a_flood_from_one_client_is_rate_limited_and_others_are_not(env: AdminEnv) -> None:
    stations = [create(env, amenities=["water", "microwave"])["id"] for _ in range(3)]
    kinds = [
        {"category": "closed_now"}, {"category": "hours_wrong"}, {"category": "other"},
        {"category": "amenity_broken", "amenity": "microwave"},
        {"category": "amenity_missing", "amenity": "water"},
    ]  # fmt: skip
    client = rider(env)
    statuses = []
    for n in range(1000):
        body = kinds[n % len(kinds)]
        response = report(client, stations[(n // len(kinds)) % len(stations)], **body)
        statuses.append(response.status_code)
        if response.status_code == 429:
            problem = assert_problem(response, 429)
            assert int(response.headers["Retry-After"]) >= 1
            assert problem["retry_after_s"] == int(response.headers["Retry-After"])
    assert statuses[:10] == [201] * 10
    assert set(statuses[10:]) == {429}
    stored = sum(len(reports_of(env, s)) for s in stations)
    assert stored == 10
    assert report(rider(env), stations[0], category="closed_now").status_code == 201


def test_enough_riders_saying_closed_mark_the_station_reported_closed(env: AdminEnv) -> None:
    feature = create(env, opening_hours="24/7")
    station_id = feature["id"]
    lon, lat = feature["geometry"]["coordinates"]

    def nearest(**params: Any) -> dict[str, dict[str, Any]]:
        response = env.client.get(
            "/v1/stations/nearest",
            params={"lon": lon, "lat": lat, "k": 100, "radius_m": 300, **params},
        )
        assert response.status_code == 200, response.text
        return {f["id"]: f["properties"] for f in response.json()["features"]}

    first, second = rider(env), rider(env)
    report(first, station_id, category="closed_now")
    report(second, station_id, category="gone")
    # The first rider again (a duplicate) and a third saying something else: still two.
    assert report(first, station_id, category="closed_now").json()["duplicate"] is True
    report(rider(env), station_id, category="confirmed_ok")
    assert nearest(open_now="true")[station_id]["open_status"] == "open"
    report(rider(env), station_id, category="closed_now")
    shown = nearest()[station_id]
    assert shown["open_status"] == "reported_closed"
    assert shown["next_change"] is not None
    assert shown["rider_reports"] == {"confirmed_ok": 1, "closed_now": 2, "gone": 1}
    assert station_id not in nearest(open_now="true")
    assert fetch(env, station_id)[0]["properties"]["open_status"] == "reported_closed"
    # An editor finds it open: dismissing the closure reports lifts the state at once.
    closure = [r["id"] for r in reports_of(env, station_id, "open")]
    dismissed = resolve(
        env, closure[0], {"action": "dismiss", "reason": "现场核实正常开放", "reports": closure[1:]}
    )
    assert dismissed.status_code == 200, dismissed.text
    assert {r["status"] for r in dismissed.json()["reports"]} == {"dismissed"}
    assert nearest(open_now="true")[station_id]["open_status"] == "open"


def test_the_moderation_list_is_newest_first_with_names_counts_and_scope(
    env: AdminEnv,
) -> None:
    beilin = create(env)
    weiyang = create(env, district=WEIYANG)
    made = [
        report(rider(env), beilin["id"], category="closed_now").json()["id"],
        report(rider(env), weiyang["id"], category="hours_wrong").json()["id"],
        report(rider(env), beilin["id"], category="other", note="没有热水").json()["id"],
    ]
    admin = env.client.get("/v1/reports", params={"limit": 500}, headers=env.auth("admin"))
    listed = [r["id"] for r in admin.json()["reports"]]
    assert [i for i in listed if i in made] == sorted(made, reverse=True)
    first = admin.json()["reports"][0]
    assert first["station_name"] and first["district_code"]
    counts = admin.json()["counts"]
    assert counts["closed_now"] >= 1 and counts["hours_wrong"] >= 1
    assert admin.json()["numberMatched"] == sum(counts.values())
    editor = env.client.get("/v1/reports", params={"limit": 500}, headers=env.auth("beilin-editor"))
    assert editor.status_code == 200
    assert {r["district_code"] for r in editor.json()["reports"]} <= {"610103"}
    assert made[1] not in {r["id"] for r in editor.json()["reports"]}
    assert_problem(env.client.get(f"/v1/reports/{made[1]}", headers=env.auth("beilin-editor")), 403)
    assert_problem(env.client.get("/v1/reports"), 401)
    paged = env.client.get("/v1/reports", params={"limit": 1}, headers=env.auth("admin"))
    assert len(paged.json()["reports"]) == 1
    assert any(link["rel"] == "next" for link in paged.json()["links"])
    filtered = env.client.get(
        "/v1/reports", params={"district": WEIYANG, "limit": 500}, headers=env.auth("admin")
    )
    assert {r["district_code"] for r in filtered.json()["reports"]} == {WEIYANG}


@pytest.mark.parametrize(
    ("body", "extra", "expect"),
    [
        ({"category": "closed_now"}, {}, {"status": "closed_temporarily"}),
        ({"category": "gone"}, {}, {"status": "retired"}),
        ({"category": "amenity_missing", "amenity": "microwave"}, {}, {"amenities": ["water"]}),
        ({"category": "hours_wrong"}, {"patch": {"opening_hours": "Mo-Fr 08:00-18:00"}},
         {"opening_hours": "Mo-Fr 08:00-18:00"}),
        ({"category": "other"}, {"patch": {"phone": "029-12345678"}}, {"phone": "029-12345678"}),
    ],
)  # fmt: skip
def test_accepting_a_report_applies_its_change_as_an_audited_version(
    env: AdminEnv, body: dict[str, Any], extra: dict[str, Any], expect: dict[str, Any]
) -> None:
    station_id = create(env, amenities=["water", "microwave"])["id"]
    report_id = report(rider(env), station_id, **body).json()["id"]
    _, version = fetch(env, station_id)
    response = resolve(env, report_id, {"action": "accept", **extra}, **if_match(version))
    assert response.status_code == 200, response.text
    station = response.json()["station"]["properties"]
    assert {k: station[k] for k in expect} == expect
    assert station["version"] == version + 1
    assert response.headers["ETag"] == f'"{version + 1}"'
    (accepted,) = response.json()["reports"]
    assert (accepted["status"], accepted["resolved_in_version"]) == ("accepted", version + 1)
    entry = history(env, station_id)[0]
    assert (entry["action"], entry["reports"]) == ("accept_reports", [report_id])


def test_accepting_a_broken_amenity_and_a_confirmation_at_once(env: AdminEnv) -> None:
    station_id = create(env, amenities=["water", "microwave"])["id"]
    broken = report(rider(env), station_id, category="amenity_broken", amenity="microwave")
    fine = report(rider(env), station_id, category="confirmed_ok")
    ids = [broken.json()["id"], fine.json()["id"]]
    response = resolve(env, ids[0], {"action": "accept", "reports": ids[1:]}, **if_match(1))
    assert response.status_code == 200, response.text
    props = response.json()["station"]["properties"]
    assert set(props["out_of_order"]) == {"microwave"}
    assert props["last_confirmed_at"] is not None and props["verified_at"] is None
    assert sorted(history(env, station_id)[0]["reports"]) == sorted(ids)
    assert {r["status"] for r in reports_of(env, station_id)} == {"accepted"}


def test_an_accept_that_loses_the_if_match_race_leaves_the_report_open(env: AdminEnv) -> None:
    station_id = create(env)["id"]
    report_id = report(rider(env), station_id, category="closed_now").json()["id"]
    # A colleague edits the station after the moderator read version 1.
    env.client.patch(
        f"/v1/stations/{station_id}", json={"phone": "029-87654321"},
        headers=env.auth("admin") | if_match(1),
    )  # fmt: skip
    lost = resolve(env, report_id, {"action": "accept"}, **if_match(1))
    problem = assert_problem(lost, 412)
    assert problem["current_version"] == 2
    assert reports_of(env, station_id)[0]["status"] == "open"
    assert fetch(env, station_id)[0]["properties"]["status"] == "active"
    assert_problem(resolve(env, report_id, {"action": "accept"}), 428)


def test_hours_wrong_needs_the_right_hours_and_resolved_reports_stay_resolved(
    env: AdminEnv,
) -> None:
    station_id = create(env)["id"]
    report_id = report(rider(env), station_id, category="hours_wrong").json()["id"]
    refused = resolve(env, report_id, {"action": "accept"}, **if_match(1))
    assert_problem(refused, 422, "patch")
    assert reports_of(env, station_id)[0]["status"] == "open"
    assert_problem(resolve(env, report_id, {"action": "dismiss"}), 422, "reason")
    assert_problem(resolve(env, report_id, {"action": "maybe"}), 422, "action")
    done = resolve(env, report_id, {"action": "dismiss", "reason": "时间无误"})
    assert done.status_code == 200, done.text
    again = resolve(env, report_id, {"action": "dismiss", "reason": "再次"})
    assert_problem(again, 422, "reports")
    assert_problem(resolve(env, 10**9, {"action": "dismiss", "reason": "x"}), 404)
    listed = env.client.get(f"/v1/stations/{station_id}/history", headers=env.auth("admin")).json()[
        "reports"
    ]
    assert (listed[0]["id"], listed[0]["status"], listed[0]["resolution_reason"]) == (
        report_id, "dismissed", "时间无误",
    )  # fmt: skip


def test_reports_of_two_stations_cannot_be_resolved_together(env: AdminEnv) -> None:
    a = report(rider(env), create(env)["id"], category="other").json()["id"]
    b = report(rider(env), create(env)["id"], category="other").json()["id"]
    response = resolve(env, a, {"action": "dismiss", "reason": "重复", "reports": [b]})
    assert_problem(response, 422, "reports")


def test_an_editor_moderates_only_in_their_districts(env: AdminEnv) -> None:
    station_id = create(env, district=WEIYANG)["id"]
    report_id = report(rider(env), station_id, category="other").json()["id"]
    response = env.client.post(
        f"/v1/reports/{report_id}/resolve",
        json={"action": "dismiss", "reason": "不是我的区"},
        headers=env.auth("beilin-editor"),
    )
    assert_problem(response, 403)
    assert reports_of(env, station_id)[0]["status"] == "open"
