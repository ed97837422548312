"""A searcher's position, given in any coordinate system, as the WGS-84 origin of a search."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.crs import CoordinateSystem, to_wgs84
from geo.crs_point import convert_point
from geo.position import InvalidCoordinate, LonLat


def swapped_hint(lon: float, lat: float) -> str | None:
    """What to tell someone whose (lon, lat) degrees is no position while (lat, lon) is one —
    the usual mistake with China's coordinates, whose longitudes (73–135) are all beyond any
    latitude: "lat and lon look swapped: lat=34.2, lon=108.9?". None otherwise (NaN and ±inf
    included)."""
    if _is_position(lon, lat) or not _is_position(lat, lon):
        return None
    return f"lat and lon look swapped: lat={lon!r}, lon={lat!r}?"


def checked_position(lon: float, lat: float) -> LonLat:
    """``LonLat(lon, lat)``; the InvalidCoordinate it raises says so when the two look
    swapped."""
    hint = swapped_hint(lon, lat)
    if hint is not None:
        raise InvalidCoordinate(f"not a position: lon={lon!r}, lat={lat!r}; {hint}")
    return LonLat(lon, lat)


def _is_position(lon: float, lat: float) -> bool:
    # NaN fails both comparisons.
    return -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0


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
