"""Many riders asking "open at t?" at once (``neighbours_of_many`` / ``find_nearby_many``) get,
row for row, what ``find_nearby`` answers each of them: with the full index and a mask, and
with a selective filter's restricted index, on stations whose hours differ (holiday-closed
offices, night shifts, temporary closures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from geo.position import LonLat
from stations.model import Kind, Station, StationId, Status
from stations.reading.batch import find_nearby_many, neighbours_of_many
from stations.reading.catalog import Catalog
from stations.reading.locator import find_nearby, nearby_query

HOURS = ["24/7", "Mo-Fr 09:00-18:00; PH off", "Mo-Su 20:00-08:00", "Sa,Su 10:00-16:00", None]
AT = [
    datetime(2026, 12, 2, 2, 0, tzinfo=UTC),  # Wednesday 10:00 in China
    datetime(2026, 10, 1, 2, 0, tzinfo=UTC),  # National Day, 10:00: offices closed
    datetime(2026, 12, 5, 14, 0, tzinfo=UTC),  # Saturday 22:00
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    rng = np.random.default_rng(8)
    stations = []
    for n in range(3000):
        rare = n % 251 == 0  # 12 stations with an AED, hours of every kind: a small index
        stations.append(
            Station(
                id=StationId(f"s{n:05d}"), name=f"驿站{n}", kind=Kind.LOVE_STATION,
                lon=float(108.9 + rng.normal(0, 0.05)), lat=float(34.25 + rng.normal(0, 0.05)),
                address=None, district_code="610103",
                amenities=("water", "aed") if rare else ("water",),
                opening_hours=HOURS[n % len(HOURS)], phone=None, host=None,
                status=Status.ACTIVE, version=1, updated_at=AT[0],
                closed_until=AT[0] + timedelta(days=2) if n % 97 == 0 else None,
            )
        )  # fmt: skip
    return Catalog(stations)


@pytest.mark.parametrize("amenities", [(), ("aed",)])
@pytest.mark.parametrize("at", AT)
def test_each_row_is_find_nearby(
    catalog: Catalog, amenities: tuple[str, ...], at: datetime
) -> None:
    rng = np.random.default_rng(2)
    lon, lat = 108.9 + rng.normal(0, 0.05, 150), 34.25 + rng.normal(0, 0.05, 150)
    query = nearby_query(now=at, k=4, amenities=amenities, open_now=True)
    found = neighbours_of_many(catalog, lon, lat, query)
    matches = find_nearby_many(catalog, lon, lat, query)
    for i in range(lon.size):
        single = find_nearby(catalog, LonLat(float(lon[i]), float(lat[i])), query)
        want = [catalog.position_of(m.station.id) for m in single]
        assert found.positions[i].tolist() == want + [-1] * (4 - len(want))
        assert found.distances_m[i, : len(want)].tolist() == [m.distance_m for m in single]
        assert matches[i] == single
    plain = neighbours_of_many(catalog, lon, lat, nearby_query(now=at, k=4, amenities=amenities))
    assert (plain.positions != found.positions).any()  # the hours did remove stations
