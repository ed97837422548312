"""Real stores, real tokens and small helpers for the admin route tests (no mocks).

A store is a small generated CSV of stations (four districts, 500 m apart, distinct names)
imported by the real importer into ``tmp_path``; tokens are made either by the real
``yizhan token`` command or straight through the store, exactly as the command does (random
secret, only its SHA-256 stored).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from fastapi.testclient import TestClient

from stations.editing.tokens import Role, Token, new_secret, secret_hash
from stations.files.importing import import_file
from stations.store.open import open_store
from tests.api.stores import open_client

ROOT: Final = Path(__file__).resolve().parents[2]
YIZHAN: Final = [sys.executable, "-m", "api.cli"]

BEILIN: Final = "610103"  # 碑林区
WEIYANG: Final = "610112"  # 未央区
XIAN_PREFIX: Final = "6101"  # all of Xi'an
#: A point in each district (WGS-84 lon, lat); stations are spread around it.
CENTRE: Final[dict[str, tuple[float, float]]] = {
    BEILIN: (108.9423, 34.2530),
    WEIYANG: (108.9390, 34.3260),
    "610104": (108.9000, 34.2600),  # 莲湖区
    "610402": (108.7100, 34.3300),  # 咸阳 秦都区
}
CSV_HEADER: Final = "id,name,kind,lon,lat,address,district_code,amenities,opening_hours,phone,host"
SEED_PER_DISTRICT: Final = 10
_spread = itertools.count(1)


def cli(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real ``yizhan`` command (no inherited YIZHAN_* settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    result = subprocess.run(
        [*YIZHAN, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def cli_token(db: Path, name: str, role: str, *districts: str) -> str:
    """Create a token with ``yizhan token create``; its secret is the last line of stdout."""
    args = [f"--district={d}" for d in districts]
    out = cli("token", "create", "--db", db, "--role", role, "--name", name, *args)
    return out.stdout.strip().splitlines()[-1]


def store_token(db: Path | str, name: str, role: Role, *districts: str) -> str:
    """Create a token through the store, the way the command does; returns its secret."""
    secret = new_secret()
    store = open_store(db, create=False)
    try:
        store.add_token(Token(name, role, tuple(districts), datetime.now(UTC)), secret_hash(secret))
    finally:
        store.close()
    return secret


def seed_csv(path: Path) -> Path:
    """Stations 0.005° (~500 m) apart south of each district's centre, where the stations
    the tests add (north of it) never come near them."""
    hours = ("24/7", "Mo-Fr 09:00-17:00; PH off", "", "Mo-Su 18:00-06:00")
    lines = [CSV_HEADER]
    for district, (lon, lat) in CENTRE.items():
        for i in range(SEED_PER_DISTRICT):
            lines.append(
                f"seed-{district}-{i:02d},种子驿站{district}第{i}号,love_station,"
                f"{lon + 0.005 * i:.6f},{lat - 0.02:.6f},测试地址{i}号,{district},"
                f"water;seating,{hours[i % len(hours)]},029-0000{i:04d},测试工会"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def seed_store(directory: Path, db_url: str | None = None) -> Path | str:
    """A new GeoPackage (or the PostGIS schema at ``db_url``) filled from :func:`seed_csv` by
    the real importer."""
    db = directory / "stations.gpkg" if db_url is None else db_url
    store = open_store(db)
    try:
        report = import_file(store, seed_csv(directory / "seed.csv"))
        assert len(store.list_stations()) == len(CENTRE) * SEED_PER_DISTRICT, report.summary()
    finally:
        store.close()
    return db


@dataclass(frozen=True)
class AdminEnv:
    """A running app over its own seed store, and the secrets of its tokens by token name."""

    client: TestClient
    db: Path | str  # a GeoPackage file, or a PostgreSQL URL
    secrets: dict[str, str]

    def auth(self, name: str) -> dict[str, str]:
        return bearer(self.secrets[name])

    def data_version(self) -> int:
        """The store's change counter, read by the app's own store (every write bumps it)."""
        version: int = self.client.app.state.store.data_version()  # type: ignore[attr-defined]
        return version


@contextmanager
def admin_env(
    directory: Path, *, via_cli: bool = False, db_url: str | None = None
) -> Iterator[AdminEnv]:
    """Seed store with tokens ``admin``, ``beilin-editor`` (610103), ``xian-editor`` (6101) and
    ``revoked-admin`` (revoked before the app starts); ``via_cli`` makes and revokes them with
    the real command. ``db_url``: the PostGIS store there instead of a GeoPackage."""
    db = seed_store(directory, db_url)
    if via_cli:
        assert isinstance(db, Path)
        secrets = {
            "admin": cli_token(db, "admin", "admin"),
            "beilin-editor": cli_token(db, "beilin-editor", "editor", BEILIN),
            "xian-editor": cli_token(db, "xian-editor", "editor", XIAN_PREFIX),
            "revoked-admin": cli_token(db, "revoked-admin", "admin"),
        }
        cli("token", "revoke", "revoked-admin", "--db", db)
    else:
        secrets = {
            "admin": store_token(db, "admin", Role.ADMIN),
            "beilin-editor": store_token(db, "beilin-editor", Role.EDITOR, BEILIN),
            "xian-editor": store_token(db, "xian-editor", Role.EDITOR, XIAN_PREFIX),
            "revoked-admin": store_token(db, "revoked-admin", Role.ADMIN),
        }
        store = open_store(db, create=False)
        try:
            store.revoke_token("revoked-admin")
        finally:
            store.close()
    with open_client(db) as client:
        yield AdminEnv(client, db, secrets)


@contextmanager
def env_on(request: pytest.FixtureRequest, directory: Path) -> Iterator[AdminEnv]:
    """``admin_env`` on the store ``request.param`` names: "geopackage" (a file in
    ``directory``) or "postgis" (a fresh schema of the session's server, dropped after)."""
    if request.param == "geopackage":
        with admin_env(directory) as env:
            yield env
        return
    server = request.getfixturevalue("pg_server")
    url = server.new_schema()
    try:
        with admin_env(directory, db_url=url) as env:
            yield env
    finally:
        server.drop_schema(url)


#: Parameters of a module fixture that runs its tests on both stores (see ``env_on``).
BOTH_STORES: Final = ["geopackage", "postgis"]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def station_body(district: str = BEILIN, **fields: Any) -> dict[str, Any]:
    """A valid new station in ``district`` at a position no other test station uses."""
    lon, lat = CENTRE.get(district, CENTRE[BEILIN])
    n = next(_spread)
    body: dict[str, Any] = {
        "name": f"测试驿站 {n}",
        "kind": "love_station",
        "lon": round(lon + (n % 40) * 0.0007, 6),
        "lat": round(lat + (n // 40) * 0.0007, 6),
        "address": f"测试路{n}号",
        "district_code": district,
        "amenities": ["water", "microwave"],
        "opening_hours": "24/7",
        "phone": "029-88886666",
        "host": "测试工会",
    }
    body.update(fields)
    return body


def create(env: AdminEnv, district: str = BEILIN, **fields: Any) -> dict[str, Any]:
    """Create a station as the admin; returns its feature."""
    response = env.client.post(
        "/v1/stations", json=station_body(district, **fields), headers=env.auth("admin")
    )
    assert response.status_code == 201, response.text
    feature: dict[str, Any] = response.json()
    return feature


def fetch(env: AdminEnv, station_id: str, **params: str) -> tuple[dict[str, Any], int]:
    """The station's public feature and the version its ETag names."""
    response = env.client.get(f"/v1/stations/{station_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json(), etag_version(response)


def etag_version(response: httpx.Response) -> int:
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"'), etag
    return int(etag.strip('"'))


def history(env: AdminEnv, station_id: str) -> list[dict[str, Any]]:
    response = env.client.get(f"/v1/stations/{station_id}/history", headers=env.auth("admin"))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["history"]
    return entries


def nearest_ids(env: AdminEnv, lon: float, lat: float, **params: str) -> list[str]:
    """Ids the courier endpoint returns around (lon, lat), up to 100 within 3 km."""
    response = env.client.get(
        "/v1/stations/nearest",
        params={"lon": lon, "lat": lat, "k": 100, "radius_m": 3000, **params},
    )
    assert response.status_code == 200, response.text
    return [f["id"] for f in response.json()["features"]]
