"""`yizhan nearest --rank` as an operator runs it: real subprocesses against the Helsinki tiles
(the engine started by the command itself), one position and a --batch file; each batch rider
equals that rider's single answer, and a folder without tiles gives estimates, said so."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stations.editing.validation import validate_draft
from stations.store.geopackage.store import GeoPackageStore

ROOT = Path(__file__).resolve().parents[2]
RAIL_YARD_RIDER = ("60.172163", "24.939283")  # lat, lon: the rail yard lies to the east
RIDERS = [RAIL_YARD_RIDER, ("60.1699", "24.9384"), ("60.1650", "24.9300"), ("60.1760", "24.9470")]
TIMED_HEADER = (
    "line,id,rank,station_id,distance_m,bearing_deg,station_lon,station_lat,"
    "duration_s,route_distance_m,duration_source"
)


@pytest.fixture(scope="module")
def helsinki_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli-ride") / "s.gpkg"
    store = GeoPackageStore(db)
    spots = [("behind-the-tracks", 24.942474, 60.172699),
             ("round-the-corner", 24.943287, 60.171801),
             ("h-2", 24.9420, 60.1660), ("h-3", 24.9300, 60.1650), ("h-4", 24.9500, 60.1680),
             ("h-5", 24.9300, 60.1760), ("h-6", 24.9470, 60.1760)]  # fmt: skip
    store.save_all(
        [validate_draft({"id": sid, "name": sid, "kind": "love_station", "lon": lon, "lat": lat,
                         "district_code": "610103", "opening_hours": "24/7"})
         for sid, lon, lat in spots]
    )  # fmt: skip
    store.close()
    return db


def _nearest(db: Path, *args: str, routing: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "nearest", "--db", str(db), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
        env=env | ({"YIZHAN_ROUTING": routing} if routing else {}),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def test_one_position_ranks_by_time_with_routing_configured(
    helsinki_db: Path, helsinki_tiles: Path
) -> None:
    def order(*extra: str, routing: str | None = None) -> list[str]:
        lat, lon = RAIL_YARD_RIDER
        done = _nearest(helsinki_db, "--lat", lat, "--lon", lon, "--k", "7", *extra,
                        routing=routing)  # fmt: skip
        found = [line.split()[-2] for line in done.stdout.splitlines()]
        return [s for s in found if s in ("behind-the-tracks", "round-the-corner")]

    assert order() == ["behind-the-tracks", "round-the-corner"]
    assert order(routing=str(helsinki_tiles)) == ["round-the-corner", "behind-the-tracks"]
    assert order("--rank", "distance", routing=str(helsinki_tiles)) == [
        "behind-the-tracks",
        "round-the-corner",
    ]


def test_each_batch_rider_is_that_riders_single_answer(
    helsinki_db: Path, helsinki_tiles: Path, tmp_path: Path
) -> None:
    source, out = tmp_path / "riders.csv", tmp_path / "out.csv"
    source.write_text("id,lat,lon\n" + "".join(f"r{n},{lat},{lon}\n" for n, (lat, lon)
                                              in enumerate(RIDERS)))  # fmt: skip
    done = _nearest(helsinki_db, "--batch", str(source), "--out", str(out), "--k", "3",
                    routing=str(helsinki_tiles))  # fmt: skip
    assert "ranked by ride time" in done.stdout
    with out.open(encoding="utf-8", newline="") as f:
        assert f.readline().strip() == TIMED_HEADER
        f.seek(0)
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * len(RIDERS)
    for n, (lat, lon) in enumerate(RIDERS):
        single = _nearest(helsinki_db, "--lat", lat, "--lon", lon, "--k", "3", "--json",
                          routing=str(helsinki_tiles))  # fmt: skip
        features = json.loads(single.stdout)["features"]
        mine = [r for r in rows if r["id"] == f"r{n}"]
        assert [r["rank"] for r in mine] == ["1", "2", "3"]
        for row, feature in zip(mine, features, strict=True):
            props = feature["properties"]
            assert row["station_id"] == feature["id"]
            assert row["duration_source"] == props["duration_source"] == "engine"
            assert float(row["duration_s"]) == props["duration_s"]
            assert float(row["route_distance_m"]) == props["route_distance_m"]
            assert float(row["distance_m"]) == pytest.approx(props["distance_m"], abs=1e-3)
        durations = [float(r["duration_s"]) for r in mine]
        assert durations == sorted(durations)
    first = [r["station_id"] for r in rows if r["id"] == "r0"]
    assert first.index("round-the-corner") < first.index("behind-the-tracks")  # the rail yard


def test_a_batch_without_tiles_is_estimated_and_says_so(helsinki_db: Path, tmp_path: Path) -> None:
    source, out = tmp_path / "riders.csv", tmp_path / "out.csv"
    source.write_text("lat,lon\n" + "".join(f"{lat},{lon}\n" for lat, lon in RIDERS))
    empty = tmp_path / "no-tiles"
    empty.mkdir()
    done = _nearest(helsinki_db, "--batch", str(source), "--out", str(out), "--rank", "time",
                    routing=str(empty))  # fmt: skip
    assert "ride times estimated" in done.stderr and "no routing tiles" in done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert len(rows) == len(RIDERS)
    for row in rows:
        assert row["duration_source"] == "estimate" and row["route_distance_m"] == ""
        assert float(row["duration_s"]) == pytest.approx(
            float(row["distance_m"]) * 1.3 / (20 / 3.6), abs=0.1
        )
    # Without routing configured a batch ranks by distance, today's columns.
    plain = tmp_path / "plain.csv"
    _nearest(helsinki_db, "--batch", str(source), "--out", str(plain))
    assert plain.read_text().splitlines()[0] == (
        "line,rank,station_id,distance_m,bearing_deg,station_lon,station_lat"
    )
