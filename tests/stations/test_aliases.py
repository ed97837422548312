"""Chinese column names and labels in import files map to field names and codes; what is not
known comes back as written, for the validator to report."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stations.amenities import CODES, VOCABULARY, Amenity
from stations.files.aliases import (
    HEADER_ALIASES,
    access_code,
    amenity_codes,
    canonical_header,
    entry_code,
    kind_code,
)
from stations.files.rows import CSV_COLUMNS, EXPORT_COLUMNS
from stations.model import Access, Entry, Kind


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("编号", "id"), ("ID", "id"), ("Id", "id"),
        ("名称", "name"), ("站点名称", "name"), ("驿站名称", "name"), ("Name", "name"),
        ("类型", "kind"), ("类别", "kind"),
        ("经度", "lon"), ("经 度", "lon"), ("\u3000经度\u3000", "lon"), ("Longitude", "lon"),
        ("纬度", "lat"), ("LAT", "lat"),
        ("地址", "address"), ("详细地址", "address"),
        ("区划代码", "district_code"), ("行政区划代码", "district_code"),
        ("区县代码", "district_code"), ("District_Code", "district_code"),
        ("设施", "amenities"), ("服务设施", "amenities"), ("配套设施", "amenities"),
        ("开放时间", "opening_hours"), ("服务时间", "opening_hours"), ("营业时间", "opening_hours"),
        ("电话", "phone"), ("联系电话", "phone"),
        ("主办单位", "host"), ("管理单位", "host"), ("建设单位", "host"),
        ("开放对象", "access"), ("进入方式", "entry"),
        ("暂停开放至", "closed_until"), ("暂停原因", "closure_reason"),
        ("ＩＤ", "id"),  # full-width letters
    ],
)  # fmt: skip
def test_a_chinese_or_variant_header_names_its_field(header: str, field: str) -> None:
    assert canonical_header(header) == field


@pytest.mark.parametrize("field", EXPORT_COLUMNS)
def test_every_field_name_maps_to_itself(field: str) -> None:
    assert canonical_header(field) == field
    assert canonical_header(field.upper()) == field


def test_every_alias_names_an_import_or_export_column() -> None:
    assert set(HEADER_ALIASES.values()) <= {*EXPORT_COLUMNS, "status"}
    assert set(CSV_COLUMNS) <= set(HEADER_ALIASES.values())


@pytest.mark.parametrize("header", ["序号", "备注", "名 称 （必填）", "", "x"])
def test_an_unknown_header_comes_back_unchanged(header: str) -> None:
    assert canonical_header(header) == header


@pytest.mark.parametrize(
    ("cell", "codes"),
    [
        ("热水、手机充电", ["water", "phone_charging"]),
        ("饮用水;充电;电动车充电", ["water", "phone_charging", "ebike_charging"]),
        ("电瓶车充电，厕所，卫生间，洗手间", ["ebike_charging", "toilet"]),  # repeats dropped
        ("医药箱 急救箱 应急药箱", ["first_aid"]),
        ("微波炉、加热", ["microwave"]),
        ("空调；冷气；暖气；取暖", ["air_conditioning", "heating"]),
        ("休息座椅,座椅", ["seating"]),
        ("WiFi、无线网、Wi-Fi、ｗｉｆｉ", ["wifi"]),
        ("water;microwave", ["water", "microwave"]),  # codes pass through
        ("AED、打气筒、雨伞", ["aed", "tyre_pump", "umbrella"]),
        ("热水、按摩椅、充电", ["water", "按摩椅", "phone_charging"]),  # unknown kept as written
        ("  热水 \u3000 充电  ", ["water", "phone_charging"]),
        ("", []),
        (" ；、 ", []),
    ],
)  # fmt: skip
def test_an_amenity_cell_gives_codes(cell: str, codes: list[str]) -> None:
    assert amenity_codes(cell) == codes


@pytest.mark.parametrize("amenity", VOCABULARY, ids=lambda a: a.code)
def test_every_vocabulary_label_and_code_gives_its_code(amenity: Amenity) -> None:
    assert amenity_codes(amenity.zh) == [amenity.code]
    assert amenity_codes(amenity.code) == [amenity.code]


def test_every_label_of_the_vocabulary_in_one_cell() -> None:
    assert amenity_codes("、".join(a.zh for a in VOCABULARY)) == list(CODES)


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("爱心驿站", Kind.LOVE_STATION), ("户外劳动者服务站", Kind.LOVE_STATION),
        ("工会驿站", Kind.LOVE_STATION), ("驿站", Kind.LOVE_STATION),
        ("劳动者港湾", Kind.LOVE_STATION), (" 爱心驿站 ", Kind.LOVE_STATION),
        ("服务点", Kind.SERVICE_POINT), ("公厕", Kind.SERVICE_POINT),
        ("换电柜", Kind.SERVICE_POINT),
        ("love_station", Kind.LOVE_STATION), ("Service_Point", Kind.SERVICE_POINT),
    ],
)  # fmt: skip
def test_a_kind_label_gives_its_code(label: str, code: Kind) -> None:
    assert kind_code(label) == code.value
    assert type(kind_code(label)) is str


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("对所有人开放", Access.PUBLIC), ("公众", Access.PUBLIC), ("public", Access.PUBLIC),
        ("户外劳动者", Access.OUTDOOR_WORKERS), ("outdoor_workers", Access.OUTDOOR_WORKERS),
        ("工会会员", Access.UNION_MEMBERS), ("union_members", Access.UNION_MEMBERS),
    ],
)  # fmt: skip
def test_an_access_label_gives_its_code(label: str, code: Access) -> None:
    assert access_code(label) == code.value


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("直接进入", Entry.WALK_IN), ("请工作人员开门", Entry.ASK_STAFF),
        ("提前电话联系", Entry.PHONE_AHEAD), ("扫码进入", Entry.QR_CODE),
        ("刷脸进入", Entry.FACE_SCAN), ("刷身份证", Entry.ID_CARD), ("刷卡", Entry.ID_CARD),
        ("qr_code", Entry.QR_CODE),
    ],
)  # fmt: skip
def test_an_entry_label_gives_its_code(label: str, code: Entry) -> None:
    assert entry_code(label) == code.value


def test_every_code_of_every_enumeration_passes_through() -> None:
    assert [kind_code(k.value) for k in Kind] == [k.value for k in Kind]
    assert [access_code(a.value) for a in Access] == [a.value for a in Access]
    assert [entry_code(e.value) for e in Entry] == [e.value for e in Entry]


@pytest.mark.parametrize("function", [kind_code, access_code, entry_code])
@pytest.mark.parametrize("value", ["", "  ", "不知道", "Love Station?"])
def test_an_unknown_label_comes_back_unchanged(function: Callable[[str], str], value: str) -> None:
    assert function(value) == value
