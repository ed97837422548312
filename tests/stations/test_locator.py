"""find_nearby and list_stations against a brute-force GeographicLib oracle."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic

from geo.crs import CoordinateSystem, from_wgs84
from geo.position import LonLat
from stations.amenities import CODES, mask_of
from stations.hours import Openness
from stations.model import Kind, Station, StationDraft, StationId, Status
from stations.reading.catalog import Catalog
from stations.reading.locator import ListQuery, NearbyQuery, find_nearby, list_stations
from tests.conftest import MakeDraft

SH = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=SH)  # a Wednesday
NIGHT = datetime(2026, 11, 25, 3, 0, tzinfo=SH)
HOURS = ["24/7", "Mo-Fr 08:30-17:30", "Mo-Su 18:00-06:00", None]
AMENITY_SETS = [("water",), ("water", "microwave"), ("microwave", "toilet"), ("meals",), ()]


def as_station(d: StationDraft) -> Station:
    assert d.id is not None
    return Station(
        d.id,
        d.name,
        d.kind,
        d.lon,
        d.lat,
        d.address,
        d.district_code,
        d.amenities,
        d.opening_hours,
        d.phone,
        d.host,
        d.status,
        1,
        NOON,
    )


@pytest.fixture(scope="module")
def stations() -> list[Station]:
    rng = np.random.default_rng(7)
    out = []
    for i in range(1500):
        lon, lat = 108.94 + rng.normal(0, 0.05), 34.26 + rng.normal(0, 0.05)
        status = (
            Status.RETIRED
            if i % 97 == 0
            else (Status.CLOSED_TEMPORARILY if i % 89 == 0 else Status.ACTIVE)
        )
        out.append(
            as_station(
                StationDraft(
                    id=StationId(f"s{i:05d}"),
                    name=f"站{i}",
                    kind=Kind.SERVICE_POINT if i % 5 == 0 else Kind.LOVE_STATION,
                    lon=round(lon, 6),
                    lat=round(lat, 6),
                    address=None,
                    district_code="610103",
                    amenities=AMENITY_SETS[i % len(AMENITY_SETS)] if i % 211 else ("meals", "aed"),
                    opening_hours=HOURS[i % len(HOURS)],
                    phone=None,
                    host=None,
                    status=status,
                )
            )
        )
    # Two stations in one building, a few metres apart, and an exact duplicate position.
    twin = out[10]
    out.append(
        as_station(
            StationDraft(
                StationId("s-twin"),
                "双",
                Kind.LOVE_STATION,
                twin.lon,
                twin.lat + 3e-5,
                None,
                "610103",
                ("water",),
                "24/7",
                None,
                None,
            )
        )
    )
    out.append(
        as_station(
            StationDraft(
                StationId("a-dup"),
                "同",
                Kind.LOVE_STATION,
                twin.lon,
                twin.lat,
                None,
                "610103",
                ("water",),
                "24/7",
                None,
                None,
            )
        )
    )
    return out


@pytest.fixture(scope="module")
def catalog(stations: list[Station]) -> Catalog:
    return Catalog(stations)


def oracle(stations: list[Station], origin: LonLat, query: NearbyQuery) -> list[tuple[str, float]]:
    found = []
    for s in stations:
        if s.status is Status.RETIRED or not set(query.amenities) <= set(s.amenities):
            continue
        if query.kinds and s.kind not in query.kinds:
            continue
        if query.open_at is not None:
            from stations.hours import Hours

            if s.status is not Status.ACTIVE:
                continue
            if Hours.parse(s.opening_hours).state(query.open_at) is not Openness.OPEN:
                continue
        d = Geodesic.WGS84.Inverse(origin.lat, origin.lon, s.lat, s.lon)["s12"]
        if query.radius_m is None or d <= query.radius_m:
            found.append((d, s.id))
    found.sort()
    return [(sid, d) for d, sid in found[: query.k]]


QUERIES = [
    NearbyQuery(at=NOON, k=5),
    NearbyQuery(at=NOON, k=10, amenities=("water", "microwave")),
    NearbyQuery(at=NOON, k=3, amenities=("meals", "aed")),  # selective: own small index
    NearbyQuery(at=NOON, k=5, kinds=frozenset({Kind.SERVICE_POINT})),
    NearbyQuery(at=NOON, k=5, open_at=NOON),
    NearbyQuery(at=NIGHT, k=5, open_at=NIGHT, amenities=("water",)),
    NearbyQuery(at=NOON, k=100, radius_m=1500.0),
    NearbyQuery(at=NOON, k=7, amenities=("microwave", "toilet"), radius_m=8000.0, open_at=NIGHT),
]


@pytest.mark.parametrize("query", QUERIES)
def test_find_nearby_equals_the_oracle(
    catalog: Catalog, stations: list[Station], query: NearbyQuery
) -> None:
    rng = np.random.default_rng(3)
    for _ in range(12):
        origin = LonLat(108.94 + rng.normal(0, 0.05), 34.26 + rng.normal(0, 0.05))
        got = [(m.station.id, m.distance_m) for m in find_nearby(catalog, origin, query)]
        want = oracle(stations, origin, query)
        assert [g[0] for g in got] == [w[0] for w in want]
        assert np.allclose([g[1] for g in got], [w[1] for w in want], atol=1e-3, rtol=0)


def test_stations_in_one_building_are_ordered_by_distance_then_id(
    catalog: Catalog, stations: list[Station]
) -> None:
    twin = stations[10]
    origin = LonLat(twin.lon, twin.lat - 1e-4)
    ids = [m.station.id for m in find_nearby(catalog, origin, NearbyQuery(at=NOON, k=3))]
    assert ids == ["a-dup", twin.id, "s-twin"]  # equal distance: "a-dup" < "s00010"


def test_matches_carry_bearing_and_hours(catalog: Catalog) -> None:
    origin = LonLat(108.94, 34.26)
    for m in find_nearby(catalog, origin, NearbyQuery(at=NIGHT, k=20)):
        g = Geodesic.WGS84.Inverse(origin.lat, origin.lon, m.station.lat, m.station.lon)
        assert m.bearing_deg == pytest.approx(g["azi1"] % 360, abs=1e-9)
        if m.station.status is Status.CLOSED_TEMPORARILY:
            assert m.hours.state is Openness.CLOSED
        if m.station.opening_hours is None and m.station.status is Status.ACTIVE:
            assert m.hours.state is Openness.UNKNOWN


def test_retired_stations_are_never_found(catalog: Catalog, stations: list[Station]) -> None:
    retired = next(s for s in stations if s.status is Status.RETIRED)
    found = find_nearby(catalog, LonLat(retired.lon, retired.lat), NearbyQuery(at=NOON, k=3))
    assert retired.id not in {m.station.id for m in found}
    assert retired.id in catalog.by_id  # still known, e.g. for history


def test_a_filter_asked_often_gets_its_own_index_and_the_same_answers(
    stations: list[Station],
) -> None:
    catalog = Catalog(stations)  # a fresh snapshot: nothing promoted yet
    query = NearbyQuery(at=NOON, k=6, amenities=("water",))
    selection = catalog.selection(mask_of(query.amenities), frozenset())
    assert selection.index is None and selection.fraction > 0.2  # served with the mask at first
    rng = np.random.default_rng(11)
    for _ in range(80):  # across the promotion, each answer checked
        origin = LonLat(108.94 + rng.normal(0, 0.05), 34.26 + rng.normal(0, 0.05))
        got = [(m.station.id, m.distance_m) for m in find_nearby(catalog, origin, query)]
        want = oracle(stations, origin, query)
        assert [g[0] for g in got] == [w[0] for w in want]
        assert np.allclose([g[1] for g in got], [w[1] for w in want], atol=1e-3, rtol=0)
    promoted = catalog.selection(mask_of(query.amenities), frozenset())
    assert promoted.index is not None and len(promoted.index) == np.count_nonzero(promoted.mask)


def test_a_promoted_filter_outlives_many_other_filters_in_the_cache(
    stations: list[Station],
) -> None:
    catalog = Catalog(stations)
    origin = LonLat(108.94, 34.26)
    popular = NearbyQuery(at=NOON, k=3, amenities=("water",))
    for _ in range(40):
        find_nearby(catalog, origin, popular)
    assert catalog.selection(mask_of(popular.amenities), frozenset()).index is not None
    pairs = list(itertools.combinations(CODES, 2))[:70]  # 70 other filters, once each
    for pair in pairs:
        find_nearby(catalog, origin, NearbyQuery(at=NOON, k=3, amenities=pair))
    assert catalog.selection(mask_of(popular.amenities), frozenset()).index is not None
    got = [m.station.id for m in find_nearby(catalog, origin, popular)]
    assert got == [sid for sid, _d in oracle(stations, origin, popular)]


def test_promoted_indexes_hold_at_most_as_many_stations_as_the_snapshot(
    stations: list[Station],
) -> None:
    catalog = Catalog(stations)
    origin = LonLat(108.94, 34.26)
    filters = [("water",), ("microwave",), ("toilet",), ()]
    kinds = frozenset({Kind.LOVE_STATION})  # makes the empty filter a filter too
    for amenities in filters:
        for _ in range(40):
            find_nearby(
                catalog, origin, NearbyQuery(at=NOON, k=3, amenities=amenities, kinds=kinds)
            )
    sizes = [
        len(sel.index)
        for sel in (catalog.selection(mask_of(a), kinds) for a in filters)
        if sel.index is not None
    ]
    assert sizes, "the first popular filter is promoted"
    assert len(sizes) < len(filters), "the budget stops the promotions before the last filter"
    assert sum(sizes) <= len(catalog)


def test_position_of_names_each_visible_station_and_no_other(
    catalog: Catalog, stations: list[Station]
) -> None:
    for position, station in enumerate(catalog.visible):
        assert catalog.position_of(station.id) == position
    for station in stations:
        if station.status is Status.RETIRED:
            assert catalog.position_of(station.id) is None
    for unknown in ("", "~", "0", stations[0].id + "-"):
        assert catalog.position_of(StationId(unknown)) is None


def test_an_empty_catalog_answers_empty() -> None:
    assert find_nearby(Catalog([]), LonLat(0, 0), NearbyQuery(at=NOON)) == []


def test_listing_filters_and_pages(catalog: Catalog, stations: list[Station]) -> None:
    bbox = (108.93, 34.25, 108.95, 34.27)
    page = list_stations(catalog, ListQuery(bbox=bbox, amenities=("water",), limit=5))
    want = sorted(
        s.id
        for s in stations
        if s.status is not Status.RETIRED
        and "water" in s.amenities
        and bbox[0] <= s.lon <= bbox[2]
        and bbox[1] <= s.lat <= bbox[3]
    )
    assert page.matched == len(want)
    assert [s.id for _, s in page.stations] == want[:5]
    rest = list_stations(catalog, ListQuery(bbox=bbox, amenities=("water",), limit=5, offset=5))
    assert [s.id for _, s in rest.stations] == want[5:10]


def test_listing_bbox_in_gcj02(catalog: Catalog, stations: list[Station]) -> None:
    lon, lat = from_wgs84(108.94, 34.26, CoordinateSystem.GCJ02)
    bbox = (float(lon) - 0.01, float(lat) - 0.01, float(lon) + 0.01, float(lat) + 0.01)
    page = list_stations(catalog, ListQuery(bbox=bbox, crs=CoordinateSystem.GCJ02, limit=1000))
    for _, s in page.stations:
        x, y = from_wgs84(s.lon, s.lat, CoordinateSystem.GCJ02)
        assert bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]
    assert page.matched > 0


def test_listing_bbox_across_the_antimeridian(make_draft: MakeDraft) -> None:
    drafts = [
        make_draft(lon=179.5, lat=0.0),
        make_draft(lon=-179.5, lat=0.0),
        make_draft(lon=0.0, lat=0.0),
    ]
    catalog = Catalog([as_station(d) for d in drafts])
    page = list_stations(catalog, ListQuery(bbox=(179.0, -1.0, -179.0, 1.0)))
    assert sorted(s.lon for _, s in page.stations) == [-179.5, 179.5]


def test_listing_by_district_prefix(make_draft: MakeDraft) -> None:
    drafts = [
        make_draft(district_code="610103"),
        make_draft(district_code="610402"),
        make_draft(district_code="610112"),
    ]
    catalog = Catalog([as_station(d) for d in drafts])
    page = list_stations(catalog, ListQuery(district="6101"))
    assert sorted(s.district_code for _, s in page.stations) == ["610103", "610112"]


def test_a_courier_search_needs_no_mask_while_every_station_is_open_to_couriers() -> None:
    from datetime import UTC

    from stations.model import COURIER_ACCESS, Access, Kind, Station, StationId, Status

    def station(n: int, access: Access) -> Station:
        return Station(StationId(f"s{n}"), f"驿站{n}", Kind.LOVE_STATION, 108.9 + n * 1e-3,
                       34.2, None, "610103", (), "24/7", None, None, Status.ACTIVE, 1,
                       datetime(2026, 1, 1, tzinfo=UTC), access=access)  # fmt: skip

    open_to_all = Catalog([station(n, Access.PUBLIC) for n in range(5)])
    assert open_to_all.search_space((), frozenset(), COURIER_ACCESS).mask is None
    mixed = Catalog([station(0, Access.UNION_MEMBERS), station(1, Access.OUTDOOR_WORKERS)])
    space = mixed.search_space((), frozenset(), COURIER_ACCESS)
    assert space.mask is not None and space.mask.tolist() == [False, True]


def test_near_finds_every_visible_station_within_the_radius(make_draft: MakeDraft) -> None:
    # 70 stations 0.4 m apart along a parallel (more than one batch of the index's answer),
    # one farther than 30 m, one retired.
    crowd = [make_draft(lon=108.94 + i * 4e-6, lat=34.26) for i in range(70)]
    far = make_draft(lon=108.9404, lat=34.26)  # ~37 m east
    retired = make_draft(lon=108.94, lat=34.26, status=Status.RETIRED)
    catalog = Catalog([as_station(d) for d in [*crowd, far, retired]])
    found = catalog.near(108.94, 34.26, 30.0)
    assert [s.id for s in found] == [d.id for d in crowd]  # nearest first
    assert catalog.near(0.0, 0.0, 30.0) == [] and Catalog([]).near(108.94, 34.26, 30.0) == []
