"""The published map on a phone (issue 12 item 3), in Debian's Chromium at 390 x 844: touch
targets of at least 44 x 44 px with labels, a popup clear of the panels, opening hours in plain
words, amenities in the page's language only, district names instead of adcodes; and the
screenshots the README shows.

Screenshots go to ``tmp_path`` in the test. To refresh the ones in docs/ (and only then):

    .venv/bin/python -m tests.api.test_map_phone docs/
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pytest
from playwright.sync_api import Browser, Geolocation, Page, sync_playwright

from api.maps.publish import publish
from api.maps.texts import LANGS
from stations.amenities import VOCABULARY
from stations.hours import SHANGHAI
from stations.hours_text import describe
from stations.model import Station
from stations.store.geopackage.store import GeoPackageStore
from tests.api import test_map_browser
from tests.api.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.api.conftest import DEMO_CSV
from tests.api.stores import build_store
from tests.api.test_map_browser import KNOWN, Visit, click_station

pytestmark = pytest.mark.browser

# The browser fixtures of test_map_browser.py (module-scoped Chromium, offline page visits).
browser = test_map_browser.browser
visit = test_map_browser.visit
demo_stations = test_map_browser.demo_stations

PHONE: Final[dict[str, Any]] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
BUILT: Final = datetime(2026, 12, 1, 16, 0, tzinfo=SHANGHAI)
NOW: Final = "?now=2026-12-02T10%3A00%3A00%2B08%3A00"  # a Wednesday morning
RIDER: Final[Geolocation] = {"longitude": 108.9423, "latitude": 34.2610, "accuracy": 25}  # 钟楼
MIN_TARGET_PX: Final = 44

#: Every visible control a finger can hit, with the size of what it hits: a check box's label.
TOUCH_TARGETS: Final = """() => {
    const seen = new Set(), out = [];
    const selector = "a[href], button, summary, input, select, [role=button], .leaflet-marker-icon";
    for (const node of document.querySelectorAll(selector)) {
        if (node.closest(".leaflet-control-attribution")) { continue; }  // inline text links
        const target = node.tagName === "INPUT" ? (node.closest("label") || node) : node;
        if (seen.has(target)) { continue; }
        seen.add(target);
        const r = target.getBoundingClientRect(), style = getComputedStyle(target);
        const visible = r.width > 0 && r.height > 0 && style.visibility !== "hidden"
            && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
        if (!visible) { continue; }
        const name = (target.getAttribute("aria-label") || target.title || target.textContent
            || "").trim();
        out.push({tag: target.tagName, cls: target.className, name: name.slice(0, 40),
                  w: r.width, h: r.height});
    }
    return out;
}"""

#: Rectangles of the controls over the map (the attribution line excepted).
CONTROL_BOXES: Final = """() => [...document.querySelectorAll(".leaflet-control")]
    .filter(c => !c.classList.contains("leaflet-control-attribution"))
    .map(c => c.getBoundingClientRect()).filter(r => r.height > 0)
    .map(r => [r.left, r.top, r.right, r.bottom])"""


def phone(visit: Callable[..., Visit], page_path: Path, lang: str = "zh", **extra: Any) -> Visit:
    locale = "zh-CN" if lang == "zh" else "en-GB"
    return visit(page_path, query=NOW, locale=locale, **PHONE, **extra)


def overlaps(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def locate_and_list(page: Page) -> None:
    """Tap 定位 and wait for the nearest list (the context grants an emulated position)."""
    page.locator(".yz-locate a").click()
    page.wait_for_selector(".yz-results li[data-station-id]")
    page.wait_for_timeout(300)  # the fit to the rider and the list settle


def test_every_touch_target_is_at_least_44_px_and_labelled(
    visit: Callable[..., Visit], demo_stations: list[Station], tmp_path: Path
) -> None:
    site = publish(demo_stations, tmp_path / "site", now=BUILT, coverage_m=(500,)).index
    v = phone(visit, site, geolocation=RIDER, permissions=["geolocation"])
    locate_button = v.page.locator(".yz-locate a")
    assert locate_button.get_attribute("aria-label") == "定位我的位置"
    assert locate_button.inner_text().strip() == "◎ 定位"
    checked: list[dict[str, Any]] = []
    locate_and_list(v.page)
    checked += v.js(TOUCH_TARGETS)  # the nearest panel open, its list filled
    v.page.locator(".yz-panel-toggle").click()
    v.page.locator(".yz-legend summary").click()
    checked += v.js(TOUCH_TARGETS)  # the filter panel open
    v.page.locator(".yz-panel-toggle").click()
    toggle = v.page.locator(".leaflet-control-layers-toggle").bounding_box()
    assert toggle is not None  # Leaflet opens the list as the pointer arrives
    v.page.mouse.move(toggle["x"] + 22, toggle["y"] + 22)
    v.page.wait_for_selector(".leaflet-control-layers-expanded")
    checked += v.js(TOUCH_TARGETS)  # the layer list open
    click_station(v, KNOWN)
    v.page.wait_for_timeout(400)  # the pan that brings the popup into view
    checked += v.js(TOUCH_TARGETS)  # a popup open (its close button, phone and links)
    classes = " ".join(str(t["cls"]) for t in checked)
    for cls in ("yz-chip", "yz-nav-amap", "leaflet-popup-close-button", "leaflet-control-zoom-in",
                "leaflet-control-layers-toggle", "yz-panel-toggle", "yz-nearest-toggle",
                "yz-use-location", "yz-result-show", "leaflet-marker-icon"):  # fmt: skip
        assert cls in classes, cls
    assert {"LABEL", "SUMMARY"} <= {t["tag"] for t in checked}
    small = [t for t in checked if t["w"] < MIN_TARGET_PX - 0.5 or t["h"] < MIN_TARGET_PX - 0.5]
    assert small == []
    assert all(t["name"] for t in checked), [t for t in checked if not t["name"]]
    v.assert_clean()


def test_a_popup_on_a_phone_sits_clear_of_the_panels(
    visit: Callable[..., Visit], demo_stations: list[Station], tmp_path: Path
) -> None:
    site = publish(demo_stations, tmp_path / "site", now=BUILT).index
    v = phone(visit, site, geolocation=RIDER, permissions=["geolocation"])
    assert v.page.get_attribute(".yz-panel-toggle", "aria-expanded") == "false"  # folded
    locate_and_list(v.page)
    v.page.locator(".yz-result-show").first.click()  # from the list to the map
    v.page.wait_for_selector(".yz-popup")
    v.page.wait_for_timeout(400)  # the pan that keeps it clear
    controls = v.js(CONTROL_BOXES)
    for part in (".yz-popup .yz-name", ".yz-popup dd >> nth=0", ".leaflet-popup-close-button"):
        box = v.page.locator(part).bounding_box()
        assert box is not None
        rect = [box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]]
        assert rect[0] >= 0 and rect[1] >= 0 and rect[2] <= 390 and rect[3] <= 844, part
        assert not [c for c in controls if overlaps(rect, c)], part
    v.page.screenshot(path=tmp_path / "popup.png")
    v.assert_clean()


def test_popups_read_plainly_in_the_page_s_language(
    visit: Callable[..., Visit], demo_stations: list[Station], tmp_path: Path
) -> None:
    site = publish(demo_stations, tmp_path / "site", now=BUILT).index
    v = phone(visit, site)
    station = next(s for s in demo_stations if s.id == KNOWN)
    described = describe(station.opening_hours, "zh")
    assert described == "周一至周五 08:30–18:00，法定节假日休息"
    click_station(v, KNOWN)
    popup = v.page.locator(".yz-popup").inner_text()
    assert described in popup and "Mo-Fr" not in popup and "PH" not in popup
    # Every amenity listed, none cut, the Chinese page in Chinese only.
    items = v.page.locator(".yz-popup li[data-amenity]")
    assert items.count() == len(station.amenities) == 10
    assert items.last.is_visible()
    v.page.locator(".yz-panel-toggle").click()
    v.page.locator(".yz-legend summary").click()
    text = v.page.locator("body").inner_text()
    assert [a.en for a in VOCABULARY if a.en in text and a.en != a.zh] == []
    assert all(a.zh in text for a in VOCABULARY)  # the legend lists them all
    # A station whose hours describe() does not cover shows them as written.
    odd_hours = replace(station, opening_hours="Mo-Fr 08:00-12:00; Jan off")
    odd = publish([odd_hours], tmp_path / "odd", now=BUILT).index
    w = phone(visit, odd)
    click_station(w, KNOWN)
    assert "Mo-Fr 08:00-12:00; Jan off" in w.page.locator(".yz-popup").inner_text()
    v.assert_clean()


def test_the_district_index_and_pages_name_districts(
    visit: Callable[..., Visit], demo_stations: list[Station], tmp_path: Path
) -> None:
    done = publish(demo_stations, tmp_path / "site", by_district=True, now=BUILT)
    html = done.index.read_text(encoding="utf-8")
    assert ">陕西省西安市碑林区</a>" in html and ">610103</a>" not in html
    page = phone(visit, tmp_path / "site" / "district-610103.html").page  # file name kept
    assert page.title() == "驿站地图：户外劳动者休息点 · 陕西省西安市碑林区"
    assert page.locator(".yz-title").text_content() == page.title()
    assert page.locator(".yz-nearest-scope").text_content() == "只含陕西省西安市碑林区的站点"


def test_the_index_on_a_phone(
    browser: Browser, demo_stations: list[Station], tmp_path: Path
) -> None:
    done = publish(demo_stations, tmp_path / "site", by_district=True, now=BUILT)
    context = browser.new_context(locale="zh-CN", **PHONE)
    try:
        page = context.new_page()
        page.goto(done.index.as_uri())
        link = page.get_by_role("link", name="陕西省西安市碑林区")
        box = link.bounding_box()
        assert box is not None and box["height"] >= MIN_TARGET_PX
        assert "区县" in page.locator("thead").inner_text()
        assert "610103" not in page.locator("body").inner_text()
    finally:
        context.close()


# -- screenshots ---------------------------------------------------------------------------------


def phone_screenshots(browser: Browser, stations: list[Station], out_dir: Path) -> list[Path]:
    """static-map-zh.png, static-map-en.png (the nearest list after 定位 / Locate) and
    static-map-zh-popup.png (a station's popup opened from the list), at 390 x 844."""
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        for lang in LANGS:
            site = publish(stations, Path(tmp) / lang, lang=lang, now=BUILT).index
            context = browser.new_context(
                locale="zh-CN" if lang == "zh" else "en-GB",
                geolocation=RIDER,
                permissions=["geolocation"],
                **PHONE,
            )
            try:
                context.route("**/*", _offline)
                page = context.new_page()
                page.goto(site.as_uri() + NOW)
                page.wait_for_selector("html[data-yizhan-ready]", state="attached")
                locate_and_list(page)
                written.append(out_dir / f"static-map-{lang}.png")
                page.screenshot(path=written[-1])
                if lang == "zh":
                    page.locator(".yz-result-show").first.click()
                    page.wait_for_selector(".yz-popup")
                    page.wait_for_timeout(500)
                    written.append(out_dir / "static-map-zh-popup.png")
                    page.screenshot(path=written[-1])
            finally:
                context.close()
    return written


def _offline(route: Any) -> None:
    url = route.request.url
    route.continue_() if url.startswith(("file:", "data:", "about:")) else route.abort()


def test_phone_screenshots_are_taken(
    browser: Browser, demo_stations: list[Station], tmp_path: Path
) -> None:
    shots = phone_screenshots(browser, demo_stations, tmp_path)
    assert [p.name for p in shots] == [
        "static-map-zh.png",
        "static-map-zh-popup.png",
        "static-map-en.png",
    ]
    assert all(p.stat().st_size > 10_000 for p in shots)


def main(out_dir: Path) -> None:
    """Write the screenshots into ``out_dir`` (the README's are in docs/)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = build_store(Path(tmp) / "demo.gpkg", DEMO_CSV)
        store = GeoPackageStore(db, create=False)
        try:
            stations = store.list_stations()
        finally:
            store.close()
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for path in phone_screenshots(chromium, stations, out_dir):
                    print(path)
            finally:
                chromium.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
