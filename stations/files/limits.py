"""What bounds an import: the size of what a file may hold, and the caller's patience.

One place for every limit the three readers (CSV, GeoJSON, .xlsx) enforce, for the command line
and the HTTP API alike. Each is sized from the product, not from the machine: the biggest real
import is an official list of about 200,000 stations in the 11 import columns, and no station
field is longer than 500 characters (``stations.editing.validation.MAX_LENGTH``). A file past a
limit is refused as a whole (ImportFileError, a 422 over HTTP, exit 2 from the command line)
before the work it would cause is done, with a message that names the limit and what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from stations.editing.validation import KNOWN_FIELDS, MAX_LENGTH
from stations.errors import ImportFileError

#: Stations (CSV records, GeoJSON features, Excel rows) one import takes: the official list of
#: ~200,000 with a quarter to spare. Larger files are split and imported one part after another.
MAX_IMPORT_ROWS: Final = 250_000
#: Columns of a CSV header or an Excel sheet: the 11 import columns (12 with status), with room
#: for empty columns a spreadsheet leaves around them. GeoJSON: properties of one feature.
MAX_COLUMNS: Final = 64
#: Characters in one cell (or one GeoJSON property value): 8x the longest station field, so a
#: value a little too long is still reported by validation with its row and field, while a
#: cell that can only be junk stops the file before it fills memory.
_LONGEST_FIELD: Final = max(MAX_LENGTH.values())
MAX_CELL_CHARS: Final = 8 * _LONGEST_FIELD
#: Characters of one CSV record (its lines, for a quoted cell may hold line breaks): MAX_COLUMNS
#: cells of MAX_CELL_CHARS, each quoted. The csv module makes a string of every cell of a
#: record before it can be counted, so one record of 64 MiB of commas would be millions.
MAX_CSV_RECORD_CHARS: Final = MAX_COLUMNS * (MAX_CELL_CHARS + 3)
#: Nesting of JSON arrays and objects: a FeatureCollection needs 5 (collection, features,
#: feature, geometry, coordinates). Python's parser recurses once per level and fails with a
#: RecursionError near 1,000.
MAX_JSON_DEPTH: Final = 32
#: JSON arrays and objects in one GeoJSON file: a feature needs at most 5 (itself, geometry,
#: coordinates, properties, an amenity list); counted before parsing, which takes ~100 bytes
#: of memory for each of them.
MAX_JSON_CONTAINERS: Final = 8 * MAX_IMPORT_ROWS

# -- Excel .xlsx: a zip of XML parts ----------------------------------------------------------

#: The grid of an Excel sheet (Excel 2007 and later): no row or column lies beyond it.
EXCEL_MAX_ROW: Final = 1_048_576
EXCEL_MAX_COLUMN: Final = 16_384
#: Parts (zip entries) of a workbook: Excel writes ~10 plus one per sheet, image or comment.
MAX_XLSX_PARTS: Final = 1_000
#: Bytes of the zip's central directory, checked before zipfile reads it into memory.
MAX_XLSX_DIRECTORY_BYTES: Final = 1 << 20
#: Unpacked bytes of one part: 250,000 rows in the 11 columns measure 177 MB as sheet XML
#: (openpyxl, inline strings); this leaves room for longer texts.
MAX_XLSX_PART_BYTES: Final = 512 << 20
#: Unpacked bytes of all parts together.
MAX_XLSX_TOTAL_BYTES: Final = 1 << 30
#: Unpacked / packed size of a part over XLSX_RATIO_FROM_BYTES. Sheet XML packs ~7-12x (row and
#: cell numbers differ on every row); a zip bomb of repeated rows packs ~1,000x.
MAX_XLSX_RATIO: Final = 100
XLSX_RATIO_FROM_BYTES: Final = 1 << 20
#: Elements nested in any XML part (a sheet needs 7, extensions ~10); expat keeps a record of
#: every open element, so unbounded nesting is unbounded memory.
MAX_XML_DEPTH: Final = 64
#: Different element and attribute names in one XML part (a sheet uses a few dozen): expat keeps
#: every name it has seen, ~140 bytes each, until the part ends.
MAX_XML_NAMES: Final = 10_000
#: Bytes of one XML tag, comment or instruction: expat holds a token whole until it ends.
MAX_XML_TOKEN_BYTES: Final = 1 << 20
#: Cell formats (``<xf>``) and number formats of a workbook; Excel allows 64,000.
MAX_XLSX_FORMATS: Final = 65_536
#: Distinct texts in the shared-string table: one per cell of the largest import, which cannot
#: use more (a second sheet could, but only the first is read).
MAX_SHARED_STRINGS: Final = MAX_IMPORT_ROWS * len(KNOWN_FIELDS)
#: Cell elements in the first sheet, empty ones too: the largest import, every column full.
MAX_SHEET_CELLS: Final = MAX_IMPORT_ROWS * MAX_COLUMNS

#: Asked now and then while an import works; True stops it (HTTP: the client has gone).
Cancelled = Callable[[], bool]


class ImportCancelled(Exception):
    """The import was stopped because ``cancelled()`` said so; nothing was written."""


def stop_if_cancelled(cancelled: Cancelled | None) -> None:
    """Raise ImportCancelled when the caller has asked to stop."""
    if cancelled is not None and cancelled():
        raise ImportCancelled


def too_many_rows() -> ImportFileError:
    """The refusal of a file with more than MAX_IMPORT_ROWS stations, in every format."""
    return ImportFileError(
        f"the file has more than {MAX_IMPORT_ROWS:,} stations; one import takes at most "
        f"{MAX_IMPORT_ROWS:,}: split the file and import the parts one after another"
    )


def cell_too_long(where: str) -> ImportFileError:
    """The refusal of a cell (GeoJSON: property value) over MAX_CELL_CHARS at ``where``."""
    return ImportFileError(
        f"{where}: a value of more than {MAX_CELL_CHARS:,} characters; an import reads at most "
        f"{MAX_CELL_CHARS:,} (no station field holds more than {_LONGEST_FIELD}): shorten or "
        "delete it"
    )
