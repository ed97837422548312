"""The admin console at ``GET /admin`` (issue 13, item 1): its files, headers and
``GET /v1/tokens/me`` over HTTP, then the console as union and street-office staff use it, in
Debian's headless Chromium on a laptop (1280×800) and a phone (390×844), against a real
``yizhan serve`` over the demo GeoPackage with tokens made through the store.

The browser tests are marked ``browser`` and need /usr/bin/chromium (``make chromium``). Every
host but 127.0.0.1 resolves to nothing, so map tiles fail at once: nothing may depend on them.
Each test edits its own demo stations, so the module shares one server.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    expect,
)

from api.maps.texts import TILE_SOURCES
from api.pages.admin.shell import OWN, content_security_policy
from geo.crs import CoordinateSystem, from_wgs84, to_wgs84
from stations.editing.audit import Action
from stations.editing.tokens import Role
from stations.model import Access, Category, Entry, Kind, Status
from stations.store.open import open_store
from tests.api.admin_fixtures import bearer, if_match, store_token
from tests.api.chromium import launched_chromium
from tests.api.conftest import DEMO_CSV
from tests.api.problem import assert_problem
from tests.api.stores import build_store, open_client
from tests.api.test_rider_page import (
    CHROMIUM_ARGS,
    EXEMPT,
    PHONE,
    SMALL_TARGETS,
    serious_violations,
)
from tests.api.test_workers import Server, serving, wait_ready

browser_test = pytest.mark.browser

DESKTOP: Final = {"width": 1280, "height": 800}
VIEWPORTS: Final = {"desktop": DESKTOP, "phone": PHONE}
#: Tokens by name: two 碑林区 editors (colleagues), a 未央区 editor, an admin.
TOKENS: Final = {
    "beilin-a": (Role.EDITOR, ("610103",)),
    "beilin-b": (Role.EDITOR, ("610103",)),
    "weiyang": (Role.EDITOR, ("610112",)),
    "admin": (Role.ADMIN, ()),
}
CHINESE_HOURS: Final = "周一至周五 8:00-18:00，节假日休息"
CSV_HEADER: Final = (
    "id,name,kind,lon,lat,address,district_code,amenities,opening_hours,phone,host\n"
)


@dataclass(frozen=True)
class Demo:
    db: Path
    secrets: dict[str, str]


def _demo(directory: Path) -> Demo:
    db = build_store(directory / "stations.gpkg", DEMO_CSV)
    secrets = {
        name: store_token(db, name, role, *districts) for name, (role, districts) in TOKENS.items()
    }
    return Demo(db, secrets)


# -- served over HTTP (no browser) -------------------------------------------------------------


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Demo]]:
    demo = _demo(tmp_path_factory.mktemp("console-http"))
    with open_client(demo.db) as client:
        yield client, demo


def test_the_console_is_html_with_a_strict_policy(http: tuple[TestClient, Demo]) -> None:
    client, _ = http
    page = client.get("/admin?from=bookmark")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert '<html lang="zh-CN">' in page.text
    assert page.headers["content-security-policy"] == content_security_policy()
    policy = dict(
        p.strip().split(" ", 1) for p in page.headers["content-security-policy"].split(";")
    )
    assert (policy["default-src"], policy["script-src"], policy["style-src"]) == (
        "'none'", "'self'", "'self'",
    )  # fmt: skip
    assert policy["connect-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "an inline script"
    assert not re.search(r"\son\w+=", page.text), "an inline event handler"
    assert not re.search(r"\sstyle=", page.text), "an inline style"


def test_every_file_the_page_loads_is_served_here(http: tuple[TestClient, Demo]) -> None:
    client, _ = http
    html = client.get("/admin").text
    urls = re.findall(r'(?:src|href)="(/[^"#]+)"', html)
    assert "/static/vendor/leaflet/leaflet.js" in urls and "/static/rider/crs.js" in urls
    scripts = re.findall(r'<script defer src="(/static/admin/[^"]+)"', html)
    assert set(scripts) == {u for u in OWN if u.endswith(".js")}, "every script loaded, once"
    for url in urls:
        if url.startswith("/v1/exports/"):
            continue  # downloads, not parts of the page
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["etag"] and response.headers["cache-control"] == "no-cache", url


def test_files_have_etags_gzip_and_404s(http: tuple[TestClient, Demo]) -> None:
    client, _ = http
    for url in OWN:
        got = client.get(url)
        assert got.status_code == 200, url
        assert got.headers["x-content-type-options"] == "nosniff"
        again = client.get(url, headers={"If-None-Match": got.headers["etag"]})
        assert again.status_code == 304, url
    plain = client.get("/static/admin/form.js", headers={"Accept-Encoding": "identity"})
    squeezed = client.get("/static/admin/form.js", headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("content-encoding") is None
    assert squeezed.headers["content-encoding"] == "gzip"
    assert squeezed.content == plain.content and squeezed.headers["etag"] != plain.headers["etag"]
    assert squeezed.headers["vary"] == "Accept-Encoding"
    for url in ("/static/admin/x.js", "/static/admin/..%2Fshell.py", "/static/admin/admin.html"):
        assert_problem(client.get(url), 404)


def test_tokens_me_says_who_a_token_is(http: tuple[TestClient, Demo]) -> None:
    client, demo = http
    got = client.get("/v1/tokens/me", headers=bearer(demo.secrets["beilin-a"]))
    assert got.status_code == 200
    assert got.headers["cache-control"] == "no-store"
    assert got.json() == {
        "name": "beilin-a",
        "role": "editor",
        "districts": ["610103"],
        "district_names": {"610103": "陕西省西安市碑林区"},
    }
    admin = client.get("/v1/tokens/me", headers=bearer(demo.secrets["admin"])).json()
    assert admin == {"name": "admin", "role": "admin", "districts": [], "district_names": {}}
    for headers in ({}, bearer("yz_not-a-token"), {"Authorization": "Basic eDp5"}):
        refused = client.get("/v1/tokens/me", headers=headers)
        assert_problem(refused, 401)
        assert refused.headers["www-authenticate"] == 'Bearer realm="yizhan"'


def test_a_prefix_token_is_named_by_its_city(tmp_path: Path) -> None:
    db = build_store(tmp_path / "s.gpkg", DEMO_CSV)
    secret = store_token(db, "xian", Role.EDITOR, "6101", "61")
    with open_client(db) as client:
        names = client.get("/v1/tokens/me", headers=bearer(secret)).json()["district_names"]
    assert names == {"6101": "陕西省西安市", "61": "陕西省"}


def test_tokens_me_is_documented(http: tuple[TestClient, Demo]) -> None:
    client, _ = http
    operation = client.get("/openapi.json").json()["paths"]["/v1/tokens/me"]["get"]
    assert operation["tags"] == ["admin"]
    assert operation["security"] == [{"bearer": []}]
    assert {"200", "401"} <= set(operation["responses"])
    assert "application/problem+json" in operation["responses"]["401"]["content"]
    assert "/admin" not in client.get("/openapi.json").json()["paths"]


# -- in the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return _demo(tmp_path_factory.mktemp("console"))


@pytest.fixture(scope="module")
def server(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(demo.db, tmp_path_factory.mktemp("console-log") / "serve.log") as running:
        wait_ready(running)
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium(CHROMIUM_ARGS) as launched:
        yield launched


@dataclass
class Console:
    """The console in one browser context, every request it made, and what went wrong."""

    context: BrowserContext
    page: Page
    base: str
    secrets: dict[str, str]
    errors: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def open(self, fragment: str = "") -> None:
        self.page.goto(f"{self.base}/admin{fragment}")
        self.page.wait_for_selector("html[data-admin-ready]", state="attached")

    def sign_in(self, name: str) -> None:
        self.open()
        self.page.get_by_label("令牌", exact=True).fill(self.secrets[name])
        self.page.get_by_role("button", name="登录", exact=True).click()
        expect(self.page.locator("#station-list .station-row").first).to_be_visible()

    def go(self, fragment: str) -> None:
        self.page.evaluate("f => { window.location.hash = f; }", fragment)

    def open_station(self, station_id: str) -> None:
        self.go(f"#/station/{station_id}")
        expect(self.page.locator("#station-meta")).to_contain_text(station_id)
        expect(self.page.locator("#hours-preview")).not_to_be_empty()

    def row(self, station_id: str) -> Any:
        return self.page.locator(f".station-row[data-station-id='{station_id}']")

    def switch_language(self) -> None:
        self.page.locator("#lang").click()

    def assert_clean(self, *expected: str) -> None:
        """No page error, CSP violation or console error of our origin but the ``expected``
        (the browser logs every 4xx answer to a fetch as "Failed to load resource")."""
        assert [e for e in self.errors if not any(x in e for x in expected)] == []


@pytest.fixture
def console(browser: Browser, server: Server, demo: Demo) -> Iterator[Callable[..., Console]]:
    contexts: list[BrowserContext] = []

    def make(viewport: str = "desktop", **options: Any) -> Console:
        settings: dict[str, Any] = {
            "viewport": VIEWPORTS[viewport],
            "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai",
        }
        if viewport == "phone":
            settings.update(is_mobile=True, has_touch=True)
        settings.update(options)
        context = browser.new_context(**settings)
        contexts.append(context)
        made = Console(context, context.new_page(), server.url, demo.secrets)

        def console_message(msg: ConsoleMessage) -> None:
            ours = msg.location.get("url", "").startswith(server.url)
            if msg.type == "error" and (ours or "Content Security Policy" in msg.text):
                made.errors.append(f"console: {msg.text}")

        made.page.on("console", console_message)
        made.page.on("pageerror", lambda exc: made.errors.append(f"page error: {exc}"))
        made.page.on("request", lambda request: made.requests.append(request))
        return made

    yield make
    for context in contexts:
        context.close()


def api_station(server: Server, station_id: str) -> tuple[dict[str, Any], int]:
    got = httpx.get(f"{server.url}/v1/stations/{station_id}", timeout=10)
    assert got.status_code == 200, got.text
    feature: dict[str, Any] = got.json()
    return feature, int(got.headers["etag"].strip('"'))


def api_history(server: Server, demo: Demo, station_id: str) -> list[dict[str, Any]]:
    got = httpx.get(
        f"{server.url}/v1/stations/{station_id}/history",
        headers=bearer(demo.secrets["admin"]),
        timeout=10,
    )
    assert got.status_code == 200, got.text
    entries: list[dict[str, Any]] = got.json()["history"]
    return entries


def colleague_patch(
    server: Server, demo: Demo, station_id: str, patch: dict[str, Any], who: str = "beilin-b"
) -> int:
    _, version = api_station(server, station_id)
    got = httpx.patch(
        f"{server.url}/v1/stations/{station_id}",
        json=patch,
        headers={**bearer(demo.secrets[who]), **if_match(version)},
        timeout=10,
    )
    assert got.status_code == 200, got.text
    return int(got.headers["etag"].strip('"'))


def matched(server: Server, district: str) -> int:
    got = httpx.get(
        f"{server.url}/v1/stations", params={"district": district, "limit": 1}, timeout=10
    )
    number: int = got.json()["numberMatched"]
    return number


@browser_test
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_editor_finds_a_station_and_saves_hours_typed_in_chinese(
    console: Callable[..., Console], server: Server, demo: Demo, viewport: str
) -> None:
    station = {"desktop": "demo-610103-002", "phone": "demo-610103-008"}[viewport]
    before, version = api_station(server, station)
    name = before["properties"]["name"]
    c = console(viewport)
    c.sign_in("beilin-a")
    expect(c.page.locator("#who-text")).to_have_text("beilin-a · 编辑 · 陕西省西安市碑林区")
    c.page.get_by_label("名称或地址").fill(name.removeprefix("示例·碑林区")[:6])
    expect(c.page.locator("#station-list .station-row")).to_have_count(1)
    expect(c.page.locator("#station-list .row-name")).to_have_text(name)
    c.row(station).get_by_role("link", name=f"编辑：{name}").click()
    expect(c.page.locator("#station-h")).to_have_text(name)

    c.page.get_by_label("开放时间（可以写中文）").fill(CHINESE_HOURS)
    preview = c.page.locator("#hours-preview")
    expect(preview.locator(".osm-text")).to_have_text("Mo-Fr 08:00-18:00; PH off")
    expect(preview.locator(".plain")).to_have_text("周一至周五 08:00–18:00，法定节假日休息")
    expect(preview.locator(".days tbody tr")).to_have_count(7)
    expect(preview.locator(".days")).to_contain_text("08:00–18:00")
    c.page.get_by_role("button", name="保存", exact=True).click()
    expect(c.page.locator("#form-message")).to_have_text(f"已保存，现在是版本 {version + 1}。")

    after, now = api_station(server, station)
    assert now == version + 1
    assert after["properties"]["opening_hours"] == "Mo-Fr 08:00-18:00; PH off"
    latest = api_history(server, demo, station)[0]
    assert latest["actor"] == "beilin-a"
    assert set(latest["changes"]) == {"opening_hours"}, "only the changed field is sent"
    c.assert_clean()


@browser_test
def test_a_conflict_is_merged_field_by_field(
    console: Callable[..., Console], server: Server, demo: Demo
) -> None:
    station = "demo-610103-003"
    _, version = api_station(server, station)
    a, b = console("desktop"), console("phone")
    a.sign_in("beilin-a")
    b.sign_in("beilin-b")
    a.open_station(station)
    b.open_station(station)

    b.page.get_by_label("电话").fill("029-1111 2222")
    b.page.get_by_label("开放时间（可以写中文）").fill("每天 7:00-22:00")
    expect(b.page.locator("#hours-preview .osm-text")).to_have_text("Mo-Su 07:00-22:00")
    b.page.get_by_role("button", name="保存", exact=True).click()
    expect(b.page.locator("#form-message")).to_contain_text(f"版本 {version + 1}")

    a.page.get_by_label("电话").fill("029-3333 4444")
    a.page.get_by_label("开放时间（可以写中文）").fill(CHINESE_HOURS)
    a.page.get_by_label("地址", exact=True).fill("陕西省西安市碑林区测试路1号（示例地址）")
    a.page.get_by_role("button", name="保存", exact=True).click()
    screen = a.page.locator("#conflict")
    expect(screen).to_be_visible()
    expect(screen).to_contain_text("beilin-b 在")
    expect(screen).to_contain_text(f"保存了版本 {version + 1}")
    expect(a.page.locator("#station-form")).to_be_hidden()
    phone = screen.locator(".conflict-field[data-field=phone]")
    expect(phone.locator(".pick-mine .pick-value")).to_have_text("029-3333 4444")
    expect(phone.locator(".pick-theirs .pick-value")).to_have_text("029-1111 2222")
    hours = screen.locator(".conflict-field[data-field=opening_hours]")
    expect(hours.locator(".pick-mine .pick-value")).to_have_text(CHINESE_HOURS)
    expect(hours.locator(".pick-theirs .pick-value")).to_have_text("Mo-Su 07:00-22:00")
    # Only A changed the address, so it starts on A's; both changed phone and hours.
    expect(screen.locator(".conflict-field")).to_have_count(3)
    for field_name in ("phone", "opening_hours", "address"):
        mine = screen.locator(f".conflict-field[data-field={field_name}] .pick-mine input")
        expect(mine).to_be_checked()

    phone.get_by_label(re.compile("用同事的")).check()
    screen.get_by_role("button", name=re.compile("按所选保存")).click()
    expect(screen).to_be_hidden()
    expect(a.page.locator("#form-message")).to_have_text(f"已保存，现在是版本 {version + 2}。")

    after, now = api_station(server, station)
    assert now == version + 2
    props = after["properties"]
    assert props["opening_hours"] == "Mo-Fr 08:00-18:00; PH off"  # A kept its own
    assert props["phone"] == "029-1111 2222"  # A took B's
    assert props["address"] == "陕西省西安市碑林区测试路1号（示例地址）"
    entry = api_history(server, demo, station)[0]
    assert (entry["actor"], set(entry["changes"])) == ("beilin-a", {"opening_hours", "address"})
    a.assert_clean("412 (Precondition Failed)")
    b.assert_clean()


@browser_test
def test_a_station_outside_the_tokens_districts_is_read_only(
    console: Callable[..., Console], server: Server, demo: Demo
) -> None:
    station = "demo-610103-010"
    c = console("phone")
    c.sign_in("weiyang")
    names = c.page.locator("#station-list .station-row").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-station-id'))"
    )
    assert names and all(n.startswith("demo-610112-") for n in names), "only 未央区's"
    expect(c.page.get_by_role("link", name=re.compile("^编辑："))).not_to_have_count(0)
    c.go(f"#/station/{station}")
    expect(c.page.locator("#station-readonly")).to_have_text(
        "只读：weiyang 只能编辑 陕西省西安市未央区 的站点。"
    )
    expect(c.page.get_by_role("button", name="保存", exact=True)).to_be_hidden()
    expect(c.page.locator("#station-tools")).to_be_hidden()
    expect(c.page.locator("#photo-upload")).to_be_hidden()
    expect(c.page.get_by_label("名称", exact=True)).to_be_disabled()
    # The API refuses anyway.
    _, version = api_station(server, station)
    refused = httpx.patch(
        f"{server.url}/v1/stations/{station}",
        json={"phone": "029-0"},
        headers={**bearer(demo.secrets["weiyang"]), **if_match(version)},
        timeout=10,
    )
    assert_problem(refused, 403)
    c.assert_clean()


def _csv(*rows: str) -> bytes:
    return (CSV_HEADER + "".join(r + "\n" for r in rows)).encode()


IMPORT_GOOD: Final = (
    ",导入测试驿站甲,love_station,108.985000,34.230000,碑林区测试路1号,610103,water;toilet,"
    "24/7,,测试工会"
)
IMPORT_BAD: Final = ",导入测试驿站乙,love_station,108.986500,abc,碑林区测试路2号,610103,water,,,"
IMPORT_FIXED: Final = IMPORT_BAD.replace("abc", "34.231500")


@browser_test
def test_an_import_is_checked_then_confirmed(
    console: Callable[..., Console], server: Server
) -> None:
    before = matched(server, "610103")
    c = console("desktop")
    c.sign_in("beilin-a")
    c.page.get_by_role("link", name="导入导出").click()
    upload = c.page.get_by_label("文件（CSV、GeoJSON 或 Excel）")
    upload.set_input_files(
        {"name": "新站.csv", "mimeType": "text/csv", "buffer": _csv(IMPORT_GOOD, IMPORT_BAD)}
    )
    c.page.get_by_role("button", name="检查文件（不写入）").click()
    report = c.page.locator("#import-report")
    expect(report.locator("h4")).to_have_text("有问题：什么都没有写入")
    rejected = report.locator("table.rejected tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("td")).to_have_text(["3", "lat", re.compile("abc")])
    expect(report.locator(".number.rows dd")).to_have_text("2")
    expect(c.page.get_by_role("button", name="确认导入")).to_have_count(0)
    assert matched(server, "610103") == before, "a dry run writes nothing"

    upload.set_input_files(
        {"name": "新站.csv", "mimeType": "text/csv", "buffer": _csv(IMPORT_GOOD, IMPORT_FIXED)}
    )
    expect(report).to_be_hidden()
    c.page.get_by_role("button", name="检查文件（不写入）").click()
    expect(report.locator("h4")).to_have_text("检查通过：可以导入")
    expect(report.locator(".number.created dd")).to_have_text("2")
    assert matched(server, "610103") == before
    c.page.get_by_role("button", name="确认导入").click()
    expect(report.locator("h4")).to_have_text("已导入")
    assert matched(server, "610103") == before + 2
    c.assert_clean("422 (Unprocessable Entity)")


@browser_test
def test_the_import_template_link(
    console: Callable[..., Console], server: Server, demo: Demo
) -> None:
    there = httpx.get(
        f"{server.url}/v1/imports/template.xlsx", headers=bearer(demo.secrets["admin"]), timeout=10
    )
    c = console("desktop")
    c.sign_in("beilin-a")
    c.go("#/files")
    button = c.page.get_by_role("button", name="下载 Excel 模板")
    assert there.status_code == 200, there.text
    with c.page.expect_download() as download:
        button.click()
    saved = download.value.path()
    assert saved is not None and Path(saved).read_bytes() == there.content


@browser_test
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_rider_report_is_dismissed_from_the_queue(
    console: Callable[..., Console], server: Server, demo: Demo, viewport: str
) -> None:
    station = {"phone": "demo-610103-006", "desktop": "demo-610103-016"}[viewport]
    sent = httpx.post(
        f"{server.url}/v1/stations/{station}/reports",
        json={"category": "closed_now", "note": "门锁了，没有通知（测试）"},
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    report_id = sent.json()["id"]
    c = console(viewport)
    c.sign_in("beilin-a")
    c.page.get_by_role("link", name=re.compile("骑手报告")).click()
    group = c.page.locator(f".report-group[data-station-id='{station}']")
    expect(group).to_contain_text("门锁了，没有通知（测试）")
    expect(group.locator(".row-where")).to_contain_text("现在关着 ×1")
    group.get_by_label("驳回理由").fill("现场核实正常开放")
    group.get_by_role("button", name="驳回所选").click()
    expect(group).to_have_count(0)
    got = httpx.get(
        f"{server.url}/v1/reports/{report_id}", headers=bearer(demo.secrets["admin"]), timeout=10
    ).json()
    assert (got["status"], got["resolution_reason"], got["resolved_by"]) == (
        "dismissed", "现场核实正常开放", "beilin-a",
    )  # fmt: skip
    c.assert_clean()


@browser_test
def test_accepting_wrong_hours_takes_the_right_ones_with_their_preview(
    console: Callable[..., Console], server: Server
) -> None:
    station = "demo-610103-007"
    _, version = api_station(server, station)
    sent = httpx.post(
        f"{server.url}/v1/stations/{station}/reports",
        json={"category": "hours_wrong", "note": "早上七点就开门了"},
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    c = console("phone")
    c.sign_in("beilin-a")
    c.go("#/reports")
    group = c.page.locator(f".report-group[data-station-id='{station}']")
    hours = group.get_by_label(re.compile("正确的开放时间"))
    expect(hours).not_to_have_value("")  # the station's hours now, to correct
    hours.fill("每天 7:00-22:00")
    expect(group.locator(".osm-text")).to_have_text("Mo-Su 07:00-22:00")
    group.get_by_role("button", name="采纳所选").click()
    expect(group).to_have_count(0)
    after, now = api_station(server, station)
    assert (after["properties"]["opening_hours"], now) == ("Mo-Su 07:00-22:00", version + 1)
    c.assert_clean()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (11, 110, 79)).save(out, "PNG")
    return out.getvalue()


@browser_test
def test_verify_mark_broken_photos_history_and_revert(
    console: Callable[..., Console], server: Server, demo: Demo
) -> None:
    station = "demo-610103-005"
    first, version = api_station(server, station)
    c = console("desktop")
    c.sign_in("beilin-a")
    c.open_station(station)
    c.page.get_by_role("button", name="我刚在现场核实过").click()
    expect(c.page.locator("#tools-message")).to_have_text(f"已记录现场核实（版本 {version + 1}）。")
    expect(c.page.locator("#station-meta")).to_contain_text("已核实 ")
    code = first["properties"]["amenities"][0]
    amenity = c.page.locator(f".amenity[data-amenity={code}]")
    amenity.get_by_role("button", name=re.compile("标记为故障")).click()
    expect(amenity.locator(".broken-tag")).to_have_text("故障")
    now, v = api_station(server, station)
    assert code in now["properties"]["out_of_order"] and v == version + 2
    assert now["properties"]["verified_at"]

    c.page.get_by_label(re.compile("选择照片")).set_input_files(
        {"name": "站.png", "mimeType": "image/png", "buffer": _png()}
    )
    c.page.get_by_role("button", name="上传", exact=True).click()
    expect(c.page.locator("#photo-list img")).to_have_count(1)
    expect(c.page.locator("#photo-list img")).to_have_js_property("complete", True)
    assert c.page.locator("#photo-list img").evaluate("i => i.naturalWidth") > 0
    c.page.on("dialog", lambda d: d.accept())
    c.page.locator("#photo-list").get_by_role("button", name=re.compile("删除")).click()
    c.page.locator("#confirm-yes").click()
    expect(c.page.locator("#photo-list img")).to_have_count(0)

    c.page.get_by_label("名称", exact=True).fill("改过的名字（测试）")
    c.page.get_by_role("button", name="保存", exact=True).click()
    expect(c.page.locator("#station-h")).to_have_text("改过的名字（测试）")
    c.page.get_by_role("button", name="查看修改历史").click()
    entries = c.page.locator("#history-list .history-entry")
    expect(entries).to_have_count(4)
    expect(entries.first).to_contain_text("beilin-a")
    expect(entries.first).to_contain_text("改过的名字（测试）")
    entries.last.get_by_role("button", name=f"恢复到版本 {version}").click()
    c.page.locator("#confirm-yes").click()
    expect(c.page.locator("#station-h")).to_have_text(first["properties"]["name"])
    reverted, v = api_station(server, station)
    assert reverted["properties"]["name"] == first["properties"]["name"] and v == version + 4
    c.assert_clean()


@browser_test
def test_a_new_station_typed_in_gcj02_and_a_likely_duplicate(
    console: Callable[..., Console], server: Server
) -> None:
    c = console("desktop")
    c.sign_in("beilin-a")
    c.page.get_by_role("link", name="新建站点").click()
    expect(c.page.locator("#station-h")).to_have_text("新建站点")
    expect(c.page.get_by_label("行政区划代码")).to_have_value("610103")
    c.page.get_by_label("名称", exact=True).fill("测试新建驿站")
    c.page.get_by_label("坐标系", exact=True).select_option("gcj02")
    lon, lat = 108.991234, 34.221234
    c.page.get_by_label("经度", exact=True).fill(f"{lon}")
    c.page.get_by_label("纬度", exact=True).fill(f"{lat}")
    c.page.get_by_label("微波炉").check()
    with c.page.expect_request(lambda r: r.method == "POST" and "/v1/stations" in r.url) as asked:
        c.page.get_by_role("button", name="保存", exact=True).click()
    assert asked.value.url.endswith("/v1/stations?crs=gcj02")
    expect(c.page.locator("#station-meta")).to_contain_text("版本 1")
    station_id = c.page.evaluate("decodeURIComponent(location.hash.split('/')[2])")
    created, _ = api_station(server, station_id)
    wgs = [float(v) for v in to_wgs84(lon, lat, CoordinateSystem.GCJ02)]
    assert created["geometry"]["coordinates"] == pytest.approx(wgs, abs=1e-6)
    assert created["properties"]["amenities"] == ["microwave"]

    # The same again, a metre away: a likely duplicate (once POST checks for one) or a second
    # station (before that): either way the console says what happened.
    c.page.get_by_role("link", name="← 返回站点列表").click()
    c.page.get_by_role("link", name="新建站点").click()
    c.page.get_by_label("名称", exact=True).fill("测试新建驿站")
    c.page.get_by_label("坐标系", exact=True).select_option("gcj02")
    c.page.get_by_label("经度", exact=True).fill(f"{lon + 0.00001}")
    c.page.get_by_label("纬度", exact=True).fill(f"{lat}")
    with c.page.expect_response(lambda r: r.request.method == "POST") as answered:
        c.page.get_by_role("button", name="保存", exact=True).click()
    if answered.value.status == 409:
        panel = c.page.locator("#duplicate")
        expect(panel).to_be_visible()
        expect(panel.get_by_role("link", name="测试新建驿站")).to_have_attribute(
            "href", f"#/station/{station_id}"
        )
        with c.page.expect_request(lambda r: "allow_duplicates=true" in r.url):
            panel.get_by_role("button", name="仍然新建").click()
    expect(c.page.locator("#station-meta")).to_contain_text("版本 1")
    assert c.page.evaluate("decodeURIComponent(location.hash.split('/')[2])") != station_id
    c.assert_clean("409 (Conflict)")


SCREENS: Final = ("list", "form", "conflict")


@browser_test
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_axe_finds_nothing_serious_on_the_list_form_and_conflict_screen(
    console: Callable[..., Console], server: Server, demo: Demo, viewport: str
) -> None:
    station = {"phone": "demo-610103-012", "desktop": "demo-610103-013"}[viewport]
    c = console(viewport)
    c.sign_in("beilin-a")
    found: dict[str, list[str]] = {}
    for lang in ("zh", "en"):
        c.go("#/stations")
        expect(c.page.locator("#station-list .station-row").first).to_be_visible()
        found[f"list {lang}"] = serious_violations(c.page)
        c.open_station(station)
        found[f"form {lang}"] = serious_violations(c.page)
        c.switch_language()
    # The conflict screen, in both languages.
    c.page.get_by_label(re.compile("^(电话|Phone)$")).fill("029-5555 6666")
    colleague_patch(server, demo, station, {"phone": "029-7777 8888"})
    c.page.get_by_role("button", name=re.compile("^(保存|Save)$")).click()
    expect(c.page.locator("#conflict")).to_be_visible()
    found["conflict zh"] = serious_violations(c.page)
    c.switch_language()
    expect(c.page.locator("#conflict h3")).to_have_text(
        "A colleague changed this station meanwhile"
    )
    found["conflict en"] = serious_violations(c.page)
    assert {k: v for k, v in found.items() if v} == {}
    c.assert_clean("412 (Precondition Failed)")


@browser_test
def test_every_phone_touch_target_is_at_least_44_px(
    console: Callable[..., Console], server: Server
) -> None:
    c = console("phone")
    c.sign_in("beilin-a")
    assert c.page.evaluate(SMALL_TARGETS, EXEMPT) == []
    assert c.page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    c.open_station("demo-610103-014")
    assert c.page.evaluate(SMALL_TARGETS, EXEMPT) == []
    assert c.page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    c.go("#/files")
    expect(c.page.locator("#files-h")).to_be_visible()
    assert c.page.evaluate(SMALL_TARGETS, EXEMPT) == []
    sent = httpx.post(
        f"{server.url}/v1/stations/demo-610103-014/reports",
        json={"category": "amenity_broken", "amenity": "toilet", "note": "冲水坏了"},
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    c.go("#/reports")
    expect(c.page.locator(".report-group[data-station-id='demo-610103-014']")).to_be_visible()
    assert c.page.evaluate(SMALL_TARGETS, EXEMPT) == []
    assert c.page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    c.assert_clean()


@browser_test
def test_the_token_stays_out_of_urls_local_storage_and_the_log(
    console: Callable[..., Console], server: Server, demo: Demo
) -> None:
    secret = demo.secrets["beilin-b"]
    c = console("desktop")
    c.sign_in("beilin-b")
    c.open_station("demo-610103-015")
    c.page.get_by_label("电话").fill("029-2468 1357")
    c.page.get_by_role("button", name="保存", exact=True).click()
    expect(c.page.locator("#form-message")).to_contain_text("已保存")
    c.page.get_by_role("button", name="查看修改历史").click()
    expect(c.page.locator("#history-list .history-entry").first).to_be_visible()
    c.go("#/reports")
    expect(c.page.locator("#reports-summary")).not_to_have_text("正在载入…")
    c.go("#/files")
    c.page.reload()  # the session survives a reload: the token is in sessionStorage
    c.page.wait_for_selector("html[data-admin-ready]", state="attached")
    expect(c.page.locator("#who-text")).to_contain_text("beilin-b")

    api = [r for r in c.requests if "/v1/" in r.url]
    assert len(api) > 10
    assert [r.url for r in c.requests if secret in r.url] == []
    assert {r.headers.get("authorization") for r in api if "/v1/tokens/me" in r.url} == {
        f"Bearer {secret}"
    }
    stored = c.page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert secret not in stored
    assert c.page.evaluate("sessionStorage.getItem('yizhan.admin.token')") == secret
    assert c.page.evaluate("location.href").find(secret) < 0

    c.page.get_by_role("button", name="退出").click()
    c.page.wait_for_selector("#view-signin:not([hidden])")
    assert c.page.evaluate("sessionStorage.getItem('yizhan.admin.token')") is None
    assert secret not in c.page.evaluate("JSON.stringify(Object.entries(sessionStorage))")
    assert secret not in server.text_log()
    c.assert_clean()


@browser_test
def test_a_refused_token_is_not_kept(console: Callable[..., Console]) -> None:
    c = console("phone")
    c.open()
    c.page.get_by_label("令牌", exact=True).fill("yz_not-a-real-token")
    c.page.get_by_role("button", name="登录", exact=True).click()
    expect(c.page.locator("#signin-message")).to_have_text(
        "这个令牌无效或已被撤销。请向管理员要一个新的。"
    )
    assert c.page.evaluate("sessionStorage.length") == 0
    c.assert_clean("401 (Unauthorized)")


@browser_test
def test_english_everywhere_after_the_switch(console: Callable[..., Console]) -> None:
    c = console("desktop")
    c.sign_in("admin")
    c.switch_language()
    expect(c.page.locator("html")).to_have_attribute("lang", "en")
    expect(c.page.locator("#who-text")).to_have_text("admin · admin · everywhere")
    expect(c.page.locator("#stations-h")).to_have_text("Stations")
    chinese = re.compile("[\u4e00-\u9fff]")
    for text in c.page.locator("label, legend, button:not(#lang), .nav-link, h2").all_inner_texts():
        assert not chinese.search(text), text
    c.open_station("demo-610112-001")
    expect(c.page.locator("#hours-preview .days caption")).to_have_text("The next seven days")
    labels = c.page.locator("#view-station :is(label, legend, button)")
    for text in labels.all_inner_texts():
        assert not chinese.search(text), text  # amenities too (GET /v1/amenities, en)
    c.page.reload()
    c.page.wait_for_selector("html[data-admin-ready]", state="attached")
    expect(c.page.locator("#lang")).to_have_text("中文")
    c.assert_clean()


@browser_test
def test_the_scripts_tables_match_the_server(console: Callable[..., Console]) -> None:
    c = console("desktop")
    c.open()
    tables = c.page.evaluate(
        """() => ({tiles: YizhanAdmin.TILES, words: YizhanAdmin.WORDS,
                   keys: Array.from(document.querySelectorAll('[data-t]'))
                       .map(n => n.getAttribute('data-t'))})"""
    )
    for kind, source in TILE_SOURCES.items():
        js = tables["tiles"][kind.value]
        assert (js["url"], js["subdomains"], js["maxZoom"], js["crs"]) == (
            source.url, source.subdomains, source.max_zoom, source.crs.value,
        )  # fmt: skip
    words = tables["words"]
    assert all(len(pair) == 2 and all(pair) for pair in words.values())
    assert set(tables["keys"]) <= set(words)
    vocabularies = {
        "kind": Kind, "status": Status, "access": Access, "entry": Entry,
        "category": Category, "action": Action, "role": Role,
    }  # fmt: skip
    keys = [f"{prefix}_{v.value}" for prefix, values in vocabularies.items() for v in values]
    missing = [key for key in keys if key not in words]
    assert missing == []


@browser_test
def test_the_map_conversions_match_geo_crs(console: Callable[..., Console]) -> None:
    c = console("desktop")
    c.open()
    rng = np.random.default_rng(20261213)
    points = np.column_stack([rng.uniform(73, 135, 200), rng.uniform(18, 53.5, 200)])
    for crs in (CoordinateSystem.GCJ02, CoordinateSystem.BD09):
        got = np.array(
            c.page.evaluate(
                "([c, pts]) => pts.map(q => YizhanAdmin.toCrs(c, q[0], q[1]))",
                [crs.value, points.tolist()],
            )
        )
        expected = np.column_stack(from_wgs84(points[:, 0], points[:, 1], crs))
        assert np.abs(got - expected).max() < 1e-9, crs
        back = np.array(
            c.page.evaluate(
                "([c, pts]) => pts.map(q => YizhanAdmin.fromCrs(c, q[0], q[1]))",
                [crs.value, got.tolist()],
            )
        )
        inverse = np.column_stack(to_wgs84(got[:, 0], got[:, 1], crs))
        assert np.abs(back - inverse).max() < 1e-9, crs
        assert np.abs(back - points).max() < 1e-8, crs


@browser_test
def test_a_token_revoked_meanwhile_signs_out_saying_why(
    console: Callable[..., Console], demo: Demo
) -> None:
    secret = store_token(demo.db, "short-lived", Role.EDITOR, "610103")
    c = console("phone")
    c.secrets = {**c.secrets, "short-lived": secret}
    c.sign_in("short-lived")
    store = open_store(demo.db, create=False)
    try:
        store.revoke_token("short-lived")
    finally:
        store.close()
    c.page.get_by_role("button", name="刷新").click()
    expect(c.page.locator("#signin-message")).to_have_text("令牌已失效（可能被撤销），请重新登录。")
    assert c.page.evaluate("sessionStorage.getItem('yizhan.admin.token')") is None
    c.assert_clean("401 (Unauthorized)")


HOSTILE: Final = '<img src=x onerror="document.title=1">驿站'


@browser_test
def test_station_text_is_never_markup(
    console: Callable[..., Console], server: Server, demo: Demo
) -> None:
    made = httpx.post(
        f"{server.url}/v1/stations",
        json={"name": HOSTILE, "kind": "love_station", "lon": 108.99, "lat": 34.21,
              "district_code": "610103", "address": "<b>粗体</b>路", "opening_hours": "24/7"},
        headers=bearer(demo.secrets["admin"]),
        timeout=10,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    station_id = made.json()["id"]
    sent = httpx.post(
        f"{server.url}/v1/stations/{station_id}/reports",
        json={"category": "other", "note": "<script>alert(1)</script>"},
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    c = console("desktop")
    c.sign_in("beilin-a")
    c.page.get_by_label("名称或地址").fill("粗体")
    expect(c.row(station_id).locator(".row-name")).to_have_text(HOSTILE)
    c.open_station(station_id)
    expect(c.page.locator("#station-h")).to_have_text(HOSTILE)
    expect(c.page.get_by_label("地址", exact=True)).to_have_value("<b>粗体</b>路")
    c.go("#/reports")
    group = c.page.locator(f".report-group[data-station-id='{station_id}']")
    expect(group.locator(".report-note")).to_have_text("<script>alert(1)</script>")
    markup = "document.querySelectorAll('main img:not(.leaflet-tile), main b').length"
    assert c.page.evaluate(markup) == 0
    assert c.page.evaluate("document.title") == "驿站 · 管理后台"
    c.assert_clean()


@browser_test
def test_a_refused_save_names_the_field(console: Callable[..., Console], server: Server) -> None:
    station = "demo-610103-017"
    _, version = api_station(server, station)
    c = console("phone")
    c.sign_in("beilin-a")
    c.open_station(station)
    reason = c.page.get_by_label("暂停原因")
    reason.fill("供暖检修")  # a reason needs an instant to reopen at
    c.page.get_by_role("button", name="保存", exact=True).click()
    expect(reason).to_have_attribute("aria-invalid", "true")
    note = c.page.locator("#s-closure-reason-error")
    expect(note).to_be_visible()
    expect(reason).to_be_focused()
    assert "s-closure-reason-error" in (reason.get_attribute("aria-describedby") or "")
    expect(c.page.locator("#form-message")).to_contain_text("closure_reason")
    c.page.get_by_label("暂停开放至（北京时间）").fill("2099-12-24T18:00")
    c.page.get_by_role("button", name="保存", exact=True).click()
    expect(c.page.locator("#form-message")).to_have_text(f"已保存，现在是版本 {version + 1}。")
    expect(note).to_have_count(0)
    after, _ = api_station(server, station)
    assert after["properties"]["closed_until"] == "2099-12-24T10:00:00Z"  # 18:00 in China
    assert after["properties"]["closure_reason"] == "供暖检修"
    c.assert_clean("422 (Unprocessable Entity)")


@browser_test
def test_the_template_with_a_bad_row_is_reported_in_chinese_then_imported(
    console: Callable[..., Console], server: Server
) -> None:
    """The union's path: download the template, fill it in (here: one latitude mistyped), check
    it — the report names the row in Chinese and shows the hours read from Chinese — fix it,
    import it."""
    import openpyxl

    got = httpx.get(f"{server.url}/v1/imports/template.xlsx", timeout=10)
    assert got.status_code == 200

    def workbook(latitude: object) -> bytes:
        book = openpyxl.load_workbook(io.BytesIO(got.content))
        sheet = book["驿站"]
        header = [cell.value for cell in sheet[1]]
        sheet.cell(row=3, column=header.index("纬度") + 1, value=latitude)
        for row in range(2, sheet.max_row + 1):  # new names: these are not the demo's stations
            name = sheet.cell(row=row, column=header.index("名称") + 1)
            name.value = f"{name.value}（模板测试）"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    total = httpx.get(f"{server.url}/v1/stations", params={"limit": 1}, timeout=10)
    before = total.json()["numberMatched"]
    c = console("desktop")
    c.sign_in("admin")
    c.page.get_by_role("link", name="导入导出").click()
    upload = c.page.get_by_label("文件（CSV、GeoJSON 或 Excel）")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    upload.set_input_files({"name": "名单.xlsx", "mimeType": xlsx, "buffer": workbook("三十四")})
    c.page.get_by_role("button", name="检查文件（不写入）").click()
    report = c.page.locator("#import-report")
    expect(report.locator("h4")).to_have_text("有问题：什么都没有写入")
    rejected = report.locator("table.rejected tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("td")).to_have_text(["3", "lat", re.compile("不是数字")])
    expect(report.locator(".conversions li").first).to_contain_text("保存为 Mo-Fr 08:00-18:00")
    after_check = httpx.get(f"{server.url}/v1/stations", params={"limit": 1}, timeout=10)
    assert after_check.json()["numberMatched"] == before

    upload.set_input_files({"name": "名单.xlsx", "mimeType": xlsx, "buffer": workbook(34.2605)})
    c.page.get_by_role("button", name="检查文件（不写入）").click()
    expect(report.locator("h4")).to_have_text("检查通过：可以导入")
    c.page.get_by_role("button", name="确认导入").click()
    expect(report.locator("h4")).to_have_text("已导入")
    done = httpx.get(f"{server.url}/v1/stations", params={"limit": 1}, timeout=10)
    assert done.json()["numberMatched"] == before + 3
    c.assert_clean("422 (Unprocessable Entity)")
