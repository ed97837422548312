"""geo.geodesic against GeographicLib's own Python implementation (an independent oracle: pyproj
wraps the C port), plus the curvature bound that the nearest-neighbour index relies on.

The two implementations follow the same algorithm but round differently; measured on random
pairs they differ by at most a few nanometres, so distances are compared to ``DISTANCE_TOL_M``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geo.geodesic import MIN_CURVATURE_RADIUS_M, distance_bearing, distance_m, distances_m
from geo.sphere import BOUND_SLACK_M as _BOUND_SLACK_M
from geo.sphere import unit_vectors

ORACLE = Geodesic.WGS84
DISTANCE_TOL_M = 1e-6
BEARING_TOL_DEG = 1e-9

EPS = float(np.finfo(np.float64).eps)  # 2.2e-16, the spacing of floats just above 1.0
# The worst rounding in ``normal_angle_rad`` (radians), for any two points, term by term:
NORMAL_ANGLE_ROUNDING_RAD = (
    # Degrees → radians is x · fl(π/180), within ε relative: up to π·ε in longitude and π/2·ε
    # in latitude, which turn a normal by up to 1.5π·ε. Nothing cancels across ±180°: 180° and
    # -180° become fl(π) and -fl(π), 2.4e-16 rad apart, though they name one meridian.
    2 * 1.5 * math.pi * EPS
    # cos and sin within 1 ulp (the target of glibc and of NumPy's own routines), times one
    # product: each component within 2.5ε relative, so each normal within 2.5ε.
    + 2 * 2.5 * EPS
    # The cross product and its norm (3ε), the dot product (1.5ε), atan2 (1 ulp of ≤ π: 2ε).
    + (3 + 1.5 + 2) * EPS
)  # ≈ 21ε ≈ 4.6e-15 rad. Measured against a 50-digit reference over 70,000 pairs: at most 3ε.

LON = st.floats(-180.0, 180.0, allow_nan=False)
LAT = st.floats(-90.0, 90.0, allow_nan=False)
POINT = st.tuples(LON, LAT)


def oracle(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float]:
    """(s12 in metres, azi1 in degrees) from GeographicLib; note its (lat, lon) argument order."""
    line = ORACLE.Inverse(lat1, lon1, lat2, lon2)
    return float(line["s12"]), float(line["azi1"])


def angle_deg(a: float, b: float) -> float:
    """Smallest difference between two directions, degrees in [0, 180]."""
    d = (a - b) % 360.0
    return min(d, 360.0 - d)


def wrap_lon(lon: float) -> float:
    return lon - 360.0 if lon > 180.0 else lon


@st.composite
def pairs(draw: st.DrawFn) -> tuple[float, float, float, float]:
    """Random pairs, nearby pairs, exact and near antipodes, and coincident points."""
    lon1, lat1 = draw(POINT)
    kind = draw(st.sampled_from(["random", "near", "antipodal", "near-antipodal", "same"]))
    if kind == "random":
        lon2, lat2 = draw(POINT)
    elif kind == "near":
        lon2 = float(np.clip(lon1 + draw(st.floats(-1e-3, 1e-3)), -180.0, 180.0))
        lat2 = float(np.clip(lat1 + draw(st.floats(-1e-3, 1e-3)), -90.0, 90.0))
    elif kind == "antipodal":
        lon2, lat2 = wrap_lon(lon1 + 180.0), -lat1
    elif kind == "near-antipodal":
        lon2 = wrap_lon(lon1 + 180.0 + draw(st.floats(-0.5, 0.5)))
        lon2 = float(np.clip(lon2, -180.0, 180.0))
        lat2 = float(np.clip(-lat1 + draw(st.floats(-0.5, 0.5)), -90.0, 90.0))
    else:
        lon2, lat2 = lon1, lat1
    return lon1, lat1, lon2, lat2


@settings(max_examples=300, deadline=None)
@given(pairs())
@example((0.0, 0.0, 180.0, 0.0))  # antipodes on the equator: every meridian is a geodesic
@example((10.0, 20.0, -170.0, -20.0))
@example((0.0, 90.0, 0.0, -90.0))  # pole to pole
@example((123.0, 90.0, -45.0, 90.0))  # the same pole named by two longitudes
@example((0.0, 4.612107518502, 1e-09, 4.612107518502001))  # 0.1 mm apart
def test_distance_bearing_matches_geographiclib(pair: tuple[float, float, float, float]) -> None:
    lon1, lat1, lon2, lat2 = pair
    got_m, got_deg = distance_bearing(lon1, lat1, lon2, lat2)
    want_m, want_deg = oracle(lon1, lat1, lon2, lat2)
    assert abs(got_m - want_m) <= DISTANCE_TOL_M
    assert 0.0 <= got_deg < 360.0
    if want_m > 0.0:
        # Over sub-millimetre lines the azimuth is ill-conditioned: the C and Python ports of
        # GeographicLib round differently (4.6e-5° seen at 0.1 mm). Hold them to the angle a
        # nanometre subtends, and never tighter than BEARING_TOL_DEG.
        tolerance_deg = max(BEARING_TOL_DEG, np.degrees(1e-9 / want_m))
        assert angle_deg(got_deg, want_deg) <= tolerance_deg
    assert distance_m(lon1, lat1, lon2, lat2) == got_m


@settings(max_examples=100, deadline=None)
@given(POINT)
@example((0.0, 90.0))
@example((-180.0, -90.0))
@example((180.0, 0.0))
def test_coincident_points_are_zero_metres_bearing_zero(point: tuple[float, float]) -> None:
    lon, lat = point
    assert distance_bearing(lon, lat, lon, lat) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("point", "bearing_deg"),
    [((0.0, 1.0), 0.0), ((1.0, 0.0), 90.0), ((0.0, -1.0), 180.0), ((-1.0, 0.0), 270.0)],
)
def test_cardinal_bearings_from_null_island(point: tuple[float, float], bearing_deg: float) -> None:
    _distance, bearing = distance_bearing(0.0, 0.0, *point)
    assert bearing == pytest.approx(bearing_deg, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(pairs(), min_size=1, max_size=50))
def test_distances_m_equals_elementwise(rows: list[tuple[float, float, float, float]]) -> None:
    lon1, lat1, lon2, lat2 = (np.array(column) for column in zip(*rows, strict=True))
    inputs = [a.copy() for a in (lon1, lat1, lon2, lat2)]
    got = distances_m(lon1, lat1, lon2, lat2)
    assert got.shape == (len(rows),)
    assert got.tolist() == [distance_m(*row) for row in rows]
    for before, after in zip(inputs, (lon1, lat1, lon2, lat2), strict=True):
        np.testing.assert_array_equal(before, after)  # the inputs are not overwritten
    for value, row in zip(got.tolist(), rows, strict=True):
        assert abs(value - oracle(*row)[0]) <= DISTANCE_TOL_M


def test_distances_m_broadcasts() -> None:
    lons = np.array([[-170.0], [0.0], [179.5]])
    lats = np.array([[-45.0, 0.0, 30.0, 89.0]])
    got = distances_m(lons, lats, 116.4, 39.9)
    assert got.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert got[i, j] == distance_m(lons[i, 0], lats[0, j], 116.4, 39.9)


def test_distances_m_of_nothing_is_empty() -> None:
    assert distances_m([], [], [], []).shape == (0,)
    assert distances_m(np.zeros((0, 2)), 0.0, 0.0, 0.0).shape == (0, 2)


def normal_angle_rad(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Angle between the unit surface normals, by atan2 so it is accurate at 0 and π."""
    u, v = unit_vectors([lon1, lon2], [lat1, lat2])
    return math.atan2(float(np.linalg.norm(np.cross(u, v))), float(np.dot(u, v)))


@st.composite
def meridional_pairs(draw: st.DrawFn) -> tuple[float, float, float, float]:
    """Short north-south arcs straddling the equator, where the bound is tightest."""
    lon = draw(LON)
    lat1 = draw(st.floats(-1e-2, 1e-2))
    return lon, lat1, lon, draw(st.floats(-1e-2, 1e-2))


def test_min_curvature_radius_is_the_equatorial_meridional_radius() -> None:
    a_m, f = ORACLE.a, ORACLE.f
    assert pytest.approx(a_m * (1.0 - f) ** 2, rel=1e-15) == MIN_CURVATURE_RADIUS_M


def bound_tolerance_m(bound_m: float) -> float:
    """How far rounding alone may push ``MIN_CURVATURE_RADIUS_M * normal_angle_rad`` above the
    oracle's distance where the bound is tight (short arcs along the meridian at the equator)."""
    # ψ's absolute rounding in metres (≈ 2.9e-8 m), plus relative rounding: a(1 - e²) and the
    # product with ψ (1ε each), and the oracle's s12 over such short arcs (2ε). The worst excess
    # of bound over distance seen in 300,000 adversarial pairs is (180, 0, -180, 0)'s 1.55e-9 m;
    # a radius too large by 5e-11 relative would still fail, on arcs of about a kilometre.
    return MIN_CURVATURE_RADIUS_M * NORMAL_ANGLE_ROUNDING_RAD + 4 * EPS * bound_m


def test_the_index_slack_covers_the_rounding_in_the_normal_angle() -> None:
    """geo.nearest widens its stopping bound by ``_BOUND_SLACK_M`` for exactly this rounding (in
    the chord between normals, which rounds like ψ); it must cover it, with room to spare."""
    assert 10 * MIN_CURVATURE_RADIUS_M * NORMAL_ANGLE_ROUNDING_RAD < _BOUND_SLACK_M


@settings(max_examples=300, deadline=None)
@given(st.one_of(pairs(), meridional_pairs()))
@example((0.0, -1e-7, 0.0, 1e-7))
@example((0.0, 0.0, 0.0, 90.0))
@example((0.0, 0.0, 180.0, 0.0))
# One point named twice: ψ must be 0 but degrees → radians rounds 180° and -180° apart (this pair
# once failed with ψ · R = 1.55e-9 m against a 1e-9 m tolerance).
@example((180.0, 0.0, -180.0, 0.0))
@example((-180.0, 45.0, 180.0, 45.0))
@example((123.0, 90.0, -45.0, 90.0))  # the pole under two longitudes
@example((108.94, 34.26, 108.94, 34.26))  # the same (lon, lat) twice
@example((-180.0, -90.0, -180.0, -90.0))
def test_geodesic_distance_is_at_least_min_radius_times_normal_angle(
    pair: tuple[float, float, float, float],
) -> None:
    """The index stops re-ranking once ψ · MIN_CURVATURE_RADIUS_M exceeds its k-th distance; that
    is only exact if no geodesic is shorter than this bound."""
    s_m, _azimuth = oracle(*pair)
    bound_m = MIN_CURVATURE_RADIUS_M * normal_angle_rad(*pair)
    assert s_m >= bound_m - bound_tolerance_m(bound_m)


def test_bound_is_tight_for_a_short_arc_across_the_equator() -> None:
    """The constant is the largest that works: along the equatorial meridian the bound is met."""
    s_m, _azimuth = oracle(0.0, -1e-4, 0.0, 1e-4)
    bound_m = MIN_CURVATURE_RADIUS_M * normal_angle_rad(0.0, -1e-4, 0.0, 1e-4)
    # No tolerance below: on the prime meridian cos and sin of the longitude are exact, so ψ
    # rounds only relatively (a few ε), and the true margin here is 3.9e-14 relative (176ε).
    assert bound_m <= s_m <= bound_m * (1.0 + 1e-10)
