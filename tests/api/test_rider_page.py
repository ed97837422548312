"""The rider's page at ``GET /`` (issue 12): served files and headers over HTTP, then the page
as a courier uses it, in Debian's headless Chromium on a phone-sized context, against a real
``yizhan serve`` over HTTP on 127.0.0.1 (a secure context, so the service worker runs).

The browser tests are marked ``browser`` and need /usr/bin/chromium (``make chromium``);
Playwright's own browser download is never used. Every host but 127.0.0.1 resolves to nothing
(``--host-resolver-rules``), so map tiles fail at once, as they may for a rider: the list must
not care.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
)

from api.maps.assets import vendored_bytes
from api.maps.texts import TILE_SOURCES
from api.pages.shell import OWN, content_security_policy, rider_shell, shell_version
from geo.crs import CoordinateSystem, from_wgs84, to_wgs84
from stations.amenities import CODES, VOCABULARY
from stations.model import Category
from stations.reports import MAX_NOTE_CHARS
from tests.api.chromium import CHROMIUM_ARGS as BASE_ARGS
from tests.api.chromium import LOCAL_ONLY, launched_chromium
from tests.api.conftest import DEMO_CSV
from tests.api.problem import assert_problem
from tests.api.stores import build_store
from tests.api.test_workers import Server, serving, wait_ready

browser_test = pytest.mark.browser

CHROMIUM_ARGS: Final = [*BASE_ARGS, LOCAL_ONLY]
PHONE: Final = {"width": 390, "height": 844}
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
#: A rider in 碑林区, Xi'an, among the demo stations (WGS-84).
RIDER: Final = {"longitude": 108.9423, "latitude": 34.2610, "accuracy": 20}
NEAREST: Final = "/v1/stations/nearest"
BAD_IMPACTS: Final = {"serious", "critical"}


# -- served over HTTP (no browser) -------------------------------------------------------------


def test_the_page_is_html_with_a_strict_policy_and_ignores_query_strings(
    client: TestClient,
) -> None:
    page = client.get("/?from=singlemessage&isappinstalled=0")  # as WeChat shares a link
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert '<html lang="zh-CN">' in page.text
    policy = dict(
        p.strip().split(" ", 1) for p in page.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    tiles = sorted({origin for s in TILE_SOURCES.values() for origin in s.origins})
    assert policy["img-src"] == " ".join(["'self'", "data:", *tiles])
    assert page.headers["content-security-policy"] == content_security_policy()
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "an inline script"
    assert not re.search(r"\son\w+=", page.text), "an inline event handler"


def test_head_and_conditional_gets(client: TestClient) -> None:
    got = client.get("/")
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    # The same representation (gzip, as the test client asks): the same length on the wire.
    assert head.headers["content-length"] == got.headers["content-length"]
    again = client.get("/", headers={"If-None-Match": got.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    for url in OWN:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["cache-control"] == "no-cache" and asset.headers["etag"], url


def test_unknown_files_are_404_problem_documents(client: TestClient) -> None:
    for url in ("/static/rider/x", "/static/rider/..%2Fshell.py", "/static/vendor/leaflet/x.js"):
        assert_problem(client.get(url), 404)
    assert assert_problem(client.get("/static/rider/x"), 404)["instance"] == "/static/rider/x"


def test_leaflet_is_the_vendored_release(client: TestClient) -> None:
    for name in ("leaflet.js", "leaflet.css", "images/layers.png"):
        served = client.get(f"/static/vendor/leaflet/{name}")
        assert served.status_code == 200
        assert served.content == vendored_bytes(f"leaflet/{name}")


def test_the_service_worker_precaches_every_file_under_a_version_of_them(
    client: TestClient,
) -> None:
    worker = client.get("/sw.js")
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "Service-Worker-Allowed" not in worker.headers
    shell = rider_shell()
    version = re.search(r'var VERSION = "([0-9a-f]{16})";', worker.text)
    assert version and version.group(1) == shell.version
    listed = re.search(r"var PRECACHE = (\[.*?\]);", worker.text)
    assert listed
    precache = json.loads(listed.group(1))
    assert set(precache) == set(shell.assets) - {"/sw.js", "/static/vendor/leaflet/LICENSE"}
    assert "/" in precache and "/static/vendor/leaflet/leaflet.js" in precache
    bodies = {url: shell.assets[url].body for url in precache}
    assert shell_version(bodies) != shell_version(bodies | {"/": bodies["/"] + b" "})


def test_the_manifest(client: TestClient) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    body = manifest.json()
    assert body["name"] == "驿站 · 找附近休息点"
    assert (body["start_url"], body["display"]) == ("/", "standalone")
    for icon in body["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
        width = int.from_bytes(png.content[16:20], "big")
        assert icon["sizes"] == f"{width}x{width}"


# -- in the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``yizhan serve`` on its own copy of the demo stations (the report test writes)."""
    directory = tmp_path_factory.mktemp("rider")
    db = build_store(directory / "stations.gpkg", DEMO_CSV)
    with serving(db, directory / "serve.log") as running:
        wait_ready(running)
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium(CHROMIUM_ARGS) as launched:
        yield launched


@dataclass
class Phone:
    """A page in a phone-sized context, and what went wrong on it."""

    context: BrowserContext
    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def open(self) -> None:
        self.page.goto(self.base + "/")
        self.page.wait_for_selector("html[data-rider-ready]", state="attached")

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def locate_and_wait(self) -> None:
        with self.page.expect_response(lambda r: NEAREST in r.url):
            self.page.locator("#locate").tap()
        expect(self.page.locator("#list .result").first).to_be_visible()

    def toggle(self, selector: str) -> None:
        with self.page.expect_response(lambda r: NEAREST in r.url):
            self.page.locator(selector).tap()
        expect(self.page.locator("#list")).not_to_have_attribute("aria-busy", "true")

    def assert_clean(self, *expected: str) -> None:
        """No page error, CSP violation or console error of our origin but the ``expected``
        (the browser logs every 4xx answer as "Failed to load resource")."""
        assert [e for e in self.errors if not any(x in e for x in expected)] == []


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Callable[..., Phone]]:
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> Phone:
        settings: dict[str, Any] = {
            "viewport": PHONE,
            "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai",
            "is_mobile": True,
            "has_touch": True,
        }
        settings.update(options)
        context = browser.new_context(**settings)
        contexts.append(context)
        phone = Phone(context, context.new_page(), server.url)

        def console(msg: ConsoleMessage) -> None:
            # Tiles cannot load here (no network): only errors of our own origin count.
            ours = msg.location.get("url", "").startswith(server.url)
            if msg.type == "error" and (ours or "Content Security Policy" in msg.text):
                phone.errors.append(f"console: {msg.text}")

        phone.page.on("console", console)
        phone.page.on("pageerror", lambda exc: phone.errors.append(f"page error: {exc}"))
        return phone

    yield make
    for context in contexts:
        context.close()


def located(phone: Callable[..., Phone], **options: Any) -> Phone:
    """A phone allowed to locate, at RIDER, with the page open."""
    p = phone(geolocation=RIDER, permissions=["geolocation"], **options)
    p.open()
    return p


def words(p: Phone, key: str, lang: str = "zh") -> str:
    text: str = p.js("([k, i]) => YizhanRider.WORDS[k][i]", [key, 0 if lang == "zh" else 1])
    return text


def api_nearest(server: Server, **params: str) -> dict[str, Any]:
    query = {"lat": str(RIDER["latitude"]), "lon": str(RIDER["longitude"]), "k": "5", **params}
    response = httpx.get(f"{server.url}{NEAREST}", params=query, timeout=10)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@browser_test
def test_locate_then_microwave_finds_the_nearest_open_station_with_one(
    phone: Callable[..., Phone], server: Server
) -> None:
    p = located(phone)
    p.locate_and_wait()
    expect(p.page.locator("#position")).to_contain_text("已定位")
    chip = p.page.get_by_role("button", name="微波炉")
    expect(chip).to_have_attribute("aria-pressed", "false")
    with p.page.expect_request(lambda r: NEAREST in r.url and "microwave" in r.url) as asked:
        p.toggle(".chip[data-amenity=microwave]")
    expect(chip).to_have_attribute("aria-pressed", "true")
    query = parse_qs(urlsplit(asked.value.url).query)
    assert query == {
        "lat": ["34.261000"], "lon": ["108.942300"], "crs": ["wgs84"], "k": ["5"],
        "amenities": ["microwave"], "open_now": ["true"],
    }  # fmt: skip

    # The page asked with open_now=true; the API is asked at the very instant the page's answer
    # was made (its query.at), so a station opening or closing in between cannot tell them apart.
    at = p.js("JSON.parse(localStorage.getItem('yizhan.rider.last')).answer.query.at")
    answer = api_nearest(server, amenities="microwave", open_at=at)
    expected = answer["features"]
    assert expected, "the demo data has open stations with a microwave near the rider"
    names = p.page.locator("#list .result .name").all_inner_texts()
    assert names == [f["properties"]["name"] for f in expected]
    first = p.page.locator("#list .result").first
    lon, lat = expected[0]["geometry"]["coordinates"]
    glon, glat = (float(v) for v in from_wgs84(lon, lat, CoordinateSystem.GCJ02))
    amap = first.locator("a.nav-amap").get_attribute("href") or ""
    # The nearest answer's Amap link is a ride route: its destination is `to=lon,lat,name`.
    to = parse_qs(urlsplit(amap).query)["to"][0].split(",")
    assert to[:2] == [f"{glon:.6f}", f"{glat:.6f}"]
    assert to[2] == expected[0]["properties"]["name"]
    expect(first.locator("a.nav-amap")).to_have_text("高德导航")
    expect(first.locator("a.nav-baidu")).to_have_text("百度导航")
    expect(p.page.locator("#summary")).to_contain_text(expected[0]["properties"]["name"])
    markers = p.js("YizhanRider.map.leaflet.getContainer().querySelectorAll('.pin').length")
    assert markers == len(expected)
    p.assert_clean()


@browser_test
def test_a_refused_location_says_so_and_offers_the_map(phone: Callable[..., Phone]) -> None:
    p = phone()  # no geolocation permission granted
    p.open()
    p.page.locator("#locate").tap()
    message = p.page.locator("#position")
    expect(message).to_have_text(words(p, "denied"))
    expect(message).to_be_visible()
    expect(p.page.get_by_role("button", name="在地图上选位置")).to_be_visible()
    # Tapping the map sets the position instead.
    with p.page.expect_response(lambda r: NEAREST in r.url):
        p.page.locator("#map").tap(position={"x": 200, "y": 150})
    expect(message).to_have_text(words(p, "picked"))
    p.assert_clean()


CONTROLLED: Final = """() => navigator.serviceWorker.controller ? true : new Promise(done =>
    navigator.serviceWorker.addEventListener("controllerchange", () => done(true)))"""
CACHED: Final = """async () => {
    const kept = {};
    for (const name of await caches.keys()) {
        const requests = await (await caches.open(name)).keys();
        kept[name] = requests.map(r => new URL(r.url).pathname + new URL(r.url).search);
    }
    return kept;
}"""


@browser_test
def test_offline_the_page_opens_from_the_service_worker_with_the_last_answer(
    phone: Callable[..., Phone],
) -> None:
    p = located(phone)
    # (wait_for_function would eval a string in the page, which its policy refuses)
    assert p.js(CONTROLLED)
    p.locate_and_wait()
    assert p.js("fetch('/v1/amenities').then(r => r.status)") == 200
    kept = p.js(CACHED)
    shell = rider_shell()
    assert set(kept) == {f"yizhan-rider-shell-{shell.version}", "yizhan-rider-answers"}
    precache = set(shell.assets) - {"/sw.js", "/static/vendor/leaflet/LICENSE"}
    assert set(kept[f"yizhan-rider-shell-{shell.version}"]) == precache
    answers = kept["yizhan-rider-answers"]
    assert len(answers) == 1 and answers[0].startswith(NEAREST + "?"), answers  # no other API
    names = p.page.locator("#list .result .name").all_inner_texts()
    fetched = p.js("JSON.parse(localStorage.getItem('yizhan.rider.last')).fetched_at")
    at = datetime.fromisoformat(fetched.replace("Z", "+00:00")).astimezone(SHANGHAI)

    p.context.set_offline(True)
    with p.page.expect_response(lambda r: NEAREST in r.url) as asked:
        response = p.page.reload()
    assert response is not None and response.from_service_worker
    # The page asked again for the same place; the service worker answered with its copy.
    assert asked.value.from_service_worker
    assert asked.value.headers.get("x-yizhan-offline") == "1"
    p.page.wait_for_selector("html[data-rider-ready]", state="attached")
    expect(p.page.locator("#freshness")).to_have_text(f"离线 · 显示 {at:%H:%M} 获取的结果")
    assert p.page.locator("#list .result .name").all_inner_texts() == names
    assert p.js("document.querySelectorAll('link[rel=stylesheet]').length") == 2
    assert p.js("typeof L") == "object", "Leaflet came from the service worker too"
    p.context.set_offline(False)


@browser_test
def test_a_search_that_fails_shows_the_kept_answer_and_its_filters(
    phone: Callable[..., Phone],
) -> None:
    """No service worker (as in a browser without one): the page's own copy is the fallback."""
    p = located(phone, service_workers="block")
    p.locate_and_wait()
    names = p.page.locator("#list .result .name").all_inner_texts()
    fetched = p.js("JSON.parse(localStorage.getItem('yizhan.rider.last')).fetched_at")
    at = datetime.fromisoformat(fetched.replace("Z", "+00:00")).astimezone(SHANGHAI)
    p.context.set_offline(True)
    p.page.locator(".chip[data-amenity=toilet]").tap()
    expect(p.page.locator("#freshness")).to_have_text(f"离线 · 显示 {at:%H:%M} 获取的结果")
    assert p.page.locator("#list .result .name").all_inner_texts() == names
    # The chips go back to what the answer on screen was asked with.
    expect(p.page.locator(".chip[data-amenity=toilet]")).to_have_attribute("aria-pressed", "false")
    p.context.set_offline(False)
    p.assert_clean("net::ERR_INTERNET_DISCONNECTED")


@browser_test
def test_320_px_wide_nothing_scrolls_sideways(phone: Callable[..., Phone]) -> None:
    p = located(phone, viewport={"width": 320, "height": 640})
    p.locate_and_wait()
    for _ in ("zh", "en"):
        assert p.js("document.scrollingElement.scrollWidth") <= 320
        p.page.locator("#lang").tap()
    p.page.locator(".result .report").first.tap()
    assert p.js("document.scrollingElement.scrollWidth") <= 320
    box = p.page.locator("#report").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320
    p.assert_clean()


#: Inline text links inside a line of text are exempt from WCAG 2.5.8's target size: here the
#: map's attribution ("Leaflet | © OpenStreetMap contributors"), which the tiles' licences ask
#: for. A radio button is drawn 22 px wide, but its target is its whole label (≥ 44 px high and
#: as wide as the dialog): a tap anywhere on the label chooses it, so the label is measured.
EXEMPT: Final = ".leaflet-control-attribution a"
SMALL_TARGETS: Final = """exempt => {
    const visible = n => { const r = n.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(n).visibility !== "hidden"; };
    const nodes = document.querySelectorAll(
        "button, a[href], [role=button], input, select, textarea");
    return Array.from(nodes).filter(n => visible(n) && !n.matches(exempt)).map(n => {
        const target = n.closest("label") || n;  // a radio's target is its whole label
        const r = target.getBoundingClientRect();
        return [n.outerHTML.slice(0, 80), Math.round(r.width), Math.round(r.height)];
    }).filter(([, w, h]) => w < 44 || h < 44);
}"""


@browser_test
def test_every_touch_target_is_at_least_44_px(phone: Callable[..., Phone]) -> None:
    p = located(phone)
    p.locate_and_wait()
    assert p.js(SMALL_TARGETS, EXEMPT) == []
    p.page.locator("#lang").tap()
    assert p.js(SMALL_TARGETS, EXEMPT) == []
    p.page.locator(".result .report").first.tap()
    p.page.locator("#report-categories label").nth(4).tap()  # an amenity: the select shows
    expect(p.page.locator("#report-amenity")).to_be_visible()
    assert p.js(SMALL_TARGETS, EXEMPT) == []
    p.assert_clean()


def serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in BAD_IMPACTS
    ]


@browser_test
def test_axe_finds_nothing_serious_in_either_language(phone: Callable[..., Phone]) -> None:
    p = located(phone)
    p.locate_and_wait()
    assert serious_violations(p.page) == []
    p.page.locator("#lang").tap()
    expect(p.page.locator("html")).to_have_attribute("lang", "en")
    assert serious_violations(p.page) == []
    p.page.locator(".result .report").first.tap()
    assert serious_violations(p.page) == []
    p.assert_clean()


@browser_test
def test_the_english_switch_shows_english_and_is_remembered(phone: Callable[..., Phone]) -> None:
    p = located(phone)
    p.locate_and_wait()
    p.page.get_by_role("button", name="Switch to English").tap()
    expect(p.page.locator("#locate")).to_have_text(re.compile("Locate me"))
    expect(p.page.locator(".chip[data-amenity=microwave]")).to_have_text(re.compile("meal heating"))
    expect(p.page.locator(".chip[data-open-now]")).to_have_text(re.compile("Open now"))
    first = p.page.locator("#list .result").first
    expect(first.locator(".distance")).to_contain_text("estimate at 15 km/h")
    expect(first.locator(".status")).to_have_text(re.compile(r"^(open|open until .+|opens .+)$"))
    expect(first.locator(".nav-amap")).to_have_text("Amap")
    assert not re.search("[\u4e00-\u9fff]", first.locator(".amenities").inner_text())
    expect(p.page.locator("#summary")).to_contain_text("The nearest is")
    p.page.reload()
    p.page.wait_for_selector("html[data-rider-ready]", state="attached")
    expect(p.page.locator("html")).to_have_attribute("lang", "en")
    expect(p.page.locator("#lang")).to_have_text("中文")
    p.assert_clean()


@browser_test
def test_a_report_is_sent_and_every_answer_is_said(
    phone: Callable[..., Phone], server: Server
) -> None:
    p = located(phone)
    p.locate_and_wait()
    station = p.page.locator("#list .result").first.get_attribute("data-station-id")
    p.page.locator(".result .report").first.tap()
    dialog = p.page.locator("#report")
    expect(dialog).to_be_visible()
    message = p.page.locator("#report-message")

    p.page.locator("#report-send").tap()
    expect(message).to_have_text(words(p, "report_choose"))
    p.page.get_by_label("其他问题").check()
    p.page.locator("#report-send").tap()
    expect(message).to_have_text(words(p, "report_need_note"))

    p.page.get_by_label("现在关着").check()
    p.page.locator("#report-send").tap()
    expect(message).to_have_text(words(p, "report_thanks"))
    p.page.locator("#report-send").tap()
    expect(message).to_have_text(words(p, "report_duplicate"))
    # Use up the hour's allowance from this address, then the page is refused with 429.
    for _ in range(20):
        sent = httpx.post(
            f"{server.url}/v1/stations/{station}/reports", json={"category": "confirmed_ok"}
        )
        if sent.status_code == 429:
            break
    assert sent.status_code == 429
    detail = sent.json()["detail"]
    p.page.locator("#report-send").tap()
    expect(message).to_contain_text(detail)
    expect(message).to_contain_text("分钟后再试")
    p.page.locator("#report-close").tap()
    expect(dialog).to_be_hidden()
    expect(p.page.locator(".result .report").first).to_be_focused()
    p.assert_clean("status of 429 (Too Many Requests)")


def _feature(**props: Any) -> dict[str, Any]:
    base = {
        "id": "t-1", "name": "<img src=x onerror=alert(1)>测试驿站", "address": "测试路1号",
        "amenities": ["water", "microwave", "heating"], "opening_hours": "Mo-Fr 08:30-18:00",
        "opening_hours_text": {"zh": "周一至周五 08:30–18:00", "en": "Mon–Fri 08:30–18:00"},
        "access": "outdoor_workers", "entry": "qr_code", "out_of_order": {},
        "verified_at": "2026-11-29T16:30:00Z", "rider_reports": {}, "phone": "029-8888 6666",
        "distance_m": 1234.5, "bearing_deg": 45.0, "open_status": "open", "next_change": None,
        "closed_until": None, "closure_reason": None,
        "links": {"amap": "https://uri.amap.com/navigation?to=1", "baidu": "javascript:alert(1)"},
    }  # fmt: skip
    base.update(props)
    return {"type": "Feature", "id": base["id"], "properties": base,
            "geometry": {"type": "Point", "coordinates": [108.95, 34.27]}}  # fmt: skip


@browser_test
def test_a_cards_every_field_in_words(phone: Callable[..., Phone]) -> None:
    """A crafted answer (the service worker off, so Playwright can stand in for the API)."""
    now = datetime.now(UTC)
    reopen = (now + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    features = [
        _feature(out_of_order={"heating": "2026-11-28T00:00:00Z"},
                 rider_reports={"closed_now": 1, "gone": 1, "confirmed_ok": 1}),
        _feature(id="t-2", open_status="closed", closed_until=reopen.isoformat(),
                 closure_reason="供暖检修", next_change=reopen.isoformat(), duration_s=330),
        _feature(id="t-3", open_status="unknown", opening_hours_text=None,
                 opening_hours="sunrise-sunset"),
        _feature(id="t-4", open_status="reported_closed", access="public", entry="walk_in"),
    ]  # fmt: skip
    p = phone(geolocation=RIDER, permissions=["geolocation"], service_workers="block")
    p.page.route(
        re.compile(r".*/v1/stations/nearest\?.*"),
        lambda route: route.fulfill(
            status=200, content_type="application/geo+json",
            body=json.dumps({"type": "FeatureCollection", "features": features}),
        ),
    )  # fmt: skip
    p.open()
    p.locate_and_wait()
    cards = p.page.locator("#list .result")
    expect(cards).to_have_count(4)
    one, two, three, four = (cards.nth(i) for i in range(4))
    expect(one.locator(".name")).to_have_text("<img src=x onerror=alert(1)>测试驿站")
    expect(one.locator(".distance")).to_have_text("1.2 公里 · 约 6 分钟 · 按电动车 15 km/h 估算")
    expect(one.locator(".arrow")).to_have_attribute("aria-label", "东北方向")
    expect(one.locator(".status")).to_have_text("营业中")
    expect(one.locator(".hours")).to_have_text("开放时间：周一至周五 08:30–18:00")
    expect(one.locator("li[data-amenity=heating]")).to_have_text("取暖故障")
    expect(one.locator("li[data-amenity=water]")).to_have_text("饮水")
    expect(one.locator(".access")).to_have_text("户外劳动者 · 扫码进入")
    expect(one.locator(".verified")).to_have_text("已核实 2026-11-30")  # 00:30 in China
    expect(one.locator(".reports")).to_contain_text("2 位骑手报告已关闭")
    expect(one.locator(".reports")).to_contain_text("1 位骑手确认一切正常")
    expect(one.locator("a.nav-baidu")).to_have_count(0)  # not an https:// Baidu link
    expect(one.locator("a.phone")).to_have_attribute("href", "tel:02988886666")
    until = reopen.astimezone(SHANGHAI)
    expect(two.locator(".status")).to_have_text(
        f"暂停开放至 {until.month}月{until.day}日 {until:%H:%M}：供暖检修"
    )
    expect(two.locator(".distance")).to_have_text("1.2 公里 · 骑行约 6 分钟")
    expect(three.locator(".status")).to_have_text("状态未知")
    expect(three.locator(".hours")).to_have_text("开放时间：sunrise-sunset")
    expect(four.locator(".status")).to_have_text("骑手报告已关闭")
    expect(four.locator(".access")).to_have_text("对所有人开放 · 直接进入")
    assert p.js("document.querySelectorAll('#list img').length") == 0
    p.page.locator("#lang").tap()
    expect(one.locator(".status")).to_have_text("open")
    expect(one.locator("li[data-amenity=heating]")).to_have_text("heatingout of order")
    expect(two.locator(".distance")).to_have_text("1.2 km · 6 min by e-bike")
    p.assert_clean()


@browser_test
def test_the_scripts_tables_match_the_server_and_its_gcj02(phone: Callable[..., Phone]) -> None:
    p = phone()
    p.open()
    tables = p.js(
        """() => ({amenities: YizhanRider.AMENITIES, chips: YizhanRider.CHIPS,
                   categories: YizhanRider.CATEGORIES, tiles: YizhanRider.TILES,
                   note: document.getElementById('report-note').maxLength})"""
    )
    assert [tuple(a) for a in tables["amenities"]] == [(a.code, a.zh, a.en) for a in VOCABULARY]
    assert set(tables["chips"]) <= set(CODES) and len(tables["chips"]) == 8
    assert tables["categories"] == [c.value for c in Category]
    assert tables["note"] == MAX_NOTE_CHARS
    for kind, source in TILE_SOURCES.items():
        js = tables["tiles"][kind.value]
        assert (js["url"], js["subdomains"], js["maxZoom"], js["crs"]) == (
            source.url, source.subdomains, source.max_zoom, source.crs.value,
        )  # fmt: skip

    rng = np.random.default_rng(20261201)
    china = np.column_stack([rng.uniform(73, 135, 150), rng.uniform(18, 53.5, 150)])
    elsewhere = np.column_stack([rng.uniform(-180, 180, 50), rng.uniform(-85, 85, 50)])
    points = np.vstack([china, elsewhere])
    got = np.array(p.js("pts => pts.map(q => YizhanRider.wgsToGcj(q[0], q[1]))", points.tolist()))
    expected = np.column_stack(from_wgs84(points[:, 0], points[:, 1], CoordinateSystem.GCJ02))
    assert np.abs(got - expected).max() < 1e-6
    back = np.array(p.js("pts => pts.map(q => YizhanRider.gcjToWgs(q[0], q[1]))", got.tolist()))
    inverse = np.column_stack(to_wgs84(got[:, 0], got[:, 1], CoordinateSystem.GCJ02))
    assert np.abs(back - inverse).max() < 1e-6
    assert np.abs(back[:150] - china).max() < 1e-8  # round trip inside China


MAP_POINTS: Final = """() => {
    const found = {rider: null, stations: []};
    YizhanRider.map.leaflet.eachLayer(layer => {
        if (layer instanceof L.Marker) {
            found.stations.push([layer.getLatLng().lng, layer.getLatLng().lat]);
        } else if (layer instanceof L.CircleMarker) {
            found.rider = [layer.getLatLng().lng, layer.getLatLng().lat];
        }
    });
    return found;
}"""


@browser_test
def test_on_amap_tiles_the_rider_and_stations_are_drawn_in_gcj02(
    phone: Callable[..., Phone],
) -> None:
    p = located(phone)
    p.locate_and_wait()
    features = p.js("YizhanRider.state.answer.features")
    wgs = np.array([f["geometry"]["coordinates"] for f in features])
    osm = p.js(MAP_POINTS)
    assert osm["rider"] == [RIDER["longitude"], RIDER["latitude"]]
    assert np.abs(np.array(osm["stations"]) - wgs).max() < 1e-12

    p.page.get_by_role("button", name="高德地图").tap()
    expect(p.page.get_by_role("button", name="高德地图")).to_have_attribute("aria-pressed", "true")
    amap = p.js(MAP_POINTS)
    rider = [float(v) for v in from_wgs84(RIDER["longitude"], RIDER["latitude"], "gcj02")]
    assert amap["rider"] == [pytest.approx(rider[0], abs=1e-9), pytest.approx(rider[1], abs=1e-9)]
    gcj = np.column_stack(from_wgs84(wgs[:, 0], wgs[:, 1], CoordinateSystem.GCJ02))
    assert np.abs(np.array(amap["stations"]) - gcj).max() < 1e-9
    # A place picked on Amap's map is turned back into WGS-84 before it is asked about.
    centre = p.js(
        "(() => { const c = YizhanRider.map.leaflet.getCenter(); return [c.lng, c.lat]; })()"
    )
    with p.page.expect_response(lambda r: NEAREST in r.url):
        p.page.get_by_role("button", name="用地图中心作为我的位置").tap()
    picked = p.js("[YizhanRider.state.position.lon, YizhanRider.state.position.lat]")
    expected = [float(v) for v in to_wgs84(centre[0], centre[1], CoordinateSystem.GCJ02)]
    assert picked == [pytest.approx(expected[0], abs=1e-9), pytest.approx(expected[1], abs=1e-9)]
    p.assert_clean()


# -- compression -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.5", True), ("*", True),
     ("identity", False), ("gzip;q=0", False), ("*;q=0, gzip;q=0", False)],
)  # fmt: skip
def test_text_files_are_sent_gzipped_to_browsers_that_take_it(
    client: TestClient, accept: str, gzipped: bool
) -> None:
    headers = {"Accept-Encoding": accept}
    identity = {"Accept-Encoding": "identity"}
    raw = client.get("/static/vendor/leaflet/leaflet.js", headers=identity)
    response = client.get("/static/vendor/leaflet/leaflet.js", headers=headers)
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == ("gzip" if gzipped else None)
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == raw.content  # httpx decodes gzip: the same file
    if gzipped:
        assert int(response.headers["content-length"]) < len(raw.content) // 2
        assert response.headers["etag"] != raw.headers["etag"]
    again = client.get(
        "/static/vendor/leaflet/leaflet.js",
        headers={**headers, "If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304
