"""geo.nearest.NearestIndex against a brute-force oracle: GeographicLib's Python ``Inverse`` from
the query to every point, sorted by (distance, position).

The index measures with pyproj (GeographicLib's C port). The two agree to nanometres but not always
bit for bit, so where two oracle distances lie within ``NEAR_TIE_M`` of each other without being
equal, either order is accepted; everywhere else the positions must equal the oracle's exactly, and
exact ties (duplicates, mirror images about the query's meridian, the same pole named by two
longitudes) must come out by position.

Exact ties in *chord* length between the query and two points (duplicates, poles) trip a bug in
how candidate batches are fetched: see ``test_ties_across_candidate_batches``. The general tests
steer clear of such ties so that each failure points at one cause.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from geo.geodesic import distance_m
from geo.nearest import Hit, NearestIndex
from geo.sphere import unit_vectors

ORACLE = Geodesic.WGS84
MM = 1e-3
NEAR_TIE_M = 1e-7

LON = st.floats(-180.0, 180.0, allow_nan=False)
LAT = st.floats(-90.0, 90.0, allow_nan=False)
POINT = st.tuples(LON, LAT)
# Small k, and k larger than any generated set (max 200 points).
K = st.one_of(st.integers(1, 8), st.integers(195, 260))
# A list here replaces the suite profile's (tests/conftest.py), so it repeats too_slow: ring()
# computes up to 192 geodesics per example, and a loaded CI box must not fail it for that.
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Case:
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    q_lon: float
    q_lat: float
    k: int

    @property
    def oracle_m(self) -> list[float]:
        return oracle_distances(self.lon, self.lat, self.q_lon, self.q_lat)


def oracle_distances(
    lon: Sequence[float] | NDArray[np.float64],
    lat: Sequence[float] | NDArray[np.float64],
    q_lon: float,
    q_lat: float,
) -> list[float]:
    """Geodesic metres from the query to every point."""
    return [oracle_m(q_lon, q_lat, float(lo), float(la)) for lo, la in zip(lon, lat, strict=True)]


@functools.lru_cache(maxsize=1 << 16)
def oracle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """GeographicLib (which takes lat first); cached, as shrinking re-asks the same pairs."""
    return float(ORACLE.Inverse(lat1, lon1, lat2, lon2)["s12"])


def oracle_nearest(
    dist: Sequence[float],
    k: int,
    *,
    keep: Sequence[bool] | NDArray[np.bool_] | None = None,
    radius_m: float | None = None,
) -> list[tuple[float, int]]:
    """The k smallest (distance, position) pairs among kept points within the radius."""
    entries = sorted(
        (d, i)
        for i, d in enumerate(dist)
        if (keep is None or keep[i]) and (radius_m is None or d <= radius_m)
    )
    return entries[:k]


def assert_matches_oracle(
    hits: list[Hit], expected: list[tuple[float, int]], dist: Sequence[float]
) -> None:
    got = [h.position for h in hits]
    assert len(got) == len(set(got)), f"a position is repeated: {got}"
    assert len(got) == len(expected), (got, [p for _d, p in expected])
    assert [(h.distance_m, h.position) for h in hits] == sorted(
        (h.distance_m, h.position) for h in hits
    ), "not nearest first, ties by position"
    for hit, (want_m, want_pos) in zip(hits, expected, strict=True):
        assert abs(hit.distance_m - want_m) <= MM
        assert abs(hit.distance_m - dist[hit.position]) <= MM
        if hit.position != want_pos:
            # Only a near-tie that the two GeographicLib ports round differently may swap.
            gap_m = abs(dist[hit.position] - want_m)
            assert 0.0 < gap_m <= NEAR_TIE_M, (got, [p for _d, p in expected])


def assert_exactly_oracle(hits: list[Hit], expected: list[tuple[float, int]]) -> None:
    assert [h.position for h in hits] == [p for _d, p in expected]
    for hit, (want_m, _pos) in zip(hits, expected, strict=True):
        assert abs(hit.distance_m - want_m) <= MM


def has_chord_ties(case: Case) -> bool:
    """Whether two points are (nearly) equally far from the query in the k-d tree's metric."""
    normals = unit_vectors(case.lon, case.lat)
    chords = np.sort(np.linalg.norm(normals - unit_vectors([case.q_lon], [case.q_lat])[0], axis=1))
    return bool(np.any(np.diff(chords) <= 1e-15))


def sphere_order(case: Case) -> list[int]:
    """Positions by increasing angle between unit normals: what the k-d tree alone would say."""
    normals = unit_vectors(case.lon, case.lat)
    chords = np.linalg.norm(normals - unit_vectors([case.q_lon], [case.q_lat])[0], axis=1)
    return [int(p) for p in np.argsort(chords, kind="stable")]


def to_case(points: list[tuple[float, float]], query: tuple[float, float], k: int) -> Case:
    lon, lat = (np.array(c, dtype=np.float64) for c in zip(*points, strict=True))
    return Case(lon, lat, query[0], query[1], k)


# --- strategies -----------------------------------------------------------------------------


Generate = Callable[[np.random.Generator, int], tuple[NDArray[np.float64], NDArray[np.float64]]]


def bulk_and_few(
    draw: st.DrawFn, generate: Generate, few: st.SearchStrategy[tuple[float, float]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Up to 192 points from numpy (seeded by Hypothesis, so a failure replays) and up to 8 drawn
    by Hypothesis, which favours edge values (0, ±180, ±90, repeats); shuffled together."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    bulk_lon, bulk_lat = generate(rng, draw(st.integers(0, 192)))
    extra = draw(st.lists(few, min_size=0 if bulk_lon.size else 1, max_size=8))
    lon = np.concatenate([bulk_lon, np.array([p[0] for p in extra], dtype=np.float64)])
    lat = np.concatenate([bulk_lat, np.array([p[1] for p in extra], dtype=np.float64)])
    order = rng.permutation(lon.size)
    return lon[order], lat[order]


@st.composite
def worldwide(draw: st.DrawFn) -> Case:
    def generate(rng: np.random.Generator, n: int) -> tuple[NDArray[Any], NDArray[Any]]:
        # Uniform on the sphere, not in (lon, lat), so the poles are not over-represented.
        return rng.uniform(-180.0, 180.0, n), np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))

    lon, lat = bulk_and_few(draw, generate, POINT)
    q_lon, q_lat = draw(POINT)
    return Case(lon, lat, q_lon, q_lat, draw(K))


@st.composite
def clustered(draw: st.DrawFn) -> Case:
    """Points metres apart around the query (offsets in units of 1e-5°, ~1 m): within a few
    metres the ellipsoid's curvature differs by direction, so sphere order is not ellipsoid
    order."""
    lon0, lat0 = draw(st.floats(-179.0, 179.0)), draw(st.floats(-85.0, 85.0))
    offset = st.floats(-50.0, 50.0, allow_nan=False)

    def generate(rng: np.random.Generator, n: int) -> tuple[NDArray[Any], NDArray[Any]]:
        return lon0 + rng.uniform(-50.0, 50.0, n) * 1e-5, lat0 + rng.uniform(-50.0, 50.0, n) * 1e-5

    few = st.tuples(offset, offset).map(lambda d: (lon0 + d[0] * 1e-5, lat0 + d[1] * 1e-5))
    lon, lat = bulk_and_few(draw, generate, few)
    q_lon, q_lat = draw(few)
    return Case(lon, lat, q_lon, q_lat, draw(K))


@st.composite
def ring(draw: st.DrawFn) -> Case:
    """Points in every direction at nearly the same distance (within 0.5 %, the spread between
    sphere and ellipsoid), from 1 m to 1000 km: the candidate order needs the most re-ranking."""
    q_lon, q_lat = draw(LON), draw(st.floats(-89.0, 89.0))
    radius_m = draw(st.floats(1.0, 1e6))

    def generate(rng: np.random.Generator, n: int) -> tuple[NDArray[Any], NDArray[Any]]:
        lines = [
            ORACLE.Direct(q_lat, q_lon, azimuth, radius_m * (1.0 + spread))
            for azimuth, spread in zip(
                rng.uniform(-180.0, 180.0, n).tolist(),
                rng.uniform(0.0, 5e-3, n).tolist(),
                strict=True,
            )
        ]
        return np.array([g["lon2"] for g in lines]), np.array([g["lat2"] for g in lines])

    lon, lat = bulk_and_few(draw, generate, st.tuples(LON, st.floats(-89.0, 89.0)))
    return Case(lon, lat, q_lon, q_lat, draw(st.integers(1, 8)))


@st.composite
def antimeridian(draw: st.DrawFn) -> Case:
    """Points at lon ±179.99..180, the query just across the antimeridian from most of them."""
    side = draw(st.sampled_from([-1.0, 1.0]))
    lat0 = draw(st.floats(-80.0, 80.0))

    def generate(rng: np.random.Generator, n: int) -> tuple[NDArray[Any], NDArray[Any]]:
        sides = np.where(rng.random(n) < 2 / 3, side, -side)
        return sides * rng.uniform(179.99, 180.0, n), lat0 + rng.uniform(-0.01, 0.01, n)

    near_lat = st.floats(-0.01, 0.01).map(lambda d: lat0 + d)
    far_side = st.tuples(st.floats(179.99, 180.0).map(lambda x: side * x), near_lat)
    near_side = st.tuples(st.floats(179.99, 180.0).map(lambda x: -side * x), near_lat)
    lon, lat = bulk_and_few(draw, generate, st.one_of(far_side, near_side))
    q_lon, q_lat = draw(near_side)
    return Case(lon, lat, q_lon, q_lat, draw(K))


@st.composite
def polar(draw: st.DrawFn) -> Case:
    """Points within 0.1° of a pole (exactly at the pole only in the tie tests), any longitude;
    the query near or at the pole."""
    sign = draw(st.sampled_from([-1.0, 1.0]))

    def generate(rng: np.random.Generator, n: int) -> tuple[NDArray[Any], NDArray[Any]]:
        return rng.uniform(-180.0, 180.0, n), sign * rng.uniform(89.9, 90.0, n)

    cap = st.tuples(LON, st.floats(89.9, 90.0, exclude_max=True).map(lambda x: sign * x))
    lon, lat = bulk_and_few(draw, generate, cap)
    q_lon, q_lat = draw(st.one_of(cap, st.tuples(LON, st.just(sign * 90.0))))
    return Case(lon, lat, q_lon, q_lat, draw(K))


ANY_CASE = st.one_of(worldwide(), clustered(), ring(), antimeridian(), polar())


def index_of(case: Case) -> NearestIndex:
    return NearestIndex(case.lon, case.lat)


# --- the k nearest ----------------------------------------------------------------------------


def check_against_oracle(case: Case) -> None:
    assume(not has_chord_ties(case))
    dist = case.oracle_m
    if sphere_order(case)[: case.k] != [p for _d, p in oracle_nearest(dist, case.k)]:
        event("sphere order differs from ellipsoid order")
    hits = index_of(case).nearest(case.q_lon, case.q_lat, case.k)
    assert_matches_oracle(hits, oracle_nearest(dist, case.k), dist)


@PROPERTY
@given(worldwide())
def test_worldwide_matches_oracle(case: Case) -> None:
    check_against_oracle(case)


@PROPERTY
@given(clustered())
def test_points_metres_apart_match_oracle(case: Case) -> None:
    check_against_oracle(case)


@PROPERTY
@given(ring())
def test_points_at_nearly_equal_distance_match_oracle(case: Case) -> None:
    check_against_oracle(case)


@PROPERTY
@given(antimeridian())
def test_across_the_antimeridian_matches_oracle(case: Case) -> None:
    check_against_oracle(case)


@PROPERTY
@given(polar())
def test_near_the_poles_matches_oracle(case: Case) -> None:
    check_against_oracle(case)


def test_sphere_order_is_not_ellipsoid_order_but_the_answer_is() -> None:
    """At 45° the meridian curves more tightly than the parallel, so for equal angles between
    normals a point due north is nearer than one due east. Search for an eastern point whose
    normal is closer to the query's than the northern one's, yet which is farther away."""
    q_lon, q_lat = 30.0, 45.0
    north = (q_lon, q_lat + 0.01)
    easts = [(q_lon + d, q_lat) for d in np.linspace(0.0135, 0.0150, 301).tolist()]
    q = unit_vectors([q_lon], [q_lat])[0]

    def chord(p: tuple[float, float]) -> float:
        return float(np.linalg.norm(unit_vectors([p[0]], [p[1]])[0] - q))

    north_m = oracle_distances([north[0]], [north[1]], q_lon, q_lat)[0]
    inverted = [
        e
        for e in easts
        if chord(e) < chord(north) and oracle_distances([e[0]], [e[1]], q_lon, q_lat)[0] > north_m
    ]
    assert inverted, "no pair whose sphere order differs from its ellipsoid order"
    east = inverted[len(inverted) // 2]
    east_m = oracle_distances([east[0]], [east[1]], q_lon, q_lat)[0]
    assert east_m - north_m > 0.5  # a clear inversion, not a rounding artefact

    # East first, so position order agrees with sphere order and disagrees with the answer.
    rng = np.random.default_rng(7)
    filler_lon = q_lon + rng.uniform(0.05, 1.0, 500) * rng.choice([-1.0, 1.0], 500)
    filler_lat = q_lat + rng.uniform(0.05, 1.0, 500) * rng.choice([-1.0, 1.0], 500)
    lon = np.concatenate([[east[0], north[0]], filler_lon])
    lat = np.concatenate([[east[1], north[1]], filler_lat])
    index = NearestIndex(lon, lat)

    [hit] = index.nearest(q_lon, q_lat, 1)
    assert hit.position == 1 and hit.distance_m == pytest.approx(north_m, abs=MM)
    assert [h.position for h in index.nearest(q_lon, q_lat, 2)] == [1, 0]
    dist = oracle_distances(lon, lat, q_lon, q_lat)
    assert_exactly_oracle(index.nearest(q_lon, q_lat, 10), oracle_nearest(dist, 10))


def test_k_larger_than_the_index_returns_everything_sorted() -> None:
    lon, lat = np.array([116.4, 121.5, 113.3, 104.1]), np.array([39.9, 31.2, 23.1, 30.7])
    dist = oracle_distances(lon, lat, 108.9, 34.3)
    hits = NearestIndex(lon, lat).nearest(108.9, 34.3, 50)
    assert_exactly_oracle(hits, oracle_nearest(dist, 50))


@pytest.mark.parametrize("k", [0, -1])
def test_k_below_one_returns_nothing(k: int) -> None:
    assert NearestIndex([1.0, 2.0], [3.0, 4.0]).nearest(1.0, 3.0, k) == []


def test_empty_index_returns_nothing() -> None:
    index = NearestIndex(np.array([]), np.array([]))
    assert len(index) == 0
    assert index.nearest(0.0, 0.0, 5) == []
    assert index.nearest(0.0, 0.0, 5, mask=np.zeros(0, dtype=bool), max_distance_m=1e3) == []
    assert index.restricted(np.zeros(0, dtype=bool)).nearest(0.0, 0.0, 5) == []


def test_a_single_point_is_found_from_its_antipode() -> None:
    index = NearestIndex([0.0], [0.0])
    [hit] = index.nearest(180.0, 0.0, 1)
    assert hit.position == 0
    assert hit.distance_m == pytest.approx(oracle_distances([0.0], [0.0], 180.0, 0.0)[0], abs=MM)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [([0.0, 1.0], [0.0]), ([[0.0]], [[0.0]]), ([0.0], [90.5]), ([180.5], [0.0]), ([0.0], [-91.0])],
)
def test_rejects_malformed_points(lon: list[float], lat: list[float]) -> None:
    with pytest.raises(ValueError):
        NearestIndex(lon, lat)


# --- ties -------------------------------------------------------------------------------------


@st.composite
def duplicates(draw: st.DrawFn) -> Case:
    """A few distinct places, each repeated; at most k + 2 points, so one candidate batch."""
    places = draw(st.lists(POINT, min_size=1, max_size=4))
    points = draw(st.lists(st.sampled_from(places), min_size=1, max_size=12))
    query = draw(st.one_of(POINT, st.sampled_from(places)))
    return to_case(points, query, draw(st.integers(max(1, len(points) - 2), len(points) + 3)))


@settings(max_examples=150, deadline=None)
@given(duplicates())
@example(to_case([(10.0, 20.0)] * 3, (10.0001, 20.0), 1))
def test_duplicates_tie_by_position(case: Case) -> None:
    dist = case.oracle_m
    hits = index_of(case).nearest(case.q_lon, case.q_lat, case.k)
    assert_exactly_oracle(hits, oracle_nearest(dist, case.k))


@st.composite
def mirror_pairs(draw: st.DrawFn) -> tuple[Case, int, int]:
    """Two points mirrored about the query's meridian, (lon0 ∓ d, lat), nearer than the rest.
    Dyadic longitudes make lon0 ± d exact, so the two geodesics are exact mirror images."""
    lon0 = draw(st.integers(-179 * 2**10, 179 * 2**10)) / 2**10
    d = draw(st.integers(1, 2**20)) / 2**30
    q_lat = draw(st.floats(-89.0, 89.0))
    lat = q_lat + draw(st.floats(-1e-3, 1e-3))
    others = draw(st.lists(POINT, max_size=50))
    west, east = draw(st.permutations([0, 1]))[:2]
    points: list[tuple[float, float]] = [(0.0, 0.0), (0.0, 0.0)]
    points[west], points[east] = (lon0 - d, lat), (lon0 + d, lat)
    return to_case(points + others, (lon0, q_lat), draw(st.integers(1, 4))), west, east


@settings(max_examples=150, deadline=None)
@given(mirror_pairs())
def test_mirror_images_are_exactly_as_far_and_the_lower_position_wins(
    drawn: tuple[Case, int, int],
) -> None:
    case, west, east = drawn
    dist = case.oracle_m
    assert dist[west] == dist[east]  # the oracle agrees: an exact tie
    assume(all(d > dist[0] * 1.01 + 1.0 for d in dist[2:]))
    hits = index_of(case).nearest(case.q_lon, case.q_lat, case.k)
    assert [h.position for h in hits][:2] == [0, 1][: case.k]
    assert_exactly_oracle(hits, oracle_nearest(dist, case.k))


@st.composite
def exact_poles(draw: st.DrawFn) -> Case:
    """The same pole named by several longitudes, near the query; at most k + 2 points."""
    sign = draw(st.sampled_from([-1.0, 1.0]))
    points = draw(st.lists(st.tuples(LON, st.just(sign * 90.0)), min_size=1, max_size=6))
    query = (draw(LON), sign * draw(st.floats(89.0, 90.0)))
    return to_case(points, query, draw(st.integers(max(1, len(points) - 2), len(points) + 2)))


@settings(max_examples=100, deadline=None)
@given(exact_poles())
def test_the_pole_under_any_longitude_ties_by_position(case: Case) -> None:
    dist = case.oracle_m
    assert len(set(dist)) == 1
    hits = index_of(case).nearest(case.q_lon, case.q_lat, case.k)
    assert_exactly_oracle(hits, oracle_nearest(dist, case.k))


def test_180_and_minus_180_are_the_same_meridian() -> None:
    lon, lat = np.array([180.0, -180.0, 179.9999]), np.array([10.0, 10.0, 10.0])
    dist = oracle_distances(lon, lat, -179.9999, 10.0)
    assert dist[0] == dist[1]
    hits = NearestIndex(lon, lat).nearest(-179.9999, 10.0, 3)
    assert_exactly_oracle(hits, oracle_nearest(dist, 3))
    assert [h.position for h in hits] == [0, 1, 2]


@st.composite
def many_ties(draw: st.DrawFn) -> Case:
    """Many points at exactly the same place or the same pole: ties straddle candidate batches."""
    place = draw(st.one_of(POINT, st.tuples(LON, st.sampled_from([-90.0, 90.0]))))
    pole = place[1] in (-90.0, 90.0)
    lons = draw(st.lists(LON if pole else st.just(place[0]), min_size=4, max_size=60))
    others = draw(st.lists(POINT, max_size=20))
    points = [(lon, place[1]) for lon in lons] + others
    # A little off the tied place, towards the equator and the prime meridian.
    q_lon = draw(LON) if pole else place[0] - math.copysign(1e-4, place[0])
    q_lat = place[1] - math.copysign(1e-3, place[1])
    query = (q_lon, q_lat)
    return to_case(points, query, draw(st.integers(1, 8)))


@settings(max_examples=100, deadline=None)
@given(many_ties())
@example(to_case([(10.0, 20.0)] * 10, (10.0001, 20.0), 3))
@example(to_case([(lon, 90.0) for lon in (-179.0, -89.5, 0.0, 89.5, 179.0)], (0.0, 89.0), 2))
def test_ties_across_candidate_batches(case: Case) -> None:
    dist = case.oracle_m
    hits = index_of(case).nearest(case.q_lon, case.q_lat, case.k)
    assert_matches_oracle(hits, oracle_nearest(dist, case.k), dist)
    assert_exactly_oracle(hits, oracle_nearest(dist, case.k))


# --- mask, restricted, accept ---------------------------------------------------------------


@st.composite
def masked(draw: st.DrawFn) -> tuple[Case, NDArray[np.bool_]]:
    case = draw(ANY_CASE)
    n = len(case.lon)
    keep = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return case, np.array(keep, dtype=bool)


@PROPERTY
@given(masked(), st.sampled_from([None, 1e-3, 0.05, 0.5, 1.0]))
def test_mask_matches_oracle_over_the_masked_points(
    drawn: tuple[Case, NDArray[np.bool_]], fraction: float | None
) -> None:
    """``mask_fraction`` only sizes the first batch; a wrong value must not change the answer."""
    case, mask = drawn
    assume(not has_chord_ties(case))
    dist = case.oracle_m
    expected = oracle_nearest(dist, case.k, keep=mask)
    index = index_of(case)
    hits = index.nearest(case.q_lon, case.q_lat, case.k, mask=mask, mask_fraction=fraction)
    assert_matches_oracle(hits, expected, dist)

    restricted = index.restricted(mask)
    assert len(restricted) == int(mask.sum())
    assert restricted.nearest(case.q_lon, case.q_lat, case.k) == hits


@PROPERTY
@given(masked(), st.data())
def test_restricted_twice_answers_in_the_original_positions(
    drawn: tuple[Case, NDArray[np.bool_]], data: st.DataObject
) -> None:
    case, mask = drawn
    assume(not has_chord_ties(case))
    kept = int(mask.sum())
    inner = np.array(data.draw(st.lists(st.booleans(), min_size=kept, max_size=kept)), dtype=bool)
    both = mask.copy()
    both[np.flatnonzero(mask)] = inner
    dist = case.oracle_m
    twice = index_of(case).restricted(mask).restricted(inner)
    hits = twice.nearest(case.q_lon, case.q_lat, case.k)
    assert_matches_oracle(hits, oracle_nearest(dist, case.k, keep=both), dist)


def test_all_false_mask_returns_nothing() -> None:
    index = NearestIndex([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    none = np.zeros(3, dtype=bool)
    assert index.nearest(1.0, 1.0, 2, mask=none) == []
    assert index.nearest(1.0, 1.0, 2, mask=none, mask_fraction=0.0) == []
    assert index.restricted(none).nearest(1.0, 1.0, 2) == []


class Recorder:
    """An ``accept`` callback that answers from a fixed verdict per position and logs calls."""

    def __init__(self, verdicts: Sequence[bool]) -> None:
        self.verdicts = verdicts
        self.calls: list[int] = []

    def __call__(self, position: int) -> bool:
        self.calls.append(position)
        return self.verdicts[position]


@PROPERTY
@given(masked(), st.data())
def test_accept_matches_oracle_and_is_asked_only_about_contenders(
    drawn: tuple[Case, NDArray[np.bool_]], data: st.DataObject
) -> None:
    case, mask = drawn
    assume(not has_chord_ties(case))
    n = len(case.lon)
    verdicts = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    accept = Recorder(verdicts)
    dist = case.oracle_m
    hits = index_of(case).nearest(case.q_lon, case.q_lat, case.k, mask=mask, accept=accept)
    keep = mask & np.array(verdicts, dtype=bool)
    assert_matches_oracle(hits, oracle_nearest(dist, case.k, keep=keep), dist)

    assert len(accept.calls) == len(set(accept.calls)), "asked twice about one point"
    assert all(mask[p] for p in accept.calls), "asked about a masked-out point"
    assert {h.position for h in hits} <= set(accept.calls)
    # Each call is about a point that would enter the answer as it stands at that moment.
    answer: list[tuple[float, int]] = []
    for p in accept.calls:
        entry = (dist[p], p)
        worst = answer[case.k - 1] if len(answer) >= case.k else None
        assert worst is None or entry < worst or abs(entry[0] - worst[0]) <= NEAR_TIE_M
        if verdicts[p]:
            answer = sorted([*answer, entry])[: case.k]


@PROPERTY
@given(masked(), st.data())
def test_admit_matches_oracle_and_sees_each_batch_once(
    drawn: tuple[Case, NDArray[np.bool_]], data: st.DataObject
) -> None:
    """``admit`` (a batch verdict before any geodesic) keeps exactly the points ``accept``
    would: the answer is the oracle's over the admitted points, order and ties included."""
    case, mask = drawn
    assume(not has_chord_ties(case))
    n = len(case.lon)
    verdicts = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    batches: list[list[int]] = []

    def admit(positions: list[int]) -> list[bool]:
        batches.append(list(positions))
        return [bool(verdicts[p]) for p in positions]

    hits = index_of(case).nearest(case.q_lon, case.q_lat, case.k, mask=mask, admit=admit)
    dist = case.oracle_m
    assert_matches_oracle(hits, oracle_nearest(dist, case.k, keep=mask & verdicts), dist)
    assert all(0 <= p < n for batch in batches for p in batch)


def test_accept_is_called_far_fewer_times_than_there_are_points() -> None:
    rng = np.random.default_rng(11)
    n = 20_000
    lon, lat = rng.uniform(-180.0, 180.0, n), np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    accept = Recorder([p % 2 == 0 for p in range(n)])  # rejects half the points
    hits = NearestIndex(lon, lat).nearest(108.9, 34.3, 5, accept=accept)
    assert all(h.position % 2 == 0 for h in hits)
    assert len(accept.calls) <= 30  # about k accepted plus about k rejected
    dist = oracle_distances(lon[::2], lat[::2], 108.9, 34.3)
    assert [h.position for h in hits] == [2 * p for _d, p in oracle_nearest(dist, 5)]


# --- max_distance_m ---------------------------------------------------------------------------


@PROPERTY
@given(ANY_CASE, st.data())
def test_radius_keeps_exactly_the_points_within_it(case: Case, data: st.DataObject) -> None:
    """The radius is the oracle's distance to one of the points, which must be kept."""
    assume(not has_chord_ties(case))
    dist = case.oracle_m
    edge = data.draw(st.integers(0, len(dist) - 1))
    radius_m = dist[edge]
    # The index measures with pyproj; at the boundary both ports must round alike to be judged.
    assume(distance_m(case.q_lon, case.q_lat, case.lon[edge], case.lat[edge]) == radius_m)
    assume(all(d == radius_m or abs(d - radius_m) > NEAR_TIE_M for d in dist))
    index = index_of(case)

    everything = index.nearest(case.q_lon, case.q_lat, len(dist) + 1, max_distance_m=radius_m)
    assert_matches_oracle(everything, oracle_nearest(dist, len(dist), radius_m=radius_m), dist)
    assert edge in {h.position for h in everything}

    hits = index.nearest(case.q_lon, case.q_lat, case.k, max_distance_m=radius_m)
    assert_matches_oracle(hits, oracle_nearest(dist, case.k, radius_m=radius_m), dist)


@pytest.mark.parametrize("q_lat", [0.0, 0.5, 45.0, 89.99])
@pytest.mark.parametrize("bearing_deg", [0.0, 37.0, 90.0, 180.0])
def test_radius_is_inclusive_to_the_last_bit(q_lat: float, bearing_deg: float) -> None:
    """North from the equator is where the curvature bound is tight, so pruning is closest to
    dropping a boundary point there."""
    line = ORACLE.Direct(q_lat, 20.0, bearing_deg, 5000.0)
    lon, lat = np.array([line["lon2"]]), np.array([line["lat2"]])
    index = NearestIndex(lon, lat)
    [hit] = index.nearest(20.0, q_lat, 1)
    assert index.nearest(20.0, q_lat, 1, max_distance_m=hit.distance_m) == [hit]
    below = math.nextafter(hit.distance_m, 0.0)
    assert index.nearest(20.0, q_lat, 1, max_distance_m=below) == []


def test_radius_zero_keeps_coincident_points() -> None:
    index = NearestIndex([5.0, 5.0, 5.00001], [6.0, 6.0, 6.0])
    assert index.nearest(5.0, 6.0, 5, max_distance_m=0.0) == [Hit(0, 0.0, 0.0), Hit(1, 0.0, 0.0)]


def test_radius_beyond_half_the_earth_keeps_everything() -> None:
    lon, lat = np.array([0.0, 180.0, 90.0, -45.0]), np.array([0.0, 0.0, -90.0, 60.0])
    dist = oracle_distances(lon, lat, 0.0, 0.0)
    for radius_m in (2.1e7, 1e9, math.inf):
        hits = NearestIndex(lon, lat).nearest(0.0, 0.0, 10, max_distance_m=radius_m)
        assert_exactly_oracle(hits, oracle_nearest(dist, 10))
