"""A station id with a NUL in the path, on PostGIS (whose text cannot hold NUL): every admin,
report and photo route answers 4xx, never 500 (it was a 500 on seven of them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.admin_fixtures import AdminEnv, admin_env, if_match
from tests.pg import PgServer


@pytest.fixture(scope="module")
def env(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminEnv]:
    url = pg_server.new_schema()
    try:
        with admin_env(tmp_path_factory.mktemp("nul"), db_url=url) as env:
            yield env
    finally:
        pg_server.drop_schema(url)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/stations/a%00b/history"),
        ("patch", "/v1/stations/a%00b"),
        ("post", "/v1/stations/a%00b/verify"),
        ("put", "/v1/stations/a%00b/amenities/water"),
        ("delete", "/v1/stations/a%00b"),
        ("post", "/v1/stations/a%00b/revert?to_version=1"),
        ("get", "/v1/reports?station=a%00b"),
        ("get", "/v1/stations/a%00b/photos"),
        ("post", "/v1/stations/a%00b/reports"),
    ],
)
def test_a_nul_in_a_station_id_is_a_client_error(env: AdminEnv, method: str, path: str) -> None:
    body = {"json": {"state": "working", "category": "other"}} if method != "get" else {}
    if method == "delete":
        body = {}
    response = getattr(env.client, method)(path, headers=env.auth("admin") | if_match(1), **body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
