"""The rider's page on a server that ranks by ride time (the real engine on the Helsinki
sample), as a courier sees it in Debian's Chromium: the cards in the engine's order with routed
minutes, the note saying how times were made and crediting OpenStreetMap's roads; with no
engine, the server's estimates, said so."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from playwright.sync_api import Browser, expect

from stations.editing.validation import validate_draft
from stations.store.geopackage.store import GeoPackageStore
from tests.api.chromium import CHROMIUM_ARGS, LOCAL_ONLY, launched_chromium
from tests.api.test_slow_clients import serving_with

pytestmark = pytest.mark.browser

#: West of Helsinki's rail yard: the nearer station lies behind the tracks (WGS-84).
RIDER: Final = {"longitude": 24.939283, "latitude": 60.172163, "accuracy": 10}
SPOTS: Final = [("铁路那边驿站", 24.942474, 60.172699), ("拐角驿站", 24.943287, 60.171801),
                ("南边驿站", 24.9420, 60.1660)]  # fmt: skip


@pytest.fixture(scope="module")
def helsinki_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("routed-page") / "s.gpkg"
    store = GeoPackageStore(db)
    store.save_all(
        [validate_draft({"id": f"h-{n}", "name": name, "kind": "love_station", "lon": lon,
                         "lat": lat, "district_code": "610103", "opening_hours": "24/7"})
         for n, (name, lon, lat) in enumerate(SPOTS)]
    )  # fmt: skip
    store.close()
    return db


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium([*CHROMIUM_ARGS, LOCAL_ONLY]) as launched:
        yield launched


def _cards(browser: Browser, base: str) -> tuple[list[str], list[str], str]:
    """The names and distance lines of the cards, and the ride note, after locating."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", timezone_id="Asia/Shanghai",
        is_mobile=True, has_touch=True, geolocation=RIDER, permissions=["geolocation"],
    )  # fmt: skip
    try:
        page = context.new_page()
        page.goto(base + "/")
        page.wait_for_selector("html[data-rider-ready]", state="attached")
        with page.expect_response(lambda r: "/v1/stations/nearest" in r.url):
            page.locator("#locate").tap()
        expect(page.locator("#list .result").first).to_be_visible()
        names = page.locator("#list .result .name").all_inner_texts()
        lines = page.locator("#list .result .distance").all_inner_texts()
        return names, lines, page.locator("#ride-note").inner_text()
    finally:
        context.close()


def _api(base: str) -> dict[str, Any]:
    params = {"lat": str(RIDER["latitude"]), "lon": str(RIDER["longitude"]), "k": "5"}
    answer: dict[str, Any] = httpx.get(f"{base}/v1/stations/nearest", params=params).json()
    return answer


def test_the_page_shows_routed_minutes_and_credits_the_roads(
    browser: Browser, helsinki_db: Path, helsinki_tiles: Path, tmp_path: Path
) -> None:
    env = {"YIZHAN_ROUTING": str(helsinki_tiles)}
    with serving_with(helsinki_db, tmp_path / "serve.log", env) as server:
        answer = _api(server.url)
        names, lines, note = _cards(browser, server.url)
    assert answer["query"]["rank"] == "time"
    assert answer["query"]["attribution"] == "© OpenStreetMap contributors"
    assert names[:2] == ["拐角驿站", "铁路那边驿站"]  # the engine's order, not the crow's
    assert names == [f["properties"]["name"] for f in answer["features"]]
    for line, feature in zip(lines, answer["features"], strict=True):
        minutes = max(1, math.floor(feature["properties"]["duration_s"] / 60 + 0.5))  # JS round
        assert line.endswith(f"骑行约 {minutes} 分钟"), line
    assert "按路网计算（电动车 20 km/h）" in note and "© OpenStreetMap 贡献者" in note


def test_without_an_engine_the_page_says_the_times_are_estimates(
    browser: Browser, helsinki_db: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "no-tiles"
    empty.mkdir()
    env = {"YIZHAN_ROUTING": str(empty), "YIZHAN_RIDE_SPEED_KMH": "18"}
    with serving_with(helsinki_db, tmp_path / "serve.log", env) as server:
        answer = _api(server.url)
        names, lines, note = _cards(browser, server.url)
    assert "attribution" not in answer["query"]
    assert names[:2] == ["铁路那边驿站", "拐角驿站"]  # the geodesic order stands
    assert all("· 估算" in line for line in lines), lines
    assert note == "骑行时间为估算：直线距离 × 1.3（绕路）÷ 电动车 18 km/h。"
