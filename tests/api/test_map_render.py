"""Static map pages (issue 4), checked on the rendered HTML: no CDN, inert user text, positions
per tile choice (independent of the page: geo.crs and pyproj), counts, districts, coverage,
language, the CLI and GET /map. The browser checks are in test_map_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final

import folium
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod

from api.cli import main
from api.maps.assets import PINNED, vendored_bytes
from api.maps.publish import district_index_html, district_page_name, publish
from api.maps.render import page_html, render_map
from api.maps.texts import AMENITY_ICONS, KEY_AMENITIES, Tiles
from api.routes import maps as maps_route
from geo.crs import CoordinateSystem, from_wgs84
from stations.amenities import CODES, VOCABULARY
from stations.districts import district_name
from stations.model import Access, Kind, Station, StationDraft, StationId, Status
from stations.store.geopackage.store import GeoPackageStore
from tests.api.conftest import DEMO_CSV
from tests.api.stores import build_store, open_client

GEOD: Final = Geod(ellps="WGS84")
XIAN_BELL_TOWER: Final = (108.9423, 34.2610)  # (lon, lat) WGS-84
DATA_RE: Final = re.compile(
    r'<script type="application/json" id="yizhan-data">(.*?)</script>', re.DOTALL
)

#: Strings that must come out of the page exactly as they went in, as text.
HOSTILE: Final = (
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "`${alert(1)}`",
    "line\u2028sep\u2029para",
    "\"'); alert(1); ('\"",
    "back\\slash\\u003c\\",
    "{{ x }}",
    "{{ 7*7 }}{% for i in range(3) %}{{ i }}{% endfor %}",
    "<!-- <script>",
    "]]></x>&amp;&lt;",
    "长" * 5000,
)


def make_station(n: int = 1, **overrides: Any) -> Station:
    fields: dict[str, Any] = {
        "id": StationId(f"map-{n:05d}"),
        "name": f"测试驿站{n}",
        "kind": Kind.LOVE_STATION,
        "lon": XIAN_BELL_TOWER[0] + n * 1e-3,
        "lat": XIAN_BELL_TOWER[1],
        "address": "南大街1号",
        "district_code": "610103",
        "amenities": ("water", "microwave"),
        "opening_hours": "24/7",
        "phone": "029-01234567",
        "host": "碑林区总工会",
        "status": Status.ACTIVE,
        "version": 1,
        "updated_at": datetime(2026, 3, 11, 2, 0, tzinfo=UTC),
    }
    fields.update(overrides)
    return Station(**fields)


def synthetic_stations(count: int, *, seed: int = 4) -> list[Station]:
    """Realistic field lengths: ~20-character names, ~25-character addresses, 40 % of the
    amenities, spread over Xi'an."""
    rng = random.Random(seed)
    streets = ["南大街", "北大街", "东大街", "西大街", "长安路", "太白路", "含光路", "朱雀大街"]
    hours = ["24/7", "Mo-Fr 09:00-17:00; PH off", "Mo-Su 08:00-20:00", None]
    stations = []
    for i in range(count):
        street = rng.choice(streets)
        stations.append(
            make_station(
                i,
                name=f"示例·{street}{rng.randint(1, 999)}号爱心驿站（第{i}站）",
                kind=rng.choice(list(Kind)),
                lon=108.6 + rng.random() * 0.8,
                lat=34.0 + rng.random() * 0.6,
                address=f"陕西省西安市{street}{rng.randint(1, 500)}号（示例地址）",
                district_code=rng.choice(["610102", "610103", "610104", "610113"]),
                amenities=tuple(c for c in CODES if rng.random() < 0.4),
                opening_hours=rng.choice(hours),
                phone=f"029-0{rng.randint(1_000_000, 9_999_999)}",
                host=f"示例·{street}社区服务中心",
            )
        )
    return stations


def embedded_data(html: str) -> dict[str, Any]:
    found = DATA_RE.findall(html)
    assert len(found) == 1, "the data must be embedded exactly once"
    data: dict[str, Any] = json.loads(found[0])
    return data


def rows_by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Rows as dicts; a trailing column a row leaves out (a null) is None."""
    fields = data["fields"]
    return {
        row[0]: dict(zip(fields, row + [None] * (len(fields) - len(row)), strict=True))
        for row in data["stations"]
    }


def render(stations: Sequence[Station], **kwargs: Any) -> str:
    return page_html(render_map(stations, **kwargs))


@pytest.fixture(scope="module")
def demo_stations(demo_db: Path) -> list[Station]:
    store = GeoPackageStore(demo_db, create=False)
    try:
        return store.list_stations()
    finally:
        store.close()


@pytest.fixture(scope="module")
def demo_page(demo_stations: list[Station]) -> str:
    return render(demo_stations, data_date=date(2026, 3, 11))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


# -- no CDN ---------------------------------------------------------------------------------


def test_no_script_or_stylesheet_comes_from_anywhere(demo_page: str) -> None:
    parser = _Tags()
    parser.feed(demo_page)
    assert not [a for t, a in parser.tags if t == "script" and "src" in a]
    assert not [a for t, a in parser.tags if t == "link"]
    assert not [a for t, a in parser.tags if t == "img" and a.get("src")]
    assert sum(1 for t, _ in parser.tags if t == "script") == 4  # data, assets, 2 of Folium's


def test_the_only_addresses_are_tiles_attribution_and_navigation(demo_page: str) -> None:
    allowed = (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "https://www.openstreetmap.org/copyright",
        "https://uri.amap.com/navigation?",
        "https://api.map.baidu.com/marker?",
        "https://leafletjs.com",  # Leaflet's attribution prefix and licence header
        "https://github.com/Leaflet/Leaflet.markercluster",  # licence header
        "https://github.com/geographiclib/geographiclib-js",  # licence header
        "http://www.w3.org/2000/svg",  # an XML namespace inside leaflet.js, not a request
        "https://bugs.chromium.org/",  # comments in leaflet.css
        "https://bugzilla.mozilla.org/",
    )
    addresses = set(re.findall(r"""https?://[^\s"'<>);\\]+""", demo_page))
    addresses.remove("https://tile.openstreetmap.org")  # the origin in the CSP's img-src
    assert not {a for a in addresses if not a.startswith(allowed)}


def test_none_of_folium_s_cdn_defaults_remain(demo_page: str) -> None:
    from folium.folium import _default_css, _default_js
    from folium.plugins import LocateControl, MarkerCluster

    urls = [url for _, url in _default_js + _default_css]
    urls += [url for _, url in MarkerCluster.default_js + MarkerCluster.default_css]
    urls += [url for _, url in LocateControl.default_js + LocateControl.default_css]
    for url in urls:
        assert url not in demo_page
    for word in ("jquery", "bootstrap", "awesome-markers", "fontawesome", "cdn."):
        assert word not in demo_page.lower()


def test_vendored_files_are_the_pinned_releases_and_licences_ship(demo_page: str) -> None:
    for name, digest in PINNED.items():
        assert hashlib.sha256(vendored_bytes(name)).hexdigest() == digest
    assert "Leaflet 1.9.4" in demo_page and "BSD 2-Clause License" in demo_page
    assert "Leaflet.markercluster 1.5.3" in demo_page and "Copyright 2012 David Leaver" in demo_page
    assert "geographiclib-geodesic 2.2.0" in demo_page
    assert "Copyright (c) 2011-2022, Charles Karney" in demo_page
    assert "sourceMappingURL" not in demo_page


def test_the_csp_allows_exactly_the_inline_scripts(demo_page: str) -> None:
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', demo_page)
    assert policy
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
    scripts = re.findall(r"<script>(.*?)</script>", demo_page, re.DOTALL)
    hashes = {
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in scripts
    }
    assert set(directives["script-src"].split()) == hashes
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data: https://tile.openstreetmap.org"


# -- positions per tile choice -----------------------------------------------------------------


@pytest.mark.parametrize("tiles", list(Tiles))
def test_markers_are_drawn_in_the_datum_of_the_tiles(tiles: Tiles) -> None:
    stations = [make_station(1), make_station(2, lon=116.397, lat=39.909)]  # Xi'an, Beijing
    rows = rows_by_id(embedded_data(render(stations, tiles=tiles)))
    datum = CoordinateSystem.WGS84 if tiles is Tiles.OSM else CoordinateSystem.GCJ02
    for s in stations:
        lon, lat = (float(v) for v in from_wgs84(s.lon, s.lat, datum))
        drawn_lat, drawn_lon = rows[s.id]["latlng"]  # Leaflet order
        assert drawn_lat == pytest.approx(lat, abs=1e-6)
        assert drawn_lon == pytest.approx(lon, abs=1e-6)
        shift_m = GEOD.inv(s.lon, s.lat, drawn_lon, drawn_lat)[2]
        if tiles is Tiles.OSM:
            assert shift_m < 0.1
        else:
            assert 100 < shift_m < 1000, "GCJ-02 moves a point a few hundred metres in China"


def test_navigation_targets_are_gcj02_and_bd09_whatever_the_tiles() -> None:
    s = make_station(1)
    for tiles in Tiles:
        row = rows_by_id(embedded_data(render([s], tiles=tiles)))[s.id]
        for key, crs in (("gcj02", CoordinateSystem.GCJ02), ("bd09", CoordinateSystem.BD09)):
            lon, lat = (float(v) for v in from_wgs84(s.lon, s.lat, crs))
            assert row[key] == [pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6)]


def test_the_view_fits_the_stations_in_leaflet_order() -> None:
    stations = [make_station(1, lon=108.9, lat=34.2), make_station(2, lon=109.0, lat=34.3)]
    assert embedded_data(render(stations))["bounds"] == [[34.2, 108.9], [34.3, 109.0]]


# -- what is published ------------------------------------------------------------------------


def test_only_active_stations_are_published() -> None:
    stations = [
        make_station(1),
        make_station(2, status=Status.CLOSED_TEMPORARILY),
        make_station(3, status=Status.RETIRED),
        make_station(4, kind=Kind.SERVICE_POINT),
    ]
    data = embedded_data(render(stations))
    assert sorted(rows_by_id(data)) == ["map-00001", "map-00004"]
    assert [k["count"] for k in data["kinds"]] == [1, 1]


def test_counts_date_title_and_kinds(demo_stations: list[Station], demo_page: str) -> None:
    data = embedded_data(demo_page)
    active = [s for s in demo_stations if s.status is Status.ACTIVE]
    assert len(data["stations"]) == len(active) == 203
    by_kind = Counter(s.kind.value for s in active)
    assert {k["code"]: k["count"] for k in data["kinds"]} == by_kind
    assert data["dataDate"] == "2026-03-11"
    assert data["title"] in demo_page.split("<title>")[1]
    assert (
        '"attribution": "\\u0026copy; \\u003ca href=\\"https://www.openstreetmap.org/copyright'
        '\\"\\u003eOpenStreetMap\\u003c/a\\u003e contributors"' in demo_page
    )


def test_amenities_are_bitmasks_in_vocabulary_order_with_icons(demo_page: str) -> None:
    data = embedded_data(demo_page)
    assert [a["code"] for a in data["amenities"]] == list(CODES)
    assert data["filter"] == list(KEY_AMENITIES)
    assert set(AMENITY_ICONS) == set(CODES)
    s = make_station(1, amenities=("water", "toilet", "accessible"))
    row = rows_by_id(embedded_data(render([s])))[s.id]
    bits = {a.code: 1 << i for i, a in enumerate(VOCABULARY)}
    assert row["amenities"] == bits["water"] | bits["toilet"] | bits["accessible"]


def test_no_stations_gives_a_page_that_says_so() -> None:
    page = render([])
    data = embedded_data(page)
    assert data["stations"] == [] and data["bounds"] is None


def test_the_same_data_gives_the_same_bytes(demo_stations: list[Station]) -> None:
    assert render(demo_stations[:20]) == render(demo_stations[:20])


# -- user text is inert -----------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:24]))
def test_hostile_text_goes_in_as_data_and_comes_out_unchanged(text: str) -> None:
    fields = ("name", "address", "phone", "host", "opening_hours", "district_code")
    closed = {"closed_until": datetime(2099, 1, 1, tzinfo=UTC)}
    hostile = make_station(1, **dict.fromkeys(fields, text), **closed, closure_reason=text)
    benign = make_station(1, **dict.fromkeys(fields, "x"), **closed, closure_reason="x")
    page = render([hostile])
    (block,) = DATA_RE.findall(page)
    row = rows_by_id(json.loads(block))[hostile.id]
    assert [row[k] for k in ("name", "address", "phone", "host", "hours")] == [text] * 5
    assert row["closure"][2] == text
    # Only the data block differs from a harmless station's page, and it holds no markup.
    assert DATA_RE.sub("", page) == DATA_RE.sub("", render([benign]))
    assert not set("<>&\u2028\u2029") & set(block)


def test_the_title_is_escaped_text() -> None:
    page = render([make_station(1)], title="<b>西安</b> & {{ x }}")
    assert "<title>&lt;b&gt;西安&lt;/b&gt; &amp; {{ x }}</title>" in page


def test_jinja_syntax_in_data_is_not_evaluated() -> None:
    s = make_station(1, name="{{ 7*7 }}{{ self.__init__.__globals__ }}")
    # Built at a fixed instant: the page states its build time, whose minute could be :49.
    page = render([s], now=datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    assert rows_by_id(embedded_data(page))[s.id]["name"] == s.name
    assert "49" not in DATA_RE.findall(page)[0]


def test_the_district_index_escapes_codes_and_never_lets_data_name_a_file() -> None:
    html = district_index_html(
        Counter({"<img src=x onerror=alert(1)>": 2, "610103": 3}), lang="zh", data_date=None
    )
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert district_page_name("610103") == "district-610103.html"
    assert re.fullmatch(r"district-x[0-9a-f]{12}\.html", district_page_name("../../etc/passwd"))


# -- size ---------------------------------------------------------------------------------------


def test_5000_stations_stay_under_5_mb() -> None:
    page = render(synthetic_stations(5000), coverage_m=(500, 1000))
    size = len(page.encode("utf-8"))
    assert size < 5_000_000, f"{size:,} bytes"
    assert page.count("L.marker(") == 1, "markers come from the data, not one script each"


# -- coverage -------------------------------------------------------------------------------------


def test_coverage_offsets_are_geodesic_radii() -> None:
    stations = [make_station(1), make_station(2, lon=126.63, lat=45.75)]  # Xi'an, Harbin
    data = embedded_data(render(stations, coverage_m=(500, 1000)))
    cov = data["coverage"]
    assert cov["radii"] == [500, 1000]
    for i, s in enumerate(stations):
        for j, radius in enumerate(cov["radii"]):
            d_lat = cov["offsets"][i][2 * j] * cov["unitDeg"]
            d_lon = cov["offsets"][i][2 * j + 1] * cov["unitDeg"]
            north_m = GEOD.inv(s.lon, s.lat, s.lon, s.lat + d_lat)[2]
            east_m = GEOD.inv(s.lon, s.lat, s.lon + d_lon, s.lat)[2]
            assert north_m == pytest.approx(radius, abs=0.01)
            # Along the parallel rather than the geodesic: a few cm at 1 km.
            assert east_m == pytest.approx(radius, abs=0.1)


def test_no_coverage_unless_asked(demo_page: str) -> None:
    assert embedded_data(demo_page)["coverage"] is None


# -- language -------------------------------------------------------------------------------------


def test_page_language() -> None:
    zh = render([make_station(1)], lang="zh")
    en = render([make_station(1)], lang="en")
    assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en
    assert embedded_data(zh)["text"]["address"] == "地址"
    assert embedded_data(en)["text"]["address"] == "Address"
    assert embedded_data(en)["kinds"][0]["label"] == "Love station (rest stop)"


# -- publishing ---------------------------------------------------------------------------------


def test_by_district_pages_and_index(demo_stations: list[Station], tmp_path: Path) -> None:
    (tmp_path / "district-999999.html").write_text("stale")
    (tmp_path / "keep-me.html").write_text("not ours")
    done = publish(demo_stations, tmp_path, by_district=True, lang="en")
    per_district = Counter(s.district_code for s in demo_stations if s.status is Status.ACTIVE)
    assert len(done.pages) == len(per_district) + 1 and done.stations == 203
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for code, n in per_district.items():
        name = district_name(code)
        assert name.startswith("陕西省") and name != code
        assert f'<a href="district-{code}.html">{name}</a></td><td>{n}</td>' in index
        page = (tmp_path / f"district-{code}.html").read_text(encoding="utf-8")
        data = embedded_data(page)
        assert data["district"] == name and data["title"].endswith(f" · {name}")
        assert f"<title>{data['title']}</title>" in page
        assert len(data["stations"]) == n
        assert {r["id"].split("-")[1] for r in rows_by_id(data).values()} == {code}
    assert "<script" not in index
    assert not (tmp_path / "district-999999.html").exists()
    assert (tmp_path / "keep-me.html").exists()


def test_cli_writes_the_page(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    args = ["map", "--db", str(demo_db), "--out", str(out), "--tiles", "amap", "--lang", "en"]
    assert main([*args, "--coverage", "1000,500"]) == 0
    printed = capsys.readouterr().out
    assert "published 203 active stations in 1 page(s)" in printed
    assert "opening hours on the pages run until " in printed
    data = embedded_data((out / "index.html").read_text(encoding="utf-8"))
    assert data["tiles"] == "amap" and data["lang"] == "en"
    assert data["coverage"]["radii"] == [500, 1000]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--coverage", "500,abc"], "--coverage: expected whole metres"),
        (["--coverage", "0"], "--coverage: expected one to four radii"),
        (["--tiles", "google"], "--tiles: invalid choice"),
        (["--lang", "fr"], "--lang: invalid choice"),
    ],
)
def test_cli_mistakes_are_one_line_and_exit_2(
    demo_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["map", "--db", str(demo_db), "--out", str(tmp_path), *extra])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_refuses_a_file_as_out_dir(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "index.html"
    target.write_text("x")
    assert main(["map", "--db", str(demo_db), "--out", str(target)]) == 2
    assert capsys.readouterr().err.startswith("yizhan: --out ")


# -- GET /map -----------------------------------------------------------------------------------


def test_get_map_serves_the_current_data_and_caches_it(tmp_path: Path) -> None:
    db = build_store(tmp_path / "s.gpkg", DEMO_CSV)
    with open_client(db) as client:
        first = client.get("/map")
        assert first.status_code == 200
        assert first.headers["content-type"] == "text/html; charset=utf-8"
        assert len(embedded_data(first.text)["stations"]) == 203
        etag = first.headers["etag"]
        assert client.get("/map", headers={"If-None-Match": etag}).status_code == 304
        assert client.get("/map").content == first.content

        _add_station(client, tmp_path)
        second = client.get("/map")
        assert second.headers["etag"] != etag
        assert len(embedded_data(second.text)["stations"]) == 204
        assert client.get("/map", headers={"If-None-Match": etag}).status_code == 200

        amap = client.get("/map", params={"tiles": "amap", "lang": "en"})
        assert embedded_data(amap.text)["tiles"] == "amap"
        assert client.get("/map", params={"tiles": "google"}).status_code == 422
        assert client.get("/map", params={"zoom": "3"}).status_code == 422


def test_get_map_renders_again_once_its_hours_grow_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's hours are intervals from its build time: an hour later, with the same data,
    the next request renders the page again (its horizon moves on)."""
    renders: list[int] = []
    real_render = maps_route._render

    def counting(*args: Any) -> Any:
        renders.append(1)
        return real_render(*args)

    monkeypatch.setattr(maps_route, "_render", counting)
    db = build_store(tmp_path / "s.gpkg", DEMO_CSV)
    with open_client(db) as client:
        client.get("/map")
        client.get("/map")
        assert len(renders) == 1
        clock = time.monotonic() + maps_route.MAX_PAGE_AGE_S + 1
        monkeypatch.setattr(maps_route.time, "monotonic", lambda: clock)
        assert client.get("/map").status_code == 200
        client.get("/map")
        assert len(renders) == 2


def _add_station(client: TestClient, tmp_path: Path) -> None:
    app: Any = client.app
    draft = StationDraft(
        id=StationId("new-1"),
        name="新驿站",
        kind=Kind.LOVE_STATION,
        lon=108.95,
        lat=34.25,
        address=None,
        district_code="610103",
        amenities=("water",),
        opening_hours="24/7",
        phone=None,
        host=None,
    )
    app.state.store.save_all([draft])
    app.state.live.refresh()


def test_render_map_is_a_folium_map() -> None:
    assert isinstance(render_map([make_station(1)]), folium.Map)


# -- what the nearest panel reads (api/maps/hours.py) ----------------------------------------------


def test_open_ranges_are_minutes_from_the_build_time_shared_by_equal_hours() -> None:
    built = datetime(2026, 9, 28, 0, 0, 30, tzinfo=UTC)  # 08:00:30 in Shanghai, a Monday
    stations = [
        make_station(1, opening_hours="Mo-Fr 08:30-18:00; PH off"),
        make_station(2, opening_hours="Mo-Fr 08:30-18:00; PH off"),
        make_station(3, opening_hours=None),
        make_station(
            4, opening_hours="24/7", closed_until=datetime(2026, 9, 28, 2, 0, 20, tzinfo=UTC)
        ),
    ]
    data = embedded_data(render(stations, now=built))
    schedules, rows = data["schedules"], rows_by_id(data)
    assert schedules["start"] == int(datetime(2026, 9, 28, 0, 0, tzinfo=UTC).timestamp() * 1000)
    assert schedules["minutes"] == 14 * 24 * 60
    assert schedules["validUntil"] == "10月12日 08:00"
    assert rows["map-00001"]["schedule"] == rows["map-00002"]["schedule"]
    weekdays = schedules["table"][rows["map-00001"]["schedule"]]
    day = 24 * 60
    # Mon-Wed, then the National Day break (1-7 Oct), then Thu-Fri; Sat 10 Oct stays Saturday.
    assert weekdays == [[d * day + 30 + m for d in (0, 1, 2, 10, 11) for m in (0, 570)]]
    assert schedules["table"][rows["map-00003"]["schedule"]] == [[], [0, 14 * day]]
    # A closure ending at 10:00:20 opens from 10:01: never open before it is.
    assert schedules["table"][rows["map-00004"]["schedule"]] == [[121, 14 * day]]


def test_rows_carry_the_stored_position_and_the_page_its_rider_defaults() -> None:
    s = make_station(1, lon=108.94230123456789, lat=34.26101234567891)
    data = embedded_data(
        render([s, make_station(2, access=Access.UNION_MEMBERS)], tiles=Tiles.AMAP)
    )
    assert rows_by_id(data)[s.id]["wgs84"] == [s.lon, s.lat]  # unrounded, WGS-84 on any tiles
    assert data["nearest"] == {"k": 5, "access": [0, 1]}  # public, outdoor workers
    assert [a["code"] for a in data["access"]][:2] == ["public", "outdoor_workers"]
    assert data["compass"][:2] == ["北", "东北"]


def test_hours_in_plain_words_where_describe_covers_them() -> None:
    stations = [
        make_station(1, opening_hours="Mo-Fr 08:30-18:00; PH off"),
        make_station(2, opening_hours="Mo-Fr 08:00-12:00; Jan off"),
        make_station(3, opening_hours=None),
    ]
    assert embedded_data(render(stations))["hoursWords"] == [
        ["Mo-Fr 08:30-18:00; PH off", "周一至周五 08:30–18:00，法定节假日休息"]
    ]
    assert embedded_data(render(stations, lang="en"))["hoursWords"] == [
        ["Mo-Fr 08:30-18:00; PH off", "Mon–Fri 08:30–18:00; closed on public holidays"]
    ]
