"""Raw rows of the first worksheet of an Excel ``.xlsx`` workbook (read by ``xlsx``), under
the import header."""

from __future__ import annotations

from collections.abc import Iterator

from stations.errors import ImportFileError
from stations.files.aliases import canonical_header
from stations.files.limits import MAX_IMPORT_ROWS, Cancelled, too_many_rows
from stations.files.rows import RawRow, check_header
from stations.files.xlsx import sheet_rows
from stations.files.xlsx.sheet import Row


def xlsx_rows(data: bytes, cancelled: Cancelled | None = None) -> Iterator[RawRow]:
    """Rows of the first worksheet of an .xlsx workbook: the first non-blank row is the header
    (the CSV columns, in any order); row numbers are Excel's. Columns without a header are
    ignored while empty; a value in one makes its row a problem."""
    rows = sheet_rows(data, cancelled)
    try:
        header_row, header = next(rows)
    except StopIteration:
        raise ImportFileError("the first worksheet is empty; expected a header row") from None
    columns = [canonical_header(h) if h.strip() else "" for h in header]  # 名称, 经度, …
    try:
        check_header([c for c in columns if c])
    except ImportFileError as exc:
        raise ImportFileError(f"row {header_row}: {exc}") from None
    return _xlsx_records(rows, columns)


def _xlsx_records(rows: Iterator[Row], columns: list[str]) -> Iterator[RawRow]:
    for count, (number, cells) in enumerate(rows, start=1):
        if count > MAX_IMPORT_ROWS:
            raise too_many_rows()
        yield RawRow(number, _xlsx_values(cells, columns))


def _xlsx_values(cells: list[str], columns: list[str]) -> dict[str, object]:
    values: dict[str, object] = dict.fromkeys((c for c in columns if c), "")
    for i, cell in enumerate(cells):
        name = columns[i] if i < len(columns) else ""
        if name:
            values[name] = cell
        elif cell.strip():
            # openpyxl (Pillow under it) loads on this rare path only: rows are read without it.
            from openpyxl.utils.cell import get_column_letter

            where = get_column_letter(i + 1)
            return {"__row__": f"has a value in column {where}, which has no header"}
    return values
