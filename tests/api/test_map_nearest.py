"""The published map's "附近的站点 / Nearest to me" panel (issue 12), in Debian's Chromium: its
order equals the API's ``GET /v1/stations/nearest`` for the same position, filters and instant,
over the same store the page was published from; its open/closed/unknown states equal
``schedule.state``; and a rider can use it by tapping "locate" with an emulated position.

The store: the 203 demo stations plus stations made to tie (seven at one spot, ids that sort
differently by code point than by case or punctuation; a pair placed symmetrically east and west
of a meridian, so every rider on that meridian is exactly as far from both), one open to union
members only (the API's default rider does not get it), one under a temporary closure and one
closed temporarily (never published: the API's answer without it must be the page's).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient

from api.maps.publish import publish
from api.maps.texts import COMPASS
from stations.hours import SHANGHAI
from stations.model import Access, Kind, Station, StationDraft, StationId, Status
from stations.reading.catalog import schedule_of
from stations.store.geopackage.store import GeoPackageStore
from tests.api import test_map_browser
from tests.api.conftest import DEMO_CSV
from tests.api.stores import build_store, open_client
from tests.api.test_map_browser import Visit

pytestmark = pytest.mark.browser

# The browser fixtures of test_map_browser.py (module-scoped Chromium, offline page visits).
browser = test_map_browser.browser
visit = test_map_browser.visit

BUILT: Final = datetime(2026, 9, 28, 8, 0, tzinfo=SHANGHAI)  # the page's build time
#: Fixed instants for "open now": National Day (PH off is closed) and a weekday evening.
HOLIDAY: Final = datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)
EVENING: Final = datetime(2026, 9, 29, 19, 30, tzinfo=SHANGHAI)
TIE_SPOT: Final = (108.943062, 34.260011)  # demo-610103-001, 南大街
#: Exactly representable: (MERIDIAN ± HALF_GAP, PAIR_LAT) are mirror images across MERIDIAN,
#: 11 km south-west of the nearest demo station.
MERIDIAN: Final = 108.8125
HALF_GAP: Final = 0.00390625
PAIR_LAT: Final = 34.0625
TIE_IDS: Final = ("tie-a", "tie-A", "tie-0", "tie.1", "tie:2", "tie_3", "Tie-b")
CASES_PER_FILTER: Final = 200


def draft(station_id: str, lon: float, lat: float, **overrides: Any) -> StationDraft:
    fields: dict[str, Any] = {
        "id": StationId(station_id),
        "name": f"并列·{station_id}",
        "kind": Kind.LOVE_STATION,
        "lon": lon,
        "lat": lat,
        "address": None,
        "district_code": "610103",
        "amenities": ("water", "microwave"),
        "opening_hours": "24/7",
        "phone": None,
        "host": None,
    }
    fields.update(overrides)
    return StationDraft(**fields)


def extra_drafts() -> list[StationDraft]:
    hours = ["24/7", "Mo-Fr 08:30-18:00; PH off", None, "Mo-Su 18:00-06:00"]
    ties = [
        draft(sid, *TIE_SPOT, opening_hours=hours[i % 4],
              amenities=("water", "microwave") if i % 2 else ("water",))
        for i, sid in enumerate(TIE_IDS)
    ]  # fmt: skip
    return [
        *ties,
        draft("pair-east", MERIDIAN + HALF_GAP, PAIR_LAT),
        draft("pair-West", MERIDIAN - HALF_GAP, PAIR_LAT),
        draft("union-only", MERIDIAN, PAIR_LAT + 0.0005, access=Access.UNION_MEMBERS),
        draft(
            "closure-1",
            MERIDIAN + 0.001,
            PAIR_LAT + 0.001,
            closed_until=datetime(2026, 9, 30, 4, 17, 42, tzinfo=UTC),
            closure_reason="检修",
        ),
        draft("shut-1", MERIDIAN - 0.001, PAIR_LAT + 0.001, status=Status.CLOSED_TEMPORARILY),
    ]


@pytest.fixture(scope="module")
def store_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = build_store(tmp_path_factory.mktemp("nearest") / "s.gpkg", DEMO_CSV)
    store = GeoPackageStore(db, create=False)
    try:
        store.save_all(extra_drafts())
    finally:
        store.close()
    return db


@pytest.fixture(scope="module")
def stations(store_db: Path) -> list[Station]:
    store = GeoPackageStore(store_db, create=False)
    try:
        return store.list_stations()
    finally:
        store.close()


@pytest.fixture(scope="module")
def api(store_db: Path) -> Iterator[TestClient]:
    with open_client(store_db) as client:
        yield client


@pytest.fixture(scope="module")
def site(stations: list[Station], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish(stations, tmp_path_factory.mktemp("site"), now=BUILT).index


def rider_positions(stations: list[Station], n: int, seed: int = 12) -> list[tuple[float, float]]:
    """(lon, lat): near stations, at the tie spot, on the mirror meridian (exact ties), and
    anywhere around Xi'an."""
    rng = random.Random(seed)
    active = [s for s in stations if s.status is Status.ACTIVE]
    out: list[tuple[float, float]] = [TIE_SPOT, (MERIDIAN, PAIR_LAT)]
    while len(out) < n:
        pick = len(out) % 5
        if pick == 0:
            out.append((MERIDIAN, PAIR_LAT + rng.uniform(-0.01, 0.01)))
        elif pick == 1:
            out.append(
                (TIE_SPOT[0] + rng.uniform(-3e-4, 3e-4), TIE_SPOT[1] + rng.uniform(-3e-4, 3e-4))
            )
        elif pick == 2:
            a, b = rng.sample(active, 2)
            out.append(((a.lon + b.lon) / 2, (a.lat + b.lat) / 2))
        elif pick == 3:
            s = rng.choice(active)
            out.append((s.lon + rng.uniform(-0.003, 0.003), s.lat + rng.uniform(-0.003, 0.003)))
        else:
            out.append((rng.uniform(108.7, 109.2), rng.uniform(34.1, 34.45)))
    return out


def api_ids(
    api: TestClient,
    lon: float,
    lat: float,
    *,
    amenities: tuple[str, ...],
    open_at: datetime | None,
    unpublished: int,
    published: Collection[str],
) -> list[str]:
    """The API's k=5 answer for the page's stations: asked for 5 more than there are stations
    the page leaves out, then those dropped."""
    params: dict[str, Any] = {"lon": lon, "lat": lat, "k": 5 + unpublished}
    if amenities:
        params["amenities"] = ",".join(amenities)
    if open_at is not None:
        params["open_at"] = open_at.isoformat()
    response = api.get("/v1/stations/nearest", params=params)
    assert response.status_code == 200, response.text
    ids = [f["id"] for f in response.json()["features"]]
    return [i for i in ids if i in published][:5]


PANEL_DRIVER: Final = """cases => cases.map(c => {
    yizhan.setNow(c.now);
    for (const code of yizhan.data.filter) {
        const on = c.amenities.includes(code);
        if (yizhan.isAmenityOn(code) !== on) { yizhan.setAmenity(code, on); }
    }
    yizhan.setOpenNow(c.openNow);
    const hits = yizhan.setRider(c.lon, c.lat, "tap");
    return {ids: yizhan.nearestIds(), hits: hits.map(h => [h.id, h.distance_m, h.bearing_deg])};
})"""


def test_the_panel_orders_as_the_api_does_for_200_positions(
    visit: Callable[..., Visit], site: Path, stations: list[Station], api: TestClient
) -> None:
    v = visit(site)
    published = {s.id for s in stations if s.status is Status.ACTIVE}
    unpublished = len(stations) - len(published)
    assert unpublished == 1 and "union-only" in published
    filters = [((), None), (("microwave",), None), ((), HOLIDAY), (("water", "toilet"), EVENING)]
    positions = rider_positions(stations, CASES_PER_FILTER)
    cases: list[dict[str, Any]] = [
        {
            "lon": lon,
            "lat": lat,
            "amenities": list(amenities),
            "openNow": at is not None,
            "now": (at or EVENING).timestamp() * 1000,
        }
        for amenities, at in filters
        for lon, lat in positions
    ]
    got = v.js(PANEL_DRIVER, cases)
    ties_seen = mirrored = 0
    for case, answer in zip(cases, got, strict=True):
        at = None if not case["openNow"] else datetime.fromtimestamp(case["now"] / 1000, UTC)
        expected = api_ids(
            api, case["lon"], case["lat"], amenities=tuple(case["amenities"]), open_at=at,
            unpublished=unpublished, published=published,
        )  # fmt: skip
        assert answer["ids"] == expected, case
        assert [h[0] for h in answer["hits"]] == expected
        distances = [h[1] for h in answer["hits"]]
        ties_seen += sum(1 for a, b in pairwise(distances) if a == b)
        if "pair-east" in answer["ids"][1:]:
            east = answer["ids"].index("pair-east")
            # Equally far, and "pair-West" first: "W" < "e" by code point (not by case).
            mirrored += answer["ids"][east - 1] == "pair-West" and (
                distances[east - 1] == distances[east]
            )
    assert ties_seen > 300, "the positions exercise exact ties"
    assert mirrored > 100, "riders on the mirror meridian are exactly as far from both"
    v.assert_clean()


def test_distances_and_bearings_are_the_api_s(
    visit: Callable[..., Visit], site: Path, stations: list[Station], api: TestClient
) -> None:
    v = visit(site)
    for lon, lat in rider_positions(stations, 20, seed=3):
        hits = v.js("p => yizhan.setRider(p[0], p[1], 'tap')", [lon, lat])
        params = {"lon": lon, "lat": lat, "k": 6}
        features = api.get("/v1/stations/nearest", params=params).json()["features"]
        by_id = {f["id"]: f["properties"] for f in features}
        for hit in hits:
            api_hit = by_id[hit["id"]]
            assert hit["distance_m"] == pytest.approx(api_hit["distance_m"], abs=5e-4)
            if hit["distance_m"] > 0.01:
                assert hit["bearing_deg"] == pytest.approx(api_hit["bearing_deg"], abs=0.005)


def test_open_states_are_the_schedule_s_within_the_horizon_and_unknown_past_it(
    visit: Callable[..., Visit], site: Path, stations: list[Station]
) -> None:
    v = visit(site)
    active = [s for s in stations if s.status is Status.ACTIVE]
    rng = random.Random(5)
    instants = [BUILT + timedelta(minutes=rng.randrange(0, 14 * 24 * 60)) for _ in range(40)]
    reopens = datetime(2026, 9, 30, 12, 17, 42, tzinfo=SHANGHAI)  # closure-1's closure ends
    instants += [HOLIDAY, EVENING, reopens + timedelta(seconds=18)]
    queries = [[s.id, t.timestamp() * 1000] for s in active for t in instants]
    got = v.js("qs => qs.map(q => yizhan.openness(q[0], q[1]))", queries)
    expected = [schedule_of(s).state(t).value for s in active for t in instants]
    assert got == expected
    beyond = [[s.id, (BUILT + timedelta(days=14, minutes=1)).timestamp() * 1000] for s in active]
    before = [[s.id, (BUILT - timedelta(minutes=1)).timestamp() * 1000] for s in active]
    assert set(v.js("qs => qs.map(q => yizhan.openness(q[0], q[1]))", beyond + before)) == {
        "unknown"
    }
    assert v.page.text_content(".yz-hours-valid") == "营业时间计算至 10月12日 08:00"
    # A change inside a minute: the page says open from the next whole minute, never early.
    closure = next(s for s in active if s.id == "closure-1")
    inside = (reopens + timedelta(seconds=8)).timestamp() * 1000
    assert schedule_of(closure).state(reopens + timedelta(seconds=8)).value == "open"
    assert v.js("t => yizhan.openness('closure-1', t)", inside) == "closed"


def test_a_rider_locates_and_reads_the_list_on_a_phone(
    visit: Callable[..., Visit], site: Path, api: TestClient, stations: list[Station]
) -> None:
    rider = (108.9452, 34.2588)
    v = visit(
        site,
        query=f"?now={HOLIDAY.isoformat().replace('+', '%2B')}",
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": rider[0], "latitude": rider[1], "accuracy": 15},
        permissions=["geolocation"],
    )
    assert v.js("yizhan.now()") == HOLIDAY.timestamp() * 1000
    assert v.page.get_attribute(".yz-nearest-toggle", "aria-expanded") == "false"
    v.page.get_by_role("button", name="定位我的位置").click()
    v.page.wait_for_selector(".yz-results li[data-station-id]")
    assert v.page.get_attribute(".yz-nearest-toggle", "aria-expanded") == "true"
    assert v.page.text_content(".yz-status") == "已定位（精度约 15 米）"
    published = {s.id for s in stations if s.status is Status.ACTIVE}
    expected = api_ids(api, *rider, amenities=(), open_at=None, unpublished=1, published=published)
    assert v.js("yizhan.nearestIds()") == expected

    v.page.get_by_role("button", name="正在营业").click()
    v.page.get_by_role("button", name="微波炉").click()
    open_ids = api_ids(
        api, *rider, amenities=("microwave",), open_at=HOLIDAY, unpublished=1, published=published
    )
    assert v.js("yizhan.nearestIds()") == open_ids
    first = v.page.locator(".yz-result").first
    assert first.locator(".yz-result-state").get_attribute("data-state") == "open"
    directions = tuple(f"{d}方向 " for d in COMPASS["zh"])
    assert first.locator(".yz-result-where").inner_text().startswith(directions)
    assert first.locator("a.yz-nav-amap").get_attribute("href", timeout=1000)
    # The map's own filter follows the chip: one filter, two views.
    assert v.page.is_checked(".yz-filter input[value=microwave]")

    first.locator(".yz-result-show").click()
    popup = v.page.wait_for_selector(f'.yz-popup[data-station-id="{open_ids[0]}"]')
    assert popup is not None
    v.assert_clean()


def test_a_tap_on_the_map_chooses_the_spot_and_geolocation_refused_says_so(
    visit: Callable[..., Visit], site: Path, api: TestClient, stations: list[Station]
) -> None:
    v = visit(site, viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True)
    v.page.get_by_role("button", name="定位我的位置").click()
    # Polled from here: wait_for_function evals a string in the page once it has to wait,
    # which the page's script policy refuses.
    settled = (
        "!['正在定位…', ''].includes(document.querySelector('.yz-status').textContent)"
        " && !document.querySelector('.yz-status').textContent.startsWith('点“用我的位置”')"
    )
    deadline = time.monotonic() + 10
    while not v.page.evaluate(settled):
        assert time.monotonic() < deadline, v.page.text_content(".yz-status")
        v.page.wait_for_timeout(50)
    assert v.page.text_content(".yz-status") in {
        "无法定位：未获得位置权限。可以在地图上点一下选择位置。",
        "无法定位。可以在地图上点一下选择位置。",
    }
    # A view where the spot tapped is free of markers and above the panel.
    v.js("p => yizhan.map.setView([p[1], p[0]], 18, {animate: false})", [MERIDIAN, PAIR_LAT])
    sheet = v.page.locator(".yz-nearest").bounding_box()
    assert sheet is not None
    v.page.mouse.click(100, sheet["y"] - 40)
    v.page.wait_for_selector(".yz-results li[data-station-id]")
    assert v.page.text_content(".yz-status") == "按地图上选择的位置"
    spot = v.js("yizhan.nearest.rider()")
    published = {s.id for s in stations if s.status is Status.ACTIVE}
    expected = api_ids(
        api, spot["lon"], spot["lat"], amenities=(), open_at=None, unpublished=1,
        published=published,
    )  # fmt: skip
    assert v.js("yizhan.nearestIds()") == expected
    v.assert_clean()


def test_the_store_holds_what_the_comparisons_need(site: Path, stations: list[Station]) -> None:
    by_id = {s.id: s for s in stations}
    assert by_id[StationId("union-only")].access is Access.UNION_MEMBERS
    assert by_id[StationId("closure-1")].closed_until is not None
    assert by_id[StationId("shut-1")].status is Status.CLOSED_TEMPORARILY
    assert "shut-1" not in site.read_text(encoding="utf-8")
