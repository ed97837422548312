"""The rider-report rules on a clock the test chooses: the reported-closed threshold and its
window (counted by brute force over the window as an oracle), the 24-hour summary, the daily
rotation of reporters' hashes, and report validation."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from geo.position import LonLat
from stations.errors import InvalidInput
from stations.hours import Openness
from stations.model import Category, ReportSignal, Station, StationId
from stations.reading.catalog import Catalog, opening_status
from stations.reading.locator import find_nearby, nearby_query
from stations.reports import (
    CLOSURE_CATEGORIES,
    ReportRule,
    client_hashes,
    summary,
    validate_report,
)
from tests.conftest import MakeDraft

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
RULE = ReportRule(threshold=3, window=timedelta(hours=6))


def signal(reporter: str, minutes: float, category: Category = Category.CLOSED_NOW) -> ReportSignal:
    return ReportSignal(category, None, reporter, T0 + timedelta(minutes=minutes))


def _closed_by_brute_force(signals: list[ReportSignal], at: datetime) -> bool:
    reporters = {
        s.reporter
        for s in signals
        if s.category in CLOSURE_CATEGORIES and at - RULE.window < s.at <= at
    }
    return len(reporters) >= RULE.threshold


def test_the_threshold_counts_distinct_reporters_within_the_window() -> None:
    signals = [signal("a", 0), signal("a", 10), signal("b", 20, Category.GONE)]
    assert RULE.closed_until(signals, T0 + timedelta(minutes=30)) is None
    signals.append(signal("c", 60))
    at = T0 + timedelta(minutes=61)
    # Lasts until the third-latest reporter's latest report ("a" at +10 min) leaves the window.
    assert RULE.closed_until(signals, at) == T0 + timedelta(minutes=10) + RULE.window
    assert RULE.closed_until([*signals, signal("d", 5, Category.OTHER)], at) is not None
    assert RULE.closed_until([signal("x", 0, Category.CONFIRMED_OK)] * 5, at) is None


def test_closed_until_agrees_with_brute_force_at_every_minute() -> None:
    rng = random.Random(20261201)
    for _ in range(30):
        signals = [
            signal(rng.choice("abcdef"), rng.uniform(0, 900), rng.choice(list(Category)))
            for _ in range(rng.randint(0, 12))
        ]
        for minute in range(0, 1300, 7):
            at = T0 + timedelta(minutes=minute)
            until = RULE.closed_until(signals, at)
            assert (until is not None) == _closed_by_brute_force(signals, at)
            if until is not None:
                # Closed at every instant up to the end it gives, open (by reports) at the end.
                assert _closed_by_brute_force(signals, until - timedelta(seconds=1))
                if not any(s.at > at for s in signals):
                    assert not _closed_by_brute_force(signals, until)


def test_a_reported_closed_station_reopens_by_itself_when_the_window_passes(
    make_draft: MakeDraft,
) -> None:
    draft = make_draft(opening_hours="24/7")
    reports = (signal("a", 0), signal("b", 30), signal("c", 60))
    station = Station(
        **{n: getattr(draft, n) for n in draft.__slots__},  # type: ignore[attr-defined]
        version=1,
        updated_at=T0,
        reports=reports,
    )
    during = T0 + timedelta(hours=2)
    status = opening_status(station, during, RULE)
    assert status.state is Openness.REPORTED_CLOSED
    assert status.next_change == T0 + RULE.window  # "a" leaves the window then
    assert opening_status(station, T0 + RULE.window, RULE).state is Openness.OPEN
    catalog = Catalog([station], report_rule=RULE)
    origin = LonLat(station.lon, station.lat)
    for at, found in ((during, 0), (T0 + timedelta(hours=7), 1)):
        query = nearby_query(now=at, k=5, open_now=True)
        assert len(find_nearby(catalog, origin, query)) == found
    # A stricter rule (four riders) never marks it.
    strict = Catalog([station], report_rule=ReportRule(threshold=4))
    assert len(find_nearby(strict, origin, nearby_query(now=during, k=5, open_now=True))) == 1
    assert StationId(station.id) in strict.by_id


def test_the_summary_covers_the_last_24_hours() -> None:
    signals = [signal("a", 0), signal("b", 60, Category.OTHER), signal("c", 24 * 60 + 1)]
    assert summary(signals, T0 + timedelta(hours=2)) == {"closed_now": 1, "other": 1}
    # At +25 h "a" (+0) has aged out, "b" (+1 h) sits exactly on the edge (out), "c" is in.
    assert summary(signals, T0 + timedelta(hours=25)) == {"closed_now": 1}
    assert summary(signals, T0 + timedelta(hours=49)) == {}


def test_a_reporter_hash_rotates_daily_and_depends_on_the_salt() -> None:
    today, yesterday = client_hashes(42, "198.51.100.7", T0)
    tomorrow = client_hashes(42, "198.51.100.7", T0 + timedelta(days=1))
    assert tomorrow[1] == today and today != yesterday and tomorrow[0] != today
    assert client_hashes(43, "198.51.100.7", T0)[0] != today
    assert client_hashes(42, "198.51.100.8", T0)[0] != today
    assert "198.51.100.7" not in today and len(today) == 32
    # Days are China's: 23:30 UTC is already the next day in Beijing.
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert client_hashes(42, "x", late)[0] == client_hashes(42, "x", T0 + timedelta(days=1))[0]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"category": "amenity_missing"}, {"amenity"}),
        ({"category": "nope", "amenity": "toilet"}, {"category"}),
        ({"category": "gone", "note": "  "}, set()),
        ({"category": "other", "photo": "x", "note": "\ud800"}, {"photo", "note"}),
    ],
)
def test_validation_names_every_bad_field(body: dict[str, object], fields: set[str]) -> None:
    if not fields:
        assert validate_report(StationId("s"), body).note is None
        return
    with pytest.raises(InvalidInput) as caught:
        validate_report(StationId("s"), body)
    assert {p.field for p in caught.value.problems} == fields
