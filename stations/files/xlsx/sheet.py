"""The rows of a worksheet part, read as they stream by: each row's cells become texts
(``cells.cell_text``), counted against the limits on rows, columns, cells and characters."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from openpyxl.utils.cell import get_column_letter
from openpyxl.utils.datetime import from_excel, from_ISO8601

from stations.errors import ImportFileError
from stations.files.limits import (
    EXCEL_MAX_COLUMN,
    EXCEL_MAX_ROW,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_IMPORT_ROWS,
    MAX_SHEET_CELLS,
    cell_too_long,
)
from stations.files.xlsx.archive import SAVE_AGAIN
from stations.files.xlsx.cells import cell_text
from stations.files.xlsx.workbook import DateStyles
from stations.files.xlsx.xml_events import Events

_COLUMN_OF: Final = {get_column_letter(i): i for i in range(1, EXCEL_MAX_COLUMN + 1)}

#: (Excel row number, cell texts from column A).
Row = tuple[int, list[str]]


class Sheet(Events):
    """The rows of a worksheet part; ``done`` collects the rows with content as they end."""

    def __init__(self, strings: list[str | None], styles: DateStyles, epoch: datetime) -> None:
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

    def opened(self, name: str, attrs: dict[str, str]) -> None:
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

    def closed(self, name: str) -> None:
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
                f"so Excel or WPS did not write this file: {SAVE_AGAIN}"
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
