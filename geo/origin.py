"""A searcher's position, given in any coordinate system, as the WGS-84 origin of a search."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.crs import CoordinateSystem, to_wgs84
from geo.crs_point import convert_point
from geo.position import LonLat


def origin_in_wgs84(lon: float, lat: float, crs: CoordinateSystem) -> LonLat:
    """(lon, lat) degrees in ``crs`` as a WGS-84 position. A GCJ-02/BD-09 offset can push an
    edge position a few metres past ±180° or ±90°: the longitude is wrapped into [-180, 180)
    and the latitude clamped (the offset is metres; the pole is the pole). Bit for bit what
    ``origins_in_wgs84`` gives for the same point. Raises InvalidCoordinate for NaN or ±inf."""
    # convert_point: bit-identical to the array conversion, and far cheaper for one point.
    wgs_lon, wgs_lat = convert_point(lon, lat, crs, CoordinateSystem.WGS84)
    return LonLat((wgs_lon + 180.0) % 360.0 - 180.0, min(90.0, max(-90.0, wgs_lat)))


def origins_in_wgs84(
    lon: ArrayLike, lat: ArrayLike, crs: CoordinateSystem
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``origin_in_wgs84`` for 1-d arrays of positions, as (lon, lat) arrays; values are not
    range-checked here (the nearest search refuses a non-position, naming it)."""
    wgs_lon, wgs_lat = to_wgs84(lon, lat, crs)
    wrapped = (np.atleast_1d(wgs_lon) + 180.0) % 360.0 - 180.0
    return wrapped, np.clip(np.atleast_1d(wgs_lat), -90.0, 90.0)
