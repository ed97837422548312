"""Shared fixtures: real stores in tmp dirs, station factories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stations.model import Kind, StationDraft, StationId, Status

# A PostgreSQL/PostGIS server started by the suite itself, for the PostGIS store's tests.
pytest_plugins = ("tests.pg",)

DEMO_CSV = Path(__file__).resolve().parents[1] / "stations" / "data" / "demo_stations.csv"

MakeDraft = Callable[..., StationDraft]


@pytest.fixture
def make_draft() -> MakeDraft:
    counter = iter(range(1, 10**9))

    def make(**overrides: Any) -> StationDraft:
        n = next(counter)
        fields: dict[str, Any] = {
            "id": StationId(f"t-{n:05d}"),
            "name": f"测试驿站{n}",
            "kind": Kind.LOVE_STATION,
            "lon": 108.94 + n * 1e-3,
            "lat": 34.26,
            "address": "南大街1号",
            "district_code": "610103",
            "amenities": ("water", "microwave"),
            "opening_hours": "24/7",
            "phone": "029-01234567",
            "host": "碑林区总工会",
            "status": Status.ACTIVE,
        }
        fields.update(overrides)
        return StationDraft(**fields)

    return make
