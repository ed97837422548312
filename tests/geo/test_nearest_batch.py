"""NearestIndex.nearest_many against the scalar NearestIndex.nearest, row for row and bit for bit,
and against a brute-force GeographicLib oracle on a sample.

"The same as the scalar path" is checked exactly: positions, distances and bearings equal as
floats (NaN where missing), including ties by position and rows the vectorised pass cannot
prove (which go through the scalar path itself).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from geo.nearest import NearestIndex
from geo.nearest_batch import Neighbours, nearest_many
from tests.geo.test_nearest import (
    ANY_CASE,
    MM,
    NEAR_TIE_M,
    Case,
    oracle_distances,
    oracle_nearest,
)

FloatArray = NDArray[np.float64]


def scalar_rows(
    index: NearestIndex, lon: FloatArray, lat: FloatArray, k: int, **options: Any
) -> Neighbours:
    """What calling ``nearest`` once per point gives, laid out as ``nearest_many`` answers."""
    n, width = lon.size, max(k, 0)
    out = Neighbours(
        np.full((n, width), -1, dtype=np.int64), np.full((n, width), np.nan),
        np.full((n, width), np.nan), 0,
    )  # fmt: skip
    for i in range(n):
        for rank, hit in enumerate(index.nearest(float(lon[i]), float(lat[i]), k, **options)):
            out.positions[i, rank] = hit.position
            out.distances_m[i, rank] = hit.distance_m
            out.bearings_deg[i, rank] = hit.bearing_deg
    return out


def assert_same(got: Neighbours, want: Neighbours) -> None:
    assert got.positions.dtype == np.int64 and got.positions.shape == want.positions.shape
    rows = np.flatnonzero((got.positions != want.positions).any(axis=1))
    assert rows.size == 0, (rows[:5], got.positions[rows[:5]], want.positions[rows[:5]])
    # Bit for bit: no tolerance, NaN exactly where a rank is missing.
    assert np.array_equal(got.distances_m, want.distances_m, equal_nan=True)
    assert np.array_equal(got.bearings_deg, want.bearings_deg, equal_nan=True)
    assert np.array_equal(np.isnan(got.distances_m), got.positions < 0)


def check(index: NearestIndex, lon: FloatArray, lat: FloatArray, k: int, **options: Any) -> int:
    got = index.nearest_many(lon, lat, k, **options)
    assert_same(got, scalar_rows(index, lon, lat, k, **options))
    return got.fallbacks


# --- data ----------------------------------------------------------------------------------


def city(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    """Stations in a few dense clusters around Xi'an, with exact duplicates (shared buildings)."""
    centres = rng.uniform([108.7, 34.1], [109.2, 34.4], (6, 2))
    which = rng.integers(0, 6, n)
    lon = centres[which, 0] + rng.normal(0.0, 0.02, n)
    lat = centres[which, 1] + rng.normal(0.0, 0.015, n)
    copies = rng.random(n) < 0.03
    source = rng.integers(0, n, n)
    lon[copies], lat[copies] = lon[source[copies]], lat[source[copies]]
    return np.round(lon, 6), np.round(lat, 6)


def riders(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    """Mostly in the city, some on stations exactly, some far away (Europe, the poles, the
    antimeridian): answers from metres to half the Earth away."""
    lon = 108.95 + rng.normal(0.0, 0.12, n)
    lat = 34.25 + rng.normal(0.0, 0.1, n)
    # Few: from afar all 3000 stations lie within the bound's 1 % of the nearest, so both
    # paths scan them all (slow, and unlike riders within reach of real stations).
    far = rng.random(n) < 0.01
    lon[far] = rng.uniform(-180.0, 180.0, far.sum())
    lat[far] = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, far.sum())))
    edge = [(180.0, 0.0), (-180.0, 10.0), (0.0, 90.0), (123.0, -90.0), (108.95, 34.25)]
    lon[: len(edge)], lat[: len(edge)] = zip(*edge, strict=True)
    return lon, lat


@pytest.fixture(scope="module")
def stations() -> tuple[FloatArray, FloatArray]:
    return city(np.random.default_rng(5), 3000)


@pytest.fixture(scope="module")
def index(stations: tuple[FloatArray, FloatArray]) -> NearestIndex:
    return NearestIndex(*stations)


@pytest.fixture(scope="module")
def points() -> tuple[FloatArray, FloatArray]:
    return riders(np.random.default_rng(9), 2000)


@pytest.fixture(scope="module")
def masks(index: NearestIndex) -> dict[str, NDArray[np.bool_]]:
    rng = np.random.default_rng(2)
    n = len(index)
    return {share: rng.random(n) < float(share) for share in ("0.5", "0.05", "0.004")}


# --- equal to the scalar path ------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 5, 17])
def test_every_row_equals_the_scalar_answer(
    index: NearestIndex, points: tuple[FloatArray, FloatArray], k: int
) -> None:
    check(index, *points, k)
    # The vectorised pass settles nearly every rider in town (the scalar path is the
    # exception). Riders thousands of km away are not counted: every station is then within
    # the curvature bound's 1 % of the nearest, and only a long scan proves the order.
    lon, lat = points
    in_town = (np.abs(lon - 108.95) < 1.0) & (np.abs(lat - 34.25) < 1.0)
    assert index.nearest_many(lon[in_town], lat[in_town], k).fallbacks <= in_town.sum() // 100


def test_k_100(index: NearestIndex, points: tuple[FloatArray, FloatArray]) -> None:
    lon, lat = points
    check(index, lon[:400], lat[:400], 100)


@pytest.mark.parametrize("share", ["0.5", "0.05", "0.004"])
@pytest.mark.parametrize("k", [1, 5])
def test_masks_equal_the_scalar_answer(
    index: NearestIndex,
    points: tuple[FloatArray, FloatArray],
    masks: dict[str, NDArray[np.bool_]],
    share: str,
    k: int,
) -> None:
    lon, lat = points
    rows = 1500 if share != "0.004" else 400  # 1 in 250: ~1,600 candidates a rider
    check(index, lon[:rows], lat[:rows], k, mask=masks[share])
    # mask_fraction only sizes the first fetch: a wrong one changes nothing.
    check(index, lon[:300], lat[:300], k, mask=masks[share], mask_fraction=0.9)


@pytest.mark.parametrize("radius_m", [0.0, 50.0, 500.0, 5000.0, 3e7])
@pytest.mark.parametrize("k", [1, 7])
def test_radius_limits_equal_the_scalar_answer(
    index: NearestIndex,
    points: tuple[FloatArray, FloatArray],
    masks: dict[str, NDArray[np.bool_]],
    radius_m: float,
    k: int,
) -> None:
    lon, lat = points
    check(index, lon[:1500], lat[:1500], k, max_distance_m=radius_m)
    check(index, lon[:500], lat[:500], k, max_distance_m=radius_m, mask=masks["0.05"])


def test_a_rider_on_a_station_gets_distance_zero_and_bearing_zero(
    index: NearestIndex, stations: tuple[FloatArray, FloatArray]
) -> None:
    lon, lat = stations[0][:50], stations[1][:50]
    got = index.nearest_many(lon, lat, 1)
    assert (got.distances_m[:, 0] == 0.0).all() and (got.bearings_deg[:, 0] == 0.0).all()
    assert_same(got, scalar_rows(index, lon, lat, 1))


def test_restricted_index_answers_in_the_original_positions(
    index: NearestIndex,
    points: tuple[FloatArray, FloatArray],
    masks: dict[str, NDArray[np.bool_]],
) -> None:
    lon, lat = points
    restricted = index.restricted(masks["0.05"])
    got = restricted.nearest_many(lon[:1000], lat[:1000], 3)
    assert_same(got, scalar_rows(restricted, lon[:1000], lat[:1000], 3))
    assert masks["0.05"][got.positions[got.positions >= 0]].all()
    assert_same(got, scalar_rows(index, lon[:1000], lat[:1000], 3, mask=masks["0.05"]))


def test_chunking_and_progress_do_not_change_the_answer(
    index: NearestIndex, points: tuple[FloatArray, FloatArray]
) -> None:
    lon, lat = points
    reported: list[int] = []
    small = nearest_many(index, lon, lat, 4, chunk_points=97, progress=reported.append)
    assert sum(reported) == lon.size and len(reported) == math.ceil(lon.size / 97)
    assert_same(small, index.nearest_many(lon, lat, 4))


# --- ties and rows only the scalar path settles -------------------------------------------


def test_a_pile_of_duplicates_ties_by_position_through_the_scalar_fallback() -> None:
    """500 stations at one spot: no number of fetched candidates proves which 3 are first
    until all are fetched, so the rows fall back; the lowest positions win."""
    rng = np.random.default_rng(4)
    lon = np.concatenate([rng.uniform(108.0, 110.0, 2000), np.full(500, 108.9)])
    lat = np.concatenate([rng.uniform(34.0, 35.0, 2000), np.full(500, 34.2)])
    order = rng.permutation(lon.size)
    lon, lat = lon[order], lat[order]
    index = NearestIndex(lon, lat)
    q_lon = 108.9 + rng.normal(0.0, 1e-4, 40)
    q_lat = 34.2 + rng.normal(0.0, 1e-4, 40)
    got = index.nearest_many(q_lon, q_lat, 3)
    assert got.fallbacks == 40
    pile = np.flatnonzero((lon == 108.9) & (lat == 34.2))
    assert (got.positions == pile[:3]).all()
    assert_same(got, scalar_rows(index, q_lon, q_lat, 3))


def test_duplicates_straddling_a_fetch_are_refetched_not_guessed() -> None:
    """Ten copies of one position with k=3: the first fetch (k+2) sees five of them, in the
    tree's arbitrary order among equal chords; the answer must be the three lowest positions."""
    lon = np.array([5.0] * 10 + [5.3, 4.7, 5.0, 5.0])
    lat = np.array([6.0] * 10 + [6.0, 6.0, 6.4, 5.6])
    index = NearestIndex(lon[::-1].copy(), lat[::-1].copy())  # copies at positions 4..13
    got = index.nearest_many(np.array([5.0001]), np.array([6.0]), 3)
    assert got.positions.tolist() == [[4, 5, 6]]
    assert_same(got, scalar_rows(index, np.array([5.0001]), np.array([6.0]), 3))


# --- edges -----------------------------------------------------------------------------------


def test_empty_index_and_k_below_one() -> None:
    empty = NearestIndex(np.array([]), np.array([]))
    got = empty.nearest_many(np.array([1.0, 2.0]), np.array([3.0, 4.0]), 2)
    assert got.positions.tolist() == [[-1, -1], [-1, -1]] and np.isnan(got.distances_m).all()
    assert np.isnan(got.bearings_deg).all() and got.fallbacks == 0
    index = NearestIndex(np.array([1.0]), np.array([1.0]))
    assert index.nearest_many(np.array([1.0]), np.array([1.0]), 0).positions.shape == (1, 0)
    assert index.nearest_many(np.array([]), np.array([]), 3).positions.shape == (0, 3)


def test_k_beyond_the_number_of_points() -> None:
    lon, lat = np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.0, 0.0])
    index = NearestIndex(lon, lat)
    q = np.array([0.4, 1.6, -170.0])
    got = index.nearest_many(q, np.zeros(3), 5)
    assert got.positions.tolist() == [[0, 1, 2, -1, -1], [2, 1, 0, -1, -1], [0, 1, 2, -1, -1]]
    assert_same(got, scalar_rows(index, q, np.zeros(3), 5))


@pytest.mark.parametrize(
    ("lon", "lat"),
    [([math.nan], [0.0]), ([0.0], [math.inf]), ([180.5], [0.0]), ([0.0], [-91.0]), ([0.0], [])],
)
def test_rejects_points_that_are_not_positions(lon: list[float], lat: list[float]) -> None:
    index = NearestIndex(np.array([0.0]), np.array([0.0]))
    with pytest.raises(ValueError):
        index.nearest_many(np.array(lon), np.array(lat), 1)


# --- properties: any data, any riders ---------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(ANY_CASE, st.integers(0, 2**32 - 1), st.sampled_from([None, 0.3, 0.9]), st.data())
def test_any_case_equals_the_scalar_answer(
    case: Case, seed: int, keep: float | None, data: st.DataObject
) -> None:
    """Each generated data set (worldwide, metre-scale clusters, rings, antimeridian, poles)
    queried from its own point and from riders scattered around it and over the stations."""
    rng = np.random.default_rng(seed)
    n = 24
    near = rng.integers(0, case.lon.size, n)
    lon = np.clip(case.lon[near] + rng.normal(0.0, 1e-3, n), -180.0, 180.0)
    lat = np.clip(case.lat[near] + rng.normal(0.0, 1e-3, n), -90.0, 90.0)
    lon, lat = np.append(lon, case.q_lon), np.append(lat, case.q_lat)
    index = NearestIndex(case.lon, case.lat)
    mask = None if keep is None else rng.random(case.lon.size) < keep
    radius = data.draw(st.one_of(st.none(), st.floats(0.0, 2e7)))
    check(index, lon, lat, min(case.k, 40), mask=mask, max_distance_m=radius)


# --- an independent oracle ------------------------------------------------------------------


def test_a_sample_equals_brute_force_geodesics(
    stations: tuple[FloatArray, FloatArray], points: tuple[FloatArray, FloatArray]
) -> None:
    """GeographicLib's pure-Python Inverse to every station, sorted by (distance, position);
    orders may differ only between near-ties the two ports round differently."""
    lon, lat = stations[0][:600], stations[1][:600]
    index = NearestIndex(lon, lat)
    q_lon, q_lat = points[0][::75], points[1][::75]
    got = index.nearest_many(q_lon, q_lat, 4)
    for i in range(q_lon.size):
        dist = oracle_distances(lon, lat, float(q_lon[i]), float(q_lat[i]))
        want = oracle_nearest(dist, 4)
        for rank, (want_m, want_pos) in enumerate(want):
            got_pos = int(got.positions[i, rank])
            assert abs(got.distances_m[i, rank] - want_m) <= MM
            assert got_pos == want_pos or 0.0 < abs(dist[got_pos] - want_m) <= NEAR_TIE_M
