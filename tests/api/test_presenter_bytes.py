"""The nearest answer spliced from pre-encoded pieces (``nearest_json``) is, byte for byte, the
encoding of the answer built as a dict (``nearest_collection``, the form every answer had before
the pieces): over a table of queries — every coordinate system, amenity, kind and access filter,
radius, open_at instants (a holiday break among them) — on stations with odd names, no address,
closures, rider reports and an OpenStreetMap source; and over HTTP, the route and the batch."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import orjson
import pytest
from fastapi.testclient import TestClient

from api.presenter import nearest_collection, nearest_json
from geo.crs import CoordinateSystem
from geo.origin import origin_in_wgs84
from geo.position import LonLat
from stations.model import Access, Category, Kind, OsmSource, ReportSignal, Station
from stations.reading.catalog import Catalog
from stations.reading.locator import find_nearby, nearby_query
from stations.store.geopackage.store import GeoPackageStore
from tests.api.conftest import DEMO_CSV
from tests.api.stores import build_store, open_client

NOW: Final = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)  # a Wednesday, 10:30 in China
#: 10:30 on 1 October (National Day: a holiday break), 23:00 on a Sunday, a Monday morning.
INSTANTS: Final = [
    NOW,
    datetime(2026, 10, 1, 2, 30, tzinfo=UTC),
    datetime(2026, 12, 6, 15, 0, tzinfo=UTC),
    datetime(2026, 12, 7, 0, 5, tzinfo=UTC),
]
ODD_NAMES: Final = ['爱心驿站 "1" \\ 2', "a+b=c?d%&", "🚴 骑手之家", "\u2028line", "x" * 100]
RIDERS: Final = [LonLat(108.9423, 34.2610), LonLat(108.95, 34.27), LonLat(108.90, 34.22)]


def _stations(folder: Path) -> list[Station]:
    """The demo stations, some of them with odd names, no address, a closure, riders' reports
    or an OpenStreetMap source."""
    demo = GeoPackageStore(build_store(folder / "s.gpkg", DEMO_CSV))
    try:
        stations = demo.list_stations()
    finally:
        demo.close()
    odd = []
    for i, station in enumerate(stations[: len(ODD_NAMES) * 2]):
        changes: dict[str, object] = {"name": ODD_NAMES[i % len(ODD_NAMES)]}
        if i % 2:
            changes |= {"address": None, "phone": None}
        if i % 3 == 0:
            changes |= {"closed_until": NOW + timedelta(days=3), "closure_reason": '检修 "管道"'}
        if i % 4 == 1:
            changes["reports"] = (ReportSignal(Category.CLOSED_NOW, None, "r1", NOW),)
        if i % 5 == 2:
            changes["osm"] = OsmSource("node/7", 3, (("name", "x"),))
        odd.append(replace(station, **changes))  # type: ignore[arg-type]
    return odd + stations[len(odd) :]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return Catalog(_stations(tmp_path_factory.mktemp("pieces")))


QUERIES: Final[list[dict[str, object]]] = [
    {},
    {"amenities": ("microwave",)},
    {"amenities": ("microwave", "phone_charging")},
    {"kinds": frozenset({Kind.SERVICE_POINT})},
    {"access": frozenset(Access)},
    {"radius_m": 1500.0},
    {"k": 1},
    {"k": 20},
    {"open_now": True},
]


@pytest.mark.parametrize("crs", list(CoordinateSystem))
def test_the_spliced_answer_is_the_dict_answer_byte_for_byte(
    catalog: Catalog, crs: CoordinateSystem
) -> None:
    for rider, options, at in itertools.product(RIDERS, QUERIES, INSTANTS):
        query = nearby_query(now=at, **{"k": 5, **options})  # type: ignore[arg-type]
        matches = find_nearby(catalog, rider, query)
        assert matches or "radius_m" in options or "open_now" in options
        expected = orjson.dumps(nearest_collection(matches, rider, crs, query.at))
        assert nearest_json(matches, rider, crs, query.at) == expected
    empty = nearest_json([], RIDERS[0], crs, NOW)
    assert empty == orjson.dumps(nearest_collection([], RIDERS[0], crs, NOW))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return open_client(build_store(tmp_path_factory.mktemp("bytes") / "s.gpkg", DEMO_CSV))


def test_the_route_and_the_batch_answer_the_dict_answers_bytes(client: TestClient) -> None:
    catalog: Catalog = client.app.state.live.catalog  # type: ignore[attr-defined]
    at = "2026-12-02T10:30:00+08:00"
    for rider, crs, amenities in itertools.product(RIDERS, CoordinateSystem, ["", "microwave"]):
        params = {"lat": rider.lat, "lon": rider.lon, "crs": crs.value, "k": 5, "open_at": at}
        if amenities:
            params["amenities"] = amenities
        got = client.get("/v1/stations/nearest", params=params)
        assert got.status_code == 200 and got.headers["content-type"] == "application/geo+json"
        when = datetime.fromisoformat(at)
        amenity = (amenities,) if amenities else ()
        query = nearby_query(now=when, k=5, open_at=when, amenities=amenity)
        origin = origin_in_wgs84(rider.lon, rider.lat, crs)  # the position is read in ``crs``
        matches = find_nearby(catalog, origin, query)
        assert got.content == orjson.dumps(nearest_collection(matches, origin, crs, query.at))
    points = [{"lat": r.lat, "lon": r.lon} for r in RIDERS]
    batch = client.post(
        "/v1/stations/nearest:batch", json={"points": points, "k": 3, "open_at": at}
    )
    assert batch.status_code == 200, batch.text
    for rider, document in zip(RIDERS, batch.json()["results"], strict=True):
        query = nearby_query(
            now=datetime.fromisoformat(at), k=3, open_at=datetime.fromisoformat(at)
        )
        matches = find_nearby(catalog, rider, query)
        crs = CoordinateSystem.WGS84
        assert orjson.dumps(document) == orjson.dumps(
            nearest_collection(matches, rider, crs, query.at)
        )


def test_an_edited_station_gets_fresh_pieces(catalog: Catalog) -> None:
    rider = RIDERS[0]
    query = nearby_query(now=NOW, k=1)
    (match,) = find_nearby(catalog, rider, query)
    renamed = match._replace(station=replace(match.station, name="新名字", version=99))
    for m in (match, renamed):
        assert nearest_json([m], rider, CoordinateSystem.GCJ02, NOW) == orjson.dumps(
            nearest_collection([m], rider, CoordinateSystem.GCJ02, NOW)
        )
    assert b"\\u65b0" not in nearest_json([renamed], rider, CoordinateSystem.WGS84, NOW)
    assert "新名字".encode() in nearest_json([renamed], rider, CoordinateSystem.WGS84, NOW)
