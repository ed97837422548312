"""Many k-nearest queries at once, vectorised, with exactly the scalar answer for every point.

For a chunk of query points: one k-d tree query fetches the first ``c`` candidates of every
point by chord between unit normals (``c`` as the scalar path's first batch); exact geodesic
distances (GeographicLib via pyproj, on flat arrays) are computed for the first k eligible
candidates of each point, whose farthest bounds the k-th best distance, and then only for the
candidates the curvature bound cannot rule out; each row is ranked by (distance, position).
Chunks run in a thread per CPU: pykdtree, pyproj and numpy's large loops release the GIL.

A row is *proven* when nothing outside its fetched candidates can enter its answer: the tree ran
out of points within the distance limit (or every point was fetched), or the row has k hits and
its farthest fetched chord already exceeds the chord any point within the k-th distance can
have (the bound of ``geo.nearest_scalar``). Unproven rows are fetched again with four times the
candidates, as the scalar path refetches, up to three fetches in all; the rows still unproven
then (measured: none of a million riders in China; riders thousands of kilometres from every
station, where all stations are within the bound's 1 % of each other) are answered by the scalar
``NearestIndex.nearest``. So the result is the scalar result, row for row, ties by position.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.geodesic import WGS84
from geo.nearest_scalar import ScalarIndex
from geo.sphere import chord_for_distance, chords_for, first_fetch, mask_share, unit_vectors

#: Query points per chunk: bounds memory (a few tens of MB at k=1) while keeping numpy calls
#: large enough that their per-call overhead is noise.
CHUNK_POINTS: Final = 65_536
#: Candidates (points × fetch) held at once; a selective mask fetches hundreds per point.
_MAX_CELLS: Final = 1 << 22
#: Rows left unproven are fetched again with this many times the candidates (as the scalar
#: path refetches), at most ``_ROUNDS`` fetches in all, before the scalar path takes them.
_REFETCH: Final = 4
_ROUNDS: Final = 3

FloatArray = NDArray[np.float64]
Progress = Callable[[int], None]


class Neighbours(NamedTuple):
    """The k nearest of each query point, row i for point i, nearest first, ties by position."""

    positions: NDArray[np.int64]  # (n, k) index positions; -1 where fewer than k qualify
    distances_m: FloatArray  # (n, k) geodesic metres, WGS-84 ellipsoid; NaN where missing
    bearings_deg: FloatArray  # (n, k) initial bearing, clockwise from north, [0, 360); NaN
    fallbacks: int  # rows the vectorised pass could not prove, answered by the scalar path

    @classmethod
    def missing(cls, n: int, k: int) -> Neighbours:
        """n rows with none of their k neighbours found yet (k < 1: no columns)."""
        width = max(k, 0)
        return cls(
            np.full((n, width), -1, dtype=np.int64),
            np.full((n, width), np.nan),
            np.full((n, width), np.nan),
            0,
        )

    def put(self, row: int, found: Iterable[tuple[int, float, float]]) -> None:
        """Write ``found`` (position, metres, bearing per neighbour, nearest first) into
        ``row``, as ``ScalarIndex.nearest``'s hits are laid out."""
        for rank, (position, distance_m, bearing_deg) in enumerate(found):
            self.positions[row, rank] = position
            self.distances_m[row, rank] = distance_m
            self.bearings_deg[row, rank] = bearing_deg


def nearest_many(
    index: ScalarIndex,
    lon_deg: ArrayLike,
    lat_deg: ArrayLike,
    k: int,
    *,
    mask: NDArray[np.bool_] | None = None,
    mask_fraction: float | None = None,
    max_distance_m: float | None = None,
    chunk_points: int = CHUNK_POINTS,
    progress: Progress | None = None,
) -> Neighbours:
    """``index.nearest`` for every (lon, lat) pair (WGS-84 degrees, 1-d arrays of equal
    length), as (n, k) arrays. ``mask``, ``mask_fraction`` and ``max_distance_m`` mean what they
    mean for ``nearest``. ``progress`` is called with the number of points finished after each
    chunk. k < 1 gives (n, 0) arrays; an empty index gives all rows empty. Raises ValueError
    for a point that is not a WGS-84 position (out of range, NaN, ±inf)."""
    lon, lat = _query_points(lon_deg, lat_deg)
    n = lon.size
    if k < 1 or len(index) == 0:
        if progress is not None and n:
            progress(n)
        return Neighbours.missing(n, k)
    if mask is not None:
        mask = np.asarray(mask, dtype=np.bool_)  # the scalar path reads it by truth value
    batch = _Batch(index, lon, lat, k, mask, mask_share(mask, mask_fraction), max_distance_m)
    chunk = max(1, chunk_points)
    starts = range(0, n, chunk)
    fallbacks = 0
    # Chunks run in threads (the tree query, the geodesics and numpy's big loops release the
    # GIL) and write disjoint rows of the result; the scalar fallback and progress stay here.
    with ThreadPoolExecutor(max(1, min(_cpus(), len(starts)))) as pool:
        settled = pool.map(lambda start: batch.settle(range(start, min(n, start + chunk))), starts)
        for start, rows in zip(starts, settled, strict=True):
            batch.fall_back(rows)
            fallbacks += int(rows.size)
            if progress is not None:
                progress(min(n, start + chunk) - start)
    return batch.result._replace(fallbacks=fallbacks)


class _Batch:
    """One ``nearest_many`` call: its query points and options, and the rows answered so far."""

    def __init__(
        self,
        index: ScalarIndex,
        lon: FloatArray,
        lat: FloatArray,
        k: int,
        mask: NDArray[np.bool_] | None,
        mask_fraction: float | None,
        max_distance_m: float | None,
    ) -> None:
        self.index, self.lon, self.lat, self.k = index, lon, lat, k
        self.mask, self.mask_fraction, self.max_distance_m = mask, mask_fraction, max_distance_m
        self.first = min(first_fetch(k, mask_fraction), len(index))
        self.result = Neighbours.missing(lon.size, k)

    def settle(self, chunk: range) -> NDArray[np.intp]:
        """Answer the chunk's provable rows into ``result``; return the others."""
        rows = np.arange(chunk.start, chunk.stop)
        fetch = self.first
        for _round in range(_ROUNDS):
            step = max(1, _MAX_CELLS // fetch)
            parts = [self._vectorised(rows[i : i + step], fetch) for i in range(0, rows.size, step)]
            rows = np.concatenate(parts) if parts else rows
            if rows.size == 0 or fetch >= len(self.index):
                break
            fetch = min(fetch * _REFETCH, len(self.index))
        return rows

    def fall_back(self, rows: NDArray[np.intp]) -> None:
        """Answer ``rows`` by the scalar path."""
        for i in rows.tolist():
            hits = self.index.nearest(
                float(self.lon[i]),
                float(self.lat[i]),
                self.k,
                mask=self.mask,
                mask_fraction=self.mask_fraction,
                max_distance_m=self.max_distance_m,
            )
            self.result.put(i, hits)

    def _vectorised(self, rows: NDArray[np.intp], fetch: int) -> NDArray[np.intp]:
        """Answer the ``rows`` it can prove into ``result`` from ``fetch`` candidates each;
        return the others."""
        index, k, out = self.index, self.k, self.result
        lon, lat = self.lon[rows], self.lat[rows]
        c = _Candidates.fetch(index, lon, lat, k, fetch, self.mask, self.max_distance_m)
        width = min(k, fetch)
        order = np.lexsort((c.original, c.dist), axis=1)[:, :width]
        top_dist = np.take_along_axis(c.dist, order, axis=1)
        hit = np.isfinite(top_dist)
        # Proven: every point within the limit was fetched (the tree padded the row, or there
        # is nothing left), or nothing unfetched can be as near as the k-th hit.
        complete = np.full(rows.size, fetch >= len(index)) | c.padded
        if width == k:
            kth = np.where(hit[:, -1], top_dist[:, -1], np.inf)
            complete |= hit[:, -1] & (c.last_chord > chords_for(kth))
        done = np.flatnonzero(complete)
        hit, top_dist, order = hit[done], top_dist[done], order[done]
        top_az = np.take_along_axis(c.azimuth[done], order, axis=1)
        top_pos = np.take_along_axis(c.original[done], order, axis=1)
        out.positions[rows[done], :width] = np.where(hit, top_pos, -1)
        out.distances_m[rows[done], :width] = np.where(hit, top_dist, np.nan)
        out.bearings_deg[rows[done], :width] = np.where(hit, _compass(top_az, top_dist), np.nan)
        return rows[~complete]


def _cpus() -> int:
    """CPUs this process may run on (its affinity, where the platform tells)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _query_points(lon_deg: ArrayLike, lat_deg: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon = np.ascontiguousarray(lon_deg, dtype=np.float64)
    lat = np.ascontiguousarray(lat_deg, dtype=np.float64)
    if lon.shape != lat.shape or lon.ndim != 1:
        raise ValueError("lon and lat must be 1-d arrays of equal length")
    # NaN fails both comparisons, so this rejects NaN too.
    bad = ~((np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"point {i} is not a WGS-84 position: lon={lon[i]!r}, lat={lat[i]!r}")
    return lon, lat


class _Candidates(NamedTuple):
    """A row per query point, a column per fetched candidate (nearest chord first)."""

    original: NDArray[np.int64]  # position in the index's answer numbering
    dist: FloatArray  # exact metres; inf where ineligible, ruled out or beyond the limit
    azimuth: FloatArray  # GeographicLib azimuth where measured
    padded: NDArray[np.bool_]  # per row: the tree ran out of points within the limit
    last_chord: FloatArray  # per row: chord of the farthest fetched candidate

    @classmethod
    def fetch(
        cls,
        index: ScalarIndex,
        lon: FloatArray,
        lat: FloatArray,
        k: int,
        fetch: int,
        mask: NDArray[np.bool_] | None,
        max_distance_m: float | None,
    ) -> _Candidates:
        size, m = len(index), lon.size
        chords, found = index.query_chords(
            unit_vectors(lon, lat), fetch, chord_for_distance(max_distance_m)
        )
        chords = chords.reshape(m, fetch)
        found = found.reshape(m, fetch).astype(np.int64)
        valid = found < size  # the tree pads with position ``size`` past the distance limit
        safe = np.where(valid, found, 0)
        eligible = valid if mask is None else valid & mask[safe]
        dist = np.full((m, fetch), np.inf)
        azimuth = np.zeros((m, fetch))
        # The first k eligible candidates are k real points, so the k-th best distance is at
        # most their farthest; a later candidate whose chord rules that distance out is never
        # measured (the scalar loop stops there).
        rank = np.cumsum(eligible, axis=1)
        first = eligible & (rank <= k)
        _measure(index, first, lon, lat, safe, dist, azimuth)
        bound = np.where(first, dist, -np.inf).max(axis=1)
        bound[rank[:, -1] < k] = np.inf
        later = eligible & ~first & (chords <= chords_for(bound)[:, None])
        _measure(index, later, lon, lat, safe, dist, azimuth)
        if max_distance_m is not None:
            dist[dist > max_distance_m] = np.inf
        positions = index.answer_positions
        original = safe if positions is None else positions[safe]
        return cls(original, dist, azimuth, ~valid[:, -1], chords[:, -1])


def _measure(
    index: ScalarIndex,
    cells: NDArray[np.bool_],
    lon: FloatArray,
    lat: FloatArray,
    found: NDArray[np.int64],
    dist: FloatArray,
    azimuth: FloatArray,
) -> None:
    """Exact distance and azimuth from each row's query point to the candidate in each chosen
    cell, written into ``dist`` and ``azimuth``."""
    row, col = np.nonzero(cells)
    if row.size == 0:
        return
    pos = found[row, col]
    az, d = _inverse(lon[row], lat[row], index.lon_deg[pos], index.lat_deg[pos])
    dist[row, col] = d
    azimuth[row, col] = az


def _inverse(
    lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(azimuth_deg, distance_m) by GeographicLib's C inverse: the very call the scalar path
    makes, so equal inputs give equal bits."""
    az, _back, d = WGS84.inv(lon1, lat1, lon2, lat2)
    return np.asarray(az), np.asarray(d)


def _compass(azimuth_deg: FloatArray, distance_m: FloatArray) -> FloatArray:
    """``geo.geodesic.compass_bearing_deg`` elementwise; numpy's float remainder follows
    Python's (the sign of the divisor), so the bits match."""
    bearing = np.remainder(azimuth_deg, 360.0)
    bearing[bearing == 360.0] = 0.0
    bearing[distance_m == 0.0] = 0.0  # no direction between coincident points
    return bearing
