"""The import template for people who keep their stations in Excel: a workbook whose first
sheet, 驿站, has Chinese column headers and three example rows written as union staff write them
(设施 as Chinese labels joined by "、", hours as a Chinese phrase), a sheet 设施 with the amenity
vocabulary, and a sheet 说明 with short instructions in Chinese.

Every header, kind, amenity, access and entry label here is one the importer reads
(``stations.files.aliases``) and every example's hours one ``stations.hours_phrases.to_osm``
turns into OSM syntax; the tests hold the template to both.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from stations.amenities import BY_CODE, VOCABULARY
from stations.errors import ImportFileError
from stations.files.exporting import write_atomically

#: The template's columns: (field, its Chinese header, column width in characters). Each
#: header is one of the field's aliases in ``aliases.HEADER_ALIASES``.
COLUMNS: Final = (
    ("name", "名称", 28),
    ("kind", "类型", 10),
    ("lon", "经度", 12),
    ("lat", "纬度", 12),
    ("address", "地址", 36),
    ("district_code", "区划代码", 10),
    ("amenities", "设施", 30),
    ("opening_hours", "开放时间", 34),
    ("phone", "电话", 16),
    ("host", "主办单位", 24),
    ("access", "开放对象", 14),
    ("entry", "进入方式", 14),
)
HEADERS: Final = tuple(header for _, header, _ in COLUMNS)
#: The sheet an import reads comes first.
STATIONS_SHEET: Final = "驿站"
AMENITIES_SHEET: Final = "设施"
HELP_SHEET: Final = "说明"
#: Labels a cell's drop-down list offers (any other label or code is accepted too).
KIND_LABELS: Final = ("爱心驿站", "服务点")
ACCESS_LABELS: Final = ("对所有人开放", "户外劳动者", "工会会员")
ENTRY_LABELS: Final = (
    "直接进入", "请工作人员开门", "提前电话联系", "扫码进入", "刷脸进入", "刷身份证",
)  # fmt: skip
#: Rows the drop-down lists and the text formats cover, below the header.
_FORMATTED_ROWS: Final = 1000


def _amenities(*codes: str) -> str:
    return "、".join(BY_CODE[code].zh for code in codes)


#: Invented stations in Xi'an (WGS-84), named 示例 like the demo data: no real place or phone.
EXAMPLES: Final[tuple[dict[str, object], ...]] = (
    {
        "name": "示例·钟楼爱心驿站",
        "kind": "爱心驿站",
        "lon": 108.9423,
        "lat": 34.2610,
        "address": "陕西省西安市碑林区南大街1号（示例地址）",
        "district_code": "610103",
        "amenities": _amenities("water", "microwave", "phone_charging", "toilet"),
        "opening_hours": "周一至周五 8:00-18:00，节假日休息",
        "phone": "029-00000001",
        "host": "示例·碑林区总工会",
        "access": "户外劳动者",
        "entry": "直接进入",
    },
    {
        "name": "示例·小寨户外劳动者服务站",
        "kind": "爱心驿站",
        "lon": 108.9470,
        "lat": 34.2235,
        "address": "陕西省西安市雁塔区长安中路88号（示例地址）",
        "district_code": "610113",
        "amenities": _amenities("water", "ebike_charging", "seating", "air_conditioning"),
        "opening_hours": "周一至周六 8:30-17:30（午休12:00-14:00）",
        "phone": "029-00000002",
        "host": "示例·小寨路街道办事处",
        "access": "对所有人开放",
        "entry": "请工作人员开门",
    },
    {
        "name": "示例·大唐西市换电服务点",
        "kind": "服务点",
        "lon": 108.9112,
        "lat": 34.2538,
        "address": "陕西省西安市莲湖区劳动南路118号（示例地址）",
        "district_code": "610104",
        "amenities": _amenities("battery_swap", "phone_charging"),
        "opening_hours": "24小时",
        "phone": "",
        "host": "示例·换电运营企业",
        "access": "户外劳动者",
        "entry": "扫码进入",
    },
)

HELP_LINES: Final = (
    "驿站导入模板：使用说明",
    "",
    "1. 在“驿站”工作表中每行填写一个站点。第一行是列名，请不要修改；列的顺序可以调整。",
    "2. 示例行（名称带“示例”）只是参考，导入前请删除。",
    "3. 必填：名称、类型、经度、纬度、区划代码。其他列可以留空。",
    "4. 类型：爱心驿站 或 服务点（下拉选择）。",
    "5. 经度、纬度：十进制度数，例如 经度 108.9423、纬度 34.2610（西安的经度约 108.9，纬度约 34.3，"
    "请勿填反）。",
    "   默认按 WGS-84（GPS）坐标读取；如果坐标取自高德或腾讯地图（GCJ-02）或百度地图（BD-09），"
    "导入时请选择对应坐标系：命令 yizhan import 文件 --crs gcj02，或上传时填写 crs=gcj02 / bd09。",
    "6. 区划代码：6 位行政区划代码，例如 610103（碑林区）、610113（雁塔区）。",
    "7. 设施：用顿号“、”分隔，例如 饮水、微波炉、手机充电；可写中文名称或代码，见“设施”工作表。",
    "8. 开放时间：例如 周一至周五 8:00-18:00，节假日休息；每天 7:00-22:00；24小时；"
    "周一至周六 8:30-17:30（午休12:00-14:00）。",
    "   “节假日”指国务院公布的放假日。也可以用 OpenStreetMap 写法，例如 Mo-Fr 08:00-18:00; PH off。"
    "不清楚请留空（显示为“状态未知”），不要猜。",
    "9. 电话：数字、空格和 + - ( )，例如 029-12345678。",
    "10. 开放对象：对所有人开放（默认）、户外劳动者、工会会员。",
    "11. 进入方式：直接进入、请工作人员开门、提前电话联系、扫码进入、刷脸进入、刷身份证；可留空。",
    "12. 名称不超过 100 个字，地址不超过 200 个字。",
    "",
    "导入是“全部或全不”：只要有一行有问题，就一行也不写入；报告会列出每个问题的行号、列和原因，"
    "改好后重新导入即可。",
    "建议先试导入：命令加 --dry-run，或上传时填写 dry_run=true，只检查、不写入。",
    "新站点与已有站点相距 30 米以内且名称相近时，会被提示为“可能重复”；确认是不同站点，"
    "可加 --allow-duplicates（或 allow_duplicates=true）再导入。",
    "要修改已有站点：下载导出文件（stations.xlsx 或 stations.csv），改好后导入；"
    "按第一列 id 更新，不会新建。",
)

_HEADER_FONT: Final = Font(bold=True)
_HEADER_FILL: Final = PatternFill("solid", fgColor="FFE8D5")
_TEXT: Final = "@"  # Excel's text format: an adcode or phone typed there stays as typed


def build_template() -> Workbook:
    """The template workbook: sheets 驿站 (headers, examples, drop-down lists for 类型,
    开放对象 and 进入方式), 设施 (every amenity: code, 中文, English) and 说明."""
    book = Workbook()
    stations = book.active
    assert isinstance(stations, Worksheet)
    stations.title = STATIONS_SHEET
    _fill_stations(stations)
    _fill_amenities(book.create_sheet(AMENITIES_SHEET))
    _fill_help(book.create_sheet(HELP_SHEET))
    return book


@cache
def template_bytes() -> bytes:
    """The template as the bytes of an .xlsx file (built once per process)."""
    out = BytesIO()
    build_template().save(out)
    return out.getvalue()


def write_template(path: Path) -> None:
    """Write the template to ``path`` (which must end in .xlsx), atomically."""
    if path.suffix.lower() != ".xlsx":
        raise ImportFileError(f"{path.name}: the template is an Excel workbook; name it *.xlsx")
    write_atomically(path, lambda tmp: tmp.write_bytes(template_bytes()))


def _fill_stations(sheet: Worksheet) -> None:
    sheet.append(list(HEADERS))
    for example in EXAMPLES:
        sheet.append([example[field] or None for field, _, _ in COLUMNS])
    _style_header(sheet)
    last = _FORMATTED_ROWS + 1
    for column, (field, _, width) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = width
        if field in ("district_code", "phone"):
            # The column's format applies to the cells a person adds; the examples get it too.
            sheet.column_dimensions[letter].number_format = _TEXT
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = _TEXT
    for field, labels in (("kind", KIND_LABELS), ("access", ACCESS_LABELS),
                          ("entry", ENTRY_LABELS)):  # fmt: skip
        _drop_down(sheet, _letter(field), labels, last)


def _letter(field: str) -> str:
    return get_column_letter([f for f, _, _ in COLUMNS].index(field) + 1)


def _drop_down(sheet: Worksheet, letter: str, labels: tuple[str, ...], last_row: int) -> None:
    # A suggestion, not a rule (no error message): the importer takes other labels and codes.
    listed = DataValidation(type="list", formula1=f'"{",".join(labels)}"', allow_blank=True)
    listed.showErrorMessage = False
    listed.add(f"{letter}2:{letter}{last_row}")
    sheet.add_data_validation(listed)


def _fill_amenities(sheet: Worksheet) -> None:
    sheet.append(["代码", "中文", "English"])
    for amenity in VOCABULARY:
        sheet.append([amenity.code, amenity.zh, amenity.en])
    _style_header(sheet)
    for letter, width in (("A", 18), ("B", 14), ("C", 28)):
        sheet.column_dimensions[letter].width = width


def _fill_help(sheet: Worksheet) -> None:
    for line in HELP_LINES:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 120
    for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _style_header(sheet: Worksheet) -> None:
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    sheet.freeze_panes = "A2"
