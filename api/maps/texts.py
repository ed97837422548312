"""The map page's own words (zh and en), tile sources, amenity icons. No station data here."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final, Literal, NamedTuple

from geo.crs import CoordinateSystem
from stations.hours import SHANGHAI
from stations.model import Access, Entry, Kind

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")


class Tiles(StrEnum):
    """Which web tiles the page draws on; each fixes the datum of every marker on the page."""

    OSM = "osm"  # OpenStreetMap: WGS-84
    AMAP = "amap"  # Amap (高德) web tiles: GCJ-02


class TileSource(NamedTuple):
    url: str
    subdomains: str
    attribution: str  # HTML, ours (shown by Leaflet's attribution control)
    max_zoom: int
    crs: CoordinateSystem  # the datum the tiles are drawn in
    origins: tuple[str, ...]  # for the page's Content-Security-Policy img-src


TILE_SOURCES: Final[dict[Tiles, TileSource]] = {
    Tiles.OSM: TileSource(
        url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        subdomains="",
        attribution='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
        " contributors",
        max_zoom=19,
        crs=CoordinateSystem.WGS84,
        origins=("https://tile.openstreetmap.org",),
    ),
    Tiles.AMAP: TileSource(
        url="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        subdomains="1234",
        attribution='&copy; <a href="https://www.amap.com/">高德地图</a> AutoNavi',
        max_zoom=18,
        crs=CoordinateSystem.GCJ02,
        origins=tuple(f"https://webrd0{n}.is.autonavi.com" for n in "1234"),
    ),
}

#: The amenities a rider filters by, in the order the filter lists them.
KEY_AMENITIES: Final = (
    "microwave",
    "water",
    "phone_charging",
    "ebike_charging",
    "heating",
    "air_conditioning",
    "toilet",
    "first_aid",
)

#: One Unicode/emoji icon per vocabulary code: no icon font, nothing to download.
AMENITY_ICONS: Final[dict[str, str]] = {
    "water": "🚰",
    "microwave": "🍱",
    "fridge": "🧊",
    "phone_charging": "📱",
    "ebike_charging": "🛵",
    "battery_swap": "🔋",
    "seating": "🪑",
    "air_conditioning": "❄️",
    "heating": "🔥",
    "first_aid": "⛑️",
    "aed": "💓",
    "repair_tools": "🔧",
    "tyre_pump": "🚲",
    "umbrella": "☂️",
    "toilet": "🚻",
    "wifi": "📶",
    "books": "📚",
    "lockers": "🔐",
    "womens_room": "🚺",
    "nursing_room": "🍼",
    "meals": "🍚",
    "accessible": "♿",
}

KIND_LABELS: Final[dict[Lang, dict[Kind, str]]] = {
    "zh": {Kind.LOVE_STATION: "爱心驿站", Kind.SERVICE_POINT: "服务点"},
    "en": {Kind.LOVE_STATION: "Love station (rest stop)", Kind.SERVICE_POINT: "Service point"},
}

ACCESS_LABELS: Final[dict[Lang, dict[Access, str]]] = {
    "zh": {
        Access.PUBLIC: "所有人",
        Access.OUTDOOR_WORKERS: "户外劳动者（快递员、外卖骑手、环卫工人等）",
        Access.UNION_MEMBERS: "仅限本工会会员",
    },
    "en": {
        Access.PUBLIC: "everyone",
        Access.OUTDOOR_WORKERS: "outdoor workers (couriers, delivery riders, street cleaners, …)",
        Access.UNION_MEMBERS: "members of the host union only",
    },
}

ENTRY_LABELS: Final[dict[Lang, dict[Entry, str]]] = {
    "zh": {
        Entry.WALK_IN: "直接进入",
        Entry.ASK_STAFF: "请找工作人员",
        Entry.PHONE_AHEAD: "请提前电话联系",
        Entry.QR_CODE: "扫码进入",
        Entry.FACE_SCAN: "刷脸进入",
        Entry.ID_CARD: "凭证件进入",
    },
    "en": {
        Entry.WALK_IN: "walk in",
        Entry.ASK_STAFF: "ask the staff",
        Entry.PHONE_AHEAD: "phone ahead",
        Entry.QR_CODE: "scan the QR code",
        Entry.FACE_SCAN: "face scan",
        Entry.ID_CARD: "show an ID card",
    },
}

#: Eight compass points from north, clockwise: a bearing b (degrees) reads as
#: ``COMPASS[lang][round(b / 45) % 8]``.
COMPASS: Final[dict[Lang, tuple[str, ...]]] = {
    "zh": ("北", "东北", "东", "东南", "南", "西南", "西", "西北"),
    "en": ("N", "NE", "E", "SE", "S", "SW", "W", "NW"),
}

_MONTHS_EN: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip


def local_time_text(at: datetime, *, lang: Lang, now: datetime) -> str:
    """``at`` in Asia/Shanghai as a page shows it: ``12月24日 18:00`` / ``24 Dec 18:00``, with
    the year when it is not that of ``now`` (``2027年1月3日 08:30`` / ``3 Jan 2027 08:30``)."""
    local = at.astimezone(SHANGHAI)
    other_year = local.year != now.astimezone(SHANGHAI).year
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if lang == "zh":
        year = f"{local.year}年" if other_year else ""
        return f"{year}{local.month}月{local.day}日 {clock}"
    year = f" {local.year}" if other_year else ""
    return f"{local.day} {_MONTHS_EN[local.month - 1]}{year} {clock}"


#: Page text. ``{n}``, ``{shown}``, ``{r}``, ``{m}``, ``{date}``, ``{until}``, ``{reason}``,
#: ``{kb}``, ``{time}``, ``{dist}``, ``{dir}`` and ``{district}`` are filled in by the page's
#: script (each value as text, never as markup).
TEXT: Final[dict[Lang, dict[str, str]]] = {
    "zh": {
        "title": "驿站地图：户外劳动者休息点",
        "count": "共 {n} 个站点",
        "shown": "显示 {shown} / {n}",
        "data_date": "数据日期",
        "no_stations": "暂无站点",
        "filter": "只看有这些设施的站点",
        "legend": "图例",
        "kinds": "站点类型",
        "amenities": "设施",
        "coverage": "覆盖范围 {r} 米",
        "address": "地址",
        "hours": "开放时间",
        "hours_unknown": "未登记",
        "phone": "电话",
        "host": "主办单位",
        "no_amenities": "未登记设施",
        "access": "开放对象",
        "entry": "进入方式",
        "verified": "已核实 {date}",
        "osm_source": "数据来自 OpenStreetMap · © OpenStreetMap 贡献者",
        "closed_until": "暂停开放至 {until}",
        "closed_until_reason": "暂停开放至 {until}：{reason}",
        "out_of_order": "故障",
        "photo_note": "含 {n} 张照片缩略图，共 {kb} KB",
        "nav_amap": "高德导航",
        "nav_baidu": "百度地图",
        "locate": "定位我的位置",
        "locate_short": "定位",
        "locating": "正在定位…",
        "located": "已定位（精度约 {m} 米）",
        "locate_denied": "无法定位：未获得位置权限。可以在地图上点一下选择位置。",
        "locate_failed": "无法定位。可以在地图上点一下选择位置。",
        "locate_unsupported": "此浏览器不支持定位。可以在地图上点一下选择位置。",
        "panel": "筛选和图例",
        "close": "关闭",
        "nearest": "附近的站点",
        "nearest_locate": "用我的位置",
        "nearest_hint": "点“用我的位置”，或在地图上点一下选择位置。",
        "nearest_tapped": "按地图上选择的位置",
        "nearest_none": "附近没有符合条件的站点",
        "nearest_scope": "只含{district}的站点",
        "open_now": "正在营业",
        "away": "{dir}方向 {dist}",
        "metres": "{n} 米",
        "kilometres": "{n} 公里",
        "state_open": "营业中",
        "state_open_until": "营业中，至 {time}",
        "state_closed": "已关门",
        "state_closed_opens": "已关门，{time} 开门",
        "state_unknown": "状态未知",
        "hours_valid": "营业时间计算至 {until}",
        "show_on_map": "在地图上查看",
        "index_title": "各区县站点地图",
        "district": "区县",
        "stations": "站点数",
        "total": "合计",
    },
    "en": {
        "title": "Yizhan: courier rest stations",
        "count": "{n} stations",
        "shown": "showing {shown} of {n}",
        "data_date": "Data as of",
        "no_stations": "No stations",
        "filter": "Only stations with",
        "legend": "Legend",
        "kinds": "Kinds",
        "amenities": "Amenities",
        "coverage": "{r} m coverage",
        "address": "Address",
        "hours": "Opening hours",
        "hours_unknown": "not recorded",
        "phone": "Phone",
        "host": "Host",
        "no_amenities": "no amenities recorded",
        "access": "Who may use it",
        "entry": "How to get in",
        "verified": "verified {date}",
        "osm_source": "Data from OpenStreetMap · © OpenStreetMap contributors",
        "closed_until": "Closed until {until}",
        "closed_until_reason": "Closed until {until}: {reason}",
        "out_of_order": "out of order",
        "photo_note": "Photo thumbnails on this page: {n} ({kb} KB)",
        "nav_amap": "Navigate (Amap)",
        "nav_baidu": "Baidu Maps",
        "locate": "Show my location",
        "locate_short": "Locate",
        "locating": "Locating…",
        "located": "Located (within about {m} m)",
        "locate_denied": "Could not locate you: permission denied. Tap the map to choose a spot.",
        "locate_failed": "Could not locate you. Tap the map to choose a spot.",
        "locate_unsupported": "This browser cannot locate you. Tap the map to choose a spot.",
        "panel": "Filters and legend",
        "close": "Close",
        "nearest": "Nearest to me",
        "nearest_locate": "Use my location",
        "nearest_hint": "Use your location, or tap the map to choose a spot.",
        "nearest_tapped": "From the spot you tapped",
        "nearest_none": "No station nearby matches",
        "nearest_scope": "Only stations in {district}",
        "open_now": "Open now",
        "away": "{dist} {dir}",
        "metres": "{n} m",
        "kilometres": "{n} km",
        "state_open": "Open",
        "state_open_until": "Open until {time}",
        "state_closed": "Closed",
        "state_closed_opens": "Closed, opens {time}",
        "state_unknown": "Status unknown",
        "hours_valid": "Hours valid until {until}",
        "show_on_map": "Show on map",
        "index_title": "Station maps by district",
        "district": "District",
        "stations": "Stations",
        "total": "Total",
    },
}
