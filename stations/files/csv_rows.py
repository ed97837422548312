"""Raw rows of a UTF-8 CSV file with the import header, under the limits on columns, record
length and characters in a cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from stations.errors import ImportFileError
from stations.files.aliases import canonical_header
from stations.files.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_CSV_RECORD_CHARS,
    MAX_IMPORT_ROWS,
    cell_too_long,
    too_many_rows,
)
from stations.files.rows import CSV_COLUMNS, RawRow, check_header, decode


def csv_rows(data: bytes) -> Iterator[RawRow]:
    """Rows of a UTF-8 CSV (a BOM is fine) with the import header; row numbers are the line
    numbers where each record starts (the header is line 1)."""
    text = decode(data)
    # First, before the csv module makes a string of every cell: a comma in a header cell is
    # a column too many or a column no import has, refused either way.
    _check_header_width(text.count(",", 0, _end_of_first_line(text)) + 1)
    lines = _Lines(text)
    reader = csv.reader(lines, strict=True)
    header = _next_record(reader, lines, 1)
    if header is None:
        raise ImportFileError("the CSV file is empty; expected a header row")
    _check_header_width(len(header))
    _check_cells(header, 1)
    columns = [canonical_header(h) for h in header]  # Chinese headers too (名称, 经度, …)
    check_header(columns)
    return _csv_records(reader, lines, columns)


def _end_of_first_line(text: str) -> int:
    ends = [i for i in (text.find("\n"), text.find("\r")) if i >= 0]
    return min(ends, default=len(text))


def _check_header_width(columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise ImportFileError(
            f"the header has {columns:,} columns; an import reads at most {MAX_COLUMNS} "
            f"(the station columns are {','.join(CSV_COLUMNS)}): delete the others"
        )


class _RecordTooLong(Exception):
    pass


class _Lines:
    """The lines of a CSV text, for csv.reader: raises _RecordTooLong once the lines read since
    ``chars`` was set to 0 (one record's) pass MAX_CSV_RECORD_CHARS."""

    def __init__(self, text: str) -> None:
        self._text = io.StringIO(text, newline="")
        self.chars = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(MAX_CSV_RECORD_CHARS + 1 - self.chars)
        if not line:
            raise StopIteration
        self.chars += len(line)
        if self.chars > MAX_CSV_RECORD_CHARS:
            raise _RecordTooLong
        return line


def _next_record(reader: Iterator[list[str]], lines: _Lines, line: int) -> list[str] | None:
    """The record that starts at ``line``; None after the last."""
    lines.chars = 0
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise _csv_error(line, exc) from exc
    except _RecordTooLong:
        raise ImportFileError(
            f"line {line}: a record of more than {MAX_CSV_RECORD_CHARS:,} characters, longer "
            f"than {MAX_COLUMNS} cells of the largest size; a quote left open runs on to the "
            "end of the file: close it"
        ) from None


def _csv_records(
    reader: Iterator[list[str]], lines: _Lines, columns: list[str]
) -> Iterator[RawRow]:
    line = 1
    count = 0
    while (record := _next_record(reader, lines, line + 1)) is not None:
        start = line + 1
        line = reader.line_num  # type: ignore[attr-defined]
        if not record or all(not cell.strip() for cell in record):
            continue  # blank lines carry no station
        count += 1
        if count > MAX_IMPORT_ROWS:
            raise too_many_rows()
        _check_cells(record, start)
        if len(record) != len(columns):
            values: dict[str, object] = {
                "__row__": f"has {len(record)} cells; the header has {len(columns)}"
            }
        else:
            values = dict(zip(columns, record, strict=True))
        yield RawRow(start, values)


def _check_cells(record: list[str], line: int) -> None:
    if max(map(len, record), default=0) > MAX_CELL_CHARS:
        column = next(i for i, cell in enumerate(record, start=1) if len(cell) > MAX_CELL_CHARS)
        raise cell_too_long(f"line {line}, column {column}")


def _csv_error(line: int, exc: csv.Error) -> ImportFileError:
    # The csv module stops a field at its own (process-wide) limit, 131,072 characters.
    if "field larger than field limit" in str(exc):
        too_long = cell_too_long(f"line {line}")
        return ImportFileError(f"{too_long} (if no value is that long, close a quote left open)")
    return ImportFileError(f"line {line}: {exc}")
