"""Chinese map coordinate systems: WGS-84, GCJ-02 and BD-09, vectorised with numpy.

Every function takes longitude first, in degrees, as scalars or anything numpy broadcasts, and
returns float64 arrays of the broadcast shape (0-d for scalar input, so ``float(x)`` works). Empty
input gives empty output. NaN in gives NaN out; ranges are the caller's to validate. For one
point on Python floats (a request's), ``geo.crs_point.convert_point`` gives the same bits faster.

Forward formulas (the published reconstructions used by eviltransform, gcoord and
coordtransform):

* WGS-84 → GCJ-02: the ``transformLat``/``transformLon`` polynomials give a north and an east
  offset in metres, turned into degrees on the Krasovsky 1940 ellipsoid (a = 6378245.0 m,
  e² = 0.00669342162296594323).
* GCJ-02 → BD-09: with x_pi = π·3000/180, z = √(x² + y²) + 0.00002·sin(y·x_pi),
  θ = atan2(y, x) + 0.000003·cos(x·x_pi), BD-09 = (z·cos θ + 0.0065, z·sin θ + 0.006).

Inverses are not the published one-step approximations: each refines ``w ← w − (f(w) − g)``
until |f(w) − g| < 1e-10° in both longitude and latitude (about 1e-5 m), for at most 20 rounds
(four or five in practice); it converges throughout the rectangle below for GCJ-02 and on the
whole globe for BD-09.

Where the GCJ-02 shift applies (``in_china``): exactly where
``72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271`` (degrees, bounds inclusive; NaN is
outside). This is the rectangle of eviltransform and gcoord, not China's border: it also covers
Taiwan, the Korean peninsula, Mongolia, western Japan (Osaka, not Tokyo), Hanoi, Bangkok and
Singapore, and shifts them as those libraries do; matching them is the point. (wandergis
coordtransform uses a smaller, open box, 73.66 < lon < 135.05 and 3.86 < lat < 53.55, so it leaves
points between the two boxes unshifted.) Outside the rectangle GCJ-02 equals WGS-84.

* ``wgs84_to_gcj02`` tests the WGS-84 input; ``gcj02_to_wgs84`` tests the GCJ-02 input, as gcoord
  and eviltransform do. So within the shift (under 1 km) of the rectangle's edge a round trip can
  differ by that shift; mainland China lies more than 1° inside every edge and is unaffected.
* BD-09 has no box: ``gcj02_to_bd09`` and ``bd09_to_gcj02`` apply Baidu's formula everywhere, as
  gcoord and coordtransform do (eviltransform instead leaves out-of-box points unchanged). So each
  undoes the other (to 1e-10°) everywhere, and outside the rectangle BD-09 is WGS-84 plus Baidu's
  offset alone. WGS-84 → BD-09 is ``gcj02_to_bd09(wgs84_to_gcj02(p))``; BD-09 → WGS-84 is
  ``gcj02_to_wgs84(bd09_to_gcj02(p))``, whose box test is made on the intermediate GCJ-02 point.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Final, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray: TypeAlias = NDArray[np.float64]
LonLatArrays: TypeAlias = tuple[FloatArray, FloatArray]
_Map: TypeAlias = Callable[[FloatArray, FloatArray], LonLatArrays]
_Convert: TypeAlias = Callable[[ArrayLike, ArrayLike], LonLatArrays]


class CoordinateSystem(StrEnum):
    """The datum (real or obfuscated) a longitude/latitude pair is expressed in."""

    WGS84 = "wgs84"  # GPS, EPSG:4326
    GCJ02 = "gcj02"  # "Mars coordinates": Amap, Tencent, Apple Maps in China
    BD09 = "bd09"  # Baidu


# The published constants, shared with geo.crs_point (the same formulas on one point).
# Krasovsky 1940, the ellipsoid of the published GCJ-02 reconstruction (not WGS-84's).
KRASOVSKY_A_M: Final = 6378245.0
KRASOVSKY_E2: Final = 0.00669342162296594323

# eviltransform's and gcoord's "in China" rectangle, degrees, bounds inclusive.
BOX_LON_MIN: Final = 72.004
BOX_LON_MAX: Final = 137.8347
BOX_LAT_MIN: Final = 0.8293
BOX_LAT_MAX: Final = 55.8271

BD_X_PI: Final = np.pi * 3000.0 / 180.0
BD_OFFSET_LON: Final = 0.0065
BD_OFFSET_LAT: Final = 0.006

TOLERANCE_DEG: Final = 1e-10
MAX_ITERATIONS: Final = 20


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where the GCJ-02 shift applies: inside the rectangle in the module docstring.

    ``lon``, ``lat`` in degrees, broadcast together; NaN is outside.
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    return _in_box(lon_a, lat_a)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLatArrays:
    """WGS-84 (lon, lat) degrees to GCJ-02; unchanged where the WGS-84 point is outside the box."""
    lon_a, lat_a = _as_lonlat(lon, lat)
    inside = _in_box(lon_a, lat_a)
    d_lon, d_lat = _gcj_shift(lon_a[inside], lat_a[inside])
    lon_a[inside] += d_lon
    lat_a[inside] += d_lat
    return lon_a, lat_a


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLatArrays:
    """GCJ-02 (lon, lat) degrees to WGS-84 by iteration; unchanged where the GCJ-02 input is
    outside the box. Inside, ``wgs84_to_gcj02`` of the result is the input to within 1e-10°."""
    lon_a, lat_a = _as_lonlat(lon, lat)
    inside = _in_box(lon_a, lat_a)
    gcj_lon, gcj_lat = lon_a[inside], lat_a[inside]
    # Starting from the GCJ-02 point itself makes the first step the published one-step inverse.
    wgs_lon, wgs_lat = _invert(_gcj_forward, gcj_lon, gcj_lat, gcj_lon.copy(), gcj_lat.copy())
    lon_a[inside] = wgs_lon
    lat_a[inside] = wgs_lat
    return lon_a, lat_a


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLatArrays:
    """GCJ-02 (lon, lat) degrees to BD-09, by Baidu's formula everywhere (no box)."""
    return _bd_forward(*_as_lonlat(lon, lat))


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLatArrays:
    """BD-09 (lon, lat) degrees to GCJ-02, everywhere: the iterative inverse of
    ``gcj02_to_bd09`` (to within 1e-10°), started from Baidu's published approximate inverse."""
    bd_lon, bd_lat = _as_lonlat(lon, lat)
    flat_lon, flat_lat = bd_lon.ravel(), bd_lat.ravel()
    guess_lon, guess_lat = _bd_approximate_inverse(flat_lon, flat_lat)
    gcj_lon, gcj_lat = _invert(_bd_forward, flat_lon, flat_lat, guess_lon, guess_lat)
    return gcj_lon.reshape(bd_lon.shape), gcj_lat.reshape(bd_lat.shape)


def to_wgs84(lon: ArrayLike, lat: ArrayLike, source: CoordinateSystem) -> LonLatArrays:
    """(lon, lat) degrees in ``source`` to WGS-84."""
    return convert(lon, lat, source, CoordinateSystem.WGS84)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, target: CoordinateSystem) -> LonLatArrays:
    """WGS-84 (lon, lat) degrees to ``target``."""
    return convert(lon, lat, CoordinateSystem.WGS84, target)


def convert(
    lon: ArrayLike, lat: ArrayLike, source: CoordinateSystem, target: CoordinateSystem
) -> LonLatArrays:
    """(lon, lat) degrees from ``source`` to ``target``; a copy when they are the same.

    GCJ-02 ↔ BD-09 is direct; WGS-84 ↔ BD-09 goes through GCJ-02. Plain strings such as
    ``"gcj02"`` are accepted; an unknown name raises ``ValueError``.
    """
    source, target = CoordinateSystem(source), CoordinateSystem(target)
    if source is target:
        return _as_lonlat(lon, lat)
    return _STEPS[(source, target)](lon, lat)


def _wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLatArrays:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLatArrays:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_W, _G, _B = CoordinateSystem.WGS84, CoordinateSystem.GCJ02, CoordinateSystem.BD09
_STEPS: Final[dict[tuple[CoordinateSystem, CoordinateSystem], _Convert]] = {
    (_W, _G): wgs84_to_gcj02,
    (_G, _W): gcj02_to_wgs84,
    (_G, _B): gcj02_to_bd09,
    (_B, _G): bd09_to_gcj02,
    (_W, _B): _wgs84_to_bd09,
    (_B, _W): _bd09_to_wgs84,
}


def _as_lonlat(lon: ArrayLike, lat: ArrayLike) -> LonLatArrays:
    lon_b, lat_b = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    # Broadcast results are read-only views, possibly of the caller's array: we write to copies.
    return lon_b.copy(), lat_b.copy()


def _in_box(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    return (lon >= BOX_LON_MIN) & (lon <= BOX_LON_MAX) & (lat >= BOX_LAT_MIN) & (lat <= BOX_LAT_MAX)


def _gcj_shift(lon: FloatArray, lat: FloatArray) -> LonLatArrays:
    """The GCJ-02 offset (Δlon, Δlat) in degrees at WGS-84 (lon, lat), ignoring the box."""
    x = lon - 105.0
    y = lat - 35.0
    shared = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    north_m = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    north_m += shared
    north_m += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    north_m += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    east_m = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    east_m += shared
    east_m += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    east_m += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0

    # Metres to degrees through the Krasovsky radii of curvature: meridional M = a(1-e²)/w³
    # and prime-vertical N = a/w, with w = √(1 - e² sin²φ). Written as the references write it.
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - KRASOVSKY_E2 * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    meridional = (KRASOVSKY_A_M * (1.0 - KRASOVSKY_E2)) / (magic * sqrt_magic)
    d_lat = (north_m * 180.0) / (meridional * np.pi)
    d_lon = (east_m * 180.0) / (KRASOVSKY_A_M / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def _gcj_forward(lon: FloatArray, lat: FloatArray) -> LonLatArrays:
    # No box test: the iteration must see one smooth map, even for iterates beside an edge.
    d_lon, d_lat = _gcj_shift(lon, lat)
    return lon + d_lon, lat + d_lat


def _bd_forward(lon: FloatArray, lat: FloatArray) -> LonLatArrays:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * BD_X_PI)
    return z * np.cos(theta) + BD_OFFSET_LON, z * np.sin(theta) + BD_OFFSET_LAT


def _bd_approximate_inverse(lon: FloatArray, lat: FloatArray) -> LonLatArrays:
    # Baidu's published inverse: off by up to 4e-6° (0.4 m), so only a starting point.
    x = lon - BD_OFFSET_LON
    y = lat - BD_OFFSET_LAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: _Map, target_lon: FloatArray, target_lat: FloatArray, lon: FloatArray, lat: FloatArray
) -> LonLatArrays:
    """Refine the 1-d guess (lon, lat) in place until forward(lon, lat) = target, per point.

    Newton's step with the Jacobian taken as the identity: both forward maps are the identity
    plus a shift whose derivative is a few hundredths at most, so each round shrinks the error
    by a factor of about 100 (measured: 150 for GCJ-02, 80 for BD-09). Converged points drop
    out, so a few slow points do not cost the rest another round.
    """
    active = np.arange(target_lon.size)
    for _ in range(MAX_ITERATIONS):
        f_lon, f_lat = forward(lon[active], lat[active])
        r_lon = f_lon - target_lon[active]
        r_lat = f_lat - target_lat[active]
        # NaN fails both comparisons, so NaN input leaves at once instead of iterating.
        pending = (np.abs(r_lon) >= TOLERANCE_DEG) | (np.abs(r_lat) >= TOLERANCE_DEG)
        active = active[pending]
        if active.size == 0:
            break
        lon[active] -= r_lon[pending]
        lat[active] -= r_lat[pending]
    return lon, lat
