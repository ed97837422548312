"""Published map pages in a real browser: Debian's headless Chromium driven by Playwright, with
every request that is not a local file refused (so the page proves it needs nothing but tiles).

Needs /usr/bin/chromium: ``make test`` installs it (``make chromium``). Playwright's own browser
download is never used.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route
from pyproj import Geod

from api.maps.publish import publish
from api.maps.texts import TEXT, Tiles
from geo.crs import CoordinateSystem, from_wgs84
from stations.amenities import BY_CODE
from stations.model import Kind, OsmSource, Station, Status
from stations.store.geopackage.store import GeoPackageStore
from tests.api.chromium import CHROMIUM_ARGS, launched_chromium
from tests.api.stores import open_client
from tests.api.test_map_popups import closed_station, thumbnail
from tests.api.test_map_render import HOSTILE, make_station, synthetic_stations

pytestmark = pytest.mark.browser

GEOD: Final = Geod(ellps="WGS84")
KNOWN: Final = "demo-610102-001"  # 示例·新城区东五路商业中心工会驿站
LOCAL_SCHEMES: Final = ("file:", "data:", "about:")
TILE_PREFIX: Final = {
    Tiles.OSM: ("https://tile.openstreetmap.org/",),
    Tiles.AMAP: tuple(f"https://webrd0{n}.is.autonavi.com/appmaptile?" for n in "1234"),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium(CHROMIUM_ARGS) as launched:
        yield launched


@dataclass
class Visit:
    """A page opened offline, and everything it tried or complained about."""

    page: Page
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    open_s: float = 0.0  # from goto to the page's script having built every marker

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def assert_clean(self, tiles: Tiles = Tiles.OSM) -> None:
        assert self.errors == []
        assert self.dialogs == []
        assert all(url.startswith(TILE_PREFIX[tiles]) for url in self.refused), self.refused


@pytest.fixture
def visit(browser: Browser) -> Iterator[Callable[..., Visit]]:
    contexts = []

    def open_page(path: Path, query: str = "", **context_options: Any) -> Visit:
        """Open ``path`` (``query``, e.g. ``?now=…``, appended to its file: URL) in a new
        context; ``context_options`` go to ``Browser.new_context`` (viewport 1200 x 800
        unless given)."""
        context_options.setdefault("viewport", {"width": 1200, "height": 800})
        context = browser.new_context(**context_options)
        contexts.append(context)
        visit = Visit(context.new_page())

        def refuse_remote(route: Route) -> None:
            url = route.request.url
            if url.startswith(LOCAL_SCHEMES) or url.split("/")[2].split(":")[0] in (
                "127.0.0.1",
                "localhost",
            ):
                route.continue_()
            else:
                visit.refused.append(url)
                route.abort()

        def console(msg: ConsoleMessage) -> None:
            refused_load = msg.text.startswith("Failed to load resource") and (
                msg.location.get("url") in visit.refused
            )
            if msg.type == "error" and not refused_load:
                visit.errors.append(f"console: {msg.text}")

        context.route("**/*", refuse_remote)
        visit.page.on("console", console)
        visit.page.on("pageerror", lambda exc: visit.errors.append(f"page error: {exc}"))
        visit.page.on("dialog", lambda d: (visit.dialogs.append(d.message), d.dismiss()))
        started = time.perf_counter()
        visit.page.goto(path.as_uri() + query, wait_until="load")
        visit.page.wait_for_selector("html[data-yizhan-ready]", state="attached")
        visit.open_s = time.perf_counter() - started
        return visit

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def demo_stations(demo_db: Path) -> list[Station]:
    store = GeoPackageStore(demo_db, create=False)
    try:
        return store.list_stations()
    finally:
        store.close()


def published(tmp_path: Path, stations: list[Station], **options: Any) -> Path:
    return publish(stations, tmp_path / "site", **options).index


def click_station(v: Visit, station_id: str) -> tuple[str, str]:
    """Bring a station's marker out of its cluster and click it; the popup's name text and
    the marker's title."""
    # Zoom in without animation; if the marker still shares a spot, spiderfy its cluster.
    v.js(
        """id => new Promise((done, fail) => {
            const marker = yizhan.marker(id), map = yizhan.map;
            const until = performance.now() + 10000;
            map.setView(marker.getLatLng(), map.getMaxZoom(), {animate: false});
            const check = () => {
                if (marker.getElement()) { return done(); }
                if (performance.now() > until) {
                    return fail(new Error(`marker ${id} not shown at zoom ${map.getZoom()}`));
                }
                const parent = yizhan.cluster.getVisibleParent(marker);
                if (parent && parent !== marker && parent.spiderfy) { parent.spiderfy(); }
                setTimeout(check, 50);
            };
            check();
        })""",
        station_id,
    )
    icon = v.page.evaluate_handle("id => yizhan.marker(id).getElement()", station_id).as_element()
    assert icon is not None
    title = icon.get_attribute("title") or ""
    icon.click()
    popup = v.page.wait_for_selector(f'.yz-popup[data-station-id="{station_id}"]')
    assert popup is not None
    name = v.page.eval_on_selector(".yz-popup .yz-name", "node => node.textContent")
    assert isinstance(name, str)
    return name, title


def encode_uri_component(text: str) -> str:
    return quote(text, safe="-_.!~*'()")


# -- the demo page ---------------------------------------------------------------------------


def test_demo_page_works_offline_and_holds_every_station(
    visit: Callable[..., Visit], demo_stations: list[Station], tmp_path: Path
) -> None:
    v = visit(published(tmp_path, demo_stations))
    active = [s for s in demo_stations if s.status is Status.ACTIVE]
    assert v.js("yizhan.data.stations.length") == len(active) == 203
    assert v.js("yizhan.cluster.getLayers().length") == 203
    assert v.page.get_attribute("#yz-count", "data-total") == "203"
    assert v.page.text_content("#yz-count") == TEXT["zh"]["count"].format(n=203)
    assert v.page.text_content(".yz-title") == TEXT["zh"]["title"]
    assert "OpenStreetMap" in (v.page.text_content(".leaflet-control-attribution") or "")
    assert v.refused, "tiles were asked for (and refused)"
    v.assert_clean()


def test_clicking_a_cluster_then_a_marker_shows_its_popup(
    visit: Callable[..., Visit], demo_stations: list[Station], tmp_path: Path
) -> None:
    v = visit(published(tmp_path, demo_stations))
    zoom = v.js("yizhan.map.getZoom()")
    v.page.click(".marker-cluster >> nth=0")
    deadline = time.monotonic() + 5
    while v.js("yizhan.map.getZoom()") == zoom and time.monotonic() < deadline:
        v.page.wait_for_timeout(50)
    assert v.js("yizhan.map.getZoom()") > zoom, "a click on a cluster zooms into it"

    station = next(s for s in demo_stations if s.id == KNOWN)
    assert click_station(v, KNOWN) == (station.name, station.name)
    popup = v.page.locator(".yz-popup")
    text = popup.text_content() or ""
    assert station.address and station.address in text
    assert station.opening_hours == "Mo-Fr 08:30-18:00; PH off"
    assert "周一至周五 08:30–18:00，法定节假日休息" in text  # stations.hours_text, not the OSM text
    assert station.opening_hours not in text
    assert station.host and station.host in text
    assert popup.locator("a[href^='tel:']").get_attribute("href") == "tel:02900874216"
    codes = popup.locator("li[data-amenity]").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('data-amenity'))"
    )
    assert codes == list(station.amenities)
    for code in station.amenities:  # the page's language only
        assert BY_CODE[code].zh in text and BY_CODE[code].en not in text

    glon, glat = (round(float(v_), 6) for v_ in from_wgs84(station.lon, station.lat, "gcj02"))
    blon, blat = (round(float(v_), 6) for v_ in from_wgs84(station.lon, station.lat, "bd09"))
    amap = popup.locator("a.yz-nav-amap").get_attribute("href")
    baidu = popup.locator("a.yz-nav-baidu").get_attribute("href") or ""
    assert amap == (
        "https://uri.amap.com/navigation?to="
        + encode_uri_component(f"{glon!r},{glat!r},{station.name}")
        + "&mode=ride&coordinate=gaode&callnative=1"
    )
    assert baidu.startswith(
        "https://api.map.baidu.com/marker?location=" + encode_uri_component(f"{blat!r},{blon!r}")
    )
    assert "coord_type=bd09ll" in baidu
    v.assert_clean()


def test_amenity_filter_and_kind_layers(
    visit: Callable[..., Visit], demo_stations: list[Station], tmp_path: Path
) -> None:
    v = visit(published(tmp_path, demo_stations))
    active = [s for s in demo_stations if s.status is Status.ACTIVE]
    v.page.check(".yz-filter input[value=microwave]")
    v.page.check(".yz-filter input[value=toilet]")
    expected = [s for s in active if {"microwave", "toilet"} <= set(s.amenities)]
    assert v.js("yizhan.cluster.getLayers().length") == len(expected)
    assert v.page.get_attribute("#yz-count", "data-shown") == str(len(expected))

    v.page.locator(".leaflet-control-layers-overlays input").nth(1).uncheck()  # service points
    love = [s for s in expected if s.kind is Kind.LOVE_STATION]
    assert v.js("yizhan.cluster.getLayers().length") == len(love)
    assert v.page.text_content("#yz-count") == TEXT["zh"]["shown"].format(
        shown=len(love), n=len(active)
    )
    v.assert_clean()


# -- user text stays text ---------------------------------------------------------------------


def test_hostile_names_show_as_literal_text_and_nothing_runs(
    visit: Callable[..., Visit], tmp_path: Path
) -> None:
    stations = [
        make_station(i, name=text, address=text, host=text, phone=text, opening_hours=text)
        for i, text in enumerate(HOSTILE, start=1)
    ]
    v = visit(published(tmp_path, stations))
    for station in stations:
        assert click_station(v, station.id) == (station.name, station.name)
        popup_text = v.page.text_content(".yz-popup") or ""
        assert popup_text.count(station.name) >= 4  # name, address, hours, host (phone too)
    injected = "img:not(.leaflet-tile), .leaflet-popup-pane script, .leaflet-marker-pane script"
    assert v.js("s => document.querySelectorAll(s).length", injected) == 0
    assert v.js("yizhan.data.stations.length") == len(HOSTILE)
    v.assert_clean()
    assert v.dialogs == []


# -- closures, amenities out of order, photos ---------------------------------------------------


def test_a_closed_station_with_a_broken_amenity_and_a_photo(
    visit: Callable[..., Visit], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    built = now - timedelta(days=1)  # the page was built yesterday
    closed = closed_station(1, closed_until=now + timedelta(days=30))
    working = make_station(2, amenities=("water", "heating"))
    # Closed when the page was built, open again by the time it is viewed.
    reopened = make_station(3, closed_until=now - timedelta(hours=1), closure_reason="停电")
    # Imported from OpenStreetMap: its popup credits OSM, as the ODbL asks.
    reopened = replace(reopened, osm=OsmSource("node/1", 1, (("name", reopened.name),)))
    thumb = thumbnail()
    v = visit(
        published(tmp_path, [closed, working, reopened], photos={closed.id: thumb}, now=built)
    )
    text = TEXT["zh"]
    data = v.js("yizhan.data")
    assert v.page.text_content(".yz-photo-note") == text["photo_note"].format(
        n=1, kb=data["photos"]["kb"]
    )

    click_station(v, closed.id)
    popup = v.page.locator(".yz-popup")
    until = data["stations"][0][data["fields"].index("closure")][1]
    assert popup.locator(".yz-closure").text_content() == f"暂停开放至 {until}：供暖检修"
    heating = popup.locator("li[data-amenity=heating]")
    assert heating.get_attribute("class") == "yz-broken"
    assert heating.locator(".yz-broken-label").text_content() == text["out_of_order"]
    assert "line-through" in heating.locator(".yz-amenity-name").evaluate(
        "node => getComputedStyle(node).textDecorationLine"
    )
    assert popup.locator("li[data-amenity=water]").get_attribute("class") is None
    assert popup.locator(".yz-verified").text_content() == "已核实 2026-11-30"
    popup_text = popup.text_content() or ""
    assert "户外劳动者" in popup_text and "扫码进入" in popup_text
    assert popup.locator(".yz-source").count() == 0  # not from OpenStreetMap
    img = popup.locator("img.yz-photo")
    img.evaluate("node => node.decode()")
    assert img.evaluate("node => [node.naturalWidth, node.naturalHeight]") == [
        thumb.width,
        thumb.height,
    ]
    assert img.get_attribute("alt") == closed.name
    assert img.get_attribute("width") == str(thumb.width)
    assert (img.get_attribute("src") or "").startswith("data:image/jpeg;base64,")

    assert data["stations"][2][data["fields"].index("closure")] is not None  # the page hides it
    click_station(v, reopened.id)
    assert v.page.locator(".yz-popup .yz-closure").count() == 0
    assert v.page.locator(".yz-popup img").count() == 0
    assert v.page.locator(".yz-popup .yz-source").text_content() == text["osm_source"]
    assert "© OpenStreetMap 贡献者" in text["osm_source"]

    # The filter counts working amenities: heating out of order does not qualify a station.
    v.page.check(".yz-filter input[value=heating]")
    assert v.page.get_attribute("#yz-count", "data-shown") == "1"
    assert v.js(
        "ids => ids.map(id => yizhan.cluster.hasLayer(yizhan.marker(id)))",
        [
            closed.id,
            working.id,
            reopened.id,
        ],
    ) == [False, True, False]
    v.page.uncheck(".yz-filter input[value=heating]")
    assert v.page.get_attribute("#yz-count", "data-shown") == "3"
    v.assert_clean()


# -- Amap tiles: GCJ-02 ------------------------------------------------------------------------


def test_amap_page_places_a_station_at_its_gcj02_position(
    visit: Callable[..., Visit], demo_stations: list[Station], tmp_path: Path
) -> None:
    v = visit(published(tmp_path, demo_stations, tiles=Tiles.AMAP))
    station = next(s for s in demo_stations if s.id == KNOWN)
    lon, lat = (float(x) for x in from_wgs84(station.lon, station.lat, CoordinateSystem.GCJ02))
    got = v.js("id => { const p = yizhan.marker(id).getLatLng(); return [p.lng, p.lat]; }", KNOWN)
    assert got == [pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6)]
    assert GEOD.inv(station.lon, station.lat, got[0], got[1])[2] > 100  # not the WGS-84 spot
    assert v.refused and all("autonavi.com" in url for url in v.refused)
    v.assert_clean(Tiles.AMAP)


def test_osm_page_places_a_station_at_its_wgs84_position(
    visit: Callable[..., Visit], demo_stations: list[Station], tmp_path: Path
) -> None:
    v = visit(published(tmp_path, demo_stations))
    station = next(s for s in demo_stations if s.id == KNOWN)
    got = v.js("id => { const p = yizhan.marker(id).getLatLng(); return [p.lng, p.lat]; }", KNOWN)
    assert got == [pytest.approx(station.lon, abs=1e-6), pytest.approx(station.lat, abs=1e-6)]


# -- locate me ---------------------------------------------------------------------------------


def test_locate_me_when_denied_says_so_without_errors(
    visit: Callable[..., Visit], tmp_path: Path
) -> None:
    v = visit(published(tmp_path, [make_station(1)]))
    v.page.click(".yz-locate a")
    v.page.wait_for_selector(".yz-status:not(:empty)")
    deadline = time.monotonic() + 20
    while v.page.text_content(".yz-status") == TEXT["zh"]["locating"]:
        assert time.monotonic() < deadline, "the locate request never ended"
        v.page.wait_for_timeout(100)
    assert v.page.text_content(".yz-status") in {
        TEXT["zh"]["locate_denied"],
        TEXT["zh"]["locate_failed"],
    }
    v.assert_clean()


def test_locate_me_on_amap_tiles_shows_the_rider_in_gcj02(
    visit: Callable[..., Visit], tmp_path: Path
) -> None:
    rider = (108.9423, 34.2610)
    v = visit(
        published(tmp_path, [make_station(1)], tiles=Tiles.AMAP, lang="en"),
        geolocation={"longitude": rider[0], "latitude": rider[1], "accuracy": 20},
        permissions=["geolocation"],
    )
    v.page.click(".yz-locate a")
    v.page.wait_for_selector("text=Located")
    got = v.js("(() => { const p = yizhan.located(); return [p.lng, p.lat]; })()")
    lon, lat = (float(x) for x in from_wgs84(*rider, CoordinateSystem.GCJ02))
    assert got == [pytest.approx(lon, abs=1e-9), pytest.approx(lat, abs=1e-9)]
    # The page's own GCJ-02 formula agrees with geo.crs, in and out of China.
    for point in [(116.397, 39.909), (121.47, 31.23), (2.35, 48.86), (87.6, 43.8)]:
        expected = [float(x) for x in from_wgs84(*point, CoordinateSystem.GCJ02)]
        got_point = v.js("p => yizhan.wgsToGcj(p[0], p[1])", list(point))
        assert got_point == [pytest.approx(x, abs=1e-9) for x in expected]
        # And back, for a spot tapped on Amap tiles (the nearest search measures in WGS-84).
        back = v.js("p => yizhan.gcjToWgs(p[0], p[1])", expected)
        assert back == [pytest.approx(x, abs=1e-9) for x in point]
    v.assert_clean(Tiles.AMAP)


# -- coverage ------------------------------------------------------------------------------------


def test_coverage_layers_are_off_until_asked_and_geodesic(
    visit: Callable[..., Visit], demo_stations: list[Station], tmp_path: Path
) -> None:
    v = visit(published(tmp_path, demo_stations, coverage_m=(500, 1000)))
    assert v.js("yizhan.coverage.map(l => yizhan.map.hasLayer(l))") == [False, False]
    v.page.locator(".leaflet-control-layers-overlays input").nth(3).check()  # 1000 m
    assert v.js("yizhan.coverage.map(l => yizhan.map.hasLayer(l))") == [False, True]
    assert v.js("yizhan.coverage[1].getLayers().length") == 203
    centre_and_bounds = v.js(
        """() => yizhan.coverage[1].getLayers().slice(0, 20).map(c => {
            const b = c.getBounds(), p = c.getLatLng();
            return [p.lng, p.lat, b.getNorth(), b.getSouth(), b.getEast(), b.getWest()];
        })"""
    )
    for lon, lat, north, south, east, west in centre_and_bounds:
        for end in [(lon, north), (lon, south), (east, lat), (west, lat)]:
            assert GEOD.inv(lon, lat, *end)[2] == pytest.approx(1000, abs=0.5)
    v.assert_clean()


# -- the served page, and the size and speed at 5,000 stations -----------------------------------


def test_the_page_served_by_get_map_works_too(
    visit: Callable[..., Visit], demo_db: Path, tmp_path: Path
) -> None:
    with open_client(demo_db) as client:
        body = client.get("/map").content
    page = tmp_path / "served.html"
    page.write_bytes(body)
    v = visit(page)
    assert v.js("yizhan.cluster.getLayers().length") == 203
    v.assert_clean()


def test_5000_stations_open_in_under_3_s_and_weigh_under_5_mb(
    visit: Callable[..., Visit], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = published(tmp_path, synthetic_stations(5000))
    size = index.stat().st_size
    v = visit(index)
    ready_ms = v.js("yizhan.timing.ready")
    assert v.js("yizhan.cluster.getLayers().length") == 5000
    with capsys.disabled():
        print(
            f"\n5,000 stations: {size / 1e6:.2f} MB; markers built {ready_ms:.0f} ms after "
            f"navigation start; {v.open_s:.2f} s from goto to loaded and ready"
        )
    assert size < 5_000_000
    assert v.open_s < 3.0
    v.assert_clean()
