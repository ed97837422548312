"""Generate the bundled DEMO stations: ``stations/data/demo_stations.csv``.

Every station written here is invented: positions, names, addresses, phone numbers, hosts,
amenities and opening hours. Names, hosts and addresses carry 示例 ("demo") so nobody takes
them for real stations. The only outside facts are twelve district centres copied from the
cpca package (MIT, see ``stations/data/DEMO.md``) and the rough mix of amenities reported for
real stations in public news pages (no row of those reports is copied).

Deterministic: a fixed seed, numpy and the standard library only, no network, no project
imports. Run from anywhere::

    .venv/bin/python tools/make_demo_stations.py            # (re)write the CSV
    .venv/bin/python tools/make_demo_stations.py --check    # exit 1 if the CSV is stale
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20240611
OUT = Path(__file__).resolve().parents[1] / "stations" / "data" / "demo_stations.csv"
HEADER = ("id", "name", "kind", "lon", "lat", "address", "district_code", "amenities",
          "opening_hours", "phone", "host")
KINDS = ("love_station", "service_point")
# DESIGN.md §3, in its order; amenities are written in this order.
AMENITIES = ("water", "microwave", "fridge", "phone_charging", "ebike_charging", "battery_swap",
             "seating", "air_conditioning", "heating", "first_aid", "aed", "repair_tools",
             "tyre_pump", "umbrella", "toilet", "wifi", "books", "lockers", "womens_room",
             "nursing_room", "meals", "accessible")
DEMO_ADDRESS = "（示例地址）"

# The README's example query (WGS-84, near 钟楼 / 南大街): one 24/7 station with a microwave
# sits this far east and south of it, so the example answers at any hour.
EXAMPLE_QUERY = (108.9423, 34.2610)
ANCHOR_OFFSET_M = (70.0, -110.0)

Box = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat (WGS-84)


@dataclass(frozen=True)
class District:
    code: str
    name: str
    city: str
    count: int
    centre_gcj: tuple[float, float]   # lon, lat from cpca adcodes.csv (GCJ-02, approximate)
    boxes: tuple[Box, ...]            # hand-drawn rough extent; keeps scatter plausible
    streets: tuple[str, ...]
    subdistricts: tuple[str, ...]


DISTRICTS: tuple[District, ...] = (
    District("610103", "碑林区", "西安市", 30, (108.94059, 34.256783),
             ((108.928, 34.228, 108.990, 34.2605),),
             ("南院门", "南大街", "书院门", "三学街", "柏树林", "东木头市", "端履门", "东仓门",
              "文艺路", "和平门", "建国路", "东关南街", "太乙路", "南关正街", "南稍门", "长安北路",
              "友谊东路", "李家村", "咸宁西路", "兴庆路", "环城南路", "张家村"),
             ("南院门", "柏树林", "长乐坊", "东关南街", "太乙路", "文艺路", "长安路", "张家村")),
    District("610102", "新城区", "西安市", 30, (108.960716, 34.266447),
             ((108.943, 34.2615, 109.010, 34.292),),
             ("解放路", "东五路", "尚德路", "北新街", "后宰门", "民乐园", "东新街", "西七路",
              "韩森寨", "长乐中路", "康复路", "胡家庙", "自强东路", "太华南路", "幸福北路",
              "含元路", "长缨西路"),
             ("西一路", "长乐中路", "中山门", "韩森寨", "解放门", "自强路", "太华路", "胡家庙")),
    District("610104", "莲湖区", "西安市", 30, (108.943895, 34.265239),
             ((108.875, 34.2615, 108.941, 34.292), (108.870, 34.245, 108.924, 34.2615)),
             ("北院门", "西大街", "大麦市街", "洒金桥", "莲湖路", "青年路", "西华门", "庙后街",
              "北关正街", "红庙坡", "桃园路", "劳动路", "丰庆路", "土门", "枣园东路", "大庆路",
              "西关正街", "环城西路"),
             ("北院门", "青年路", "桃园路", "红庙坡", "环城西路", "西关", "土门", "北关", "枣园")),
    District("610113", "雁塔区", "西安市", 30, (108.944644, 34.214113),
             ((108.860, 34.175, 108.995, 34.228), (108.870, 34.228, 108.925, 34.245)),
             ("小寨东路", "雁塔南路", "长安中路", "翠华路", "电子正街", "科技路", "高新路",
              "丈八北路", "唐延路", "太白南路", "吉祥路", "含光南路", "朱雀大街南段", "杨家村",
              "鱼化寨", "曲江池东路"),
             ("小寨路", "大雁塔", "长延堡", "电子城", "等驾坡", "鱼化寨", "丈八沟", "曲江")),
    District("610112", "未央区", "西安市", 30, (108.946825, 34.29292),
             ((108.875, 34.292, 109.010, 34.370),),
             ("未央路", "凤城二路", "凤城五路", "凤城八路", "凤城九路", "文景路", "明光路",
              "太华北路", "张家堡", "辛家庙", "徐家湾", "谭家", "汉城北路", "草滩", "尚稷路",
              "朱宏路"),
             ("张家堡", "辛家庙", "徐家湾", "大明宫", "谭家", "未央湖", "汉城", "草滩")),
    District("610111", "灞桥区", "西安市", 4, (109.064646, 34.272793),
             ((109.020, 34.240, 109.110, 34.320),),
             ("纺织城正街", "长乐东路", "浐河东路", "席王"),
             ("纺织城", "席王", "十里铺", "红旗")),
    District("610116", "长安区", "西安市", 4, (108.907173, 34.158926),
             ((108.860, 34.120, 108.960, 34.190),),
             ("韦曲", "郭杜", "樊川路", "西长安街", "子午大道"),
             ("韦曲", "郭杜")),
    District("610402", "秦都区", "咸阳市", 13, (108.706272, 34.329567),
             ((108.660, 34.318, 108.722, 34.350),),
             ("人民西路", "渭阳西路", "玉泉路", "世纪大道", "西兰路", "陈杨寨", "吴家堡",
              "古渡", "沣河"),
             ("人民路", "西兰路", "吴家堡", "渭阳西路", "陈杨寨", "古渡")),
    District("610404", "渭城区", "咸阳市", 12, (108.737204, 34.36195),
             ((108.718, 34.335, 108.790, 34.380),),
             ("文汇路", "渭阳中路", "北平街", "乐育路", "新兴路", "人民东路", "窑店", "正阳"),
             ("中山", "文汇路", "新兴路", "渭阳", "窑店", "正阳")),
    District("610202", "王益区", "铜川市", 8, (109.075578, 35.068964),
             ((109.045, 35.050, 109.095, 35.095),),
             ("红旗街", "七一路", "青年路", "桃园", "王家河", "黄堡"),
             ("七一路", "红旗街", "桃园", "青年路", "王家河")),
    District("610203", "印台区", "铜川市", 6, (109.099974, 35.114492),
             ((109.075, 35.095, 109.125, 35.135),),
             ("印台", "城关", "三里洞", "王石凹"),
             ("城关", "三里洞", "王石凹", "印台")),
    District("610204", "耀州区", "铜川市", 6, (108.980102, 34.909793),
             ((108.945, 34.885, 109.005, 34.935),),
             ("锦阳路", "正阳路", "永安路", "药王山"),
             ("永安路", "天宝路", "锦阳路", "正阳路")),
)

# Stations placed a few metres from an earlier one of the same district: two services in one
# building.  (district, index of the host station, index of the partner, partner subtype)
PAIRS = (("610103", 5, 6, "battery_swap"), ("610113", 3, 4, "community"),
         ("610112", 8, 9, "toilet"))
MIN_SEPARATION_M = 60.0       # between stations that are not a deliberate pair
SCATTER_SIGMA_M = 1600.0
SCATTER_RANGE_M = (500.0, 4000.0)

# ---------------------------------------------------------------- GCJ-02 (published formula)
_A = 6378245.0
_EE = 0.00669342162296594323


def _shift_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _shift_lon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 (lon, lat) of a WGS-84 (lon, lat) in mainland China, degrees."""
    d_lat = _shift_lat(lon - 105.0, lat - 35.0)
    d_lon = _shift_lon(lon - 105.0, lat - 35.0)
    rad = math.radians(lat)
    magic = 1.0 - _EE * math.sin(rad) ** 2
    d_lat = d_lat * 180.0 / ((_A * (1.0 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    d_lon = d_lon * 180.0 / (_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 (lon, lat) whose GCJ-02 image is the given point; fixed-point iteration."""
    w_lon, w_lat = lon, lat
    for _ in range(30):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon, w_lat = w_lon + (lon - g_lon), w_lat + (lat - g_lat)
        if abs(lon - g_lon) < 1e-10 and abs(lat - g_lat) < 1e-10:
            break
    return w_lon, w_lat


# ---------------------------------------------------------------- local metric helpers
_R_M = 6371008.8  # mean Earth radius; only for scattering invented points, not for measuring


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """Point ``east_m``/``north_m`` metres from (lon, lat); local spherical approximation."""
    d_lat = math.degrees(north_m / _R_M)
    d_lon = math.degrees(east_m / (_R_M * math.cos(math.radians(lat))))
    return lon + d_lon, lat + d_lat


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points on the mean sphere."""
    la1, la2 = math.radians(a[1]), math.radians(b[1])
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin(math.radians(b[0] - a[0]) / 2) ** 2)
    return 2 * _R_M * math.asin(math.sqrt(h))


def _in_boxes(p: tuple[float, float], boxes: tuple[Box, ...]) -> bool:
    return any(b[0] <= p[0] <= b[2] and b[1] <= p[1] <= b[3] for b in boxes)


def scatter(rng: np.random.Generator, d: District, taken: list[tuple[float, float]]
            ) -> tuple[float, float]:
    """A gaussian point 0.5–4 km from the district centre, inside its box, not crowding others."""
    centre = gcj02_to_wgs84(*d.centre_gcj)
    for _ in range(10_000):
        east_m, north_m = rng.normal(0.0, SCATTER_SIGMA_M, size=2)
        if not SCATTER_RANGE_M[0] <= math.hypot(east_m, north_m) <= SCATTER_RANGE_M[1]:
            continue
        p = offset(*centre, float(east_m), float(north_m))
        if _in_boxes(p, d.boxes) and all(haversine_m(p, q) >= MIN_SEPARATION_M for q in taken):
            return p
    raise RuntimeError(f"cannot place another station in {d.name}")


# ---------------------------------------------------------------- attributes
# Probabilities for love stations, informed by the public reports (SOURCES.md): water, seating,
# phone charging and a first-aid kit are near-universal (Xi'an's "八有" standard); microwave,
# fridge, AC/heating, books, Wi-Fi, pump and e-bike charging are common extras.
LOVE_AMENITY_P = {
    "water": 0.99, "seating": 0.98, "phone_charging": 0.95, "first_aid": 0.93,
    "microwave": 0.60, "fridge": 0.45, "air_conditioning": 0.70, "heating": 0.60,
    "umbrella": 0.45, "repair_tools": 0.35, "tyre_pump": 0.30, "toilet": 0.40, "wifi": 0.45,
    "books": 0.30, "ebike_charging": 0.20, "lockers": 0.10, "womens_room": 0.08,
    "nursing_room": 0.06, "aed": 0.08, "meals": 0.08, "accessible": 0.20, "battery_swap": 0.03,
}
SERVICE_AMENITY_P = {
    "community": {"water": 0.95, "seating": 0.95, "toilet": 0.9, "phone_charging": 0.8,
                  "air_conditioning": 0.85, "heating": 0.8, "wifi": 0.7, "accessible": 0.6,
                  "books": 0.5, "first_aid": 0.6, "aed": 0.2, "nursing_room": 0.2},
    "battery_swap": {"battery_swap": 1.0, "ebike_charging": 0.4},
    "toilet": {"toilet": 1.0, "water": 0.4, "accessible": 0.6, "nursing_room": 0.1,
               "seating": 0.2},
}
LOVE_SUFFIXES = ("爱心驿站", "工会爱心驿站", "户外劳动者服务站", "工会驿站", "劳动者港湾")
VENUES = ("", "社区", "邮政支局", "党群服务中心", "加油站", "公园", "银行网点", "商业中心")

HOURS: dict[str, tuple[str, ...]] = {
    "24/7": ("24/7",),
    "office": ("Mo-Fr 08:30-17:30", "Mo-Fr 09:00-17:00; PH off", "Mo-Sa 09:00-18:00",
               "Mo-Fr 08:30-18:00; PH off"),
    "daily": ("Mo-Su 08:00-20:00", "Mo-Su 07:00-21:00", "Mo-Su 09:00-19:00",
              "Mo-Su 06:00-22:00", "Mo-Su 06:30-22:30"),
    "split": ("Mo-Su 07:00-11:00,13:30-20:00", "Mo-Su 08:00-12:00,14:00-21:00",
              "Mo-Fr 07:30-11:30,13:30-19:30; Sa,Su 09:00-17:00"),
    "overnight": ("Mo-Su 18:00-06:00", "Mo-Su 07:00-24:00", "Mo-Su 20:00-08:00",
                  "Mo-Su 16:00-02:00"),
    "holiday": ("Mo-Fr 08:00-18:00; PH 10:00-16:00", "Mo-Su 08:00-20:00; PH 10:00-16:00"),
    "unknown": ("",),
}
HOURS_SHARE = {"24/7": 0.25, "office": 0.25, "daily": 0.20, "split": 0.10, "overnight": 0.08,
               "holiday": 0.04, "unknown": 0.08}


def hours_type(value: str) -> str:
    """The HOURS category an opening_hours value came from."""
    return next(t for t, values in HOURS.items() if value in values)


def draw_amenities(rng: np.random.Generator, probs: dict[str, float]) -> list[str]:
    return [a for a in AMENITIES if a in probs and rng.random() < probs[a]]


def service_hours(rng: np.random.Generator, subtype: str) -> str:
    if subtype == "battery_swap":
        return "24/7"
    if subtype == "toilet":
        return str(rng.choice(["24/7", "Mo-Su 06:00-22:00", "Mo-Su 06:30-22:30"]))
    kind = str(rng.choice(["office", "office", "office", "office", "holiday", "unknown"]))
    return str(rng.choice(HOURS[kind]))


def love_hours_quota(rng: np.random.Generator, n_love: int, n_total: int,
                     taken: Counter[str]) -> list[str]:
    """Hours categories for love stations so that all stations together follow HOURS_SHARE."""
    want = {t: max(0, round(s * n_total) - taken[t]) for t, s in HOURS_SHARE.items()}
    while sum(want.values()) > n_love:
        want[max(want, key=lambda t: want[t])] -= 1
    while sum(want.values()) < n_love:
        want["daily"] += 1
    cats = [t for t, k in want.items() for _ in range(k)]
    rng.shuffle(cats)
    return cats


def phone(rng: np.random.Generator, city: str) -> str:
    # Local numbers in China never start with 0, so "area code - 0…" cannot reach anyone:
    # demo phones that look right and can never ring a real person.
    digits = "".join(str(int(x)) for x in rng.integers(0, 10, size=7))
    if city in ("西安市", "咸阳市"):
        return f"029-0{digits}"
    return f"0919-0{digits[:6]}"


# ---------------------------------------------------------------- stations
@dataclass
class Row:
    id: str
    name: str
    kind: str
    subtype: str          # love | community | battery_swap | toilet (not written)
    lon: float
    lat: float
    address: str
    district_code: str
    amenities: list[str]
    opening_hours: str
    phone: str
    host: str

    def as_csv(self) -> list[str]:
        return [self.id, self.name, self.kind, f"{self.lon:.6f}", f"{self.lat:.6f}",
                self.address, self.district_code, ";".join(self.amenities),
                self.opening_hours, self.phone, self.host]


def plan_subtypes(rng: np.random.Generator, d: District) -> list[str]:
    """One subtype per slot: about 20 % service points, pair partners as PAIRS says."""
    subtypes = ["love"] * d.count
    pinned = {0} if d.code == "610103" else set()  # slot 0 of 碑林 is the example's station
    for code, host, partner, subtype in PAIRS:
        if code == d.code:
            subtypes[partner] = subtype
            pinned |= {host, partner}
    free = [i for i in range(d.count) if i not in pinned]
    extra = max(0, round(d.count * 0.2) - sum(s != "love" for s in subtypes))
    for i in rng.choice(free, size=extra, replace=False):
        subtypes[int(i)] = str(rng.choice(["community", "battery_swap", "toilet"]))
    return subtypes


def host_for(rng: np.random.Generator, d: District, venue: str, street: str, subtype: str
             ) -> str:
    sub = str(rng.choice(d.subdistricts))
    short_city = d.city.removesuffix("市")
    if subtype == "battery_swap":
        return f"示例·城市换电服务有限公司{short_city}分公司"
    if subtype == "toilet" or venue == "公园":
        return f"示例·{d.name}城市管理和综合执法局"
    if subtype == "community" or venue == "社区":
        return f"示例·{street}社区居民委员会"
    by_venue = {"邮政支局": f"示例·中国邮政{short_city}{street}支局",
                "党群服务中心": f"示例·{sub}街道党工委",
                "加油站": f"示例·{street}加油站",
                "银行网点": f"示例·某银行{short_city}{street}支行",
                "商业中心": f"示例·{street}商业中心物业服务中心"}
    if venue in by_venue:
        return by_venue[venue]
    return str(rng.choice([f"示例·{d.name}总工会", f"示例·{sub}街道办事处"]))


def name_for(rng: np.random.Generator, d: District, street: str, subtype: str) -> tuple[str, str]:
    """(name, venue) of a station on ``street``."""
    if subtype == "community":
        return f"示例·{d.name}{street}社区服务中心", ""
    if subtype == "battery_swap":
        return f"示例·{d.name}{street}换电柜", ""
    if subtype == "toilet":
        return f"示例·{d.name}{street}公共卫生间", ""
    venue = str(rng.choice(VENUES))
    return f"示例·{d.name}{street}{venue}{rng.choice(LOVE_SUFFIXES)}", venue


def unique(name: str, seen: set[str]) -> str:
    k, candidate = 2, name
    while candidate in seen:
        candidate, k = f"{name}（{k}号点）", k + 1
    seen.add(candidate)
    return candidate


def make_station(rng: np.random.Generator, d: District, i: int, subtype: str,
                 pos: tuple[float, float], seen: set[str], fixed_street: str | None = None
                 ) -> Row:
    street, name, venue = "", "", ""
    for _ in range(20):  # prefer another street or venue over a numbered duplicate name
        street = fixed_street or str(rng.choice(d.streets))
        name, venue = name_for(rng, d, street, subtype)
        if name not in seen:
            break
    probs = LOVE_AMENITY_P if subtype == "love" else SERVICE_AMENITY_P[subtype]
    has_phone = rng.random() < {"love": 0.8, "community": 0.9}.get(subtype, 0.1)
    return Row(
        id=f"demo-{d.code}-{i + 1:03d}", name=unique(name, seen),
        kind="love_station" if subtype == "love" else "service_point", subtype=subtype,
        lon=pos[0], lat=pos[1],
        address=f"陕西省{d.city}{d.name}{street}{int(rng.integers(1, 300))}号{DEMO_ADDRESS}",
        district_code=d.code, amenities=draw_amenities(rng, probs), opening_hours="",
        phone=phone(rng, d.city) if has_phone else "",
        host=host_for(rng, d, venue, street, subtype))


def make_anchor(d: District, seen: set[str]) -> Row:
    lon, lat = offset(*EXAMPLE_QUERY, *ANCHOR_OFFSET_M)
    return Row(
        id=f"demo-{d.code}-001", name=unique(f"示例·{d.name}南大街工会爱心驿站", seen),
        kind="love_station", subtype="love", lon=lon, lat=lat,
        address=f"陕西省{d.city}{d.name}南大街18号{DEMO_ADDRESS}", district_code=d.code,
        amenities=[a for a in AMENITIES if a in {"water", "microwave", "fridge", "phone_charging",
                   "seating", "air_conditioning", "heating", "first_aid", "umbrella", "wifi"}],
        opening_hours="24/7", phone="", host=f"示例·{d.name}总工会")


def make_district(rng: np.random.Generator, d: District, seen: set[str]) -> list[Row]:
    subtypes = plan_subtypes(rng, d)
    partner_of = {p: h for code, h, p, _ in PAIRS if code == d.code}
    rows: list[Row] = []
    for i, subtype in enumerate(subtypes):
        if d.code == "610103" and i == 0:
            rows.append(make_anchor(d, seen))
        elif i in partner_of:
            host = rows[partner_of[i]]
            bearing = rng.uniform(0.0, 2 * math.pi)
            dist_m = rng.uniform(3.0, 8.0)
            pos = offset(host.lon, host.lat, dist_m * math.sin(bearing), dist_m * math.cos(bearing))
            street = next(s for s in d.streets if host.address.startswith(
                f"陕西省{d.city}{d.name}{s}"))
            row = make_station(rng, d, i, subtype, pos, seen, fixed_street=street)
            row.address = host.address
            rows.append(row)
        else:
            pos = scatter(rng, d, [(r.lon, r.lat) for r in rows])
            rows.append(make_station(rng, d, i, subtype, pos, seen))
    return rows


def assign_hours(rng: np.random.Generator, rows: list[Row]) -> None:
    taken: Counter[str] = Counter()
    for r in rows:
        if r.opening_hours:            # the anchor
            taken[hours_type(r.opening_hours)] += 1
        elif r.subtype != "love":
            r.opening_hours = service_hours(rng, r.subtype)
            taken[hours_type(r.opening_hours)] += 1
    todo = [r for r in rows if r.subtype == "love" and not r.opening_hours]
    for r, cat in zip(todo, love_hours_quota(rng, len(todo), len(rows), taken), strict=True):
        r.opening_hours = str(rng.choice(HOURS[cat]))


def generate() -> list[Row]:
    rng = np.random.default_rng(SEED)
    seen: set[str] = set()
    rows = [r for d in DISTRICTS for r in make_district(rng, d, seen)]
    assign_hours(rng, rows)
    return rows


# ---------------------------------------------------------------- validation and output
def validate(rows: list[Row]) -> list[str]:
    """Every problem found; empty when the rows honour DESIGN.md §3 and this tool's promises."""
    problems: list[str] = []
    codes = {d.code: d for d in DISTRICTS}
    for r in rows:
        where = f"{r.id}: "
        if unknown := [a for a in r.amenities if a not in AMENITIES]:
            problems.append(where + f"unknown amenities {unknown}")
        if not r.amenities or len(set(r.amenities)) != len(r.amenities):
            problems.append(where + "amenities empty or repeated")
        if r.kind not in KINDS:
            problems.append(where + f"kind {r.kind!r}")
        if not (73.0 <= r.lon <= 135.5 and 18.0 <= r.lat <= 53.6):
            problems.append(where + f"position outside China: {r.lon}, {r.lat}")
        if not (len(r.district_code) == 6 and r.district_code.isdigit()
                and r.district_code in codes):
            problems.append(where + f"district_code {r.district_code!r}")
        elif not _in_boxes((r.lon, r.lat), codes[r.district_code].boxes):
            problems.append(where + "outside its district's box")
        if not ("示例" in r.name and "示例" in r.host and r.address.endswith(DEMO_ADDRESS)):
            problems.append(where + "name, host or address not marked 示例")
        if any(r.opening_hours in v for v in HOURS.values()) is False:
            problems.append(where + f"opening_hours {r.opening_hours!r} not from HOURS")
        if not r.id.startswith(f"demo-{r.district_code}-"):
            problems.append(where + "id does not match district")
    for label, values in (("id", [r.id for r in rows]), ("name", [r.name for r in rows])):
        if dupes := [v for v, n in Counter(values).items() if n > 1]:
            problems.append(f"duplicate {label}s: {dupes}")
    anchor = nearest_example(rows)
    if haversine_m(EXAMPLE_QUERY, (anchor.lon, anchor.lat)) > 300.0:
        problems.append("no 24/7 microwave station within 300 m of the example query")
    return problems


def nearest_example(rows: list[Row]) -> Row:
    """The 24/7 station with a microwave nearest to EXAMPLE_QUERY."""
    fit = [r for r in rows if r.opening_hours == "24/7" and "microwave" in r.amenities]
    return min(fit, key=lambda r: (haversine_m(EXAMPLE_QUERY, (r.lon, r.lat)), r.id))


def close_pairs(rows: list[Row], within_m: float = 10.0) -> list[tuple[Row, Row, float]]:
    return [(a, b, dist) for i, a in enumerate(rows) for b in rows[i + 1:]
            if (dist := haversine_m((a.lon, a.lat), (b.lon, b.lat))) <= within_m]


def to_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(r.as_csv() for r in sorted(rows, key=lambda r: r.id))
    return buf.getvalue()


def summary(rows: list[Row]) -> str:
    names = {d.code: f"{d.city}{d.name}" for d in DISTRICTS}
    lines = [f"{len(rows)} demo stations"]
    for title, counter in (
        ("district", Counter(f"{r.district_code} {names[r.district_code]}" for r in rows)),
        ("kind", Counter(f"{r.kind}/{r.subtype}" for r in rows)),
        ("hours", Counter(hours_type(r.opening_hours) for r in rows)),
        ("amenity", Counter(a for r in rows for a in r.amenities)),
    ):
        lines.append(f"by {title}:")
        lines += [f"  {k:<28} {n:4d}  {100 * n / len(rows):5.1f} %" for k, n in
                  sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines.append("stations within 10 m of each other:")
    lines += [f"  {a.id} + {b.id}: {dist:.1f} m" for a, b, dist in close_pairs(rows)]
    e = nearest_example(rows)
    lines.append(f"example query {EXAMPLE_QUERY}: {e.id} at {e.lon:.6f},{e.lat:.6f}, "
                 f"{haversine_m(EXAMPLE_QUERY, (e.lon, e.lat)):.0f} m, {e.opening_hours}")
    return "\n".join(lines)


def check_centres(cpca_csv: Path) -> list[str]:
    """Differences between the embedded centres and cpca's ``resources/adcodes.csv``."""
    with cpca_csv.open(encoding="utf-8", newline="") as f:
        table = {row["adcode"][:6]: row for row in csv.DictReader(f)}
    problems = []
    for d in DISTRICTS:
        row = table.get(d.code)
        if row is None or row["name"] != d.name or (
                float(row["longitude"]), float(row["latitude"])) != d.centre_gcj:
            problems.append(f"{d.code} {d.name}: cpca has {row}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT}")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if --out differs from what would be written")
    parser.add_argument("--cpca", type=Path, metavar="ADCODES_CSV",
                        help="also verify the embedded district centres against cpca's table")
    args = parser.parse_args(argv)
    if args.cpca and (problems := check_centres(args.cpca)):
        print("\n".join(problems), file=sys.stderr)
        return 2
    rows = generate()
    if problems := validate(rows):
        print("\n".join(problems), file=sys.stderr)
        return 2
    text = to_csv(rows)
    print(summary(rows))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        print(f"{args.out}: {'up to date' if current == text else 'STALE'}")
        return 0 if current == text else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
