"""The nearest answer's navigation links, assembled from pre-quoted pieces for speed, equal what
``urlencode(..., quote_via=quote)`` makes of the parameters from array-converted positions."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import numpy as np

from api.presenter import _RiderLinks, _view, nearest_collection
from geo.crs import CoordinateSystem, from_wgs84
from geo.position import LonLat
from stations.hours import HoursStatus, Openness
from stations.model import Kind, Station, StationId, Status
from stations.reading.locator import Match

ODD_NAMES = ["爱心驿站 #1 & 2", "a+b=c?d%", "Caffè/咖啡 ; 50%", "🚴 骑手之家", "x" * 100, "'\"<>"]


def _station(i: int, lon: float, lat: float, name: str) -> Station:
    return Station(
        id=StationId(f"s{i}"), name=name, kind=Kind.LOVE_STATION, lon=lon, lat=lat,
        address=None, district_code="610103", amenities=("water",), opening_hours="24/7",
        phone=None, host=None, status=Status.ACTIVE, version=1,
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def _oracle(origin: LonLat, station: Station) -> dict[str, str]:
    lon = np.array([station.lon, origin.lon])
    lat = np.array([station.lat, origin.lat])
    (glon, oglon), (glat, oglat) = (
        a.tolist() for a in from_wgs84(lon, lat, CoordinateSystem.GCJ02)
    )
    (blon, oblon), (blat, oblat) = (a.tolist() for a in from_wgs84(lon, lat, CoordinateSystem.BD09))
    amap = "https://uri.amap.com/navigation?" + urlencode(
        {"from": f"{oglon:.6f},{oglat:.6f},我的位置", "to": f"{glon:.6f},{glat:.6f},{station.name}",
         "mode": "ride", "coordinate": "gaode", "callnative": "1"},
        quote_via=quote,
    )  # fmt: skip
    baidu = "https://api.map.baidu.com/direction?" + urlencode(
        {"origin": f"latlng:{oblat:.6f},{oblon:.6f}|name:我的位置",
         "destination": f"latlng:{blat:.6f},{blon:.6f}|name:{station.name}",
         "mode": "riding", "coord_type": "bd09ll", "output": "html", "src": "yizhan"},
        quote_via=quote,
    )  # fmt: skip
    return {"amap": amap, "baidu": baidu}


def test_route_links_equal_urlencode_of_array_converted_positions() -> None:
    rng = random.Random(5)
    for i in range(3000):
        origin = LonLat(rng.uniform(73, 135), rng.uniform(18, 53))
        name = rng.choice(ODD_NAMES) if i % 3 == 0 else f"驿站{i}号"
        lon, lat = origin.lon + rng.uniform(-0.05, 0.05), origin.lat + rng.uniform(-0.05, 0.05)
        if i % 50 == 0:  # outside the GCJ-02 rectangle, and the antimeridian side
            origin, lon, lat = LonLat(-179.99, -45.0), 179.99, -45.01
        station = _station(i, lon, lat, name)
        assert _RiderLinks(origin).route_links(_view(station)) == _oracle(origin, station), name


def test_positions_in_the_answer_are_the_array_conversion_rounded() -> None:
    rng = random.Random(9)
    origin = LonLat(108.9423, 34.2610)
    stations = [
        _station(i, 108.9 + rng.random() / 10, 34.2 + rng.random() / 10, f"站{i}") for i in range(5)
    ]
    matches = [
        Match(s, 100.0 * i, 45.0, HoursStatus(Openness.OPEN, None)) for i, s in enumerate(stations)
    ]
    at = datetime(2026, 11, 27, 12, tzinfo=UTC)
    for crs in CoordinateSystem:
        body = nearest_collection(matches, origin, crs, at)
        lon, lat = from_wgs84([s.lon for s in stations], [s.lat for s in stations], crs)
        want = [[round(x, 7), round(y, 7)] for x, y in zip(lon.tolist(), lat.tolist(), strict=True)]
        assert [f["geometry"]["coordinates"] for f in body["features"]] == want
        olon, olat = from_wgs84(origin.lon, origin.lat, crs)
        assert body["query"]["origin"] == [round(float(olon), 7), round(float(olat), 7)]
