from __future__ import annotations

import gc
import sqlite3
import time
import weakref
from datetime import datetime
from pathlib import Path

import pytest

from stations.reading.live import LiveCatalog
from stations.store.base import SignalsRead
from stations.store.geopackage.store import GeoPackageStore
from tests.conftest import MakeDraft


def test_refresh_sees_a_write_from_another_connection(
    tmp_path: Path, make_draft: MakeDraft
) -> None:
    path = tmp_path / "s.gpkg"
    store = GeoPackageStore(path)
    live = LiveCatalog(store, refresh_s=0.05)
    assert len(live.catalog) == 0
    other = GeoPackageStore(path)  # as another process would
    other.save_all([make_draft()])
    live.start()
    try:
        deadline = time.monotonic() + 5
        while len(live.catalog) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(live.catalog) == 1
        assert live.catalog.data_version == other.data_version()
    finally:
        live.stop()


def test_refresh_keeps_the_snapshot_when_nothing_changed(
    tmp_path: Path, make_draft: MakeDraft
) -> None:
    store = GeoPackageStore(tmp_path / "s.gpkg")
    store.save_all([make_draft()])
    live = LiveCatalog(store)
    before = live.catalog
    assert live.refresh() is before


def test_a_rebuild_leaves_the_cyclic_collector_as_it_found_it(
    tmp_path: Path, make_draft: MakeDraft
) -> None:
    path = tmp_path / "s.gpkg"
    store = GeoPackageStore(path)
    store.save_all([make_draft()])
    other = GeoPackageStore(path)
    was = gc.isenabled()
    try:
        gc.enable()
        live = LiveCatalog(store)
        assert gc.isenabled()
        other.save_all([make_draft(name="改名")])
        assert live.refresh() is not None and gc.isenabled()
        gc.disable()  # an embedding program's choice is kept too
        other.save_all([make_draft(name="再改名")])
        live.refresh()
        assert not gc.isenabled()
        gc.enable()
        # A read that fails half-way still gives the collector back.
        with sqlite3.connect(path) as conn:
            conn.execute("ALTER TABLE stations RENAME TO gone")
            conn.execute("UPDATE yizhan_meta SET value = value + 1 WHERE key = 'data_version'")
        with pytest.raises(sqlite3.OperationalError, match="stations"):
            live.refresh()
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


class _Cycle:
    me: _Cycle


def test_garbage_made_while_a_snapshot_is_rebuilt_is_still_collected(
    tmp_path: Path, make_draft: MakeDraft
) -> None:
    made: list[weakref.ref[_Cycle]] = []

    class Busy(GeoPackageStore):
        def read_signals(self, since: datetime) -> SignalsRead:
            # Read in the middle of every build: stands for a request thread making cyclic
            # garbage while the collector is paused.
            cycle = _Cycle()
            cycle.me = cycle
            made.append(weakref.ref(cycle))
            return super().read_signals(since)

    path = tmp_path / "s.gpkg"
    store = Busy(path)
    store.save_all([make_draft()])
    live = LiveCatalog(store)
    GeoPackageStore(path).save_all([make_draft(name="改名")])
    first = len(made)
    live.refresh()
    assert len(made) > first, "the rebuild read the signals"
    gc.collect()  # frozen objects are never collected: garbage frozen by a rebuild would stay
    assert all(ref() is None for ref in made[first:])
