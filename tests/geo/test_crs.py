"""geo.crs against vectors published by eviltransform, gcoord and coordtransform, plus round trips
measured in metres, the "in China" rectangle, NaN, broadcasting and vectorisation.

Tolerances: Jest's ``toBeCloseTo(x, n)`` passes when |error| < 10**-n / 2, and unittest's
``assertAlmostEqual(a, b, 6)`` when round(a - b, 6) == 0, i.e. |error| <= 5e-7; each test below
names the assertion it copies.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

from geo.crs import (
    CoordinateSystem,
    bd09_to_gcj02,
    convert,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    to_wgs84,
    wgs84_to_gcj02,
)
from geo.crs_point import convert_point

WGS84, GCJ02, BD09 = CoordinateSystem.WGS84, CoordinateSystem.GCJ02, CoordinateSystem.BD09
GEOD = Geod(ellps="WGS84")
ROUND_TRIP_M = 0.01


def jest_close(digits: int) -> float:
    """The largest error Jest's ``toBeCloseTo(expected, digits)`` accepts."""
    return 10.0**-digits / 2


def geodesic_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> NDArray[Any]:
    """WGS-84 ellipsoidal distances in metres, broadcast; the yardstick for every round trip."""
    a, b, c, d = (
        np.ascontiguousarray(v)
        for v in np.broadcast_arrays(
            *(np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2))
        )
    )
    return np.asarray(GEOD.inv(a, b, c, d)[2])


# --- googollee/eviltransform ----------------------------------------------------------------
# python/test.py (commit 3416646abc64972e899118271bd98030224d9d6c), the same three vectors as
# go/transform_test.go and javascript/test.js:
# https://github.com/googollee/eviltransform/blob/master/python/test.py
# Their order is (wgsLat, wgsLng, gcjLat, gcjLng): latitude first, unlike ours.
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # beijing
]
# Not used: the same file's TESTS_bd (bd2wgs vectors). They were made with a BD-09 formula that
# has π where x_pi = π·3000/180 belongs (the sin(y * math.pi) of python/eviltransform.py), which
# reproduces them exactly and lies 10-40 m from the formula that gcoord, coordtransform and
# eviltransform's own later code use.


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM)
def test_eviltransform_wgs84_to_gcj02(
    wgs_lat: float, wgs_lon: float, gcj_lat: float, gcj_lon: float
) -> None:
    lon, lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    # assertAlmostEqual(..., 6), as test_wgs2gcj.
    assert float(lon) == pytest.approx(gcj_lon, abs=5e-7)
    assert float(lat) == pytest.approx(gcj_lat, abs=5e-7)


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM)
def test_eviltransform_gcj02_to_wgs84(
    wgs_lat: float, wgs_lon: float, gcj_lat: float, gcj_lon: float
) -> None:
    lon, lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    # test_gcj2wgs_exact accepts 0.5 m; the expected GCJ-02 values are full-precision forward
    # images, so an exact inverse must also land within our own 1e-10° convergence bound.
    assert geodesic_m(lon, lat, wgs_lon, wgs_lat)[0] < 0.5
    assert abs(float(lon) - wgs_lon) < 1e-9
    assert abs(float(lat) - wgs_lat) < 1e-9


# --- hujiulong/gcoord: unit vectors at (123, 45) ----------------------------------------------
# test/unit/crs/WGS84.spec.ts, GCJ02.spec.ts (commit 42ea29df479c739f9b39f9c8e939fb7ae39e5a3e)
# and BD09.spec.ts (commit 0bb92090a8e324921888043de75e5b31854d5309), all toBeCloseTo(x, 5):
# https://github.com/hujiulong/gcoord/tree/master/test/unit/crs
GCOORD_AT_123_45 = [
    (WGS84, GCJ02, (123.00607541, 45.00197815)),
    (WGS84, BD09, (123.0124491, 45.0083293)),
    (GCJ02, WGS84, (122.99395597, 44.99804071)),
    (GCJ02, BD09, (123.00636499, 45.00636899)),
    (BD09, GCJ02, (122.99363304, 44.99365430)),
    (BD09, WGS84, (122.98762210, 44.99171540)),
]


@pytest.mark.parametrize(("source", "target", "expected"), GCOORD_AT_123_45)
def test_gcoord_unit_vectors(
    source: CoordinateSystem, target: CoordinateSystem, expected: tuple[float, float]
) -> None:
    lon, lat = convert(123, 45, source, target)
    assert float(lon) == pytest.approx(expected[0], abs=jest_close(5))
    assert float(lat) == pytest.approx(expected[1], abs=jest_close(5))


@pytest.mark.parametrize("function", [wgs84_to_gcj02, gcj02_to_wgs84])
def test_gcoord_not_in_china_is_unchanged(function: Any) -> None:
    # WGS84.spec.ts and GCJ02.spec.ts: transform([183, 45]) toEqual [183, 45].
    lon, lat = function(183, 45)
    assert (float(lon), float(lat)) == (183.0, 45.0)


# --- hujiulong/gcoord: 79 Chinese cities --------------------------------------------------------
# Copied into fixtures/gcoord_china_cities.json (source and commit inside). Tolerances from the
# versions of test/unit/crs/{WGS84,GCJ02,BD09}.spec.ts that iterate over the file, and from
# test/unit/transform.spec.ts (commit 308aa13f1cf07f718d8f4652adb16369862458cc):
# toBeCloseTo 4 for anything through WGS-84, 5 for BD-09 → GCJ-02, 6 for GCJ-02 → BD-09.
CITIES = json.loads((Path(__file__).parent / "fixtures" / "gcoord_china_cities.json").read_text())
CITY_COORDS = {
    name: np.array([city[name] for city in CITIES["cities"]]) for name in ("WGS84", "GCJ02", "BD09")
}
GCOORD_CITY_DIGITS = [
    (WGS84, GCJ02, 4),
    (GCJ02, WGS84, 4),
    (WGS84, BD09, 4),
    (BD09, WGS84, 4),
    (GCJ02, BD09, 6),
    (BD09, GCJ02, 5),
]


@pytest.mark.parametrize(("source", "target", "digits"), GCOORD_CITY_DIGITS)
def test_gcoord_china_cities(
    source: CoordinateSystem, target: CoordinateSystem, digits: int
) -> None:
    given_pts = CITY_COORDS[source.name]
    expected = CITY_COORDS[target.name]
    lon, lat = convert(given_pts[:, 0], given_pts[:, 1], source, target)
    assert len(CITIES["cities"]) == 79
    np.testing.assert_allclose(lon, expected[:, 0], rtol=0, atol=jest_close(digits))
    np.testing.assert_allclose(lat, expected[:, 1], rtol=0, atol=jest_close(digits))


# --- wandergis/coordtransform -------------------------------------------------------------------
# test/app.js (commit 242324636adb54f9d1ef571035dc61f0ac8f0e8c), every function at (116.404,
# 39.915), results printed in its "//result" comment:
# https://github.com/wandergis/coordtransform/blob/master/test/app.js
# The point lies inside both coordtransform's box and ours.
COORDTRANSFORM_INPUT = (116.404, 39.915)


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (gcj02_to_bd09, (116.41036949371029, 39.92133699351021)),
        (wgs84_to_gcj02, (116.41024449916938, 39.91640428150164)),
    ],
)
def test_coordtransform_forward(function: Any, expected: tuple[float, float]) -> None:
    # Same formula, so equal up to libm rounding; far tighter than the ~1e-6° one could allow.
    lon, lat = function(*COORDTRANSFORM_INPUT)
    assert float(lon) == pytest.approx(expected[0], abs=1e-9)
    assert float(lat) == pytest.approx(expected[1], abs=1e-9)


@pytest.mark.parametrize(
    ("inverse", "forward", "approximate", "tolerance_m"),
    [
        # Baidu's published approximate inverse: at most 4e-6° (0.45 m) off, measured globally.
        (bd09_to_gcj02, gcj02_to_bd09, (116.39762729119315, 39.90865673957631), 0.5),
        # The one-step inverse; eviltransform documents "accuracy is 1m to 2m" for it.
        (gcj02_to_wgs84, wgs84_to_gcj02, (116.39775550083061, 39.91359571849836), 2.0),
    ],
)
def test_coordtransform_approximate_inverses(
    inverse: Any, forward: Any, approximate: tuple[float, float], tolerance_m: float
) -> None:
    """coordtransform's inverses are approximations: ours must agree within their error, and
    must be the better inverse (forward of ours gives the input back, forward of theirs not)."""
    lon, lat = inverse(*COORDTRANSFORM_INPUT)
    assert geodesic_m(lon, lat, *approximate)[0] < tolerance_m
    ours = np.hypot(*(np.subtract(forward(lon, lat), COORDTRANSFORM_INPUT)))
    theirs = np.hypot(*(np.subtract(forward(*approximate), COORDTRANSFORM_INPUT)))
    assert ours < 1e-9 < theirs


# --- the "in China" rectangle ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("place", "lon", "lat", "inside"),
    [
        ("Xi'an", 108.94, 34.26, True),
        ("Taipei", 121.56, 25.04, True),
        ("Seoul", 126.98, 37.57, True),
        ("Ulaanbaatar", 106.92, 47.92, True),
        ("Osaka", 135.50, 34.69, True),
        ("Singapore", 103.82, 1.35, True),
        ("Tokyo", 139.69, 35.69, False),
        ("London", -0.13, 51.51, False),
        ("Jakarta", 106.85, -6.21, False),
        ("south-west corner", 72.004, 0.8293, True),
        ("north-east corner", 137.8347, 55.8271, True),
        ("just west", np.nextafter(72.004, 0.0), 30.0, False),
        ("just north", 100.0, np.nextafter(55.8271, 90.0), False),
        ("NaN", np.nan, 30.0, False),
    ],
)
def test_in_china_is_the_inclusive_rectangle(
    place: str, lon: float, lat: float, inside: bool
) -> None:
    assert bool(in_china(lon, lat)) is inside, place


def test_bd09_applies_everywhere() -> None:
    # Outside the box BD-09 is the unshifted point plus Baidu's offset; inside, the GCJ-02 shift
    # comes first. London is far outside.
    lon, lat = convert(-0.1276, 51.5072, WGS84, BD09)
    expected = gcj02_to_bd09(-0.1276, 51.5072)
    assert (float(lon), float(lat)) == (float(expected[0]), float(expected[1]))
    assert abs(float(lon) + 0.1276) > 1e-3


def test_bd09_to_wgs84_tests_the_box_on_the_gcj02_point() -> None:
    # Inside the box as BD-09, outside it once Baidu's 0.0065° offset is undone: no GCJ-02 shift.
    bd_lon, bd_lat = 72.004 + 0.003, 30.0
    assert bool(in_china(bd_lon, bd_lat))
    gcj_lon, gcj_lat = bd09_to_gcj02(bd_lon, bd_lat)
    assert not bool(in_china(gcj_lon, gcj_lat))
    lon, lat = convert(bd_lon, bd_lat, BD09, WGS84)
    assert (float(lon), float(lat)) == (float(gcj_lon), float(gcj_lat))


# --- round trips, in metres -----------------------------------------------------------------------
MAINLAND_LON = st.floats(73.5, 135.0)
MAINLAND_LAT = st.floats(18.0, 53.5)
mainland_points = st.lists(st.tuples(MAINLAND_LON, MAINLAND_LAT), min_size=1, max_size=50)

ROUND_TRIPS = [(WGS84, GCJ02), (GCJ02, BD09), (WGS84, BD09)]


def round_trip_error_m(
    lon: ArrayLike, lat: ArrayLike, there: CoordinateSystem, back: CoordinateSystem
) -> NDArray[Any]:
    out_lon, out_lat = convert(*convert(lon, lat, there, back), back, there)
    return geodesic_m(lon, lat, out_lon, out_lat)


@pytest.mark.parametrize(("start", "via"), ROUND_TRIPS)
@given(points=mainland_points)
def test_round_trip_within_a_centimetre(
    start: CoordinateSystem, via: CoordinateSystem, points: list[tuple[float, float]]
) -> None:
    lon, lat = np.array(points).T
    assert round_trip_error_m(lon, lat, start, via).max() < ROUND_TRIP_M


@pytest.mark.parametrize(("start", "via"), ROUND_TRIPS)
def test_round_trip_over_a_dense_sample(start: CoordinateSystem, via: CoordinateSystem) -> None:
    rng = np.random.default_rng(20240611)
    lon, lat = rng.uniform(73.5, 135.0, 200_000), rng.uniform(18.0, 53.5, 200_000)
    # Measured at most 2.6e-5 m over a million such points: that is the 1e-10° convergence
    # bound showing, far inside the centimetre budget.
    assert round_trip_error_m(lon, lat, start, via).max() < 1e-4


@given(lon=st.floats(72.004 + 0.02, 137.8347 - 0.02), lat=st.floats(0.8293 + 0.02, 55.8271 - 0.02))
def test_gcj02_round_trip_anywhere_in_the_box_away_from_its_edge(lon: float, lat: float) -> None:
    # 0.02° keeps the point further from the edge than the largest shift (735 m), so the GCJ-02
    # image stays inside and the inverse applies.
    assert round_trip_error_m(lon, lat, WGS84, GCJ02)[0] < ROUND_TRIP_M


@given(lon=st.floats(-180.0, 180.0), lat=st.floats(-90.0, 90.0))
def test_bd09_round_trip_anywhere_on_earth(lon: float, lat: float) -> None:
    back = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert abs(float(back[0]) - lon) < 1e-9
    assert abs(float(back[1]) - lat) < 1e-9


@pytest.mark.parametrize("function", [wgs84_to_gcj02, gcj02_to_wgs84])
@given(lon=st.floats(-180.0, 180.0), lat=st.floats(-90.0, 90.0))
def test_outside_the_box_gcj02_is_wgs84(function: Any, lon: float, lat: float) -> None:
    assume(not bool(in_china(lon, lat)))
    out_lon, out_lat = function(lon, lat)
    assert (float(out_lon), float(out_lat)) == (lon, lat)


# --- shapes, vectorisation, NaN -------------------------------------------------------------------
ALL_PAIRS = [(s, t) for s in CoordinateSystem for t in CoordinateSystem]


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS)
def test_arrays_match_element_wise_calls(
    source: CoordinateSystem, target: CoordinateSystem
) -> None:
    rng = np.random.default_rng(7)
    # Mostly China, with some of the rest of the world so both sides of the box are exercised.
    lon = np.concatenate([rng.uniform(73.0, 135.0, 1500), rng.uniform(-180.0, 180.0, 500)])
    lat = np.concatenate([rng.uniform(18.0, 53.5, 1500), rng.uniform(-90.0, 90.0, 500)])
    out_lon, out_lat = convert(lon, lat, source, target)
    one_by_one = np.array(
        [[float(v) for v in convert(x, y, source, target)] for x, y in zip(lon, lat, strict=True)]
    )
    # Bit-identical on the machine this was written on; but a libm may round a vector sin and a
    # scalar one differently in the last bit, and an inverse may then stop one round apart, so
    # allow the 1e-10° convergence bound.
    np.testing.assert_allclose(out_lon, one_by_one[:, 0], rtol=0, atol=2e-10)
    np.testing.assert_allclose(out_lat, one_by_one[:, 1], rtol=0, atol=2e-10)


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS)
def test_shapes_and_dtypes(source: CoordinateSystem, target: CoordinateSystem) -> None:
    scalar = convert(116, 40, source, target)
    assert all(a.shape == () and a.dtype == np.float64 for a in scalar)
    assert isinstance(float(scalar[0]), float)
    grid = convert(np.array([[100.0], [110.0], [120.0]]), [25.0, 30.0, 35.0, 40.0], source, target)
    assert all(a.shape == (3, 4) and a.dtype == np.float64 for a in grid)
    empty = convert(np.array([]), np.array([]), source, target)
    assert all(a.shape == (0,) for a in empty)


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS)
def test_nan_gives_nan_quietly_and_spares_its_neighbours(
    source: CoordinateSystem, target: CoordinateSystem
) -> None:
    lon, lat = np.array([np.nan, 116.0, 116.0]), np.array([40.0, np.nan, 40.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out_lon, out_lat = convert(lon, lat, source, target)
    assert np.isnan(out_lon[0]) or np.isnan(out_lat[0])
    assert np.isnan(out_lon[1]) or np.isnan(out_lat[1])
    expected = convert(116.0, 40.0, source, target)
    assert (out_lon[2], out_lat[2]) == (float(expected[0]), float(expected[1]))


def test_inputs_are_never_modified_or_aliased() -> None:
    lon, lat = np.array([116.0, 121.0]), np.array([40.0, 31.0])
    for source, target in ALL_PAIRS:
        out_lon, out_lat = convert(lon, lat, source, target)
        assert not np.shares_memory(out_lon, lon) and not np.shares_memory(out_lat, lat)
    assert lon.tolist() == [116.0, 121.0] and lat.tolist() == [40.0, 31.0]


# --- the dispatching helpers ----------------------------------------------------------------------
@pytest.mark.parametrize("system", list(CoordinateSystem))
def test_to_and_from_wgs84_are_convert(system: CoordinateSystem) -> None:
    lon, lat = np.array([116.404, 121.47]), np.array([39.915, 31.23])
    np.testing.assert_array_equal(to_wgs84(lon, lat, system), convert(lon, lat, system, WGS84))
    np.testing.assert_array_equal(from_wgs84(lon, lat, system), convert(lon, lat, WGS84, system))


def test_convert_takes_plain_names_and_refuses_unknown_ones() -> None:
    by_name = convert(116.404, 39.915, "gcj02", "bd09")  # type: ignore[arg-type]
    assert [float(v) for v in by_name] == [float(v) for v in gcj02_to_bd09(116.404, 39.915)]
    with pytest.raises(ValueError, match="cgcs2000"):
        convert(116.404, 39.915, "cgcs2000", "wgs84")  # type: ignore[arg-type]


def test_one_point_converts_to_the_same_bits_as_in_an_array() -> None:
    """convert_point (used per request) and convert (used per snapshot and per batch) must
    agree exactly, so a batch answer equals the single answers bit for bit."""
    rng = np.random.default_rng(20261127)
    n = 200_000
    lon = np.concatenate(
        [rng.uniform(72.0, 138.0, n), rng.uniform(-180, 180, n // 10),
         [72.004, 137.8347, 72.0039999, np.nan, 0.0, 180.0, -180.0]]
    )  # fmt: skip
    lat = np.concatenate(
        [rng.uniform(0.8, 56.0, n), rng.uniform(-90, 90, n // 10),
         [0.8293, 55.8271, 30.0, 30.0, np.nan, 90.0, -90.0]]
    )  # fmt: skip
    for source in CoordinateSystem:
        for target in CoordinateSystem:
            want_lon, want_lat = convert(lon, lat, source, target)
            got = [
                convert_point(x, y, source, target)
                for x, y in zip(lon.tolist(), lat.tolist(), strict=True)
            ]
            got_lon = np.array([p[0] for p in got])
            got_lat = np.array([p[1] for p in got])
            np.testing.assert_array_equal(got_lon, want_lon, err_msg=f"{source}→{target}")
            np.testing.assert_array_equal(got_lat, want_lat, err_msg=f"{source}→{target}")
