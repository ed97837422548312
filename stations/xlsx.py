"""Read the first worksheet of an Excel ``.xlsx`` workbook as rows of text, like a CSV reader.

Cells become the text a CSV export of the sheet would hold, so an ``.xlsx`` import validates
exactly like a CSV one: empty cells are ``""``, whole numbers are written without a decimal
point (an adcode typed as the number 610103 reads ``"610103"``), other numbers by ``repr`` (the
shortest text that reads back as the same float, so no precision is lost), booleans as
``TRUE``/``FALSE`` as Excel shows them, dates and times in ISO 8601. Formulas give their
cached values (what Excel last computed), never the formula text.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Final
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook

from stations.errors import ImportFileError

#: Whole floats below this print as integers; above it a float no longer holds every integer.
_EXACT_INT_LIMIT: Final = 2.0**53
#: What a damaged workbook raises from openpyxl and the zip and XML layers under it.
_BROKEN: Final = (
    zipfile.BadZipFile,
    InvalidFileException,
    ParseError,
    KeyError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
)


def sheet_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(Excel row number, cell texts from column A) for every row of the first worksheet that
    has any content, top to bottom; blank rows are skipped, so numbers may jump. Rows may
    differ in length. Raises ImportFileError (while iterating, too) for a file that is not a
    readable .xlsx workbook or has no worksheet."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _BROKEN as exc:
        raise _unreadable(exc) from exc
    return _rows(workbook)


def _rows(workbook: Workbook) -> Iterator[tuple[int, list[str]]]:
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise ImportFileError("the Excel workbook has no worksheet")
        # min_row/min_col = 1: enumerate then counts Excel rows even when the sheet's data
        # starts lower down or further right.
        rows = sheets[0].iter_rows(min_row=1, min_col=1, values_only=True)
        for number, values in enumerate(rows, start=1):
            cells = [cell_text(v) for v in values]
            if any(c.strip() for c in cells):
                yield number, cells
    except _BROKEN as exc:
        raise _unreadable(exc) from exc
    finally:
        workbook.close()


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
    return ImportFileError(
        f"not a readable Excel .xlsx workbook ({reason}); save it again from Excel or "
        "WPS as .xlsx, or export it as CSV (UTF-8)"
    )
