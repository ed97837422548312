"""The parts of a workbook that say how to read its first sheet: the package relationships
that lead to it, the shared-string table its cells point into, the cell styles that make a
number a date, and the date system (1900 or 1904)."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

from stations.errors import ImportFileError
from stations.files.limits import (
    MAX_CELL_CHARS,
    MAX_SHARED_STRINGS,
    MAX_XLSX_FORMATS,
    Cancelled,
)
from stations.files.xlsx.xml_events import Elements, Events, attr, parse

_TRUE: Final = frozenset({"1", "true"})


# -- the package: which parts hold the first sheet, its texts and its formats ------------------


@dataclass(frozen=True, slots=True)
class Package:
    sheet: str
    strings: str | None
    styles: str | None
    date1904: bool

    @property
    def epoch(self) -> datetime:
        """Day 0 of the workbook's date serials."""
        return MAC_EPOCH if self.date1904 else WINDOWS_EPOCH


def read_package(archive: zipfile.ZipFile, cancelled: Cancelled | None) -> Package:
    """Where the first worksheet, the shared strings and the styles are, and the date system."""
    names = set(archive.namelist())
    package = _by_type(_targets_by_id(archive, "", names, cancelled))
    workbook = package.get("officeDocument") or "xl/workbook.xml"
    targets = _targets_by_id(archive, workbook, names, cancelled)
    related = _by_type(targets)
    elements = Elements("sheet", "workbookPr")
    parse(archive, workbook, elements, cancelled)
    date1904 = any(
        name == "workbookPr" and (attrs.get("date1904") or "").lower() in _TRUE
        for name, attrs in elements.found
    )
    return Package(
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
        kind, target = targets.get(attr(attrs, "id") or "", ("", ""))
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
    elements = Elements("Relationship")
    parse(archive, rels, elements, cancelled)
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


class _Strings(Events):
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


def shared_strings(
    archive: zipfile.ZipFile, part: str | None, cancelled: Cancelled | None
) -> list[str | None]:
    """The shared-string table in ``part`` (none without one); None for a text too long."""
    if part is None or part not in archive.namelist():
        return []
    strings = _Strings()
    parse(archive, part, strings, cancelled)
    return strings.table


@dataclass(frozen=True, slots=True)
class DateStyles:
    """Cell styles (indexes of ``<xf>`` in ``<cellXfs>``) whose number format shows a date or
    time, and those of them that show a duration, as openpyxl decides."""

    dates: frozenset[int] = frozenset()
    durations: frozenset[int] = frozenset()


class _Styles(Events):
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


def date_styles(
    archive: zipfile.ZipFile, part: str | None, cancelled: Cancelled | None
) -> DateStyles:
    """The date and duration styles of the styles ``part`` (none without one)."""
    if part is None or part not in archive.namelist():
        return DateStyles()
    styles = _Styles()
    parse(archive, part, styles, cancelled)
    dates, durations = set(), set()
    for index, format_id in enumerate(styles.cell_formats):
        code = styles.custom.get(format_id, BUILTIN_FORMATS.get(format_id))
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return DateStyles(frozenset(dates), frozenset(durations))
