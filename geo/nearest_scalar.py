"""k-nearest points on the WGS-84 ellipsoid for one query point: a k-d tree over surface normals,
exact re-rank. ``geo.nearest.NearestIndex`` is this index with the batch form added
(``geo.nearest_batch``, which works on this class).

Candidates come from a k-d tree (``pykdtree``, chosen over scipy's cKDTree for its per-call
overhead: bench/nearest.py) over the unit surface-normal vectors of the points (geodetic
latitude/longitude mapped onto the unit sphere). Sphere order is not ellipsoid order, so every
candidate that could still belong to the answer is re-ranked by its exact geodesic distance
(GeographicLib via pyproj).

Why the re-rank is exact: a point whose normal is ψ radians away from the origin's lies at least
``ψ · MIN_CURVATURE_RADIUS_M`` metres away (``geo.sphere``). Candidates arrive in increasing ψ;
once that lower bound exceeds the k-th best exact distance, no later candidate can enter the
answer. Ties in distance are broken by position (index into the input arrays).
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import Callable, Sequence
from typing import NamedTuple, Self, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

# pykdtree runs every query on an OpenMP team. For one rider's query that is pure overhead, and
# on a busy server the team's idle thread spins (bench/national.py, bench/http_load.py). One
# thread per query unless the operator sets OMP_NUM_THREADS; batch matching parallelises over
# chunks itself. Must happen before pykdtree loads its (vendored, private) libgomp.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pykdtree.kdtree import KDTree

from geo.geodesic import WGS84, compass_bearing_deg
from geo.sphere import chord_for_distance, first_fetch, mask_share, unit_vector, unit_vectors


class Hit(NamedTuple):
    position: int  # index into the arrays the index was built from
    distance_m: float  # geodesic, WGS-84 ellipsoid
    bearing_deg: float  # initial bearing from the query point, clockwise from north, [0, 360)


class ScalarIndex:
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
        # Indexing a memoryview gives a Python float (or int), which pyproj's scalar geodesic
        # call takes much faster than a numpy scalar, without a list of boxed numbers beside the
        # arrays (32 more bytes per point and coordinate; tens of MiB in a serving process).
        self._lon_view = cast(Sequence[float], self._lon.data)
        self._lat_view = cast(Sequence[float], self._lat.data)
        # A restricted index answers in the positions of the index it was cut from.
        self._position_array: NDArray[np.int64] | None = (
            None if positions is None else np.ascontiguousarray(positions, dtype=np.int64)
        )
        self._positions = (
            None if self._position_array is None else cast(Sequence[int], self._position_array.data)
        )

    def __len__(self) -> int:
        return self._size

    @property
    def lon_deg(self) -> NDArray[np.float64]:
        """The points' longitudes (read-only by contract: the index is immutable)."""
        return self._lon

    @property
    def lat_deg(self) -> NDArray[np.float64]:
        """The points' latitudes (read-only by contract: the index is immutable)."""
        return self._lat

    @property
    def answer_positions(self) -> NDArray[np.int64] | None:
        """For an index cut by ``restricted``, each point's position in the index it was cut
        from (what answers name); None when answers name this index's own positions."""
        return self._position_array

    def query_chords(
        self, normals: NDArray[np.float64], k: int, max_chord: float
    ) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
        """The tree's k nearest points by chord to each unit normal, (m, k) chords and
        positions; past ``max_chord`` a row is padded with inf and position ``len(self)``."""
        assert self._tree is not None, "an empty index has no tree to query"
        chords, found = self._tree.query(normals, k=k, distance_upper_bound=max_chord)
        return chords, found

    def restricted(self, mask: NDArray[np.bool_]) -> Self:
        """An index (of this class) over only the points where ``mask`` is true, answering with
        positions of this index. Worth building for a selective mask that is queried often."""
        keep = np.flatnonzero(mask)
        original = keep if self._position_array is None else self._position_array[keep]
        return type(self)(self._lon[keep], self._lat[keep], positions=original)

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
        admit: Callable[[list[int]], list[bool]] | None = None,
        admit_share: float | None = None,
    ) -> list[Hit]:
        """The k nearest points to (lon, lat) (fewer if fewer qualify), nearest first, ties by
        position.

        ``mask`` (bool per point), ``accept`` (called with a position, only for points that
        would otherwise enter the answer, nearest first) and ``admit`` (called once per batch
        of candidates with their positions, answering a bool each, before any geodesic is
        computed for them) all exclude points; ``mask_fraction`` (the share of true values in
        ``mask``, counted if not given) and ``admit_share`` (about what share of points
        ``admit`` lets through) size the first candidate batch. ``max_distance_m`` keeps points
        at most that many metres away (inclusive). Distances are geodesic metres on the WGS-84
        ellipsoid.
        """
        if k < 1 or self._tree is None:
            return []
        # One function on purpose (the hot path): the search's state is these locals, read on
        # every candidate; the index is shared between threads, so it cannot hold them.
        origin = np.array([unit_vector(lon_deg, lat_deg)])
        chord_limit = chord_for_distance(max_distance_m)
        best: list[tuple[float, int, float]] = []  # sorted (distance_m, position, azimuth)
        done: set[int] | None = None  # positions already considered, once a batch is refetched
        # Candidates whose chord exceeds stop_chord lie, by the curvature bound, farther than the
        # k-th best distance so far: nothing after them can enter the answer.
        stop_chord = math.inf
        lon_view, lat_view, positions = self._lon_view, self._lat_view, self._positions
        size, inverse = self._size, WGS84.inv
        share = mask_share(mask, mask_fraction)
        if admit is not None and admit_share is not None:
            share = admit_share if share is None else share * admit_share
        fetch = first_fetch(k, share)
        while True:
            fetch = min(fetch, size)
            chords, found = self._tree.query(origin, k=fetch, distance_upper_bound=chord_limit)
            chord_list: list[float] = chords.reshape(-1).tolist()
            pos_list: list[int] = found.reshape(-1).tolist()
            admitted = None if admit is None else self._admitted(pos_list, admit)
            # One loop, no calls but the geodesic: it runs ~10 times per query on the hot path.
            for i, (chord, pos) in enumerate(zip(chord_list, pos_list, strict=True)):
                if chord > stop_chord:
                    return self._hits(best)
                if pos == size:  # the tree's "no more points within the limit"
                    return self._hits(best)
                # A larger query may list points at equal chord in another order, so a refetch
                # skips what was considered by position, not by rank.
                if (done is not None and pos in done) or (mask is not None and not mask[pos]):
                    continue
                if admitted is not None and not admitted[i]:
                    continue
                azimuth, _back, distance = inverse(lon_deg, lat_deg, lon_view[pos], lat_view[pos])
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
                    stop_chord = chord_for_distance(best[-1][0])
            if fetch >= size:
                return self._hits(best)
            done = set(pos_list) if done is None else done.union(pos_list)
            fetch *= 4

    def _admitted(
        self, pos_list: list[int], admit: Callable[[list[int]], list[bool]]
    ) -> list[bool]:
        """``admit``'s verdict on each candidate of a batch, asked in answer positions (the
        tree's "no more" marker, past the last point, counts as admitted: the loop stops
        there). Plain lists: a batch is a few dozen candidates, too few for numpy to pay."""
        size, positions = self._size, self._positions
        real = [p for p in pos_list if p != size]
        verdicts = iter(admit(real if positions is None else [positions[p] for p in real]))
        return [p == size or next(verdicts) for p in pos_list]

    def _hits(self, best: list[tuple[float, int, float]]) -> list[Hit]:
        return [
            Hit(position=pos, distance_m=dist, bearing_deg=compass_bearing_deg(azimuth, dist))
            for dist, pos, azimuth in best
        ]
