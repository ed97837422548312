from __future__ import annotations

import time
from pathlib import Path

from stations.reading.live import LiveCatalog
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
