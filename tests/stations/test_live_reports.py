"""Serving processes follow riders' reports: a report or a resolution written through one
store reaches a live snapshot on another connection (PostgreSQL: announced by NOTIFY; a
GeoPackage: by polling the reports version), and only the open reports are reloaded — the
stations are not read again, the data version does not move."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stations.hours import Openness
from stations.model import Category, StationId
from stations.reading.catalog import opening_status
from stations.reading.live import LiveCatalog
from stations.reports import ReportDraft, client_hashes
from stations.store.base import StationStore
from stations.store.open import open_store
from tests.conftest import MakeDraft


def _until(condition: Callable[[], bool], limit_s: float = 10.0) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < limit_s, "condition never held"
        time.sleep(0.005)
    return time.monotonic() - start


@pytest.fixture(params=["geopackage", "postgis"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgis":
        url: str = request.getfixturevalue("pg_url")
        return url
    return str(tmp_path / "s.gpkg")


@pytest.fixture
def stores(target: str) -> Iterator[tuple[StationStore, StationStore]]:
    writer, server = open_store(target), open_store(target)
    yield writer, server
    writer.close()
    server.close()


def test_reports_reach_another_process_and_reload_only_the_signals(
    stores: tuple[StationStore, StationStore], make_draft: MakeDraft
) -> None:
    writer, server = stores
    drafts = [make_draft(opening_hours="24/7") for _ in range(5)]
    writer.save_all(drafts)
    station_id = StationId(str(drafts[2].id))
    live = LiveCatalog(server, refresh_s=0.05, fallback_s=0.2)
    live.start()
    try:
        before = live.catalog
        untouched = StationId(str(drafts[0].id))
        kept = before.by_id[untouched]
        salt = writer.report_salt()
        now = datetime.now(UTC)
        for n in range(3):
            hashes = client_hashes(salt, f"198.51.100.{n}", now)
            draft = ReportDraft(station_id, Category.CLOSED_NOW, None, None)
            writer.add_report(draft, hashes, per_hour=10)
        _until(lambda: len(live.catalog.by_id[station_id].reports) == 3)
        after = live.catalog
        assert after.data_version == before.data_version
        assert after.reports_version == before.reports_version + 3
        assert after.by_id[untouched] is kept  # not read again, nor made again
        status = opening_status(after.by_id[station_id], datetime.now(UTC), after.report_rule)
        assert status.state is Openness.REPORTED_CLOSED
        position = after.position_of(station_id)
        assert position is not None
        assert after.hours[position].state(datetime.now(UTC)) is Openness.REPORTED_CLOSED
        ids = [r.id for r in writer.reports_of(station_id)]
        writer.resolve_reports(station_id, ids, accept=None, actor="t", reason="核实正常")
        _until(lambda: not live.catalog.by_id[station_id].reports)
        assert live.catalog.hours[position].state(datetime.now(UTC)) is Openness.OPEN
    finally:
        live.stop()


def test_reports_resolved_with_a_data_change_between_two_refreshes_are_gone(
    stores: tuple[StationStore, StationStore], make_draft: MakeDraft
) -> None:
    """A refresh that reloads the changed stations (a write happened) also takes the open
    reports afresh: a station that is not among the changed rows loses the reports resolved
    meanwhile, and is no longer reported closed."""
    writer, server = stores
    drafts = [make_draft(opening_hours="24/7") for _ in range(3)]
    writer.save_all(drafts)
    reported, edited = StationId(str(drafts[0].id)), StationId(str(drafts[1].id))
    live = LiveCatalog(server)  # not following: refreshed by hand
    salt, now = writer.report_salt(), datetime.now(UTC)
    for n in range(3):
        hashes = client_hashes(salt, f"198.51.100.{n}", now)
        writer.add_report(ReportDraft(reported, Category.CLOSED_NOW, None, None), hashes,
                          per_hour=10)  # fmt: skip
    assert len(live.refresh().by_id[reported].reports) == 3
    ids = [r.id for r in writer.reports_of(reported)]
    writer.resolve_reports(reported, ids, accept=None, actor="t", reason="核实正常")
    station = writer.get(edited)
    writer.update(edited, replace(station.to_draft(), name="改名"), expected_version=1, actor="t")
    after = live.refresh()
    assert after.by_id[edited].name == "改名"
    assert after.by_id[reported].reports == ()
    position = after.position_of(reported)
    assert position is not None
    assert after.hours[position].state(datetime.now(UTC)) is Openness.OPEN
