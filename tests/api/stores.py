"""Real stores and real apps for the HTTP tests: no mocks."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from stations.files.importing import import_file
from stations.store.geopackage.store import GeoPackageStore


def build_store(db: Path, source: Path) -> Path:
    """Import ``source`` into a new GeoPackage at ``db`` through the real importer."""
    store = GeoPackageStore(db)
    try:
        report = import_file(store, source)
    finally:
        store.close()
    assert report.written and not report.rejected, report.summary()
    return db


def open_client(db: Path | str) -> TestClient:
    # Server errors must come back as responses: the tests assert that none is a 500.
    return TestClient(create_app(Settings(db=db)), raise_server_exceptions=False)
