"""Read the first worksheet of an Excel ``.xlsx`` workbook as rows of text, like a CSV reader.

Cells become the text a CSV export of the sheet would hold, so an ``.xlsx`` import validates
exactly like a CSV one: empty cells are ``""``, whole numbers are written without a decimal
point (an adcode typed as the number 610103 reads ``"610103"``), other numbers by ``repr`` (the
shortest text that reads back as the same float, so no precision is lost), booleans as
``TRUE``/``FALSE`` as Excel shows them, dates and times in ISO 8601. Formulas give their
cached values (what Excel last computed), never the formula text.

The workbook is streamed under the hard limits of ``stations.files.limits``, not loaded by
openpyxl (whose conversions of cell values this module repeats): openpyxl pads every row out to
the sheet's declared ``<dimension>`` and every gap between row numbers, so 5 KB claiming
A1:XFD1048576, or one row numbered 10^9, took minutes of CPU; and it holds any text whole, so
one cell could take gigabytes. Here the zip directory is checked before anything is unpacked
(parts, sizes, compression ratios), each XML part is fed to expat in 64 KiB chunks, and rows,
columns, cells, characters, nesting and tag sizes are counted as they arrive.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import get_column_letter
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from stations.errors import ImportFileError
from stations.files.limits import (
    EXCEL_MAX_COLUMN,
    EXCEL_MAX_ROW,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_IMPORT_ROWS,
    MAX_SHARED_STRINGS,
    MAX_SHEET_CELLS,
    MAX_XLSX_DIRECTORY_BYTES,
    MAX_XLSX_FORMATS,
    MAX_XLSX_PART_BYTES,
    MAX_XLSX_PARTS,
    MAX_XLSX_RATIO,
    MAX_XLSX_TOTAL_BYTES,
    MAX_XML_DEPTH,
    MAX_XML_NAMES,
    MAX_XML_TOKEN_BYTES,
    XLSX_RATIO_FROM_BYTES,
    Cancelled,
    cell_too_long,
    stop_if_cancelled,
)

#: Whole floats below this print as integers; above it a float no longer holds every integer.
_EXACT_INT_LIMIT: Final = 2.0**53
#: What a damaged workbook raises from the zip, XML and number layers.
_BROKEN: Final = (
    zipfile.BadZipFile,
    expat.ExpatError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
    NotImplementedError,  # a compression method zipfile does not have
)
_CHUNK: Final = 1 << 16
_MIB: Final = 1 << 20
_COLUMN_OF: Final = {get_column_letter(i): i for i in range(1, EXCEL_MAX_COLUMN + 1)}
_TRUE: Final = frozenset({"1", "true"})
_SAVE_AGAIN: Final = "save it again from Excel or WPS as .xlsx, or export it as CSV (UTF-8)"

Row = tuple[int, list[str]]


def sheet_rows(data: bytes, cancelled: Cancelled | None = None) -> Iterator[Row]:
    """(Excel row number, cell texts from column A) for every row of the first worksheet that
    has any content, top to bottom; blank rows are skipped, so numbers may jump. Rows may
    differ in length. Raises ImportFileError (while iterating, too) for a file that is not a
    readable .xlsx workbook, has no worksheet or passes a limit; ImportCancelled once
    ``cancelled()`` is true."""
    try:
        archive = _open_archive(data)
    except _BROKEN as exc:
        raise _unreadable(exc) from exc
    try:
        book = _package(archive, cancelled)
        sheet = _Sheet(
            _shared_strings(archive, book.strings, cancelled),
            _date_styles(archive, book.styles, cancelled),
            MAC_EPOCH if book.date1904 else WINDOWS_EPOCH,
        )
    except _BROKEN as exc:
        archive.close()
        raise _unreadable(exc) from exc
    except BaseException:  # a limit, a cancel
        archive.close()
        raise
    return _rows(archive, book.sheet, sheet, cancelled)


def _rows(
    archive: zipfile.ZipFile, part: str, sheet: _Sheet, cancelled: Cancelled | None
) -> Iterator[Row]:
    try:
        for _ in _feed(archive, part, sheet, cancelled):
            yield from sheet.done
            sheet.done.clear()
    except _BROKEN as exc:
        raise _unreadable(exc) from exc
    finally:
        archive.close()


def cell_text(value: object) -> str:
    """The text of one cell value, as described in the module docstring."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_INT_LIMIT:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _unreadable(exc: BaseException) -> ImportFileError:
    reason = str(exc) or type(exc).__name__
    return ImportFileError(f"not a readable Excel .xlsx workbook ({reason}); {_SAVE_AGAIN}")


# -- the zip ---------------------------------------------------------------------------------


def _open_archive(data: bytes) -> zipfile.ZipFile:
    _check_directory(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        _check_parts(archive.infolist())
    except ImportFileError:
        archive.close()
        raise
    return archive


def _check_directory(data: bytes) -> None:
    """Refuse a zip directory too big to read: zipfile builds an object for every entry."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or len(data) < end + 22:
        return  # not a zip: zipfile says so
    entries, size = struct.unpack_from("<HI", data, end + 10)
    # A ZIP64 end record sits 56 bytes before its 20-byte locator, which zipfile then trusts.
    locator, record = end - 20, end - 76
    zip64 = data[locator : locator + 4] == b"PK\x06\x07"
    if record >= 0 and zip64 and data[record : record + 4] == b"PK\x06\x06":
        entries, size = struct.unpack_from("<QQ", data, record + 32)
    if entries > MAX_XLSX_PARTS or size > MAX_XLSX_DIRECTORY_BYTES:
        raise _too_many_parts(entries)


def _check_parts(parts: list[zipfile.ZipInfo]) -> None:
    """Sizes and compression ratios from the zip directory, before anything is unpacked
    (zipfile never unpacks more than the directory declares)."""
    if len(parts) > MAX_XLSX_PARTS:
        raise _too_many_parts(len(parts))
    for part in parts:
        if part.file_size > MAX_XLSX_PART_BYTES:
            raise ImportFileError(
                f"{part.filename} in the .xlsx file unpacks to {_mib(part.file_size)}; an import "
                f"reads at most {_mib(MAX_XLSX_PART_BYTES)} per part (the sheet "
                "of 250,000 stations is about 180 MiB): split the workbook, or export the "
                "sheet as CSV (UTF-8)"
            )
        if (
            part.file_size > XLSX_RATIO_FROM_BYTES
            and part.file_size > MAX_XLSX_RATIO * part.compress_size
        ):
            ratio = part.file_size / max(part.compress_size, 1)
            raise ImportFileError(
                f"{part.filename} in the .xlsx file unpacks {ratio:,.0f} times larger than it "
                f"is stored; a workbook's parts unpack at most {MAX_XLSX_RATIO} times larger "
                f"(a zip bomb unpacks ~1,000 times larger): {_SAVE_AGAIN}"
            )
    total = sum(part.file_size for part in parts)
    if total > MAX_XLSX_TOTAL_BYTES:
        raise ImportFileError(
            f"the .xlsx file unpacks to {_mib(total)}; an import reads at most "
            f"{_mib(MAX_XLSX_TOTAL_BYTES)}: delete the sheets and pictures the stations do not "
            "need, or export the station sheet as CSV (UTF-8)"
        )


def _mib(size: int) -> str:
    return f"{size / _MIB:,.0f} MiB" if size >= 10 * _MIB else f"{size / _MIB:.1f} MiB"


def _too_many_parts(count: int) -> ImportFileError:
    return ImportFileError(
        f"the .xlsx file has {count:,} parts; a workbook has a few dozen and an import reads "
        f"at most {MAX_XLSX_PARTS:,}: {_SAVE_AGAIN}"
    )


# -- XML parts, streamed -----------------------------------------------------------------------


class _Events:
    """Expat handlers of one XML part; elements arrive by local name (any prefix dropped), at
    most MAX_XML_DEPTH deep, with at most MAX_XML_NAMES different names in the part."""

    def __init__(self) -> None:
        self.depth = 0
        self._local: dict[str, str] = {}  # element name → local name
        self._attributes: set[str] = set()  # attribute names seen

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise _too_deep()
        if attrs and not self._attributes.issuperset(attrs):
            self._learn(attrs)
        self.opened(self._local.get(name) or self._localise(name), attrs)

    def end(self, name: str) -> None:
        self.depth -= 1
        self.closed(self._local.get(name) or self._localise(name))

    def _localise(self, name: str) -> str:
        self._count_names(1)
        local = self._local[name] = name.rpartition(":")[2]
        return local

    def _learn(self, attrs: dict[str, str]) -> None:
        self._count_names(len(attrs))
        self._attributes.update(attrs)

    def _count_names(self, more: int) -> None:
        if len(self._local) + len(self._attributes) + more > MAX_XML_NAMES:
            raise ValueError(f"more than {MAX_XML_NAMES:,} different XML names in one part")

    def opened(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def closed(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def _too_deep() -> ValueError:
    return ValueError(f"XML elements nested more than {MAX_XML_DEPTH} deep")


def _feed(
    archive: zipfile.ZipFile, part: str, events: _Events, cancelled: Cancelled | None
) -> Iterator[None]:
    """Parse ``part`` into ``events`` chunk by chunk, yielding after each chunk so that the
    caller can hand on what the handlers collected."""
    parser = expat.ParserCreate()
    parser.buffer_text = True  # one text event per text node (up to a chunk), not per line
    parser.buffer_size = _CHUNK
    parser.StartElementHandler = events.start
    parser.EndElementHandler = events.end
    parser.CharacterDataHandler = events.text
    parser.StartDoctypeDeclHandler = _no_doctype  # so no entity can be declared, let alone grow
    fed = 0
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
            fed += len(chunk)
            if fed - parser.CurrentByteIndex > MAX_XML_TOKEN_BYTES:
                raise ValueError(f"{part} has a tag over {_mib(MAX_XML_TOKEN_BYTES)} long")
            stop_if_cancelled(cancelled)
            yield
    parser.Parse(b"", True)
    yield


def _no_doctype(*_: object) -> None:
    raise ValueError("a document type declaration, which a workbook never has")


def _parse(
    archive: zipfile.ZipFile, part: str, events: _Events, cancelled: Cancelled | None
) -> None:
    for _ in _feed(archive, part, events, cancelled):
        pass


class _Elements(_Events):
    """The attributes of every element with one of ``names``, in document order."""

    def __init__(self, *names: str) -> None:
        super().__init__()
        self.names = frozenset(names)
        self.found: list[tuple[str, dict[str, str]]] = []

    def opened(self, name: str, attrs: dict[str, str]) -> None:
        if name in self.names:
            if len(self.found) >= MAX_XLSX_FORMATS:
                raise ValueError(f"more than {MAX_XLSX_FORMATS:,} {name} elements")
            self.found.append((name, attrs))


def _attr(attrs: dict[str, str], local: str) -> str | None:
    """An attribute by local name (``r:id`` is ``id``)."""
    for name, value in attrs.items():
        if name.rpartition(":")[2] == local:
            return value
    return None


# -- the package: which parts hold the first sheet, its texts and its formats ------------------


@dataclass(frozen=True, slots=True)
class _Package:
    sheet: str
    strings: str | None
    styles: str | None
    date1904: bool


def _package(archive: zipfile.ZipFile, cancelled: Cancelled | None) -> _Package:
    names = set(archive.namelist())
    package = _by_type(_targets_by_id(archive, "", names, cancelled))
    workbook = package.get("officeDocument") or "xl/workbook.xml"
    targets = _targets_by_id(archive, workbook, names, cancelled)
    related = _by_type(targets)
    elements = _Elements("sheet", "workbookPr")
    _parse(archive, workbook, elements, cancelled)
    date1904 = any(
        name == "workbookPr" and (attrs.get("date1904") or "").lower() in _TRUE
        for name, attrs in elements.found
    )
    return _Package(
        _first_worksheet(elements.found, targets, names),
        related.get("sharedStrings"),
        related.get("styles"),
        date1904,
    )


def _first_worksheet(
    found: list[tuple[str, dict[str, str]]], targets: dict[str, tuple[str, str]], names: set[str]
) -> str:
    """The first sheet of the workbook that is a worksheet (not a chart), as openpyxl's
    ``worksheets[0]``."""
    for name, attrs in found:
        kind, target = targets.get(_attr(attrs, "id") or "", ("", ""))
        if name == "sheet" and target in names and kind != "chartsheet":
            return target
    raise ImportFileError("the Excel workbook has no worksheet")


def _by_type(targets: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The first target of each relation type."""
    first: dict[str, str] = {}
    for kind, target in targets.values():
        first.setdefault(kind, target)
    return first


def _targets_by_id(
    archive: zipfile.ZipFile, source: str, names: set[str], cancelled: Cancelled | None
) -> dict[str, tuple[str, str]]:
    """(relation type, part) by relation id, of the parts ``source`` relates to (the package's
    own relations for ``""``)."""
    folder, base = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", f"{base}.rels")
    if rels not in names:
        return {}
    elements = _Elements("Relationship")
    _parse(archive, rels, elements, cancelled)
    targets = {}
    for _, attrs in elements.found:
        target = attrs.get("Target", "")
        if attrs.get("TargetMode") == "External" or not target:
            continue
        path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        kind = attrs.get("Type", "").rpartition("/")[2]
        targets[attrs.get("Id", "")] = (kind, posixpath.normpath(path))
    return targets


# -- shared strings and date formats ---------------------------------------------------------


class _Strings(_Events):
    """The shared-string table; a text over MAX_CELL_CHARS is kept as None (not held), so that
    only a cell of the first sheet that uses it is refused."""

    def __init__(self) -> None:
        super().__init__()
        self.table: list[str | None] = []
        self.parts: list[str] = []
        self.length = 0
        self.collecting = False
        self.phonetic = False

    def opened(self, name: str, attrs: dict[str, str]) -> None:
        if name == "si":
            self.parts, self.length = [], 0
        elif name == "t":
            self.collecting = not self.phonetic
        elif name == "rPh":  # a reading aid (furigana), not part of the text
            self.phonetic = True

    def closed(self, name: str) -> None:
        if name == "t":
            self.collecting = False
        elif name == "rPh":
            self.phonetic = False
        elif name == "si":
            if len(self.table) >= MAX_SHARED_STRINGS:
                raise _too_many_strings()
            text = "".join(self.parts) if self.length <= MAX_CELL_CHARS else None
            # openpyxl drops the escape of "_" this way; the same cells read the same text.
            self.table.append(text.replace("x005F_", "") if text is not None else None)

    def text(self, data: str) -> None:
        if self.collecting:
            self.length += len(data)
            if self.length <= MAX_CELL_CHARS:
                self.parts.append(data)


def _too_many_strings() -> ImportFileError:
    return ImportFileError(
        f"the workbook has more than {MAX_SHARED_STRINGS:,} different texts, more than an "
        "import can use (its first sheet is read); copy the station sheet alone into a new "
        "workbook, or export it as CSV (UTF-8)"
    )


def _shared_strings(
    archive: zipfile.ZipFile, part: str | None, cancelled: Cancelled | None
) -> list[str | None]:
    if part is None or part not in archive.namelist():
        return []
    strings = _Strings()
    _parse(archive, part, strings, cancelled)
    return strings.table


@dataclass(frozen=True, slots=True)
class _DateStyles:
    """Cell styles (indexes of ``<xf>`` in ``<cellXfs>``) whose number format shows a date or
    time, and those of them that show a duration, as openpyxl decides."""

    dates: frozenset[int] = frozenset()
    durations: frozenset[int] = frozenset()


class _Styles(_Events):
    def __init__(self) -> None:
        super().__init__()
        self.custom: dict[int, str] = {}
        self.cell_formats: list[int] = []  # numFmtId of each cell style
        self.in_cell_styles = False

    def opened(self, name: str, attrs: dict[str, str]) -> None:
        if name == "numFmt" and len(self.custom) < MAX_XLSX_FORMATS:
            self.custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            self.in_cell_styles = True
        elif name == "xf" and self.in_cell_styles:
            if len(self.cell_formats) >= MAX_XLSX_FORMATS:
                raise ValueError(f"more than {MAX_XLSX_FORMATS:,} cell formats")
            self.cell_formats.append(int(attrs.get("numFmtId", "0")))

    def closed(self, name: str) -> None:
        if name == "cellXfs":
            self.in_cell_styles = False


def _date_styles(
    archive: zipfile.ZipFile, part: str | None, cancelled: Cancelled | None
) -> _DateStyles:
    if part is None or part not in archive.namelist():
        return _DateStyles()
    styles = _Styles()
    _parse(archive, part, styles, cancelled)
    dates, durations = set(), set()
    for index, format_id in enumerate(styles.cell_formats):
        code = styles.custom.get(format_id, BUILTIN_FORMATS.get(format_id))
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return _DateStyles(frozenset(dates), frozenset(durations))


# -- the sheet -----------------------------------------------------------------------------------


class _Sheet(_Events):
    """The rows of a worksheet part; ``done`` collects the rows with content as they end."""

    def __init__(self, strings: list[str | None], styles: _DateStyles, epoch: datetime) -> None:
        super().__init__()
        self.strings, self.styles, self.epoch = strings, styles, epoch
        self.done: list[Row] = []
        self.row = 0  # the current (or last) row's number
        self.in_row = self.in_cell = self.phonetic = False
        self.cells: dict[int, str] = {}  # column → text, of the current row's non-empty cells
        self.row_elements = self.sheet_elements = 0  # <c> elements, empty ones too
        self.column, self.kind, self.style, self.length = 0, "n", 0, 0
        self.value: list[str] | None = None  # the text of the cell's <v>
        self.inline: list[str] | None = None  # the text of its <is> (an inline string)
        self.target: list[str] | None = None  # where character data goes now

    # start and end replace _Events' (one call per element instead of two: this is the hot path).
    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise _too_deep()
        if attrs and not self._attributes.issuperset(attrs):
            self._learn(attrs)
        name = self._local.get(name) or self._localise(name)
        if name == "c":
            self._open_cell(attrs)
        elif name == "v" and self.in_cell:
            self.value = self.target = []
        elif name == "row":
            self._open_row(attrs.get("r"))
        elif name == "t" and self.inline is not None and not self.phonetic:
            self.target = self.inline
        elif name == "is" and self.in_cell:
            self.inline = []
        elif name == "rPh":  # a reading aid (furigana), not part of the text
            self.phonetic = True
        elif name == "dimension":
            _check_dimension(attrs.get("ref", ""))

    def end(self, name: str) -> None:
        self.depth -= 1
        name = self._local.get(name) or self._localise(name)
        if name in ("v", "t"):
            self.target = None
        elif name == "c":
            self._close_cell()
        elif name == "row":
            self._close_row()
        elif name == "rPh":
            self.phonetic = False

    def text(self, data: str) -> None:
        if self.target is not None:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise cell_too_long(f"row {self.row}, column {get_column_letter(self.column)}")
            self.target.append(data)

    def _open_row(self, ref: str | None) -> None:
        number = _row_number(ref) if ref else self.row + 1
        if number > EXCEL_MAX_ROW:
            raise ImportFileError(
                f"row {number:,} lies beyond the last row of an Excel sheet ({EXCEL_MAX_ROW:,}), "
                f"so Excel or WPS did not write this file: {_SAVE_AGAIN}"
            )
        if number <= self.row:  # Excel itself refuses such a file as damaged
            raise ValueError(f"row {number} comes after row {self.row}")
        self.row, self.in_row, self.column, self.row_elements = number, True, 0, 0
        self.cells = {}

    def _open_cell(self, attrs: dict[str, str]) -> None:
        if not self.in_row:
            return  # not part of any row (openpyxl skips it too)
        self.row_elements += 1
        self.sheet_elements += 1
        if self.row_elements > EXCEL_MAX_COLUMN:
            raise ValueError(f"row {self.row} has more than {EXCEL_MAX_COLUMN:,} cells")
        if self.sheet_elements > MAX_SHEET_CELLS:
            raise _too_many_cells()
        ref = attrs.get("r")
        column = _COLUMN_OF.get(ref.rstrip("0123456789").upper()) if ref else self.column + 1
        if column is None or column > EXCEL_MAX_COLUMN:
            raise ValueError(f"{ref!r} in row {self.row} is not a cell of an Excel sheet")
        self.column, self.kind, self.length, self.in_cell = column, attrs.get("t", "n"), 0, True
        style = attrs.get("s")
        self.style = int(style) if style else 0
        self.value = self.inline = None

    def _close_cell(self) -> None:
        if not self.in_cell:
            return
        self.in_cell, self.target = False, None
        value = self._value()
        text = value if type(value) is str else cell_text(value)
        if self.column <= MAX_COLUMNS:
            if text:
                self.cells[self.column] = text
        elif text.strip():
            raise ImportFileError(
                f"row {self.row}, column {get_column_letter(self.column)}: a value beyond "
                f"column {get_column_letter(MAX_COLUMNS)}; an import reads at most "
                f"{MAX_COLUMNS} columns: move or delete it and save again"
            )

    def _value(self) -> object:
        """The cell's value as openpyxl reads it (``data_only``: formulas give cached values)."""
        if self.kind == "inlineStr":
            return "".join(self.inline) if self.inline is not None else None
        raw = "".join(self.value) if self.value else None
        if raw is None:
            return None
        if self.kind == "n":
            return self._number(raw)
        if self.kind == "s":
            text = self.strings[int(raw)]
            if text is None:
                raise cell_too_long(f"row {self.row}, column {get_column_letter(self.column)}")
            return text
        if self.kind == "b":
            return bool(int(raw))
        if self.kind == "d":
            return from_ISO8601(raw)  # type: ignore[no-untyped-call]
        return raw  # "str" (a formula's text), "e" (an error such as #N/A)

    def _number(self, raw: str) -> object:
        number = float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)
        if self.style not in self.styles.dates:
            return number
        try:
            return from_excel(number, self.epoch, timedelta=self.style in self.styles.durations)
        except (OverflowError, ValueError):
            return "#VALUE!"  # a date serial outside the calendar, as openpyxl shows it

    def _close_row(self) -> None:
        self.in_row = False
        cells = self.cells
        if cells and any(text.strip() for text in cells.values()):
            row = [""] * max(cells)
            for column, text in cells.items():
                row[column - 1] = text
            self.done.append((self.row, row))


def _row_number(ref: str) -> int:
    try:
        return int(ref)
    except ValueError:
        number = float(ref)  # openpyxl reads "5.0", too
        if not number.is_integer():
            raise ValueError(f"{ref!r} is not a row number") from None
        return int(number)


def _check_dimension(ref: str) -> None:
    """Refuse a sheet that declares more columns than an import reads. The declared size is
    only a hint, never used to pad rows; a malformed one is ignored."""
    corner = ref.rpartition(":")[2].replace("$", "").rstrip("0123456789").upper()
    width = _COLUMN_OF.get(corner)
    if width is not None and width > MAX_COLUMNS:
        raise ImportFileError(
            f"the first worksheet declares its size as {ref}, {width:,} columns wide; an import "
            f"reads at most {MAX_COLUMNS} columns (A to {get_column_letter(MAX_COLUMNS)}): "
            "delete the columns right of the stations (or copy the stations into a new sheet) "
            "and save again"
        )


def _too_many_cells() -> ImportFileError:
    return ImportFileError(
        f"the first worksheet has more than {MAX_SHEET_CELLS:,} cells (empty ones with a format "
        f"included), more than {MAX_IMPORT_ROWS:,} rows of {MAX_COLUMNS} columns hold: copy the "
        "stations into a new sheet, or export it as CSV (UTF-8)"
    )
