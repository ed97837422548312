"""The text of a cell, as a CSV export of the sheet would hold it, so that an ``.xlsx`` import
validates exactly like a CSV one: empty cells are ``""``, whole numbers are written without a
decimal point (an adcode typed as the number 610103 reads ``"610103"``), other numbers by
``repr`` (the shortest text that reads back as the same float, so no precision is lost),
booleans as ``TRUE``/``FALSE`` as Excel shows them, dates and times in ISO 8601. Formulas give
their cached values (what Excel last computed), never the formula text.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final

#: Whole floats below this print as integers; above it a float no longer holds every integer.
_EXACT_INT_LIMIT: Final = 2.0**53


def cell_text(value: object) -> str:
    """The text of one cell value (as openpyxl reads it), as described in the module docstring."""
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
