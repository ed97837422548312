"""Field state in the domain and the snapshot: edits keep what Yizhan records itself, an amenity
out of order fails an amenity filter, and ``verified_within_days`` counts back from the asked
instant (a clock the test chooses)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from geo.position import LonLat
from stations.model import Station, StationId
from stations.reading.catalog import Catalog
from stations.reading.locator import find_nearby, nearby_query
from stations.store.open import open_store
from tests.conftest import MakeDraft

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _station(draft_maker: MakeDraft, **fields: object) -> Station:
    draft = draft_maker(**fields)
    return Station(
        **{name: getattr(draft, name) for name in draft.__slots__},  # type: ignore[attr-defined]
        version=1,
        updated_at=NOW,
    )


def _ids(catalog: Catalog, **query: object) -> set[StationId]:
    origin = LonLat(108.95, 34.26)
    matches = find_nearby(catalog, origin, nearby_query(now=NOW, k=50, **query))  # type: ignore[arg-type]
    return {m.station.id for m in matches}


def test_keep_state_carries_verification_and_drops_broken_amenities_no_longer_listed(
    make_draft: MakeDraft,
) -> None:
    since = NOW - timedelta(days=1)
    current = _station(
        make_draft,
        amenities=("water", "microwave", "toilet"),
        verified_at=NOW,
        last_confirmed_at=NOW,
        out_of_order=(("microwave", since), ("toilet", since)),
    )
    edited = make_draft(amenities=("water", "toilet"))
    kept = current.keep_state(edited)
    assert (kept.verified_at, kept.last_confirmed_at) == (NOW, NOW)
    assert kept.out_of_order == (("toilet", since),)
    assert kept.name == edited.name


def test_an_amenity_out_of_order_does_not_satisfy_a_filter(make_draft: MakeDraft) -> None:
    working = _station(make_draft, amenities=("water", "microwave"))
    broken = _station(
        make_draft, amenities=("water", "microwave"), out_of_order=(("microwave", NOW),)
    )
    catalog = Catalog([working, broken])
    assert broken.working_amenities == ("water",)
    assert _ids(catalog, amenities=("microwave",)) == {working.id}
    assert _ids(catalog, amenities=("water",)) == {working.id, broken.id}


@pytest.mark.parametrize(("age", "days", "kept"), [
    (timedelta(hours=23), 1, True),
    (timedelta(hours=25), 1, False),
    (timedelta(days=29, hours=23), 30, True),
    (timedelta(days=30, seconds=1), 30, False),
])  # fmt: skip
def test_verified_within_days_counts_back_from_now(
    make_draft: MakeDraft, age: timedelta, days: int, kept: bool
) -> None:
    verified = _station(make_draft, verified_at=NOW - age)
    never = _station(make_draft)
    # Many unverified stations: the verified one is a selective filter (its own small index).
    others = [_station(make_draft, lon=108.9 + i * 1e-4) for i in range(200)]
    catalog = Catalog([verified, never, *others])
    found = _ids(catalog, verified_within_days=days)
    assert found == ({verified.id} if kept else set())
    assert verified.id in _ids(catalog)


@pytest.mark.parametrize("backend", ["geopackage", "postgis"])
def test_both_stores_keep_field_state_exactly(
    backend: str, make_draft: MakeDraft, tmp_path: object, request: pytest.FixtureRequest
) -> None:
    db = request.getfixturevalue("pg_url") if backend == "postgis" else f"{tmp_path}/s.gpkg"
    store = open_store(db)
    try:
        draft = make_draft(amenities=("water", "microwave", "toilet"))
        store.save_all([draft])
        since = datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC)
        stored = store.get(StationId(str(draft.id)))
        state = replace(
            stored.to_draft(),
            verified_at=NOW,
            last_confirmed_at=NOW + timedelta(seconds=1),
            out_of_order=(("microwave", since), ("toilet", NOW)),
        )
        after = store.update(stored.id, state, expected_version=1, actor="t")
        assert (after.verified_at, after.last_confirmed_at) == (NOW, NOW + timedelta(seconds=1))
        assert after.out_of_order == (("microwave", since), ("toilet", NOW))
        assert store.list_stations()[0] == after
        (entry, _) = store.history(stored.id)
        assert entry.record["out_of_order"] == {
            "microwave": since.isoformat(),
            "toilet": NOW.isoformat(),
        }
    finally:
        store.close()
