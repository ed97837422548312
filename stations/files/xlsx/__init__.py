"""Read the first worksheet of an Excel ``.xlsx`` workbook as rows of text, like a CSV reader
(``sheet_rows``); each cell reads as ``cells.cell_text`` describes.

The workbook is streamed under the hard limits of ``stations.files.limits``, not loaded by
openpyxl (whose conversions of cell values this package repeats): openpyxl pads every row out
to the sheet's declared ``<dimension>`` and every gap between row numbers, so 5 KB claiming
A1:XFD1048576, or one row numbered 10^9, took minutes of CPU; and it holds any text whole, so
one cell could take gigabytes. Here the zip directory is checked before anything is unpacked
(``archive``: parts, sizes, compression ratios), each XML part is fed to expat in 64 KiB chunks
(``xml_events``), and rows, columns, cells, characters, nesting and tag sizes are counted as
they arrive (``sheet``, with the shared strings and date styles of ``workbook``).

``cell_text`` is re-exported here with ``sheet_rows`` as the package's public face: the text of
a cell value is what the tests hold the reader to, against openpyxl's values.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import Final
from xml.parsers import expat

from stations.errors import ImportFileError
from stations.files.limits import Cancelled
from stations.files.xlsx.archive import SAVE_AGAIN, open_archive
from stations.files.xlsx.cells import cell_text
from stations.files.xlsx.sheet import Row, Sheet
from stations.files.xlsx.workbook import date_styles, read_package, shared_strings
from stations.files.xlsx.xml_events import feed

__all__ = ["cell_text", "sheet_rows"]

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


def sheet_rows(data: bytes, cancelled: Cancelled | None = None) -> Iterator[Row]:
    """(Excel row number, cell texts from column A) for every row of the first worksheet that
    has any content, top to bottom; blank rows are skipped, so numbers may jump. Rows may
    differ in length. Raises ImportFileError (while iterating, too) for a file that is not a
    readable .xlsx workbook, has no worksheet or passes a limit; ImportCancelled once
    ``cancelled()`` is true."""
    try:
        archive = open_archive(data)
    except _BROKEN as exc:
        raise _unreadable(exc) from exc
    try:
        book = read_package(archive, cancelled)
        sheet = Sheet(
            shared_strings(archive, book.strings, cancelled),
            date_styles(archive, book.styles, cancelled),
            book.epoch,
        )
    except _BROKEN as exc:
        archive.close()
        raise _unreadable(exc) from exc
    except BaseException:  # a limit, a cancel
        archive.close()
        raise
    return _rows(archive, book.sheet, sheet, cancelled)


def _rows(
    archive: zipfile.ZipFile, part: str, sheet: Sheet, cancelled: Cancelled | None
) -> Iterator[Row]:
    try:
        for _ in feed(archive, part, sheet, cancelled):
            yield from sheet.done
            sheet.done.clear()
    except _BROKEN as exc:
        raise _unreadable(exc) from exc
    finally:
        archive.close()


def _unreadable(exc: BaseException) -> ImportFileError:
    reason = str(exc) or type(exc).__name__
    return ImportFileError(f"not a readable Excel .xlsx workbook ({reason}); {SAVE_AGAIN}")
