"""Points as unit surface normals, and the curvature bound that makes the sphere's order usable
on the ellipsoid: the helpers the single and the batch nearest-neighbour searches share.

Along any curve on the WGS-84 ellipsoid the surface normal turns at most
``1 / MIN_CURVATURE_RADIUS_M`` radians per metre, so points at most ``d`` metres apart have
normals at most ``d / MIN_CURVATURE_RADIUS_M`` radians apart: a chord between normals longer
than ``chord_for_distance(d)`` proves the geodesic is longer than ``d``.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.geodesic import MIN_CURVATURE_RADIUS_M

#: Extra metres added to every distance before it becomes a chord, absorbing float rounding in
#: the chord → angle conversion (about 1e-16 rad, i.e. nanometres): keeps "cannot be closer"
#: strictly true.
BOUND_SLACK_M: Final = 1e-6


def unit_vectors(lon_deg: ArrayLike, lat_deg: ArrayLike) -> NDArray[np.float64]:
    """(n, 3) unit surface normals for WGS-84 geodetic (lon, lat) in degrees."""
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)


def unit_vector(lon_deg: float, lat_deg: float) -> list[float]:
    """``unit_vectors`` for one point, with the math module (a single query's hot path)."""
    lon, lat = math.radians(lon_deg), math.radians(lat_deg)
    cos_lat = math.cos(lat)
    return [cos_lat * math.cos(lon), cos_lat * math.sin(lon), math.sin(lat)]


def chord_for_distance(max_distance_m: float | None) -> float:
    """Largest chord between unit normals of points at most ``max_distance_m`` apart (slightly
    over, never under: it decides what may be skipped); None (no limit) gives inf."""
    if max_distance_m is None:
        return math.inf
    psi_rad = (max_distance_m + BOUND_SLACK_M) / MIN_CURVATURE_RADIUS_M
    if psi_rad >= math.pi:
        return math.inf
    # A little headroom so float rounding in the tree never drops a boundary point.
    return 2.0 * math.sin(psi_rad / 2.0) * (1.0 + 1e-12) + 1e-15


def chords_for(distance_m: NDArray[np.float64]) -> NDArray[np.float64]:
    """``chord_for_distance`` elementwise (inf stays inf)."""
    psi_rad = (distance_m + BOUND_SLACK_M) / MIN_CURVATURE_RADIUS_M
    half = np.minimum(psi_rad, math.pi) / 2.0  # keeps sin() away from inf
    chord = 2.0 * np.sin(half) * (1.0 + 1e-12) + 1e-15
    return np.where(psi_rad >= math.pi, np.inf, chord)


def mask_share(mask: NDArray[np.bool_] | None, mask_fraction: float | None) -> float | None:
    """The share of true values in ``mask``: ``mask_fraction`` when given, else counted; None
    without a mask (what ``first_fetch`` takes)."""
    if mask is None:
        return None
    if mask_fraction is None:
        return np.count_nonzero(mask) / max(1, mask.size)
    return mask_fraction


def first_fetch(k: int, mask_fraction: float | None) -> int:
    """Candidates to ask the tree for first. Sphere order nearly matches ellipsoid order
    (within 1 %), so k + 2 usually settle the answer; with a mask keeping a share f of the
    points about (k + 2) / f are needed, plus two standard deviations of the binomial count so
    that a second, larger query is rare (14 % of queries refetched without them)."""
    if mask_fraction is None:
        return k + 2
    share = max(mask_fraction, 1e-3)
    return math.ceil((k + 2 + 2.0 * math.sqrt(k + 2)) / share)
