"""Screenshots for the README: the rider's page (``GET /``), docs/rider-page-zh.png and
docs/rider-page-en.png; and the admin console (``GET /admin``) on a phone and a laptop,
docs/admin-{list,form,conflict}-{phone,desktop}.png.

Run from the repository root (needs /usr/bin/chromium: ``make chromium``)::

    .venv/bin/python tools/screenshots.py [--db data/stations.gpkg] [--out docs] [--only admin]

The stations are a copy (``--db``, else the demo stations imported into a temporary
GeoPackage), so the tokens and edits the console's screenshots need never touch the original.
The script starts ``yizhan serve`` on a free loopback port and opens Debian's headless Chromium
in Shanghai (zh-CN). The rider's page: a 390×844 phone, location allowed, at a rider in 碑林区;
it taps 定位我的位置 and 微波炉, saves the top of the page with its results, switches to English
and saves again. The console: an editor of 碑林区 signs in with a token made by
``yizhan token create``; the station list, a station's form with opening hours typed in
Chinese and their live preview, and the conflict screen after a colleague (a second token, over
the API) saved the same station first. Every host but 127.0.0.1 is unreachable, so maps show no
tiles. The rider's results depend on the time it runs (``open_now``).
"""

from __future__ import annotations

import argparse
import os
import shutil
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
from playwright.sync_api import (
    Browser,
    FloatRect,
    Geolocation,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

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
RIDER: Final[Geolocation] = {"longitude": 108.9423, "latitude": 34.2610, "accuracy": 20}
PHONE: Final[ViewportSize] = {"width": 390, "height": 844}
DESKTOP: Final[ViewportSize] = {"width": 1280, "height": 800}
SHOT_HEIGHT_PX: Final = 1300  # CSS px from the top: the controls and the first results
#: The console's station and what is typed into it (a 碑林区 demo station).
STATION: Final = "demo-610103-001"
HOURS_TYPED: Final = "周一至周五 8:00-18:00，节假日休息"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a GeoPackage (default: the demo stations)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--only", choices=["rider", "admin"], help="one page's screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = _copy(args.db, Path(tmp)) if args.db else _demo_store(Path(tmp))
        secrets = {name: _token(db, name) for name in ("beilin-zhang", "beilin-li")}
        with _serving(db, Path(tmp) / "serve.log") as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            shots = [] if args.only == "admin" else _shoot(browser, url, args.out)
            if args.only != "rider":
                shots += _shoot_admin(browser, url, args.out, secrets)
            browser.close()
        for path in shots:
            print(path)


def _copy(db: Path, directory: Path) -> Path:
    """A copy of a GeoPackage (with its write-ahead log, if any) to write tokens into."""
    copy = directory / "stations.gpkg"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            shutil.copyfile(f"{db}{suffix}", f"{copy}{suffix}")
    return copy


def _token(db: Path, name: str) -> str:
    """A 碑林区 editor's token, made by ``yizhan token create``; its secret is the last line."""
    made = subprocess.run(
        [sys.executable, "-m", "api.cli", "token", "create", "--db", str(db), "--role", "editor",
         "--district", "610103", "--name", name],
        check=True, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    return made.stdout.strip().splitlines()[-1]


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


def _shoot(browser: Browser, url: str, out: Path) -> list[Path]:
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
    context.close()
    return shots


def _shoot_admin(browser: Browser, url: str, out: Path, secrets: dict[str, str]) -> list[Path]:
    """The console's list, form and conflict screen, on a phone and on a laptop."""
    shots = []
    for device, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        phone = device == "phone"
        context = browser.new_context(
            viewport=viewport, device_scale_factor=2 if phone else 1, is_mobile=phone,
            has_touch=phone, locale="zh-CN", timezone_id="Asia/Shanghai",
        )  # fmt: skip
        page = context.new_page()
        page.goto(f"{url}/admin")
        page.wait_for_selector("html[data-admin-ready]", state="attached")
        page.get_by_label("令牌", exact=True).fill(secrets["beilin-zhang"])
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.locator("#station-list .station-row").first).to_be_visible()
        shots.append(_viewport_shot(page, out / f"admin-list-{device}.png"))

        page.evaluate("id => { location.hash = '#/station/' + id; }", STATION)
        expect(page.locator("#station-meta")).to_contain_text(STATION)
        page.get_by_label("开放时间（可以写中文）").fill(HOURS_TYPED)
        expect(page.locator("#hours-preview .osm-text")).to_have_text("Mo-Fr 08:00-18:00; PH off")
        page.locator("#s-hours").evaluate(
            "e => { e.closest('fieldset').scrollIntoView(); window.scrollBy(0, -16); }"
        )
        shots.append(_viewport_shot(page, out / f"admin-form-{device}.png", scrolled=True))

        page.get_by_label("电话").fill("029-8765 4321")
        _colleague_saves(url, secrets["beilin-li"], device)
        page.get_by_role("button", name="保存", exact=True).click()
        expect(page.locator("#conflict")).to_be_visible()
        shots.append(_viewport_shot(page, out / f"admin-conflict-{device}.png"))
        context.close()
    return shots


def _colleague_saves(url: str, secret: str, device: str) -> None:
    """A colleague changes the same station's phone and hours over the API, first."""
    station = f"{url}/v1/stations/{STATION}"
    version = httpx.get(station, timeout=10).headers["etag"]
    patch = {"phone": f"029-1234 {5678 if device == 'phone' else 5679}",
             "opening_hours": "Mo-Su 07:00-22:00"}  # fmt: skip
    answer = httpx.patch(
        station, json=patch, timeout=10,
        headers={"Authorization": f"Bearer {secret}", "If-Match": version},
    )  # fmt: skip
    answer.raise_for_status()


def _viewport_shot(page: Page, path: Path, *, scrolled: bool = False) -> Path:
    """What the screen shows (from the top of the page unless ``scrolled``), settled."""
    if not scrolled:
        page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)  # the toast, the map and the preview settle
    page.screenshot(path=str(path))
    return path


def _search(page: Page, selector: str) -> None:
    with page.expect_response(lambda r: "/v1/stations/nearest" in r.url):
        page.locator(selector).tap()
    page.wait_for_selector("#list:not([aria-busy])", state="attached")


def _save(page: Page, path: Path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    clip: FloatRect = {"x": 0, "y": 0, "width": PHONE["width"], "height": SHOT_HEIGHT_PX}
    page.screenshot(path=str(path), full_page=True, clip=clip)


if __name__ == "__main__":
    main()
