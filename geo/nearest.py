"""k-nearest points on the WGS-84 ellipsoid: a k-d tree over surface normals, exact re-rank.

Candidates come from a k-d tree (``pykdtree``) over the unit surface-normal vectors of the
points (geodetic latitude/longitude mapped onto the unit sphere). Measured on this machine for
k=7 among 1,000,000 points: pykdtree ~4 µs per query, ``scipy.spatial.cKDTree`` 15-18 µs (its
per-call overhead dominates), a haversine BallTree ~630 µs, geopandas ``sjoin_nearest`` ~4 ms.
Sphere order is not ellipsoid order, so every candidate that could still belong to the answer
is re-ranked by its exact geodesic distance (GeographicLib via pyproj).

Why the re-rank is exact: along any curve on the ellipsoid the surface normal turns at most
``1 / MIN_CURVATURE_RADIUS_M`` radians per metre, so a point whose normal is ψ radians away from
the origin's lies at least ``ψ · MIN_CURVATURE_RADIUS_M`` metres away. Candidates arrive in
increasing ψ; once that lower bound exceeds the k-th best exact distance, no later candidate can
enter the answer. Ties in distance are broken by position (index into the input arrays).
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

# pykdtree runs every query on an OpenMP team. For one rider's query that is pure overhead, and
# on a busy 2-core server the team's idle thread spins: measured 8 µs per query alone, 0.4-8 ms
# while other processes ran (bench/national.py, bench/http_load.py). One thread per query
# unless the operator sets OMP_NUM_THREADS; batch matching parallelises over chunks itself.
# Must happen before pykdtree loads its (vendored, private) libgomp.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pykdtree.kdtree import KDTree

from geo.geodesic import MIN_CURVATURE_RADIUS_M, WGS84, compass_bearing_deg

if TYPE_CHECKING:
    from geo.nearest_batch import Neighbours

#: Extra metres subtracted from the lower bound to absorb float rounding in the chord → angle
#: conversion (about 1e-16 rad, i.e. nanometres); keeps "cannot be closer" strictly true.
_BOUND_SLACK_M: Final = 1e-6


class Hit(NamedTuple):
    position: int  # index into the arrays the index was built from
    distance_m: float  # geodesic, WGS-84 ellipsoid
    bearing_deg: float  # initial bearing from the query point, clockwise from north, [0, 360)


def unit_vectors(lon_deg: ArrayLike, lat_deg: ArrayLike) -> NDArray[np.float64]:
    """(n, 3) unit surface normals for WGS-84 geodetic (lon, lat) in degrees."""
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)


class NearestIndex:
    """k-nearest over points on the ellipsoid; exact geodesic distance on the candidates.

    Built once from parallel arrays of longitudes and latitudes (WGS-84 degrees); answers with
    positions into those arrays. Immutable after construction, so it is safe to share between
    threads. An empty index answers every query with an empty list.
    """

    def __init__(
        self,
        lon_deg: ArrayLike,
        lat_deg: ArrayLike,
        *,
        positions: NDArray[np.int64] | None = None,
    ) -> None:
        self._lon = np.ascontiguousarray(lon_deg, dtype=np.float64)
        self._lat = np.ascontiguousarray(lat_deg, dtype=np.float64)
        if self._lon.shape != self._lat.shape or self._lon.ndim != 1:
            raise ValueError("lon and lat must be 1-d arrays of equal length")
        if self._lon.size and not (
            np.all(np.abs(self._lat) <= 90.0) and np.all(np.abs(self._lon) <= 180.0)
        ):
            raise ValueError("every point must be a WGS-84 position (|lat| ≤ 90, |lon| ≤ 180)")
        self._size = int(self._lon.size)
        self._tree = KDTree(unit_vectors(self._lon, self._lat)) if self._size else None
        # Python floats: the scalar geodesic call is ~1.5 µs with them, ~30 µs with arrays.
        self._lon_list: list[float] = self._lon.tolist()
        self._lat_list: list[float] = self._lat.tolist()
        # A restricted index answers in the positions of the index it was cut from.
        self._positions: list[int] | None = None if positions is None else positions.tolist()
        # The same as an array, for the batch path (geo.nearest_batch) to map whole rows at once.
        self._position_array: NDArray[np.int64] | None = (
            None if positions is None else np.asarray(positions, dtype=np.int64)
        )

    def __len__(self) -> int:
        return self._size

    def restricted(self, mask: NDArray[np.bool_]) -> NearestIndex:
        """An index over only the points where ``mask`` is true, answering with positions of
        this index. Worth building for a selective mask that is queried often."""
        keep = np.flatnonzero(mask)
        original = keep if self._positions is None else np.asarray(self._positions)[keep]
        return NearestIndex(self._lon[keep], self._lat[keep], positions=original)

    def nearest(
        self,
        lon_deg: float,
        lat_deg: float,
        k: int,
        *,
        mask: NDArray[np.bool_] | None = None,
        mask_fraction: float | None = None,
        max_distance_m: float | None = None,
        accept: Callable[[int], bool] | None = None,
    ) -> list[Hit]:
        """The k nearest points to (lon, lat) (fewer if fewer qualify), nearest first, ties by
        position.

        ``mask`` (bool per point) and ``accept`` (called with a position, only for points that
        would otherwise enter the answer, nearest first) both exclude points; ``mask_fraction``
        (the share of true values in ``mask``, counted if not given) sizes the first candidate
        batch. ``max_distance_m`` keeps points at most that many metres away (inclusive).
        Distances are geodesic metres on the WGS-84 ellipsoid.
        """
        if k < 1 or self._tree is None:
            return []
        origin = np.array([_unit_vector(lon_deg, lat_deg)])
        chord_limit = _chord_for_distance(max_distance_m)
        if mask is not None and mask_fraction is None:
            mask_fraction = np.count_nonzero(mask) / max(1, mask.size)
        best: list[tuple[float, int, float]] = []  # sorted (distance_m, position, azimuth)
        done: set[int] | None = None  # positions already considered, once a batch is refetched
        # Candidates whose chord exceeds stop_chord lie, by the curvature bound, farther than the
        # k-th best distance so far: nothing after them can enter the answer.
        stop_chord = math.inf
        lon_list, lat_list, positions, size = (
            self._lon_list,
            self._lat_list,
            self._positions,
            self._size,
        )
        inverse = WGS84.inv
        fetch = _first_fetch(k, mask_fraction if mask is not None else None)
        while True:
            fetch = min(fetch, size)
            chords, found = self._tree.query(origin, k=fetch, distance_upper_bound=chord_limit)
            chord_list: list[float] = chords.reshape(-1).tolist()
            pos_list: list[int] = found.reshape(-1).tolist()
            # One loop, no calls but the geodesic: it runs ~10 times per query on the hot path.
            for chord, pos in zip(chord_list, pos_list, strict=True):
                if chord > stop_chord:
                    return self._hits(best)
                if pos == size:  # the tree's "no more points within the limit"
                    return self._hits(best)
                # A larger query may list points at equal chord in another order, so a refetch
                # skips what was considered by position, not by rank.
                if (done is not None and pos in done) or (mask is not None and not mask[pos]):
                    continue
                azimuth, _back, distance = inverse(lon_deg, lat_deg, lon_list[pos], lat_list[pos])
                if max_distance_m is not None and distance > max_distance_m:
                    continue
                original = pos if positions is None else positions[pos]
                if len(best) == k and (distance, original) >= best[-1][:2]:
                    continue
                if accept is not None and not accept(original):
                    continue
                bisect.insort(best, (distance, original, azimuth))
                if len(best) > k:
                    best.pop()
                if len(best) == k:
                    stop_chord = _chord_for_distance(best[-1][0])
            if fetch >= size:
                return self._hits(best)
            done = set(pos_list) if done is None else done.union(pos_list)
            fetch *= 4

    def nearest_many(
        self,
        lon_deg: ArrayLike,
        lat_deg: ArrayLike,
        k: int,
        *,
        mask: NDArray[np.bool_] | None = None,
        mask_fraction: float | None = None,
        max_distance_m: float | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Neighbours:
        """``nearest`` for many points at once (1-d arrays of WGS-84 degrees), vectorised, with
        the same answer row for row: (n, k) arrays of positions (-1 where missing), geodesic
        metres and bearings (NaN where missing). See ``geo.nearest_batch.nearest_many``."""
        # Imported here: the batch module builds on this one.
        from geo.nearest_batch import nearest_many

        return nearest_many(
            self,
            lon_deg,
            lat_deg,
            k,
            mask=mask,
            mask_fraction=mask_fraction,
            max_distance_m=max_distance_m,
            progress=progress,
        )

    def _hits(self, best: list[tuple[float, int, float]]) -> list[Hit]:
        return [
            Hit(position=pos, distance_m=dist, bearing_deg=compass_bearing_deg(azimuth, dist))
            for dist, pos, azimuth in best
        ]


def _first_fetch(k: int, mask_fraction: float | None) -> int:
    """Candidates to ask the tree for first. Sphere order nearly matches ellipsoid order
    (within 1 %), so k + 2 usually settle the answer; with a mask keeping a share f of the
    points about (k + 2) / f are needed, plus two standard deviations of the binomial count so
    that a second, larger query is rare (measured: 14 % of queries refetched without it)."""
    if mask_fraction is None:
        return k + 2
    share = max(mask_fraction, 1e-3)
    return math.ceil((k + 2 + 2.0 * math.sqrt(k + 2)) / share)


def _unit_vector(lon_deg: float, lat_deg: float) -> list[float]:
    # math on one point is ~20x faster than the numpy path for a single query.
    lon, lat = math.radians(lon_deg), math.radians(lat_deg)
    cos_lat = math.cos(lat)
    return [cos_lat * math.cos(lon), cos_lat * math.sin(lon), math.sin(lat)]


def _chord_for_distance(max_distance_m: float | None) -> float:
    """Largest chord between unit normals of points at most ``max_distance_m`` apart (slightly
    over, never under: it decides what may be skipped)."""
    if max_distance_m is None:
        return math.inf
    psi_rad = (max_distance_m + _BOUND_SLACK_M) / MIN_CURVATURE_RADIUS_M
    if psi_rad >= math.pi:
        return math.inf
    # A little headroom so float rounding in the tree never drops a boundary point.
    return 2.0 * math.sin(psi_rad / 2.0) * (1.0 + 1e-12) + 1e-15
