"""Import files built by hand for the limit tests. Workbooks are a zip of handwritten XML
parts, so that a test can make exactly the file it needs (a zip bomb, an absurd size, a row
beyond the grid) without openpyxl, which would refuse to write most of them.

``BASE_COLUMNS`` is the header of the tests' handwritten rows, whatever the import format."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from typing import Final
from xml.sax.saxutils import escape

from openpyxl.utils.cell import get_column_letter

from stations.files.rows import CSV_COLUMNS

#: The import columns a station had before ``access`` and ``entry``: the header of rows written
#: by hand with 11 cells (an import takes any subset of the columns, in any order).
BASE_COLUMNS: Final = CSV_COLUMNS[: CSV_COLUMNS.index("host") + 1]

_MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG: Final = "http://schemas.openxmlformats.org/package/2006/relationships"

_CONTENT_TYPES: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{strings}</Types>'
)
_STRINGS_TYPE: Final = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
)
ROOT_RELS: Final = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
).encode()
WORKBOOK: Final = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
    '<sheets><sheet name="驿站" sheetId="1" r:id="rId1"/></sheets></workbook>'
).encode()
_WORKBOOK_RELS: Final = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    "{strings}</Relationships>"
)
_STRINGS_REL: Final = (
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
)

Part = bytes | Iterable[bytes]


def workbook(sheet: Part, strings: Part | None = None, **extra: Part) -> bytes:
    """A one-sheet workbook: ``sheet`` is the worksheet part, ``strings`` the shared-string
    table; parts may be iterables of chunks (written as they come, so a test can pack a
    gigabyte without holding it)."""
    with_strings = strings is not None
    parts: dict[str, Part] = {
        "[Content_Types].xml": _CONTENT_TYPES.format(
            strings=_STRINGS_TYPE if with_strings else ""
        ).encode(),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS.format(
            strings=_STRINGS_REL if with_strings else ""
        ).encode(),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if strings is not None:
        parts["xl/sharedStrings.xml"] = strings
    parts.update(extra)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in parts.items():
            with archive.open(name, "w", force_zip64=False) as part:
                for chunk in [content] if isinstance(content, bytes) else content:
                    part.write(chunk)
    return out.getvalue()


def sheet(rows: Part, dimension: str | None = None) -> Iterator[bytes]:
    """A worksheet part around ``rows`` (``<row>`` elements)."""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'.encode()
    if dimension is not None:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield from [rows] if isinstance(rows, bytes) else rows
    yield b"</sheetData></worksheet>"


SHARED_STRINGS_START: Final = f'<?xml version="1.0"?><sst xmlns="{_MAIN}">'.encode()


def shared_strings(texts: Iterable[str | bytes]) -> Iterator[bytes]:
    """A shared-string table; a bytes item is written as it is (already escaped XML text)."""
    yield SHARED_STRINGS_START
    for text in texts:
        raw = text if isinstance(text, bytes) else escape(text).encode()
        yield b"<si><t>" + raw + b"</t></si>"
    yield b"</sst>"


def row(number: int, values: Iterable[object], first_column: int = 1) -> bytes:
    """A ``<row>``: texts as inline strings, numbers as numbers, None as no cell."""
    cells = []
    for column, value in enumerate(values, start=first_column):
        ref = f"{get_column_letter(column)}{number}"
        if value is None:
            continue
        if isinstance(value, int | float):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'.encode()


def header() -> bytes:
    return row(1, BASE_COLUMNS)


def station(number: int, **over: object) -> bytes:
    """A valid station in 碑林区 as row ``number``."""
    values: dict[str, object] = {
        "id": f"xl-{number}",
        "name": f"示例·手写驿站{number}",
        "kind": "love_station",
        "lon": 108.9 + number * 1e-4,
        "lat": 34.25,
        "address": None,
        "district_code": 610103,
        "amenities": "water",
        "opening_hours": "24/7",
        "phone": None,
        "host": None,
    }
    values.update(over)
    return row(number, (values[c] for c in BASE_COLUMNS))


def repeated(chunk: bytes, total: int) -> Iterator[bytes]:
    """``chunk`` over and over, ``total`` bytes in all (rounded down to whole chunks), written
    1 MiB at a time."""
    block = chunk * max(1, (1 << 20) // len(chunk))
    for _ in range(total // len(block)):
        yield block


def collection(*features: object) -> bytes:
    """A GeoJSON FeatureCollection of ``features``."""
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def nested_in_a_property(levels: int) -> bytes:
    """A FeatureCollection whose one property holds ``levels`` nested lists (10 KB at 5,000):
    ``levels + 4`` deep in all."""
    feature = collection({"type": "Feature", "properties": {"name": "__deep__"}})
    return feature.replace(b'"__deep__"', b"[" * levels + b"]" * levels)
