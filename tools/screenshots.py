"""Phone screenshots of the rider's page (``GET /``) for the README: docs/rider-page-zh.png and
docs/rider-page-en.png.

Run from the repository root (needs /usr/bin/chromium: ``make chromium``)::

    .venv/bin/python tools/screenshots.py [--db data/stations.gpkg] [--out docs]

Without ``--db`` the demo stations are imported into a temporary GeoPackage. The script starts
``yizhan serve`` on a free loopback port, opens the page in Debian's headless Chromium as a
390×844 phone in Shanghai (zh-CN, location allowed, at a rider in 碑林区), taps 定位我的位置
and 微波炉, saves the top of the page with its results, switches to English and saves again.
Every host but 127.0.0.1 is unreachable, so the map shows no tiles. Results
depend on the time it runs (``open_now``).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT: Final = Path(__file__).resolve().parents[1]
DEMO_CSV: Final = ROOT / "stations" / "data" / "demo_stations.csv"
CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
RIDER: Final = {"longitude": 108.9423, "latitude": 34.2610, "accuracy": 20}
PHONE: Final = {"width": 390, "height": 844}
SHOT_HEIGHT_PX: Final = 1300  # CSS px from the top: the controls and the first results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a GeoPackage (default: the demo stations)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or _demo_store(Path(tmp))
        with _serving(db, Path(tmp) / "serve.log") as url:
            for path in _shoot(url, args.out):
                print(path)


def _demo_store(directory: Path) -> Path:
    db = directory / "stations.gpkg"
    yizhan = [sys.executable, "-m", "api.cli"]
    subprocess.run([*yizhan, "import", str(DEMO_CSV), "--db", str(db)], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _serving(db: Path, log: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
    command = [sys.executable, "-m", "api.cli", "serve", "--db", str(db), "--port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"yizhan serve did not start:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _shoot(url: str, out: Path) -> list[Path]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale="zh-CN", timezone_id="Asia/Shanghai",
            geolocation=RIDER, permissions=["geolocation"],
        )  # fmt: skip
        page = context.new_page()
        page.goto(f"{url}/")
        page.wait_for_selector("html[data-rider-ready]", state="attached")
        _search(page, "#locate")
        _search(page, ".chip[data-amenity=microwave]")
        shots = [out / "rider-page-zh.png", out / "rider-page-en.png"]
        _save(page, shots[0])
        page.locator("#lang").tap()
        page.wait_for_selector("html[lang=en]", state="attached")
        _save(page, shots[1])
        browser.close()
    return shots


def _search(page: Page, selector: str) -> None:
    with page.expect_response(lambda r: "/v1/stations/nearest" in r.url):
        page.locator(selector).tap()
    page.wait_for_selector("#list:not([aria-busy])", state="attached")


def _save(page: Page, path: Path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    clip = {"x": 0, "y": 0, "width": PHONE["width"], "height": SHOT_HEIGHT_PX}
    page.screenshot(path=str(path), full_page=True, clip=clip)


if __name__ == "__main__":
    main()
