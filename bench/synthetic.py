"""Synthetic stations as a store would receive them, for the benchmarks that go through a store.

The positions, amenity mix, opening hours and statuses are bench/nearest.py's generator
(``generate``: stations clustered in districts around 43 Chinese city centres, 0.5 % sharing a
position with another). This module dresses each row as a ``StationDraft`` with the fields a real
record has (name, district adcode, address, phone, host), so that stores, snapshot builds and
HTTP responses carry realistic bytes, and gives the rider positions the benchmarks query.

Import it as ``bench.synthetic`` with the repository root on ``sys.path``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bench.nearest import (
    AMENITY_SHARE,
    CITIES,
    HOURS_MIX,
    KM_PER_DEG,
    STATUS_MIX,
    Synthetic,
    generate,
    query_points,
)
from geo.position import LonLat
from stations.amenities import CODES
from stations.model import Kind, StationDraft, StationId

__all__ = [
    "AMENITY_SHARE",
    "CITIES",
    "FILTER",
    "K",
    "describe",
    "drafts",
    "generate",
    "query_points",
    "rider_positions",
]

#: The amenity filter the benchmarks ask for (as bench/nearest.py): meal heating and phone
#: charging, which about 54 % of the synthetic stations offer.
FILTER: tuple[str, ...] = ("microwave", "phone_charging")
K = 5

#: City-level adcode (first four digits) and Chinese name, in CITIES order.
CITY_CODES: tuple[tuple[str, str], ...] = (
    ("1101", "北京"), ("3101", "上海"), ("4401", "广州"), ("4403", "深圳"), ("5101", "成都"),
    ("5001", "重庆"), ("3301", "杭州"), ("4201", "武汉"), ("6101", "西安"), ("1201", "天津"),
    ("3201", "南京"), ("3205", "苏州"), ("4101", "郑州"), ("4301", "长沙"), ("4419", "东莞"),
    ("2101", "沈阳"), ("3702", "青岛"), ("3401", "合肥"), ("4406", "佛山"), ("3701", "济南"),
    ("2301", "哈尔滨"), ("5301", "昆明"), ("2102", "大连"), ("3502", "厦门"), ("3501", "福州"),
    ("3302", "宁波"), ("3202", "无锡"), ("2201", "长春"), ("1301", "石家庄"), ("4501", "南宁"),
    ("5201", "贵阳"), ("3601", "南昌"), ("1401", "太原"), ("3303", "温州"), ("4404", "珠海"),
    ("6501", "乌鲁木齐"), ("6201", "兰州"), ("1501", "呼和浩特"), ("4601", "海口"),
    ("6401", "银川"), ("6301", "西宁"), ("4602", "三亚"), ("5401", "拉萨"),
)  # fmt: skip
_ROADS = ("人民路", "建设路", "解放路", "中山路", "长安街", "和平路", "新华路", "文化路")
_HOSTS = ("区总工会", "街道办事处", "社区居委会", "中国邮政", "国家电网营业厅", "银行网点",
          "加油站", "连锁便利店")  # fmt: skip
_NAMES = ("爱心驿站", "户外劳动者服务站", "工会驿站", "骑手之家")


def drafts(syn: Synthetic) -> list[StationDraft]:
    """One draft per generated row, id ``s{row:07d}``; the district is the city's adcode plus
    the sector (one of eight, by bearing from the centre) the station lies in."""
    if len(CITY_CODES) != len(CITIES):
        raise AssertionError("CITY_CODES must follow bench/nearest.py's CITIES")
    city, sector = _city_and_sector(syn.lon, syn.lat)
    kinds = list(Kind)
    amenity_tuples: dict[int, tuple[str, ...]] = {}
    out: list[StationDraft] = []
    rows = zip(
        syn.lon.tolist(), syn.lat.tolist(), syn.bits.tolist(), syn.kind.tolist(),
        syn.hours.tolist(), syn.status.tolist(), city.tolist(), sector.tolist(), strict=True,
    )  # fmt: skip
    for i, (lon, lat, bits, kind, hours, status, c, s) in enumerate(rows):
        amenities = amenity_tuples.get(bits)
        if amenities is None:
            amenities = tuple(code for j, code in enumerate(CODES) if bits >> j & 1)
            amenity_tuples[bits] = amenities
        prefix, city_zh = CITY_CODES[c]
        out.append(
            StationDraft(
                id=StationId(f"s{i:07d}"),
                name=f"{city_zh}{_NAMES[i % len(_NAMES)]}{i % 997 + 1}号",
                kind=kinds[kind],
                lon=lon,
                lat=lat,
                address=f"{city_zh}市{_ROADS[i % len(_ROADS)]}{i % 389 + 1}号" if i % 10 else None,
                district_code=f"{prefix}{s + 1:02d}",
                amenities=amenities,
                opening_hours=HOURS_MIX[hours][0] or None,  # "" reads back as not recorded
                phone=f"029-{8800_0000 + i % 1_000_000:08d}" if i % 5 < 3 else None,
                host=_HOSTS[i % len(_HOSTS)] if i % 5 else None,
                status=STATUS_MIX[status][0],
            )
        )
    return out


def rider_positions(count: int, seed: int) -> list[LonLat]:
    """Riders near city centres (bench/nearest.py's ``query_points``), from their own seed so
    the same positions come back whatever else a run generates."""
    return query_points(count, np.random.default_rng([seed, 7]))


def _city_and_sector(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest city centre (equirectangular metres: fine at city scale) and the
    octant of the bearing from it."""
    c_lon = np.array([c[1] for c in CITIES])
    c_lat = np.array([c[2] for c in CITIES])
    city = np.empty(lon.size, dtype=np.int64)
    best = np.full(lon.size, np.inf)
    for j in range(len(CITIES)):
        dx = (lon - c_lon[j]) * math.cos(math.radians(c_lat[j]))
        d2 = dx * dx + (lat - c_lat[j]) ** 2
        closer = d2 < best
        best[closer], city[closer] = d2[closer], j
    dx = (lon - c_lon[city]) * np.cos(np.radians(c_lat[city])) * KM_PER_DEG
    dy = (lat - c_lat[city]) * KM_PER_DEG
    sector = (np.degrees(np.arctan2(dx, dy)) % 360.0 // 45.0).astype(np.int64)
    return city, np.minimum(sector, 7)


def describe(stations: Sequence[StationDraft]) -> str:
    """One line: how many stations, how many retired or closed."""
    retired = sum(d.status.value == "retired" for d in stations)
    closed = sum(d.status.value == "closed_temporarily" for d in stations)
    return f"{len(stations):,} stations ({retired:,} retired, {closed:,} closed temporarily)"
