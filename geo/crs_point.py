"""``geo.crs`` one point at a time, on Python floats, with the same bits as the arrays.

A rider's position is one point per request, where numpy's per-call overhead on 0-d arrays
dominates a conversion. The functions below repeat ``geo.crs``'s formulas operation for
operation on Python floats. math.sin/cos/sqrt give the same bits as numpy's on this platform,
and the two functions where numpy has its own implementation (hypot, arctan2) are numpy's here
too, so a point converted alone equals the same point converted in an array, bit for bit
(tests/geo/test_crs.py checks this over a million points).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, TypeAlias

import numpy as np

from geo.crs import (
    BD_OFFSET_LAT,
    BD_OFFSET_LON,
    BD_X_PI,
    BOX_LAT_MAX,
    BOX_LAT_MIN,
    BOX_LON_MAX,
    BOX_LON_MIN,
    KRASOVSKY_A_M,
    KRASOVSKY_E2,
    MAX_ITERATIONS,
    TOLERANCE_DEG,
    CoordinateSystem,
)

Point: TypeAlias = tuple[float, float]
_Step: TypeAlias = Callable[[float, float], Point]


def convert_point(
    lon: float, lat: float, source: CoordinateSystem, target: CoordinateSystem
) -> Point:
    """One (lon, lat) in degrees from ``source`` to ``target``, as ``convert`` would give it."""
    if source is target:
        return float(lon), float(lat)
    return _POINT_STEPS[(source, target)](float(lon), float(lat))


def _point_in_box(lon: float, lat: float) -> bool:
    return BOX_LON_MIN <= lon <= BOX_LON_MAX and BOX_LAT_MIN <= lat <= BOX_LAT_MAX


def _gcj_shift_point(lon: float, lat: float) -> Point:
    sin, pi = math.sin, math.pi
    x = lon - 105.0
    y = lat - 35.0
    shared = (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    sqrt_abs_x = math.sqrt(abs(x))
    north_m = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    north_m += shared
    north_m += (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0
    north_m += (160.0 * sin(y / 12.0 * pi) + 320.0 * sin(y * pi / 30.0)) * 2.0 / 3.0
    east_m = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    east_m += shared
    east_m += (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0
    east_m += (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * pi
    sin_lat = sin(rad_lat)
    magic = 1.0 - KRASOVSKY_E2 * (sin_lat * sin_lat)  # numpy's ** 2 is a multiplication
    sqrt_magic = math.sqrt(magic)
    meridional = (KRASOVSKY_A_M * (1.0 - KRASOVSKY_E2)) / (magic * sqrt_magic)
    d_lat = (north_m * 180.0) / (meridional * pi)
    d_lon = (east_m * 180.0) / (KRASOVSKY_A_M / sqrt_magic * math.cos(rad_lat) * pi)
    return d_lon, d_lat


def _gcj_forward_point(lon: float, lat: float) -> Point:
    d_lon, d_lat = _gcj_shift_point(lon, lat)
    return lon + d_lon, lat + d_lat


def _bd_forward_point(lon: float, lat: float) -> Point:
    z = float(np.hypot(lon, lat)) + 0.00002 * math.sin(lat * BD_X_PI)
    theta = float(np.arctan2(lat, lon)) + 0.000003 * math.cos(lon * BD_X_PI)
    return z * math.cos(theta) + BD_OFFSET_LON, z * math.sin(theta) + BD_OFFSET_LAT


def _bd_approximate_inverse_point(lon: float, lat: float) -> Point:
    x = lon - BD_OFFSET_LON
    y = lat - BD_OFFSET_LAT
    z = float(np.hypot(x, y)) - 0.00002 * math.sin(y * BD_X_PI)
    theta = float(np.arctan2(y, x)) - 0.000003 * math.cos(x * BD_X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def _invert_point(
    forward: _Step,
    target_lon: float,
    target_lat: float,
    lon: float,
    lat: float,
) -> Point:
    for _ in range(MAX_ITERATIONS):
        f_lon, f_lat = forward(lon, lat)
        r_lon = f_lon - target_lon
        r_lat = f_lat - target_lat
        if not (abs(r_lon) >= TOLERANCE_DEG or abs(r_lat) >= TOLERANCE_DEG):
            break
        lon -= r_lon
        lat -= r_lat
    return lon, lat


def _wgs84_to_gcj02_point(lon: float, lat: float) -> Point:
    if not _point_in_box(lon, lat):
        return lon, lat
    d_lon, d_lat = _gcj_shift_point(lon, lat)
    return lon + d_lon, lat + d_lat


def _gcj02_to_wgs84_point(lon: float, lat: float) -> Point:
    if not _point_in_box(lon, lat):
        return lon, lat
    return _invert_point(_gcj_forward_point, lon, lat, lon, lat)


def _bd09_to_gcj02_point(lon: float, lat: float) -> Point:
    return _invert_point(_bd_forward_point, lon, lat, *_bd_approximate_inverse_point(lon, lat))


_W, _G, _B = CoordinateSystem.WGS84, CoordinateSystem.GCJ02, CoordinateSystem.BD09
_POINT_STEPS: Final[dict[tuple[CoordinateSystem, CoordinateSystem], _Step]] = {
    (_W, _G): _wgs84_to_gcj02_point,
    (_G, _W): _gcj02_to_wgs84_point,
    (_G, _B): _bd_forward_point,
    (_B, _G): _bd09_to_gcj02_point,
    (_W, _B): lambda lon, lat: _bd_forward_point(*_wgs84_to_gcj02_point(lon, lat)),
    (_B, _W): lambda lon, lat: _gcj02_to_wgs84_point(*_bd09_to_gcj02_point(lon, lat)),
}
