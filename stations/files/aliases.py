"""Chinese column names and labels in import files, mapped to Yizhan's field names and codes:
a union's sheet headed 驿站名称/经度/纬度/服务设施, with 爱心驿站 and 热水、充电 in its
cells, reads as name/lon/lat/amenities with love_station and water;phone_charging.

Pure look-ups: every function gives back what it does not know unchanged, and the validator
(stations/editing/validation.py) reports it. Labels are compared after NFKC (full-width letters
and digits become ASCII), without whitespace and case-insensitively, so "Ｗｉ－Ｆｉ", "wifi"
and "WiFi" are one label.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from stations.amenities import VOCABULARY
from stations.model import EDITABLE_FIELDS, FIELD_STATE, Access, Entry, Kind


def _key(label: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", label)).casefold()


def _table(groups: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """{label: code} from {code: labels}, every code also a label of itself; a label given to
    two codes is a mistake in this module."""
    table: dict[str, str] = {}
    for code, labels in groups.items():
        for label in (code, *labels):
            if table.setdefault(_key(label), str(code)) != code:
                raise ValueError(f"label {label!r} is given to {table[_key(label)]} and {code}")
    return table


#: Column name → field name; field names map to themselves. Keys are as compared (NFKC, no
#: whitespace, casefolded): look names up with ``canonical_header``.
HEADER_ALIASES: Final[dict[str, str]] = _table(
    {
        **{name: () for name in ("id", *EDITABLE_FIELDS, "status", *FIELD_STATE, "attribution")},
        "id": ("编号", "站点编号", "驿站编号"),  # not 序号: a row number, not an identity
        "name": ("名称", "站点名称", "驿站名称", "站名"),
        "kind": ("类型", "类别", "站点类型", "驿站类型"),
        "lon": ("经度", "longitude", "lng"),
        "lat": ("纬度", "latitude"),
        "address": ("地址", "详细地址", "站点地址", "驿站地址"),
        "district_code": (
            "区划代码", "行政区划代码", "区县代码", "行政区代码", "区划编码", "行政区划编码",
            "adcode",
        ),
        "amenities": ("设施", "服务设施", "配套设施", "服务项目"),
        "opening_hours": ("开放时间", "服务时间", "营业时间", "开放时段"),
        "phone": ("电话", "联系电话", "联系方式"),
        "host": ("主办单位", "管理单位", "建设单位", "运营单位"),
        "access": ("开放对象", "服务对象"),
        "entry": ("进入方式",),
        "closed_until": ("暂停开放至",),
        "closure_reason": ("暂停原因",),
        "status": ("状态",),
    }
)  # fmt: skip

_AMENITY_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "water": ("热水", "饮用水", "开水", "饮水机", "冷热水", "直饮水"),
    "microwave": ("加热", "微波加热", "热饭"),
    "phone_charging": ("充电", "手机充电站", "充电宝"),
    "ebike_charging": ("电瓶车充电", "电动自行车充电", "电单车充电"),
    "battery_swap": ("换电",),
    "seating": ("休息座椅", "座椅", "桌椅", "休息区"),
    "air_conditioning": ("冷气",),
    "heating": ("暖气", "供暖"),
    "first_aid": ("医药箱", "急救箱", "药箱", "急救包", "常用药品"),
    "aed": ("除颤仪",),
    "repair_tools": ("修车工具", "工具箱"),
    "tyre_pump": ("打气", "充气泵", "气筒"),
    "umbrella": ("雨伞", "雨衣", "爱心雨伞"),
    "toilet": ("厕所", "洗手间", "公厕"),
    "wifi": ("无线网", "Wi-Fi", "WLAN"),  # WiFi is the code
    "books": ("书籍", "书报", "阅读"),
    "lockers": ("寄存柜",),
    "nursing_room": ("哺乳室",),
    "meals": ("爱心午餐",),
    "accessible": ("无障碍设施",),
}
_AMENITIES: Final = _table({a.code: (a.zh, *_AMENITY_SYNONYMS.get(a.code, ())) for a in VOCABULARY})
_KINDS: Final = _table(
    {
        Kind.LOVE_STATION: (
            "爱心驿站", "户外劳动者服务站", "工会驿站", "驿站", "劳动者港湾", "户外劳动者驿站",
            "工会户外劳动者服务站",
        ),
        Kind.SERVICE_POINT: ("服务点", "公厕", "换电柜", "便民服务点", "社区服务点"),
    }
)  # fmt: skip
_ACCESS: Final = _table(
    {
        Access.PUBLIC: ("对所有人开放", "公众", "所有人", "社会公众", "向社会开放", "面向社会公众"),
        Access.OUTDOOR_WORKERS: ("户外劳动者", "户外工作者", "新就业形态劳动者"),
        Access.UNION_MEMBERS: ("工会会员", "会员"),
    }
)
_ENTRY: Final = _table(
    {
        Entry.WALK_IN: ("直接进入", "自由进出", "无需预约"),
        Entry.ASK_STAFF: ("请工作人员开门", "联系工作人员", "找工作人员"),
        Entry.PHONE_AHEAD: ("提前电话联系", "电话预约", "提前预约"),
        Entry.QR_CODE: ("扫码进入", "扫码", "扫码开门"),
        Entry.FACE_SCAN: ("刷脸进入", "刷脸", "人脸识别"),
        Entry.ID_CARD: ("刷身份证", "刷卡", "刷工会卡"),
    }
)
_AMENITY_SEPARATORS: Final = re.compile(r"[;；、,，/\s]+")


def canonical_header(name: str) -> str:
    """The field name for a column name ("驿站名称", "经 度", "Name"), or ``name`` unchanged when
    it is none of them."""
    return HEADER_ALIASES.get(_key(name), name.strip())


def amenity_codes(value: str) -> list[str]:
    """Amenity codes for a cell such as "热水、手机充电；WiFi" (items split on ; ； 、 , ， / and
    whitespace), in the order written and without repeats; an item that is neither a code nor a
    label stays as written. An empty cell gives []."""
    codes = [_AMENITIES.get(_key(item), item) for item in _AMENITY_SEPARATORS.split(value) if item]
    return list(dict.fromkeys(codes))


def kind_code(value: str) -> str:
    """The kind code for a label ("爱心驿站" → love_station, "公厕" → service_point), or ``value``
    unchanged."""
    return _KINDS.get(_key(value), value)


def access_code(value: str) -> str:
    """The access code for a label ("户外劳动者" → outdoor_workers), or ``value`` unchanged."""
    return _ACCESS.get(_key(value), value)


def entry_code(value: str) -> str:
    """The entry code for a label ("扫码进入" → qr_code), or ``value`` unchanged."""
    return _ENTRY.get(_key(value), value)
