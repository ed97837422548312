"""Geodesic distance and initial bearing on the WGS-84 ellipsoid.

Both come from pyproj's ``Geod``, which wraps GeographicLib's C implementation (Karney 2013):
distances are accurate to a few nanometres anywhere on Earth, antipodes included.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

WGS84: Final = Geod(ellps="WGS84")

#: WGS-84 semi-major axis and first eccentricity squared.
_A_M: Final = 6378137.0
_E2: Final = WGS84.es

#: The smallest radius of curvature on the WGS-84 ellipsoid: the meridional radius at the
#: equator, a(1 - e²). The surface normal turns by at most ds / MIN_CURVATURE_RADIUS_M per metre
#: travelled, so a geodesic of length s joins points whose normals are at most
#: s / MIN_CURVATURE_RADIUS_M radians apart. The nearest-neighbour index relies on this bound.
MIN_CURVATURE_RADIUS_M: Final = _A_M * (1.0 - _E2)


def distance_bearing(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float]:
    """Geodesic distance (metres) and initial bearing (degrees clockwise from north, [0, 360))
    from point 1 to point 2, both (lon, lat) in WGS-84 degrees. Coincident points: (0.0, 0.0)."""
    azimuth_deg, _back, distance_m = WGS84.inv(lon1, lat1, lon2, lat2)
    return float(distance_m), compass_bearing_deg(float(azimuth_deg), float(distance_m))


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance in metres between two WGS-84 (lon, lat) points in degrees."""
    return float(WGS84.inv(lon1, lat1, lon2, lat2)[2])


def distances_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """Vectorised geodesic distances in metres; arguments broadcast like numpy arrays."""
    b = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (lon1, lat1, lon2, lat2)))
    shape = b[0].shape
    if b[0].size == 0:
        return np.zeros(shape)
    lon1_a, lat1_a, lon2_a, lat2_a = (np.ascontiguousarray(v).ravel() for v in b)
    _f, _b, dist = WGS84.inv(lon1_a, lat1_a, lon2_a, lat2_a)
    return np.asarray(dist, dtype=np.float64).reshape(shape)


def compass_bearing_deg(azimuth_deg: float, distance_m: float) -> float:
    """A GeographicLib azimuth (-180, 180] as a compass bearing in [0, 360); 0 for coincident
    points, which have no direction."""
    if distance_m == 0.0:
        return 0.0  # no direction between coincident points; 0 keeps the field a number
    bearing = azimuth_deg % 360.0
    return 0.0 if bearing == 360.0 else bearing
