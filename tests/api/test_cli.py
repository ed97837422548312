"""The `yizhan` command as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from stations.model import Access
from stations.store.geopackage.format import SCHEMA_VERSION as GPKG_SCHEMA_VERSION
from stations.store.open import open_store
from stations.store.postgis.connection import redact
from stations.store.postgis.schema import SCHEMA_VERSION as PG_SCHEMA_VERSION
from tests.conftest import DEMO_CSV
from tests.stations.old_stores import OLD_ID, make_v2_store

YIZHAN = [sys.executable, "-m", "api.cli"]
ROOT = Path(__file__).resolve().parents[2]
HEADER = "id,name,kind,lon,lat,address,district_code,amenities,opening_hours,phone,host"


def run(*args: str | Path, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    result = subprocess.run(
        [*YIZHAN, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "demo.gpkg"
    out = run("import", DEMO_CSV, "--db", db, check=True)
    assert "created" in out.stdout
    return db


def test_nearest_prints_the_closest_open_station(demo_db: Path) -> None:
    out = run(
        "nearest",
        "--db",
        demo_db,
        "--lat",
        "34.2610",
        "--lon",
        "108.9423",
        "--amenity",
        "microwave",
        "--k",
        "3",
        check=True,
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 3
    assert "demo-610103-001" in lines[0]


def test_nearest_json_in_gcj02(demo_db: Path) -> None:
    out = run(
        "nearest",
        "--db",
        demo_db,
        "--lat",
        "34.26",
        "--lon",
        "108.95",
        "--crs",
        "gcj02",
        "--json",
        check=True,
    )
    assert '"coordinate_system": "gcj02"' in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nearest", "--lat", "200", "--lon", "108"], "not a WGS-84 position"),
        (["nearest", "--lat", "34", "--lon", "108", "--amenity", "sauna"], "valid codes"),
        (["nearest", "--lat", "34", "--lon", "108", "--k", "0"], "--k"),
        (["nearest", "--lat", "nan", "--lon", "108"], "not a WGS-84 position"),
        (["nearest", "--lat", "abc", "--lon", "108"], "invalid float value"),
        (["frobnicate"], "invalid choice"),
        (["nearest", "--lat", "108.9", "--lon", "34.2"], "lat and lon look swapped: lat=34.2"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(
    demo_db: Path, args: list[str], message: str
) -> None:
    result = run(*args, *(["--db", str(demo_db)] if args[0] == "nearest" else []))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "help_hint"),
    [
        (["import", "--bogus", "x.csv"], "(see `yizhan import -h`)"),
        (["import"], "(see `yizhan import -h`)"),
        (["token", "create", "--role", "admin", "--name", "x", "--bogus"],
         "(see `yizhan token create -h`)"),
        (["frobnicate"], "(see `yizhan -h`)"),
        ([], "(see `yizhan -h`)"),
    ],
)  # fmt: skip
def test_a_usage_error_names_the_help_of_the_command_given_once(
    args: list[str], help_hint: str
) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("yizhan: ") and result.stderr.rstrip().endswith(help_hint)
    assert result.stderr.count("yizhan") == help_hint.count("yizhan") + 1  # never "yizhan yizhan"


def test_missing_store_is_one_line(tmp_path: Path) -> None:
    result = run("nearest", "--db", tmp_path / "none.gpkg", "--lat", "34", "--lon", "108")
    assert result.returncode == 2 and "yizhan import" in result.stderr
    assert not (tmp_path / "none.gpkg").exists()


def test_import_with_rejections_lists_them_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{HEADER}\na,甲,love_station,108.9,34.2,,610103,water,,,\n"
        "b,乙,love_station,108.9,95,,610103,sauna,,,\n",
        encoding="utf-8",
    )
    db = tmp_path / "s.gpkg"
    result = run("import", bad, "--db", db)
    assert result.returncode == 2
    assert "row 3: lat" in result.stderr and "row 3: amenities" in result.stderr
    assert "nothing written" in result.stdout
    assert sqlite3.connect(db).execute("SELECT count(*) FROM stations").fetchone()[0] == 0


def test_dry_run_and_crs_flags(tmp_path: Path) -> None:
    db = tmp_path / "s.gpkg"
    result = run("import", DEMO_CSV, "--db", db, "--dry-run", "--crs", "gcj02", check=True)
    assert result.stdout.startswith("dry run:")
    assert sqlite3.connect(db).execute("SELECT count(*) FROM stations").fetchone()[0] == 0


def test_export_round_trip(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    run("export", out, "--db", demo_db, check=True)
    assert (
        out.read_text(encoding="utf-8-sig").splitlines()[0]
        == f"{HEADER},access,entry,closed_until,closure_reason,verified_at,last_confirmed_at,"
        "out_of_order,osm,attribution"
    )
    again = run("import", out, "--db", demo_db, check=True)
    assert "0 were created, 0 updated" in again.stdout


def test_xlsx_export_round_trip(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "驿站.xlsx"
    exported = run("export", out, "--db", demo_db, check=True)
    assert f"to {out}" in exported.stdout
    again = run("import", out, "--db", demo_db, "--dry-run", check=True)
    assert "0 would be created, 0 updated, 203 unchanged" in again.stdout


def test_template_writes_the_workbook_the_import_reads(tmp_path: Path) -> None:
    out = tmp_path / "驿站导入模板.xlsx"
    written = run("template", out, check=True)
    assert "驿站" in written.stdout and out.stat().st_size > 0
    imported = run("import", out, "--db", tmp_path / "s.gpkg", "--dry-run", check=True)
    assert "3 would be created" in imported.stdout
    refused = run("template", tmp_path / "template.csv")
    assert refused.returncode == 2 and "*.xlsx" in refused.stderr


@pytest.mark.parametrize("backend", ["geopackage", "postgis"])
def test_db_upgrade_takes_a_version_2_store_to_3(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "geopackage":
        target = where = str(tmp_path / "old.gpkg")
    else:
        target = str(request.getfixturevalue("pg_url"))
        where = redact(target)
    make_v2_store(target)
    for _ in range(2):  # the second run finds nothing to do and says the same
        result = run("db", "upgrade", "--db", target, check=True)
        latest = GPKG_SCHEMA_VERSION if backend == "geopackage" else PG_SCHEMA_VERSION
        assert result.stdout == f"{where} is at schema version {latest}\n"
    store = open_store(target, create=False)
    try:
        old = store.get(OLD_ID)
        assert (old.version, old.access, old.entry) == (1, Access.PUBLIC, None)
    finally:
        store.close()


def test_sigkill_mid_import_leaves_the_store_as_before(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "victim.gpkg"
    db.write_bytes(demo_db.read_bytes())
    before = _dump(db)
    big = tmp_path / "big.csv"
    rows = [
        f"k{i},站{i},love_station,{100 + i * 1e-5:.6f},30.5,,610103,water,24/7,,"
        for i in range(200_000)
    ]
    big.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    proc = subprocess.Popen(
        [*YIZHAN, "import", str(big), "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wal = Path(str(db) + "-wal")
    deadline = time.monotonic() + 120
    # Wait until the import is writing its transaction (the WAL grows), then kill it.
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 1_000_000:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _dump(db) == before


def test_serve_answers_the_readme_query(demo_db: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [*YIZHAN, "serve", "--db", str(demo_db), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = (
            f"http://127.0.0.1:{port}/v1/stations/nearest"
            "?lat=34.2610&lon=108.9423&amenities=microwave&open_now=true"
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/geo+json"
        assert response.json()["features"][0]["id"] == "demo-610103-001"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _dump(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return (
            conn.execute("SELECT * FROM stations ORDER BY id").fetchall()
            + conn.execute("SELECT * FROM yizhan_meta ORDER BY key").fetchall()
        )
    finally:
        conn.close()
