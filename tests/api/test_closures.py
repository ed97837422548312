"""Temporary closures: set and cleared with PATCH like any field; until the instant the station
answers closed with the reason and the reopening instant, after it its hours apply again by
themselves (checked at chosen instants with open_at, a clock the test controls)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stations.hours import SHANGHAI, Hours, Openness
from stations.reading.catalog import ClosedUntil
from tests.api.admin_fixtures import AdminEnv, admin_env, create, fetch, history, if_match
from tests.api.problem import assert_problem

UNTIL = datetime(2026, 12, 24, 18, 0, tzinfo=SHANGHAI)  # Thursday evening


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminEnv]:
    with admin_env(tmp_path_factory.mktemp("closures")) as env:
        yield env


def _patch(env: AdminEnv, station_id: str, body: dict[str, Any]) -> Any:
    _, version = fetch(env, station_id)
    return env.client.patch(
        f"/v1/stations/{station_id}", json=body, headers=env.auth("admin") | if_match(version)
    )


def _nearest(env: AdminEnv, feature: dict[str, Any], at: datetime) -> list[dict[str, Any]]:
    lon, lat = feature["geometry"]["coordinates"]
    response = env.client.get(
        "/v1/stations/nearest",
        params={"lon": lon, "lat": lat, "k": 100, "radius_m": 500, "open_at": at.isoformat()},
    )
    assert response.status_code == 200, response.text
    features: list[dict[str, Any]] = response.json()["features"]
    return features


def test_a_closure_hides_the_station_until_it_lifts_by_itself(env: AdminEnv) -> None:
    feature = create(env, opening_hours="24/7")
    station_id = feature["id"]
    response = _patch(
        env, station_id, {"closed_until": UNTIL.isoformat(), "closure_reason": "供暖检修"}
    )
    assert response.status_code == 200, response.text
    properties = response.json()["properties"]
    assert properties["closure_reason"] == "供暖检修"
    assert properties["closed_until"] == "2026-12-24T10:00:00Z"
    before = UNTIL - timedelta(hours=2)
    assert station_id not in {f["id"] for f in _nearest(env, feature, before)}
    after = UNTIL + timedelta(minutes=1)
    found = {f["id"]: f["properties"] for f in _nearest(env, feature, after)}
    assert found[station_id]["open_status"] == "open"
    assert history(env, station_id)[0]["changes"]["closure_reason"] == {
        "before": None,
        "after": "供暖检修",
    }


def test_while_closed_the_answer_says_closed_with_the_reopening_instant(env: AdminEnv) -> None:
    feature = create(env, opening_hours="24/7")
    far = datetime.now(UTC) + timedelta(days=30)
    assert _patch(env, feature["id"], {"closed_until": far.isoformat()}).status_code == 200
    shown, _ = fetch(env, feature["id"])
    assert shown["properties"]["open_status"] == "closed"
    reopens = datetime.fromisoformat(shown["properties"]["next_change"])
    assert reopens == far.replace(microsecond=0)  # kept to the second
    cleared = _patch(env, feature["id"], {"closed_until": None, "closure_reason": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["properties"]["open_status"] == "open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"closure_reason": "装修"}, "closure_reason"),  # a closure with no end never lifts
        ({"closed_until": "2026-12-24T18:00:00"}, "closed_until"),  # no offset
        ({"closed_until": "next week"}, "closed_until"),
        ({"closed_until": "1999-12-24T18:00:00+08:00"}, "closed_until"),
        ({"closed_until": UNTIL.isoformat(), "closure_reason": "长" * 201}, "closure_reason"),
    ],
)
def test_a_bad_closure_is_a_422_naming_the_field(
    env: AdminEnv, body: dict[str, Any], field: str
) -> None:
    feature = create(env)
    assert_problem(_patch(env, feature["id"], body), 422, field)


def test_a_closure_ending_while_the_hours_are_closed_reopens_with_the_hours() -> None:
    office = Hours.parse("Mo-Fr 09:00-17:00")
    closure = ClosedUntil(office, UNTIL)  # ends Thursday 18:00, after the office closed
    status = closure.status(UNTIL - timedelta(days=1))
    assert status.state is Openness.CLOSED
    assert status.next_change == datetime(2026, 12, 25, 9, 0, tzinfo=SHANGHAI)
    assert closure.state(UNTIL + timedelta(hours=15, minutes=30)) is Openness.OPEN
