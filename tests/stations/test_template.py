"""The Excel import template: Chinese headers the importer reads, examples it accepts (hours as
Chinese phrases), the amenity list and the instructions."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from stations.amenities import VOCABULARY
from stations.errors import ImportFileError
from stations.files.aliases import (
    access_code,
    amenity_codes,
    canonical_header,
    entry_code,
    kind_code,
)
from stations.files.importing import import_data, import_file
from stations.files.template import (
    AMENITIES_SHEET,
    COLUMNS,
    EXAMPLES,
    HEADERS,
    HELP_SHEET,
    STATIONS_SHEET,
    template_bytes,
    write_template,
)
from stations.files.xlsx import sheet_rows
from stations.hours import Hours
from stations.hours_phrases import to_osm
from stations.model import Access, Entry, Kind
from stations.store.geopackage.store import GeoPackageStore
from tests.conftest import DEMO_CSV


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(template_bytes()))


def test_the_sheets_are_stations_first_then_amenities_and_help(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == [STATIONS_SHEET, AMENITIES_SHEET, HELP_SHEET]
    assert book.sheetnames == ["驿站", "设施", "说明"]


def test_each_header_is_the_chinese_alias_of_its_field() -> None:
    assert HEADERS == (
        "名称", "类型", "经度", "纬度", "地址", "区划代码", "设施", "开放时间", "电话", "主办单位",
        "开放对象", "进入方式",
    )  # fmt: skip
    assert [canonical_header(h) for h in HEADERS] == [field for field, _, _ in COLUMNS]
    assert all(not h.isascii() for h in HEADERS)


def test_the_first_sheet_is_the_header_and_three_examples_as_the_importer_reads_it() -> None:
    rows = list(sheet_rows(template_bytes()))
    assert rows[0] == (1, list(HEADERS))
    assert [number for number, _ in rows[1:]] == [2, 3, 4]
    assert all("示例" in cells[0] for _, cells in rows[1:])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: str(e["name"]))
def test_each_example_reads_as_codes_and_its_hours_convert(example: dict[str, object]) -> None:
    hours = to_osm(str(example["opening_hours"]))
    Hours.parse(hours)  # raises if the conversion were not valid OSM
    assert hours != example["opening_hours"]  # a Chinese phrase, not OSM already
    assert "、" in str(example["amenities"])
    codes = amenity_codes(str(example["amenities"]))
    assert codes and set(codes) <= {a.code for a in VOCABULARY}
    assert Kind(kind_code(str(example["kind"])))
    assert Access(access_code(str(example["access"])))
    assert Entry(entry_code(str(example["entry"])))
    assert isinstance(example["lon"], float) and isinstance(example["lat"], float)
    assert 108.5 < example["lon"] < 109.3 and 34.0 < example["lat"] < 34.5  # Xi'an


def test_the_examples_hours_convert_as_written() -> None:
    assert [to_osm(str(e["opening_hours"])) for e in EXAMPLES] == [
        "Mo-Fr 08:00-18:00; PH off",
        "Mo-Sa 08:30-12:00,14:00-17:30",
        "24/7",
    ]


def test_the_template_imports_as_it_stands(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "t.gpkg")
    report = import_data(store, template_bytes(), "模板.xlsx")
    assert report.rejected == [] and report.duplicates == []
    assert report.created == len(EXAMPLES) == 3
    by_name = {s.name: s for s in store.list_stations()}
    first = by_name["示例·钟楼爱心驿站"]
    assert (first.kind, first.lon, first.lat, first.district_code) == (
        Kind.LOVE_STATION, 108.9423, 34.261, "610103",
    )  # fmt: skip
    assert first.amenities == ("water", "microwave", "phone_charging", "toilet")
    assert first.opening_hours == "Mo-Fr 08:00-18:00; PH off"
    assert (first.access, first.entry) == (Access.OUTDOOR_WORKERS, Entry.WALK_IN)
    assert by_name["示例·大唐西市换电服务点"].phone is None


def test_the_examples_are_no_duplicates_of_the_demo_stations(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "demo.gpkg")
    import_file(store, DEMO_CSV)
    report = import_data(store, template_bytes(), "模板.xlsx", dry_run=True)
    assert report.rejected == [] and report.duplicates == [] and report.created == 3


def test_the_amenity_sheet_lists_the_whole_vocabulary(book: openpyxl.Workbook) -> None:
    rows = [tuple(c.value for c in r) for r in book[AMENITIES_SHEET].iter_rows()]
    assert rows[0] == ("代码", "中文", "English")
    assert rows[1:] == [(a.code, a.zh, a.en) for a in VOCABULARY]


def test_the_help_says_what_is_required_and_how_to_write_positions_and_hours(
    book: openpyxl.Workbook,
) -> None:
    text = "\n".join(str(r[0].value or "") for r in book[HELP_SHEET].iter_rows())
    assert "必填：名称、类型、经度、纬度、区划代码" in text
    for needed in ("WGS-84", "--crs gcj02", "BD-09", "周一至周五 8:00-18:00，节假日休息", "、",
                   "--dry-run", "全部或全不"):  # fmt: skip
        assert needed in text, needed


def test_kind_access_and_entry_offer_drop_down_lists(book: openpyxl.Workbook) -> None:
    lists = {
        str(v.sqref).split(":")[0]: v.formula1
        for v in book[STATIONS_SHEET].data_validations.dataValidation
    }
    assert lists == {
        "B2": '"爱心驿站,服务点"',
        "K2": '"对所有人开放,户外劳动者,工会会员"',
        "L2": '"直接进入,请工作人员开门,提前电话联系,扫码进入,刷脸进入,刷身份证"',
    }
    for labels, read in ((lists["B2"], kind_code), (lists["K2"], access_code),
                         (lists["L2"], entry_code)):  # fmt: skip
        assert all(read(label) != label for label in labels.strip('"').split(","))


def test_adcodes_and_phones_are_text_cells(book: openpyxl.Workbook) -> None:
    sheet = book[STATIONS_SHEET]
    assert sheet["F2"].value == "610103" and sheet["F2"].number_format == "@"
    assert sheet["I2"].number_format == "@"
    assert sheet.column_dimensions["F"].number_format == "@"


def test_write_template_writes_the_workbook_and_refuses_another_suffix(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "驿站导入模板.xlsx"
    write_template(out)
    assert out.read_bytes() == template_bytes()
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left
    with pytest.raises(ImportFileError, match=r"\*\.xlsx"):
        write_template(tmp_path / "template.csv")
