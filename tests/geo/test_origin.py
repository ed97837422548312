"""A searcher's position in any system becomes one WGS-84 origin, the same bits one at a time or
all at once, and an edge position shifted past ±180°/±90° by an offset is wrapped or clamped."""

from __future__ import annotations

import re

import numpy as np
import pytest

from geo.crs import CoordinateSystem, to_wgs84
from geo.origin import checked_position, origin_in_wgs84, origins_in_wgs84, swapped_hint
from geo.position import InvalidCoordinate, LonLat

EDGES = [(180.0, 0.0), (-180.0, 0.0), (179.99999, 89.99999), (-179.99999, -89.99999), (0.0, 90.0)]
INSIDE = [(108.9423, 34.2610), (116.397, 39.909), (121.4737, 31.2304), (113.2644, 23.1291)]


@pytest.mark.parametrize("crs", list(CoordinateSystem))
def test_one_at_a_time_equals_all_at_once_bit_for_bit(crs: CoordinateSystem) -> None:
    lon, lat = np.array([p[0] for p in EDGES + INSIDE]), np.array([p[1] for p in EDGES + INSIDE])
    many_lon, many_lat = origins_in_wgs84(lon, lat, crs)
    for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True)):
        one = origin_in_wgs84(x, y, crs)
        assert (one.lon, one.lat) == (many_lon[i], many_lat[i])


@pytest.mark.parametrize("crs", list(CoordinateSystem))
def test_every_origin_is_a_wgs84_position(crs: CoordinateSystem) -> None:
    for x, y in EDGES:
        origin = origin_in_wgs84(x, y, crs)  # LonLat refuses anything out of range
        raw_lon, raw_lat = to_wgs84(x, y, crs)
        assert origin.lat == min(90.0, max(-90.0, float(raw_lat)))
        assert abs((origin.lon - float(raw_lon) + 540.0) % 360.0 - 180.0) < 1e-9


def test_inside_china_the_origin_is_the_plain_conversion() -> None:
    for x, y in INSIDE:
        origin = origin_in_wgs84(x, y, CoordinateSystem.GCJ02)
        lon, lat = to_wgs84(x, y, CoordinateSystem.GCJ02)
        # The wrap's arithmetic may round the last bit of a longitude (1e-14° ≈ 1 nm).
        assert origin.lat == float(lat)
        assert abs(origin.lon - float(lon)) <= 4 * np.spacing(360.0)


@pytest.mark.parametrize(
    ("lon", "lat", "hint"),
    [
        (34.2, 108.9, "lat and lon look swapped: lat=34.2, lon=108.9?"),
        (-33.87, 151.21, "lat and lon look swapped: lat=-33.87, lon=151.21?"),
        (108.9, 34.2, None),  # a position as it is
        (200.0, 108.9, None),  # no position either way
        (34.2, 95.0, "lat and lon look swapped: lat=34.2, lon=95.0?"),
        (float("nan"), 108.9, None),
        (34.2, float("inf"), None),
    ],
)
def test_a_position_valid_only_with_lat_and_lon_swapped_says_so(
    lon: float, lat: float, hint: str | None
) -> None:
    assert swapped_hint(lon, lat) == hint
    if hint is not None:
        with pytest.raises(InvalidCoordinate, match=re.escape(hint)):
            checked_position(lon, lat)
    elif lon == lon and lat == lat and abs(lon) <= 180 and abs(lat) <= 90:
        assert checked_position(lon, lat) == LonLat(lon, lat)
