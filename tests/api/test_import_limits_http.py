"""Hostile import files over HTTP and from the command line (issue 9, items 3-5): a 422 (exit 2
with one line) within seconds, nothing written; and an import that stops soon after its client
disconnects, on threads of its own that token checks never wait for.

Bounds are loose (~10x the healthy figure) for a loaded two-core machine.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.routes.imports import IMPORT_THREADS
from api.settings import Settings
from stations.editing.validation import validate_draft
from stations.files import importing
from stations.files.limits import ImportCancelled
from tests.api.admin_fixtures import BEILIN, AdminEnv, admin_env, bearer, cli
from tests.api.log_records import Records
from tests.api.problem import assert_problem
from tests.api.test_workers import free_port
from tests.stations import import_files as wb

REFUSE_WITHIN_S = 10.0  # healthy: well under a second
STOP_WITHIN_S = 5.0  # healthy: ~0.3 s (256 rows at 1 ms, the slowed validation below)
HEADER = ",".join(wb.BASE_COLUMNS)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[AdminEnv]:
    with admin_env(tmp_path) as env:
        yield env


def post(env: AdminEnv, content: bytes, filename: str) -> tuple[httpx.Response, float]:
    """An import by the editor of 碑林区; the response and its seconds."""
    started = time.perf_counter()
    response = env.client.post(
        "/v1/imports",
        files={"file": (filename, content, "application/octet-stream")},
        headers=env.auth("beilin-editor"),
    )
    return response, time.perf_counter() - started


def refused_over_http(env: AdminEnv, content: bytes, filename: str) -> str:
    before = env.data_version()
    response, seconds = post(env, content, filename)
    body = assert_problem(response, 422, "file")
    assert seconds < REFUSE_WITHIN_S
    assert env.data_version() == before
    detail: str = body["detail"]
    return detail


@pytest.mark.parametrize("levels", [5_000, 100_000])
def test_deeply_nested_geojson_is_a_422(env: AdminEnv, levels: int) -> None:
    detail = refused_over_http(env, wb.nested_in_a_property(levels), "stations.geojson")
    assert f"JSON nested {levels + 4:,} levels deep" in detail


HOSTILE_WORKBOOKS: dict[str, Callable[[], bytes]] = {
    "A1:XFD1048576": lambda: wb.workbook(
        wb.sheet([wb.header(), wb.station(2)], dimension="A1:XFD1048576")
    ),
    "row 10^9": lambda: wb.workbook(wb.sheet([wb.header(), wb.station(10**9)])),
    "zip bomb": lambda: wb.workbook(wb.sheet(wb.repeated(b"<row/>", 96 << 20))),
    "long cell": lambda: wb.workbook(wb.sheet([wb.header(), wb.station(2, name="长" * 5000)])),
    "column BM": lambda: wb.workbook(wb.sheet([wb.header(), wb.row(2, ["x"], 65)])),
}


@pytest.mark.parametrize("name", HOSTILE_WORKBOOKS)
def test_hostile_workbooks_are_a_422_within_seconds(env: AdminEnv, name: str) -> None:
    detail = refused_over_http(env, HOSTILE_WORKBOOKS[name](), "stations.xlsx")
    assert "limit" in detail or "at most" in detail or "beyond" in detail


def test_a_csv_header_of_a_million_columns_is_a_422(env: AdminEnv) -> None:
    header = b",".join(b"c%d" % i for i in range(1_000_000)) + b"\n"
    detail = refused_over_http(env, header, "stations.csv")
    assert "the header has 1,000,000 columns; an import reads at most 64" in detail


@pytest.mark.parametrize("levels", [5_000, 100_000])
def test_the_command_line_says_so_in_one_line(tmp_path: Path, levels: int) -> None:
    source = tmp_path / "deep.geojson"
    source.write_bytes(wb.nested_in_a_property(levels))
    result = cli("import", source, "--db", tmp_path / "s.gpkg", check=False)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"yizhan: JSON nested {levels + 4:,} levels")


def test_the_command_line_refuses_a_hostile_workbook_in_one_line(tmp_path: Path) -> None:
    source = tmp_path / "bomb.xlsx"
    source.write_bytes(HOSTILE_WORKBOOKS["row 10^9"]())
    result = cli("import", source, "--db", tmp_path / "s.gpkg", check=False)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("yizhan: row 1,000,000,000 lies beyond the last row of an Excel sheet")


# -- a real server: disconnects and threads ------------------------------------------------------


@contextmanager
def served(env: AdminEnv) -> Iterator[tuple[str, int]]:
    """A real uvicorn server in this process (so that the test can watch the import's thread)
    over the env's store; (host, port)."""
    app = create_app(Settings(db=env.db))
    server = uvicorn.Server(uvicorn.Config(app, port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield server.config.host, server.config.port
    finally:
        server.should_exit = True
        thread.join(30)


class Watch:
    """Counts the rows the import validates (each slowed to 1 ms, so that an import of a few
    thousand rows lasts seconds) and how each import ended."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lock = threading.Lock()
        self.rows = 0
        self.running = self.most_running = 0
        self.ended: list[tuple[str, float]] = []  # (how, when)
        monkeypatch.setattr(importing, "validate_draft", self.validate)
        monkeypatch.setattr(importing, "import_data", self.wrap(importing.import_data))

    def validate(self, raw: Any, **options: Any) -> Any:
        time.sleep(0.001)
        with self.lock:
            self.rows += 1
        return validate_draft(raw, **options)

    def wrap(self, import_data: Callable[..., Any]) -> Callable[..., Any]:
        def watched(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.running += 1
                self.most_running = max(self.most_running, self.running)
            how = "failed"
            try:
                report = import_data(*args, **kwargs)
                how = "written" if report.written else "not written"
                return report
            except ImportCancelled:
                how = "cancelled"
                raise
            finally:
                with self.lock:
                    self.running -= 1
                    self.ended.append((how, time.monotonic()))

        return watched

    def until(self, condition: Callable[[], bool], limit_s: float = 60.0) -> None:
        deadline = time.monotonic() + limit_s
        while not condition():
            assert time.monotonic() < deadline, "waited too long"
            time.sleep(0.01)


def stations_csv(count: int, prefix: str) -> bytes:
    lines = [HEADER] + [
        f"{prefix}-{i},示例·慢驿站{prefix}{i},love_station,{108.5 + i * 1e-4:.6f},"
        f"{34.1 + (i % 50) * 1e-3:.6f},,{BEILIN},water,24/7,,"
        for i in range(count)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_an_import_stops_soon_after_its_client_disconnects(
    env: AdminEnv, monkeypatch: pytest.MonkeyPatch, access_records: Records
) -> None:
    watch = Watch(monkeypatch)
    count = 20_000  # 20 s of validation
    request = httpx.Request(
        "POST",
        "http://yizhan.test/v1/imports",
        files={"file": ("big.csv", stations_csv(count, "gone"), "text/csv")},
        headers=env.auth("admin"),
    )
    head = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items() if k != "host")
    before = env.data_version()
    with served(env) as (host, port):
        client = socket.create_connection((host, port))
        client.sendall(f"POST /v1/imports HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode())
        client.sendall(request.read())
        watch.until(lambda: watch.rows > 300)  # validating
        client.close()
        gone = time.monotonic()
        watch.until(lambda: bool(watch.ended))
        watch.until(lambda: any(r["path"] == "/v1/imports" for r in access_records.parsed()))
    ((how, ended),) = watch.ended
    assert how == "cancelled"
    assert ended - gone < STOP_WITHIN_S
    assert watch.rows < count // 2
    assert env.data_version() == before
    (logged,) = [r for r in access_records.parsed() if r["path"] == "/v1/imports"]
    assert logged["status"] == 499  # the client closed the request (nginx's code)


def test_imports_take_turns_on_their_own_threads_while_token_checks_go_on(
    env: AdminEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = Watch(monkeypatch)
    imports = 2 * IMPORT_THREADS
    with served(env) as (host, port):
        url = f"http://{host}:{port}"

        def dry_run(n: int) -> httpx.Response:
            return httpx.post(
                f"{url}/v1/imports",
                files={"file": (f"{n}.csv", stations_csv(1_500, f"turn{n}"), "text/csv")},
                data={"dry_run": "true"},
                headers=env.auth("admin"),
                timeout=120,
            )

        with ThreadPoolExecutor(imports) as pool:
            answers = pool.map(dry_run, range(imports))
            watch.until(lambda: watch.running == IMPORT_THREADS)
            started = time.monotonic()
            history = httpx.get(
                f"{url}/v1/stations/seed-{BEILIN}-00/history",
                headers=bearer(env.secrets["admin"]),
                timeout=30,
            )
            checked_s = time.monotonic() - started
            statuses = [answer.status_code for answer in answers]
    assert history.status_code == 200 and checked_s < 2.0  # healthy: ~10 ms
    assert statuses == [200] * imports
    assert watch.most_running == IMPORT_THREADS
    assert [how for how, _ in watch.ended] == ["not written"] * imports
