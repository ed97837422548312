"""Ranking by ride time over HTTP with the real engine (the Helsinki sample's tiles, a sidecar
the app starts itself): the default when routing is configured, the durations and the arrival
instant in each feature, ``rank=distance`` unchanged, and a folder without tiles that still
serves — estimating, and saying so in the answer and ``/readyz``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from stations.editing.validation import validate_draft
from stations.store.geopackage.store import GeoPackageStore

RIDER = {"lon": 24.9384, "lat": 60.1699}
SPOTS = [(24.9401, 60.1700), (24.9450, 60.1720), (24.9300, 60.1650), (24.9500, 60.1680),
         (24.9420, 60.1660), (24.9360, 60.1740)]  # fmt: skip


@pytest.fixture(scope="module")
def helsinki_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("ride") / "helsinki.gpkg"
    store = GeoPackageStore(db)
    try:
        store.save_all(
            [
                validate_draft({"id": f"h-{n}", "name": f"测试站{n}", "kind": "love_station",
                                "lon": lon, "lat": lat, "district_code": "610103",
                                "opening_hours": "24/7"})
                for n, (lon, lat) in enumerate(SPOTS)
            ]
        )  # fmt: skip
    finally:
        store.close()
    return db


@pytest.fixture(scope="module")
def timed(helsinki_db: Path, helsinki_tiles: Path) -> Iterator[TestClient]:
    settings = Settings(db=helsinki_db, routing=str(helsinki_tiles))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _nearest(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/stations/nearest", params={**RIDER, "k": 6, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_time_is_the_default_rank_with_an_engine(timed: TestClient) -> None:
    body = _nearest(timed)
    assert body["query"]["rank"] == "time" and "fallback" not in body["query"]
    props = [f["properties"] for f in body["features"]]
    assert len(props) == len(SPOTS)
    durations = [p["duration_s"] for p in props]
    assert durations == sorted(durations)
    assert all(p["duration_source"] == "engine" and p["route_distance_m"] > 0 for p in props)
    assert all(p["route_distance_m"] >= p["distance_m"] * 0.95 for p in props)
    assert all(p["arrival"] > body["query"]["at"] for p in props)
    ready = timed.get("/readyz").json()
    assert ready["routing"]["state"] == "ready" and ready["routing"]["engine"].startswith("http")


def test_rank_distance_is_todays_answer(timed: TestClient, helsinki_db: Path) -> None:
    by_distance = _nearest(timed, rank="distance")
    assert "rank" not in by_distance["query"]
    with TestClient(create_app(Settings(db=helsinki_db))) as plain:
        before = _nearest(plain)
        assert "routing" not in plain.get("/readyz").json()
    assert [f["properties"] | {"links": None} for f in by_distance["features"]] == [
        f["properties"] | {"links": None} for f in before["features"]
    ]
    assert all("duration_s" not in f["properties"] for f in before["features"])


def test_a_folder_without_tiles_serves_with_estimates(helsinki_db: Path, tmp_path: Path) -> None:
    settings = Settings(db=helsinki_db, routing=str(tmp_path))
    with TestClient(create_app(settings)) as client:
        body = _nearest(client)
        assert (
            "holds no routing tiles" in body["query"]["fallback"]
            or "no routing engine" in (body["query"]["fallback"])
        )
        props = [f["properties"] for f in body["features"]]
        assert all(p["duration_source"] == "estimate" for p in props)
        distances = [p["distance_m"] for p in props]
        assert distances == sorted(distances)
        state = client.get("/readyz").json()["routing"]["state"]
        assert state.startswith("unavailable") and "yizhan routing build" in state


def test_each_batch_rider_is_the_single_answer(timed: TestClient) -> None:
    riders = [RIDER, {"lon": 24.9450, "lat": 60.1700}, {"lon": 24.9320, "lat": 60.1660}]
    batch = timed.post("/v1/stations/nearest:batch", json={"points": riders, "k": 4})
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert len(results) == len(riders)
    for rider, result in zip(riders, results, strict=True):
        single = _nearest(timed, k=4, **rider)
        assert result["query"]["rank"] == "time"
        assert [f["id"] for f in result["features"]] == [f["id"] for f in single["features"]]
        assert [f["properties"]["duration_s"] for f in result["features"]] == [
            f["properties"]["duration_s"] for f in single["features"]
        ]
    by_distance = timed.post(
        "/v1/stations/nearest:batch", json={"points": riders, "k": 4, "rank": "distance"}
    )
    assert all("rank" not in r["query"] for r in by_distance.json()["results"])
    bad = timed.post("/v1/stations/nearest:batch", json={"points": riders, "rank": "fast"})
    assert bad.status_code == 422 and "rank" in bad.text
