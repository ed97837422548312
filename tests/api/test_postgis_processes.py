"""Two real `yizhan serve` processes on one PostGIS database (issue 5, item 3): an edit through
one reaches a nearest query on the other within a second; while PostgreSQL is stopped, courier
reads are answered from memory and writes get 503 problem documents; once it is back, writes
work again and reach both processes, neither restarted."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.api.admin_fixtures import BEILIN, CENTRE, bearer, cli, cli_token, seed_csv
from tests.api.problem import assert_problem
from tests.api.test_workers import Server, lag_until, serving, wait_ready

if TYPE_CHECKING:
    from tests.pg import PgServer

pytestmark = pytest.mark.slow

CONVERGE_S = 1.0


def _nearest(server: Server) -> list[tuple[str, str]]:
    """(id, name) of the 20 stations nearest the Beilin seed row, from ``server``."""
    lon, lat = CENTRE[BEILIN]
    response = httpx.get(
        f"{server.url}/v1/stations/nearest",
        params={"lon": lon, "lat": lat - 0.02, "k": 20},
        timeout=5.0,
    )
    assert response.status_code == 200, response.text
    return [(f["id"], f["properties"]["name"]) for f in response.json()["features"]]


def _rename(server: Server, secret: str, station_id: str, name: str) -> httpx.Response:
    current = httpx.get(f"{server.url}/v1/stations/{station_id}", timeout=5.0)
    assert current.status_code == 200, current.text
    return httpx.patch(
        f"{server.url}/v1/stations/{station_id}",
        json={"name": name},
        headers=bearer(secret) | {"If-Match": current.headers["ETag"]},
        timeout=10.0,
    )


def _readiness(server: Server) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/readyz", timeout=5.0)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _seen_by(server: Server, station_id: str, name: str) -> bool:
    return (station_id, name) in _nearest(server)


def test_two_processes_on_one_postgis_follow_edits_and_survive_a_database_restart(
    pg_url: str, pg_server: PgServer, tmp_path: Path
) -> None:
    cli("import", seed_csv(tmp_path / "seed.csv"), "--db", pg_url)
    secret = cli_token(pg_url, "ops-admin", "admin")  # type: ignore[arg-type]
    station_id = f"seed-{BEILIN}-01"
    with ExitStack() as stack:
        a = stack.enter_context(serving(pg_url, tmp_path / "a.log"))  # type: ignore[arg-type]
        b = stack.enter_context(serving(pg_url, tmp_path / "b.log"))  # type: ignore[arg-type]
        wait_ready(a)
        wait_ready(b)
        lags: dict[str, float] = {}
        for label, through, other in (("A → B", a, b), ("B → A", b, a)):
            name = f"经由{through.url[-5:]}改名"
            edited = _rename(through, secret, station_id, name)
            written = time.monotonic()
            assert edited.status_code == 200, edited.text
            lags[label] = lag_until(lambda s=other, n=name: _seen_by(s, station_id, n), written)
        before = {s.url: _nearest(s) for s in (a, b)}
        assert before[a.url] == before[b.url]

        pg_server.stop()
        try:
            for server in (a, b):
                assert _nearest(server) == before[server.url]  # served from memory
                refused = _rename(server, secret, station_id, "数据库停机时改名")
                body = assert_problem(refused, 503)
                assert refused.headers["Retry-After"].isdigit()
                assert "postgres" not in body["detail"]  # the server's address stays in the log
                healthy = httpx.get(f"{server.url}/healthz", timeout=5.0)
                assert healthy.status_code == 200
                lag_until(lambda s=server: _readiness(s)["state"] == "degraded", time.monotonic())
                ready = _readiness(server)
                assert ready["store"] == {
                    "reachable": False,
                    "kind": "postgis",
                    "change_feed": "lost",
                }
        finally:
            pg_server.start()

        back = _rename(b, secret, station_id, "数据库恢复后改名")
        written = time.monotonic()
        assert back.status_code == 200, back.text
        lags["after restart"] = max(
            lag_until(lambda s=s: _seen_by(s, station_id, "数据库恢复后改名"), written)
            for s in (a, b)
        )
        shown = ", ".join(f"{k} {v:.3f}" for k, v in lags.items())
        print(f"\nPostGIS cross-process lag, s: {shown}")
        assert max(lags.values()) < CONVERGE_S, lags
        for server in (a, b):
            assert server.process.poll() is None  # never restarted
            lag_until(lambda s=server: _readiness(s)["state"] == "ready", time.monotonic())
            assert _readiness(server)["store"]["change_feed"] == "listening"
    for server in (a, b):
        assert secret not in server.text_log()
