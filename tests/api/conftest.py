"""Fixtures for the HTTP tests: real GeoPackage stores built by the real importer, real apps.

Stores are built once per session (the routes under test only read), each in its own
``tmp_path_factory`` directory; every client runs the app's lifespan.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.stores import build_store, open_client
from tests.api.synthetic import CSV_HEADER, HOSTILE_NAME, SynStation, make_stations, write_csv

ROOT = Path(__file__).resolve().parents[2]
DEMO_CSV = ROOT / "stations" / "data" / "demo_stations.csv"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled demo stations (203, Shaanxi) in a GeoPackage."""
    return build_store(tmp_path_factory.mktemp("demo") / "s.gpkg", DEMO_CSV)


@pytest.fixture(scope="session")
def demo_client(demo_db: Path) -> Iterator[TestClient]:
    with open_client(demo_db) as client:
        yield client


@pytest.fixture
def client(demo_client: TestClient) -> TestClient:
    """A client of the app over the demo stations (shared: the routes under test only read)."""
    return demo_client


@pytest.fixture(scope="session")
def synthetic_stations() -> list[SynStation]:
    return make_stations()


@pytest.fixture(scope="session")
def synthetic_db(
    tmp_path_factory: pytest.TempPathFactory, synthetic_stations: list[SynStation]
) -> Path:
    directory = tmp_path_factory.mktemp("synthetic")
    source = write_csv(synthetic_stations, directory / "synthetic.csv")
    return build_store(directory / "s.gpkg", source)


@pytest.fixture(scope="session")
def synthetic_client(synthetic_db: Path) -> Iterator[TestClient]:
    with open_client(synthetic_db) as client:
        yield client


@pytest.fixture(scope="session")
def hostile_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One station whose name and address are HTML."""
    directory = tmp_path_factory.mktemp("hostile")
    source = directory / "hostile.csv"
    source.write_text(
        f"{CSV_HEADER}\n"
        f'evil-1,"{HOSTILE_NAME}",love_station,108.9423,34.261,"<script>alert(2)</script>",'
        "610103,water,24/7,,\n",
        encoding="utf-8",
    )
    with open_client(build_store(directory / "s.gpkg", source)) as client:
        yield client
